#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so apps written in TypeScript load without a build step.
import cluster from 'node:cluster';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
// A cluster worker's IPC channel keeps it alive after its server has closed (or failed to start):
// letting go of it lets the worker exit, with main's code, as a single server process does.
if (cluster.isWorker) cluster.worker?.disconnect();
