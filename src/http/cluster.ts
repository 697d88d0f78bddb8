/**
 * Several server processes on one host (`gatehouse serve --workers N`): node:cluster forks N workers of
 * the same command, which share the listening socket; each opens its own database pool and Redis
 * connection. Everything they share (sessions, tokens, throttle counts) lives in PostgreSQL and Redis,
 * so they need no coordination. The primary only supervises: it restarts a worker that dies after it
 * started serving, gives up if one dies before (a configuration error would only loop), and on SIGTERM
 * or SIGINT has every worker drain its requests, then exits.
 */
import cluster, { type Worker } from 'node:cluster';

export interface Supervision {
  /** Resolves with every worker's address once all are listening; rejects if one fails to start. */
  readonly listening: Promise<string>;
  /** Resolves with the exit code once the workers have stopped. */
  readonly stopped: Promise<number>;
}

const RESTART_DELAY_MS = 1_000;

export function superviseWorkers(count: number, log: (message: string) => void): Supervision {
  if (!cluster.isPrimary) throw new Error('superviseWorkers runs in the primary process only.');
  let stopping = false;
  let started = 0;
  let address = '';
  let onListening!: (address: string) => void;
  let onStartFailed!: (error: Error) => void;
  const listening = new Promise<string>((resolve, reject) => {
    onListening = resolve;
    onStartFailed = reject;
  });
  // Rejections are reported through `listening`'s own handler; this stops an unobserved one crashing.
  listening.catch(() => undefined);
  let finish!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (finish = resolve));
  let exitCode = 0;
  const serving = new WeakSet<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    worker.once('listening', (where) => {
      serving.add(worker);
      address = `http://${where.address === '0.0.0.0' || where.address === '::' || !where.address ? '127.0.0.1' : where.address}:${where.port}`;
      if (++started === count) onListening(address);
    });
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  };

  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      if (!serving.has(worker)) {
        exitCode = 1;
        onStartFailed(new Error(`A worker exited (code ${code ?? signal}) before it started serving; stopping.`));
        stop('SIGTERM');
      } else {
        log(`Worker ${worker.process.pid} died (${signal ?? `code ${code}`}); starting another.`);
        setTimeout(() => {
          if (!stopping) fork();
        }, RESTART_DELAY_MS).unref();
      }
    }
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) finish(exitCode);
  });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < count; i++) fork();
  return { listening, stopped };
}
