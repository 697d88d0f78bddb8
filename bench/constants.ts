/**
 * What both servers and the harness must agree on, in a module with no imports so that the baseline
 * does not load the framework (which would inflate its memory and start-up).
 */

/** A server's message over the IPC channel once it listens; `pids` are the processes serving requests. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
  pids: number[];
}

/** Fixed so that the prepared database (session hashes, sealed tokens) stays valid for both servers. */
export const BENCH_SECRET_KEY = 'gatehouse-bench-secret-key-0123456789abcdef';

/** The scoped throttle's rate: never reached in a run (~1.7M requests per second for a minute). */
export const SCOPED_LIMIT = { requests: 100_000_000, seconds: 60 } as const;
export const SCOPED_RATE = `${SCOPED_LIMIT.requests}/minute`;
