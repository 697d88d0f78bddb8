/**
 * `npm run bench:in-process`: what Gatehouse itself costs per request, without HTTP. Each scenario's
 * request goes through `app.handle()` in a loop, on the same prepared demo database as `npm run bench`;
 * printed per scenario: microseconds per request (the best of the rounds) and bytes allocated per
 * request. Over HTTP on a shared machine a change of a microsecond is lost in the noise; here it shows.
 *
 *   node --expose-gc --max-semi-space-size=64 --import tsx/esm bench/in-process.ts
 *        [--scenario NAME[,NAME]] [--requests N] [--rounds N] [--stub-database]
 *
 * --stub-database  answers every statement from a copy of its first result, so what remains is the
 *                  framework's own JavaScript (the SQL is the same work for Gatehouse and the baseline).
 *
 * The npm script passes the flags: --expose-gc to start each allocation window empty, and a young
 * generation large enough that no collection runs inside the window.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import FindMyWay from 'find-my-way';
import { createDemoApp } from '../examples/demo/app.ts';
import type { CompiledRoute, Gatehouse } from '../src/app.ts';
import type { Database } from '../src/db/database.ts';
import type { IncomingRequest } from '../src/request.ts';
import { prepareDemoDatabase } from './prepare.ts';
import { buildScenarios, isScenarioName, SCENARIO_NAMES, type Scenario } from './scenarios.ts';
import { benchSettings } from './settings.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    'stub-database': { type: 'boolean', default: false },
  },
});
const names = (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean);
for (const name of names) if (!isScenarioName(name)) throw new Error(`unknown scenario "${name}"; known: ${SCENARIO_NAMES.join(', ')}`);
const requests = Number(values.requests);
const rounds = Number(values.rounds);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) console.warn('No --expose-gc: bytes per request are not measured (run it through `npm run bench:in-process`).');

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-in-process-'));
try {
  const databaseUrl = `sqlite:${join(dir, 'bench.sqlite3')}`;
  const credentials = await prepareDemoDatabase({ databaseUrl, redisUrl: null });
  const app = await createDemoApp(benchSettings({ databaseUrl, redisUrl: null }));
  if (values['stub-database']) stubDatabase(app.db);
  const routes = FindMyWay();
  for (const compiled of app.routes) routes.on('GET', compiled.route.path, () => {}, compiled);

  console.log(`app.handle() in a loop: ${requests} requests a round, best of ${rounds} rounds${values['stub-database'] ? ', database stubbed' : ''}`);
  console.log(`${'scenario'.padEnd(24)} ${'us/request'.padStart(10)} ${'bytes/request'.padStart(14)}  status`);
  for (const scenario of buildScenarios(credentials)) {
    if (names.length > 0 && !names.includes(scenario.name)) continue;
    const match = routes.find('GET', scenario.path);
    if (match === null) throw new Error(`no route for ${scenario.path}`);
    const send = requestOf(app, scenario, match.store as CompiledRoute, match.params as Record<string, string>);
    const status = (await send()).status;
    if (status !== scenario.expectedStatus) throw new Error(`${scenario.name}: ${status}, expected ${scenario.expectedStatus}`);
    // The JIT settles first, as the HTTP benchmark warms up too.
    await loop(send, Math.min(requests, 20_000));
    let best = Infinity;
    for (let round = 0; round < rounds; round++) {
      const started = process.hrtime.bigint();
      await loop(send, requests);
      best = Math.min(best, Number(process.hrtime.bigint() - started) / requests / 1000);
    }
    const bytes = gc === undefined ? null : await bytesPerRequest(send, gc);
    console.log(`${scenario.name.padEnd(24)} ${best.toFixed(2).padStart(10)} ${(bytes === null ? '-' : String(bytes)).padStart(14)}  ${status}`);
  }
  await app.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

type Send = () => { status: number } | Promise<{ status: number }>;

function requestOf(app: Gatehouse, scenario: Scenario, compiled: CompiledRoute, params: Record<string, string>): Send {
  const headers = { host: '127.0.0.1', ...scenario.headers };
  const body = Buffer.from(scenario.body ?? '');
  const incoming = (): IncomingRequest => ({ method: scenario.method, url: scenario.path, headers, body, remoteAddress: '127.0.0.1', isSecure: false });
  // A fresh params object per request, as the router gives one.
  return () => app.handle(compiled, incoming(), { ...params });
}

/** Awaits only the answers that are promises, as the HTTP adapter does. */
async function loop(send: Send, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = send();
    if (answer instanceof Promise) await answer;
  }
}

/** Heap growth over a window short enough that no collection runs in it (see the npm script's flags). */
async function bytesPerRequest(send: Send, collect: () => void): Promise<number> {
  const window = 200;
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    collect();
    const before = process.memoryUsage().heapUsed;
    await loop(send, window);
    best = Math.min(best, (process.memoryUsage().heapUsed - before) / window);
  }
  return Math.round(best);
}

/** Every statement answered with a copy of its first result: the SQL's cost taken out of the loop. */
function stubDatabase(db: Database): void {
  const rows = new Map<string, unknown[]>();
  const values = new Map<string, unknown[][]>();
  const { select, selectValues } = db;
  Object.assign(db, {
    select: (query: Parameters<Database['select']>[0]) => {
      let found = rows.get(query.sql);
      if (found === undefined) rows.set(query.sql, (found = settled(select(query))));
      return found.map((row) => ({ ...(row as object) }));
    },
    selectValues: (query: Parameters<Database['selectValues']>[0], keys: readonly string[]) => {
      let found = values.get(query.sql);
      if (found === undefined) values.set(query.sql, (found = settled(selectValues(query, keys))));
      return found.map((row) => [...row]);
    },
  });
}

function settled<T>(result: T | Promise<T>): T {
  if (result instanceof Promise) throw new Error('--stub-database needs the synchronous SQLite path');
  return result;
}
