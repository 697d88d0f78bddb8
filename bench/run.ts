/**
 * `npm run bench`: the demo API served by Gatehouse, against a hand-written Fastify + better-sqlite3
 * baseline doing the same work (bench/baseline.ts), driven by autocannon in one run.
 *
 * Each server gets its own copy of one prepared SQLite database and runs in its own process. Before
 * measuring, both must give the same answer to every scenario. Then per scenario: a short warm-up of
 * each, `rounds` full-speed runs alternating Gatehouse, baseline, Gatehouse, baseline (so drift on a
 * noisy machine hits both), and as many runs at a fixed request rate both can sustain (70% of the
 * slower one's), where latencies are compared at equal load. Reported: medians over the rounds of
 * requests per second and p50/p99 latency, the peak RSS, the server's CPU use, and the ratios
 * Gatehouse/baseline against the issue's targets.
 *
 *   npx tsx bench/run.ts [--duration S] [--rounds N] [--connections C] [--scenario NAME[,NAME]]
 *                        [--json FILE] [--cpu-prof DIR] [--quick] [--mode scale] [--soak [N]]
 *
 * --quick        CI: every scenario for 0.3 s, one round; proves the harness end to end.
 * --mode scale   Gatehouse on PostgreSQL + Redis with 2 worker processes (BENCH_POSTGRES_URL,
 *                BENCH_REDIS_URL); the baseline stays on SQLite in one process, as a reference only.
 * --soak [N]     Gatehouse alone, N token-get-detail requests (default 1,000,000), its RSS sampled
 *                every 100k; fails when the last sample exceeds the first by more than 10%.
 * --cpu-prof DIR Profiles each server (node --cpu-prof) into DIR/gatehouse, DIR/baseline; see
 *                profile-summary.ts. The number of requests each served is printed, for costs per request.
 *
 * Exit status: 0 fine; 1 a target missed (not checked with --quick) or the soak grew; 2 the harness
 * could not measure (a server failed, answers differ, unexpected statuses, errors or timeouts).
 */
import { parseArgs } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drive, type Load, type RunStats } from './load.ts';
import { createPostgresSchema, deleteRedisKeys, prepareDemoDatabase } from './prepare.ts';
import { median, resultsTable, soakTable, summarize, type ScenarioResult, type SoakSample } from './report.ts';
import { buildScenarios, isScenarioName, SCENARIO_NAMES, type Credentials, type Scenario, type ScenarioName } from './scenarios.ts';
import { resetPeakRss, rssKb, peakRssKb, startServer, type ServerProcess } from './servers.ts';
import { compareServers } from './verify.ts';

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCALE_WORKERS = 2;
/** The fixed-load rounds run at this share of the slower server's full-speed throughput. */
const FIXED_LOAD_SHARE = 0.7;
const SOAK_SAMPLE_EVERY = 100_000;
const SOAK_MAX_GROWTH = 1.1;

interface Config {
  mode: 'sqlite' | 'scale';
  duration: number;
  rounds: number;
  connections: number;
  scenarios: ScenarioName[];
  quick: boolean;
  /** Requests of the soak run, or null for the comparison. */
  soak: number | null;
  json: string | null;
  cpuProf: string | null;
}

/** A failure of the harness itself (exit 2), as opposed to a missed target (exit 1). */
class HarnessError extends Error {}

function parseConfig(argv: string[]): Config {
  // `--soak` takes an optional count, which parseArgs cannot express: give it the default explicitly.
  const args = argv.flatMap((arg, i) => (arg === '--soak' && !/^\d/.test(argv[i + 1] ?? '') ? ['--soak', '1000000'] : [arg]));
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string', default: '50' },
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      soak: { type: 'string' },
      mode: { type: 'string', default: 'sqlite' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npx tsx bench/run.ts [--duration S] [--rounds N] [--connections C] [--scenario NAME[,NAME]] ' +
      '[--json FILE] [--cpu-prof DIR] [--quick] [--mode sqlite|scale] [--soak [N]]\nscenarios: ' + SCENARIO_NAMES.join(', '));
    process.exit(0);
  }
  const positive = (name: string, text: string | undefined, fallback: number): number => {
    const value = text === undefined ? fallback : Number(text.replace(/_/g, ''));
    if (!(value > 0)) throw new HarnessError(`--${name} must be a positive number, got ${text}`);
    return value;
  };
  const names = (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!isScenarioName(name)) throw new HarnessError(`unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}`);
  }
  if (values.mode !== 'sqlite' && values.mode !== 'scale') throw new HarnessError(`--mode must be sqlite or scale, got ${values.mode}`);
  return {
    mode: values.mode,
    duration: positive('duration', values.duration, values.quick ? 0.3 : 10),
    rounds: Math.round(positive('rounds', values.rounds, values.quick ? 1 : 3)),
    connections: Math.round(positive('connections', values.connections, 50)),
    scenarios: names.length > 0 ? names.filter(isScenarioName) : [...SCENARIO_NAMES],
    quick: values.quick,
    soak: values.soak === undefined ? null : Math.round(positive('soak', values.soak, 1_000_000)),
    json: values.json ?? null,
    cpuProf: values['cpu-prof'] === undefined ? null : resolve(values['cpu-prof']),
  };
}

// ------------------------------------------------------------------ set-up and tear-down

/** A server and the scenarios as its own database's credentials spell them. */
interface Contestant {
  server: ServerProcess;
  scenarios: ReadonlyMap<ScenarioName, Scenario>;
}

/** Undone in reverse order, on success, failure or Ctrl-C. */
const cleanups: (() => Promise<void> | void)[] = [];

async function tearDown(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}

function scenarioMap(credentials: Credentials): ReadonlyMap<ScenarioName, Scenario> {
  return new Map(buildScenarios(credentials).map((s) => [s.name, s]));
}

/** A prepared SQLite database, copied once per server so one's writes never touch the other's file. */
async function prepareSqlite(dir: string, copies: readonly string[]): Promise<{ credentials: Credentials; files: string[] }> {
  const master = join(dir, 'prepared.sqlite3');
  const credentials = await prepareDemoDatabase({ databaseUrl: `sqlite:${master}`, redisUrl: null });
  // Closing the app checkpointed the WAL into the file; a leftover WAL would have to travel with it.
  if (existsSync(`${master}-wal`)) throw new HarnessError(`${master}-wal survived closing the database`);
  const files = copies.map((name) => {
    const file = join(dir, `${name}.sqlite3`);
    copyFileSync(master, file);
    return file;
  });
  return { credentials, files };
}

/** --cpu-prof DIR profiles each server into DIR/<label>/ (the baseline too, to compare costs per request). */
function profilingArgs(config: Config, label: string): string[] {
  if (config.cpuProf === null) return [];
  const dir = join(config.cpuProf, label);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

async function start(options: Parameters<typeof startServer>[0]): Promise<ServerProcess> {
  try {
    const server = await startServer(options);
    cleanups.push(() => server.stop());
    return server;
  } catch (error) {
    throw new HarnessError(error instanceof Error ? error.message : String(error));
  }
}

/** Prepares the databases and starts the servers the mode needs; notes say what the numbers mean. */
async function setUp(config: Config, withBaseline: boolean): Promise<{ gatehouse: Contestant; baseline: Contestant | null; notes: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const notes: string[] = [];
  const nodeArgs = profilingArgs(config, 'gatehouse');
  let gatehouse: Promise<Contestant>;
  let baselineFile: { credentials: Credentials; file: string } | null = null;

  if (config.mode === 'sqlite') {
    const { credentials, files } = await prepareSqlite(dir, ['gatehouse', 'baseline']);
    baselineFile = { credentials, file: files[1]! };
    gatehouse = start({ label: 'gatehouse', script: './gatehouse-server.ts', env: { DATABASE_URL: `sqlite:${files[0]!}` }, nodeArgs }).then(
      (server) => ({ server, scenarios: scenarioMap(credentials) }),
    );
    notes.push(withBaseline ? 'Both servers: SQLite (a copy of the same prepared file each), one process.' : 'Gatehouse: SQLite, one process.');
  } else {
    const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
    const postgres = await createPostgresSchema(POSTGRES_URL, schema).catch((error: Error) => {
      throw new HarnessError(`cannot create a schema in ${POSTGRES_URL}: ${error.message}`);
    });
    cleanups.push(() => postgres.drop());
    const redisKeyPrefix = `gatehouse-bench:${schema}:`;
    cleanups.push(() => deleteRedisKeys(REDIS_URL, redisKeyPrefix));
    const credentials = await prepareDemoDatabase({ databaseUrl: postgres.url, redisUrl: REDIS_URL, redisKeyPrefix });
    gatehouse = start({
      label: 'gatehouse',
      script: './gatehouse-server.ts',
      env: { DATABASE_URL: postgres.url, REDIS_URL, REDIS_KEY_PREFIX: redisKeyPrefix, WORKERS: String(SCALE_WORKERS) },
      nodeArgs,
    }).then((server) => ({ server, scenarios: scenarioMap(credentials) }));
    notes.push(
      `Gatehouse: PostgreSQL (schema ${schema}) + Redis (throttles and sessions), ${SCALE_WORKERS} worker processes; RSS and CPU are their sums.`,
    );
    if (withBaseline) {
      const { credentials: own, files } = await prepareSqlite(dir, ['baseline']);
      baselineFile = { credentials: own, file: files[0]! };
      notes.push(
        'Baseline: SQLite, one process. It checks that the answers agree and gives a scale; the ratios are NOT like for like ' +
          '(network round trips to PostgreSQL and Redis and a second process are costs the baseline does not pay).',
      );
    }
  }
  const source = withBaseline ? baselineFile : null;
  const baseline =
    source === null
      ? Promise.resolve(null)
      : start({ label: 'baseline', script: './baseline.ts', env: { DATABASE_FILE: source.file }, nodeArgs: profilingArgs(config, 'baseline') }).then(
          (server) => ({ server, scenarios: scenarioMap(source.credentials) }),
        );
  // Both start at once. Wait for both to settle even if one fails, so the other has registered its
  // tear-down before the failure unwinds (no orphaned server).
  const [g, b] = await Promise.allSettled([gatehouse, baseline]);
  if (g.status === 'rejected') throw g.reason;
  if (b.status === 'rejected') throw b.reason;
  return { gatehouse: g.value, baseline: b.value, notes };
}

// ------------------------------------------------------------------ the comparison

function scenarioOf(contestant: Contestant, name: ScenarioName): Scenario {
  return contestant.scenarios.get(name)!;
}

/** A client stall longer than this makes a paced run's latencies suspect (the machine is shared). */
const STALL_WARNING_MS = 50;

function describeRun(label: string, stats: RunStats): string {
  const bad = stats.unexpected > 0 ? `  !! ${stats.unexpected} unexpected: ${JSON.stringify(stats.statusCounts)} errors ${stats.errors} timeouts ${stats.timeouts}` : '';
  const stall = (stats.clientStallMs ?? 0) > STALL_WARNING_MS ? `  (client stalled ${stats.clientStallMs!.toFixed(0)} ms)` : '';
  return (
    `${label.padEnd(9)} ${stats.rps.toFixed(0).padStart(7)} req/s  p50 ${stats.p50.toFixed(2).padStart(6)} ms  ` +
    `p99 ${stats.p99.toFixed(2).padStart(6)} ms  CPU ${stats.cpuPercent.toFixed(0).padStart(3)}%  steal ${stats.stealPercent.toFixed(0).padStart(2)}%${bad}${stall}`
  );
}

/** Requests each server answered, warm-ups included: a profile's milliseconds divide by it. */
const served = new Map<string, number>();

async function driveCounted(side: Contestant, name: ScenarioName, load: Load): Promise<RunStats> {
  const stats = await drive(side.server, scenarioOf(side, name), load);
  served.set(side.server.label, (served.get(side.server.label) ?? 0) + stats.requests);
  return stats;
}

async function measureScenario(config: Config, name: ScenarioName, gatehouse: Contestant, baseline: Contestant): Promise<ScenarioResult> {
  const pair = [gatehouse, baseline] as const;
  // Long enough for the JIT to finish with the scenario's path: with a one-second warm-up Gatehouse,
  // which has more code to optimise than the baseline, was still getting faster in the third round.
  const warmUp = Math.min(5, Math.max(0.1, config.duration / 2));
  for (const side of pair) await driveCounted(side, name, { connections: config.connections, duration: warmUp });

  const runs: [RunStats[], RunStats[]] = [[], []];
  const fixedRuns: [RunStats[], RunStats[]] = [[], []];
  const alternate = async (load: Load, into: [RunStats[], RunStats[]], what: string) => {
    for (let round = 1; round <= config.rounds; round++) {
      for (const [i, side] of pair.entries()) {
        const stats = await driveCounted(side, name, load);
        into[i]!.push(stats);
        console.log(`  ${name} ${what} ${round}/${config.rounds}  ${describeRun(side.server.label, stats)}`);
      }
    }
  };
  await alternate({ connections: config.connections, duration: config.duration }, runs, 'full speed');
  const fixedRate = Math.max(1, Math.floor(FIXED_LOAD_SHARE * Math.min(median(runs[0].map((r) => r.rps)), median(runs[1].map((r) => r.rps)))));
  await alternate({ connections: config.connections, duration: config.duration, rate: fixedRate }, fixedRuns, `at ${fixedRate} r/s`);

  const g = summarize('gatehouse', runs[0], fixedRuns[0]);
  const b = summarize('baseline', runs[1], fixedRuns[1]);
  const scenario = scenarioOf(gatehouse, name);
  const result: ScenarioResult = {
    name,
    expectedStatus: scenario.expectedStatus,
    fixedRate,
    gatehouse: g,
    baseline: b,
    rpsRatio: g.rps / b.rps,
    p99Ratio: g.p99 / b.p99,
    fixedP99Ratio: g.fixedP99 / b.fixedP99,
    target: scenario.target,
    met: null,
  };
  if (scenario.target !== null) {
    result.met = { rps: result.rpsRatio >= scenario.target.minRpsRatio, p99: result.fixedP99Ratio <= scenario.target.maxP99Ratio };
  }
  return result;
}

async function compare(config: Config): Promise<number> {
  const { gatehouse, baseline, notes } = await setUp(config, true);
  if (baseline === null) throw new HarnessError('no baseline');
  console.log(`gatehouse ${gatehouse.server.url} (pids ${gatehouse.server.pids.join(', ')}), baseline ${baseline.server.url} (pid ${baseline.server.pids.join(', ')})`);
  if (!resetPeakRss(gatehouse.server.pids)) notes.push('The kernel refused to reset VmHWM: peak RSS is the lifetime peak up to each run.');

  console.log('\nChecking that both servers answer alike:');
  let mismatches = 0;
  for (const name of config.scenarios) {
    const { problems, summary } = await compareServers(gatehouse.server, scenarioOf(gatehouse, name), baseline.server, scenarioOf(baseline, name));
    console.log(`  ${name.padEnd(22)} ${problems.length === 0 ? `ok (${summary})` : 'MISMATCH'}`);
    for (const problem of problems) console.log(`    - ${problem}`);
    mismatches += problems.length;
  }
  if (mismatches > 0) throw new HarnessError(`${mismatches} difference(s) between the servers' answers: not measuring`);

  console.log(`\nMeasuring: ${config.duration} s per run, ${config.rounds} round(s), ${config.connections} connections, ${cpus().length} CPUs`);
  const results: ScenarioResult[] = [];
  for (const name of config.scenarios) results.push(await measureScenario(config, name, gatehouse, baseline));

  console.log(`\n${resultsTable(results)}`);
  notes.push(
    'req/s, p50, p99: medians over the rounds at full speed; "@rate": the same at a fixed rate (70% of the slower server\'s), ' +
      'where p99 is compared at equal load. RSS: peak during the runs. CPU: 100 = one core; well under 100 means the ' +
      'load generator (on the same machine) rather than the server was the limit. steal: the machine\'s CPU time the ' +
      'hypervisor gave to other guests; rounds with much of it ran on a slower machine. bad: unexpected statuses, errors, timeouts.',
  );
  for (const note of notes) console.log(`* ${note}`);
  if (config.cpuProf !== null) {
    console.log(`Profiles in ${config.cpuProf}; requests served: ${[...served].map(([label, n]) => `${label} ${n}`).join(', ')}`);
  }

  const bad = results.filter((r) => r.gatehouse.unexpected + r.baseline.unexpected > 0).map((r) => r.name);
  const missed = results.filter((r) => r.met !== null && !(r.met.rps && r.met.p99)).map((r) => r.name);
  if (config.json !== null) {
    writeJson(config, { kind: 'comparison', notes, results, missedTargets: missed, unexpectedResponses: bad });
  }
  if (bad.length > 0) throw new HarnessError(`unexpected responses, errors or timeouts during: ${bad.join(', ')}`);
  if (config.quick) {
    console.log('\n--quick: targets not checked (runs too short to mean anything); the harness works end to end.');
    return 0;
  }
  if (config.mode === 'scale') {
    console.log('\n--mode scale: targets not checked (the baseline is not like for like).');
    return 0;
  }
  console.log(missed.length === 0 ? '\nAll targets met.' : `\nTargets missed: ${missed.join(', ')}`);
  return missed.length === 0 ? 0 : 1;
}

// ------------------------------------------------------------------ the soak

/** RSS samples taken while a soak chunk runs, ms apart. */
const SOAK_RSS_INTERVAL_MS = 100;

/**
 * RSS swings by 10% or more with the garbage collector's cycle, so one reading at each 100k mark could
 * pass a leak or fail a flat process. Each mark's figure is the median of readings over the second
 * half of the chunk that ends there: the level the process holds, not where one GC cycle left it.
 */
async function soak(config: Config, total: number): Promise<number> {
  const { gatehouse, notes } = await setUp(config, false);
  const { server } = gatehouse;
  const scenario = scenarioOf(gatehouse, 'token-get-detail');
  console.log(`gatehouse ${server.url} (pids ${server.pids.join(', ')}): ${total} requests of ${scenario.name}, RSS every ${SOAK_SAMPLE_EVERY}`);
  const samples: SoakSample[] = [];
  let done = 0;
  while (done < total) {
    const amount = Math.min(SOAK_SAMPLE_EVERY, total - done);
    const readings: number[] = [];
    const sampler = setInterval(() => readings.push(rssKb(server.pids)), SOAK_RSS_INTERVAL_MS);
    const stats = await drive(server, scenario, { connections: config.connections, amount }).finally(() => clearInterval(sampler));
    done += stats.requests;
    const rssNow = rssKb(server.pids);
    const sample: SoakSample = {
      requests: done,
      rps: stats.rps,
      p99: stats.p99,
      rssMb: rssNow / 1024,
      settledRssMb: median(readings.length >= 2 ? readings.slice(Math.floor(readings.length / 2)) : [rssNow]) / 1024,
      peakRssMb: stats.peakRssKb / 1024,
      unexpected: stats.unexpected,
    };
    samples.push(sample);
    console.log(
      `  ${String(done).padStart(9)} requests  ${stats.rps.toFixed(0)} req/s  RSS ${sample.rssMb.toFixed(1)} MB, median ${sample.settledRssMb.toFixed(1)} MB` +
        `${stats.unexpected > 0 ? `  !! ${stats.unexpected} unexpected` : ''}`,
    );
    if (stats.requests === 0) throw new HarnessError('the server stopped answering');
  }
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const growth = last.settledRssMb / first.settledRssMb;
  console.log(`\n${soakTable(samples)}\n`);
  for (const note of notes) console.log(`* ${note}`);
  console.log('* RSS: at the mark; median: over the second half of the chunk ending at the mark; peak: VmHWM during the chunk.');
  console.log(`RSS (median) after ${last.requests} / after the first ${first.requests}: ${growth.toFixed(3)} (limit ${SOAK_MAX_GROWTH})`);
  const unexpected = samples.reduce((sum, s) => sum + s.unexpected, 0);
  if (config.json !== null) writeJson(config, { kind: 'soak', notes, samples, growth, limit: SOAK_MAX_GROWTH, unexpected });
  if (unexpected > 0) throw new HarnessError(`${unexpected} unexpected responses, errors or timeouts during the soak`);
  return growth <= SOAK_MAX_GROWTH ? 0 : 1;
}

// ------------------------------------------------------------------ main

function writeJson(config: Config, body: Record<string, unknown>): void {
  const { json, ...settings } = config;
  const document = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, config: settings, ...body };
  writeFileSync(json!, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`Results written to ${json}`);
}

async function main(): Promise<number> {
  const config = parseConfig(process.argv.slice(2));
  process.once('SIGINT', () => void tearDown().then(() => process.exit(130)));
  try {
    return config.soak === null ? await compare(config) : await soak(config, config.soak);
  } finally {
    await tearDown();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`\nbench: ${error instanceof HarnessError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
}
