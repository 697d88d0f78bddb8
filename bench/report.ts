/**
 * Summaries of the runs (medians over the alternating rounds) and the tables printed at the end.
 */
import type { RunStats } from './load.ts';
import type { ScenarioName, Target } from './scenarios.ts';

/** One server's numbers for one scenario. */
export interface Side {
  label: string;
  /** Medians over the rounds at full speed (closed loop, fixed connections). */
  rps: number;
  p50: number;
  p99: number;
  /** Medians over the rounds at the fixed request rate both servers were driven at. */
  fixedP50: number;
  fixedP99: number;
  /** The highest per-run peak, MB. */
  peakRssMb: number;
  /** Median CPU use during the full-speed rounds (100 = one core). */
  cpuPercent: number;
  /** Median share of the machine's CPU stolen by the hypervisor during the full-speed rounds, %. */
  stealPercent: number;
  /** Responses with another status than expected, socket errors and timeouts, over all runs. */
  unexpected: number;
  runs: RunStats[];
  fixedRuns: RunStats[];
}

export interface ScenarioResult {
  name: ScenarioName;
  expectedStatus: number;
  /** Requests per second of the fixed-load rounds. */
  fixedRate: number;
  gatehouse: Side;
  baseline: Side;
  /** Gatehouse / baseline. */
  rpsRatio: number;
  p99Ratio: number;
  fixedP99Ratio: number;
  target: Target | null;
  /** Whether the targets were met; null for scenarios without targets. */
  met: { rps: boolean; p99: boolean } | null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function summarize(label: string, runs: RunStats[], fixedRuns: RunStats[]): Side {
  return {
    label,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    fixedP50: median(fixedRuns.map((r) => r.p50)),
    fixedP99: median(fixedRuns.map((r) => r.p99)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssKb), ...fixedRuns.map((r) => r.peakRssKb)) / 1024,
    cpuPercent: median(runs.map((r) => r.cpuPercent)),
    stealPercent: median(runs.map((r) => r.stealPercent)),
    unexpected: [...runs, ...fixedRuns].reduce((sum, r) => sum + r.unexpected, 0),
    runs,
    fixedRuns,
  };
}

const num = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** Text columns (the first `leftAligned`) padded on the right, numbers on the left. */
function row(cells: readonly string[], widths: readonly number[], leftAligned = 2): string {
  return cells.map((cell, i) => (i < leftAligned ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
}

const HEAD = ['scenario', 'server', 'req/s', 'p50 ms', 'p99 ms', '@rate r/s', 'p50 ms', 'p99 ms', 'RSS MB', 'CPU %', 'steal %', 'bad'];
const WIDTHS = [22, 9, 8, 7, 7, 9, 7, 7, 7, 6, 7, 5];

/**
 * The results table: per scenario the two servers at full speed (requests per second, latency), the
 * same at a fixed rate both can sustain (latency at equal load), peak memory, CPU, the machine's
 * stolen CPU (a noisy neighbour) and bad responses;
 * then the ratio row with the targets' verdicts.
 */
export function resultsTable(results: readonly ScenarioResult[]): string {
  const lines = [row(HEAD, WIDTHS), WIDTHS.map((w) => '-'.repeat(w)).join('  ')];
  for (const result of results) {
    for (const [i, side] of [result.gatehouse, result.baseline].entries()) {
      lines.push(
        row(
          [
            i === 0 ? result.name : '',
            side.label,
            num(side.rps),
            num(side.p50, 2),
            num(side.p99, 2),
            i === 0 ? num(result.fixedRate) : '',
            num(side.fixedP50, 2),
            num(side.fixedP99, 2),
            num(side.peakRssMb, 1),
            num(side.cpuPercent),
            num(side.stealPercent),
            String(side.unexpected),
          ],
          WIDTHS,
        ),
      );
    }
    const verdict = (ok: boolean | undefined, limit: string) => (ok === undefined ? '' : ok ? ` ok ${limit}` : ` FAIL ${limit}`);
    lines.push(
      row(
        [
          '',
          'ratio',
          num(result.rpsRatio, 2),
          '',
          num(result.p99Ratio, 2),
          '',
          '',
          num(result.fixedP99Ratio, 2),
          num(result.gatehouse.peakRssMb / result.baseline.peakRssMb, 2),
          '',
          '',
          '',
        ],
        WIDTHS,
      ) +
        (result.target === null
          ? ''
          : `   rps${verdict(result.met?.rps, `>= ${result.target.minRpsRatio}`)}, p99@rate${verdict(result.met?.p99, `<= ${result.target.maxP99Ratio}`)}`),
    );
    lines.push('');
  }
  return lines.join('\n');
}

export interface SoakSample {
  /** Requests answered so far. */
  requests: number;
  rps: number;
  p99: number;
  /** RSS when the chunk ended. */
  rssMb: number;
  /** Median RSS over the second half of the chunk: what the soak's verdict compares. */
  settledRssMb: number;
  /** VmHWM during the chunk. */
  peakRssMb: number;
  unexpected: number;
}

export function soakTable(samples: readonly SoakSample[]): string {
  const widths = [10, 8, 8, 8, 8, 8, 5];
  const lines = [row(['requests', 'req/s', 'p99 ms', 'RSS MB', 'median', 'peak MB', 'bad'], widths, 0)];
  for (const s of samples) {
    lines.push(
      row(
        [String(s.requests), num(s.rps), num(s.p99, 2), num(s.rssMb, 1), num(s.settledRssMb, 1), num(s.peakRssMb, 1), String(s.unexpected)],
        widths,
        0,
      ),
    );
  }
  return lines.join('\n');
}
