/**
 * The servers under test as child processes, and what /proc says about them. Each is started as
 * `node --import tsx/esm FILE` directly (no npx or tsx wrapper), so the pid whose memory and CPU are
 * read is the one serving requests; a clustered server reports its workers' pids.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadyMessage } from './constants.ts';

export interface ServerProcess {
  readonly label: string;
  readonly url: string;
  /** The processes serving requests (one, or a cluster's workers). */
  readonly pids: readonly number[];
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface StartOptions {
  label: string;
  /** The server's file, relative to this directory. */
  script: string;
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
  timeoutMs?: number;
}

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

const TSX_ESM = import.meta.resolve('tsx/esm');

export function startServer({ label, script, env, nodeArgs = [], timeoutMs = 60_000 }: StartOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', TSX_ESM, fileURLToPath(new URL(script, import.meta.url))], {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Set before the signal, so the exit it causes is not reported as a crash.
  let stopping = false;

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    stopping = true;
    child.kill('SIGTERM');
    // Graceful, so a --cpu-prof profile gets written; a server that hangs is killed.
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    if ((await Promise.race([gone, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await gone;
    }
  };

  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${label} did not report ready within ${timeoutMs / 1000} s`)), timeoutMs);
    const earlyExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(new Error(`${label} exited during start-up (${signal ?? `code ${code}`})`));
    child.once('error', fail);
    child.once('exit', earlyExit);
    child.on('message', (message) => {
      if (!isReady(message)) return;
      clearTimeout(timer);
      child.off('exit', earlyExit);
      child.on('exit', (code, signal) => {
        if (!stopping) console.error(`!! ${label} exited unexpectedly (${signal ?? `code ${code}`})`);
      });
      resolve({ label, url: `http://127.0.0.1:${message.port}`, pids: message.pids, stop });
    });
  });
}

// ------------------------------------------------------------------ /proc

function status(pid: number): string {
  return readFileSync(`/proc/${pid}/status`, 'utf8');
}

function statusKb(text: string, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Resident memory now, summed over the processes, in kB. */
export function rssKb(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + statusKb(status(pid), 'VmRSS'), 0);
}

/** Peak resident memory (VmHWM) since start or since the last `resetPeakRss`, summed, in kB. */
export function peakRssKb(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + statusKb(status(pid), 'VmHWM'), 0);
}

/**
 * Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`, Linux >= 4.0), so a run's peak is
 * its own and not the process's lifetime peak. False when the kernel refuses; peaks are then lifetime.
 */
export function resetPeakRss(pids: readonly number[]): boolean {
  try {
    for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Linux reports CPU time in USER_HZ ticks, 100 per second on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds consumed so far, summed over the processes. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** The machine's CPU ticks since boot, all CPUs summed: in total, and stolen by the hypervisor. */
export function machineTicks(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  return { total: fields.slice(0, 8).reduce((sum, n) => sum + n, 0), steal: fields[7] ?? 0 };
}
