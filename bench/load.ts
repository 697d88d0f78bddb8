/**
 * One run against one server (autocannon at full speed, or paced.ts at a fixed rate), with what /proc
 * says about the server during it. Every response's status is checked against the scenario's: a
 * benchmark that quietly measured 404s or 429s would be worse than none.
 */
import autocannon, { type Result } from 'autocannon';
import { pacedLoad, type PacedResult } from './paced.ts';
import type { Scenario } from './scenarios.ts';
import { cpuSeconds, machineTicks, peakRssKb, resetPeakRss, type ServerProcess } from './servers.ts';

export interface Load {
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration?: number;
  /** Stop after this many requests (autocannon only). */
  amount?: number;
  /**
   * Requests per second, spread evenly (paced.ts), for latency at equal load. Without it autocannon
   * sends as fast as the server answers (closed loop: each connection waits for its response).
   */
  rate?: number;
}

export interface RunStats {
  requests: number;
  seconds: number;
  rps: number;
  /** Milliseconds, from every response's latency (autocannon's own histogram rounds to 1 ms). */
  p50: number;
  p99: number;
  /** The server's peak resident memory during the run (since start if the kernel refused a reset), kB. */
  peakRssKb: number;
  /** The server's CPU use over the run: 100 = one core busy the whole time. */
  cpuPercent: number;
  /**
   * The share of the machine's CPU time the hypervisor gave to other guests during the run, %: on a
   * shared VM, a run with much of it measured a slower machine than its neighbours did.
   */
  stealPercent: number;
  statusCounts: Record<string, number>;
  /** Responses with another status than the scenario's, plus socket errors and timeouts. */
  unexpected: number;
  errors: number;
  timeouts: number;
  /** Paced runs: the longest the client failed to issue requests on time, ms (a noisy machine shows here). */
  clientStallMs: number | null;
}

/** What a load generator reports (autocannon has no stall measure); `drive` adds what /proc says. */
type Measured = Omit<PacedResult, 'longestStallMs'> & { longestStallMs?: number };

export async function drive(server: ServerProcess, scenario: Scenario, load: Load): Promise<RunStats> {
  resetPeakRss(server.pids);
  const cpuBefore = cpuSeconds(server.pids);
  const ticksBefore = machineTicks();
  const started = performance.now();
  const measured =
    load.rate === undefined
      ? await closedLoop(server, scenario, load)
      : await pacedLoad(server.url, scenario, { rate: load.rate, duration: load.duration ?? 10, connections: load.connections });
  // Read the server's counters before anything else: the client's bookkeeping is not the run's.
  const wall = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(server.pids) - cpuBefore;
  const ticks = machineTicks();
  const peak = peakRssKb(server.pids);
  const { requests, seconds, latencies, statusCounts, errors, timeouts, longestStallMs } = measured;
  latencies.sort((a, b) => a - b);
  const expected = statusCounts[String(scenario.expectedStatus)] ?? 0;
  return {
    requests,
    seconds,
    rps: seconds > 0 ? requests / seconds : 0,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    peakRssKb: peak,
    cpuPercent: wall > 0 ? (100 * cpu) / wall : 0,
    stealPercent: ticks.total > ticksBefore.total ? (100 * (ticks.steal - ticksBefore.steal)) / (ticks.total - ticksBefore.total) : 0,
    statusCounts,
    unexpected: requests - expected + errors + timeouts,
    errors,
    timeouts,
    clientStallMs: longestStallMs ?? null,
  };
}

/** autocannon at full speed: every connection sends its next request as soon as the last is answered. */
async function closedLoop(server: ServerProcess, scenario: Scenario, load: Load): Promise<Measured> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: server.url + scenario.path,
    method: scenario.method,
    headers: scenario.headers,
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
    connections: load.amount === undefined ? load.connections : Math.min(load.connections, load.amount),
    ...(load.amount === undefined ? { duration: load.duration ?? 10 } : { amount: load.amount }),
    // autocannon stops at its next sample tick: 1 s by default, which would stretch short runs.
    sampleInt: 100,
  });
  instance.on('response', (_client, _status, _bytes, latencyMs) => latencies.push(latencyMs));
  const result: Result = await instance;
  return {
    requests: result.requests.total,
    seconds: result.duration,
    latencies,
    statusCounts: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** The nearest-rank percentile of ascending values. */
function percentile(ascending: readonly number[], fraction: number): number {
  if (ascending.length === 0) return NaN;
  return ascending[Math.min(ascending.length - 1, Math.ceil(fraction * ascending.length) - 1)]!;
}
