/**
 * The benchmarked side: the demo API served by Gatehouse with production-like settings (see
 * settings.ts). Started by run.ts as `node --import tsx/esm bench/gatehouse-server.ts` so that the
 * process whose memory is measured is the server itself, not a wrapper.
 *
 * Environment:
 *   DATABASE_URL       required; the database run.ts prepared (sqlite:FILE or postgres://...)
 *   REDIS_URL          optional; throttles and sessions then live in Redis
 *   REDIS_KEY_PREFIX   optional; keeps this run's Redis keys apart
 *   WORKERS            processes serving the same port (default 1); more are supervised exactly as
 *                      `gatehouse serve --workers N` does it (src/http/cluster.ts)
 *   PORT               default 0: any free port (cluster workers share the one the first gets)
 *
 * When listening it sends `{ type: 'ready', port, pids }` over the IPC channel (pids: the processes
 * serving requests, whose memory run.ts reads). SIGTERM stops it gracefully, so `--cpu-prof` can
 * write its profile.
 */
import cluster from 'node:cluster';
import type { ReadyMessage } from './constants.ts';
import type { Backends } from './settings.ts';

const HOST = '127.0.0.1';
const workers = Math.max(1, Number(process.env.WORKERS ?? 1) || 1);

function backends(): Backends {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('gatehouse-server: DATABASE_URL is required');
  return {
    databaseUrl,
    redisUrl: process.env.REDIS_URL || null,
    ...(process.env.REDIS_KEY_PREFIX ? { redisKeyPrefix: process.env.REDIS_KEY_PREFIX } : {}),
  };
}

function report(message: ReadyMessage): void {
  if (process.send === undefined) console.log(JSON.stringify(message));
  else process.send(message);
}

/** Serves the demo in this process until SIGTERM, reporting ready unless it is a cluster worker. */
async function serveDemo(): Promise<void> {
  // Imported here so a cluster primary never loads the framework or opens the database.
  const { createDemoApp } = await import('../examples/demo/app.ts');
  const { serve } = await import('../src/index.ts');
  const { benchSettings } = await import('./settings.ts');
  const app = await createDemoApp(benchSettings(backends()));
  // No logger: request logging would dominate the measurement and is not what is being compared.
  const { server, closed } = await serve(app, { host: HOST, port: Number(process.env.PORT ?? 0) });
  const address = server.server.address();
  if (cluster.isPrimary) report({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0, pids: [process.pid] });
  await closed;
  // Exit explicitly: a lingering handle must not keep the process (and its unwritten profile) alive.
  process.exit(0);
}

/** The primary only supervises; the workers it forks run this file again and serve. */
async function supervise(): Promise<void> {
  const { superviseWorkers } = await import('../src/http/cluster.ts');
  const supervision = superviseWorkers(workers, (message) => console.error(`gatehouse-server: ${message}`));
  const address = await supervision.listening;
  const pids = Object.values(cluster.workers ?? {}).flatMap((worker) => (worker?.process.pid === undefined ? [] : [worker.process.pid]));
  report({ type: 'ready', port: Number(new URL(address).port), pids });
  process.exitCode = await supervision.stopped;
}

if (cluster.isPrimary && workers > 1) await supervise();
else await serveDemo();
