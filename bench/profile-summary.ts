/**
 * Where a CPU profile's time went: reads `.cpuprofile` files (`node --cpu-prof`, e.g. from
 * `bench/run.ts --cpu-prof DIR`) and prints the top functions and files by self time and by inclusive
 * time, as a share of the busy (non-idle) time.
 *
 *   npx tsx bench/profile-summary.ts FILE_OR_DIR... [--top N] [--filter TEXT] [--requests N]
 *
 * Inclusive time counts a function once per sample however often it recurses on the stack. Several
 * profiles (a cluster's workers) are added together; from a directory only main threads are read
 * (tsx's module loader runs in a second thread, busy only at start-up). --filter keeps only the
 * functions and files whose location contains TEXT (e.g. `src/` for Gatehouse's own code).
 * --requests N (run.ts prints how many each server answered) adds microseconds per request.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds between consecutive samples; the first is from the profile's start. */
  timeDeltas: number[];
}

/** Self and inclusive microseconds, keyed by function and by file. */
interface Totals {
  busy: number;
  idle: number;
  functionSelf: Map<string, number>;
  functionTotal: Map<string, number>;
  fileSelf: Map<string, number>;
  fileTotal: Map<string, number>;
}

const ROOT = resolve(import.meta.dirname, '..');

/** A location relative to the repository: `src/app.ts`, `node_modules/kysely/...`, `node:internal/...`. */
function location(url: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  return path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length + 1) : path;
}

/** Files are grouped as the reader thinks of them: Gatehouse's modules, or a dependency as a whole. */
function fileOf(url: string): string {
  const where = location(url);
  const inModules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(where);
  return inModules ? `${inModules[1]}/${inModules[2]}` : where;
}

function functionOf({ functionName, url, lineNumber }: CallFrame): string {
  if (url === '') return functionName || '(anonymous)';
  return `${functionName || '(anonymous)'}  ${fileOf(url)}:${lineNumber + 1}`;
}

function add<K>(map: Map<K, number>, key: K, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function accumulate(profile: CpuProfile, totals: Totals): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // A sample's time is the gap to the next sample (as DevTools counts it).
  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    add(selfTime, profile.samples[i]!, profile.timeDeltas[i + 1] ?? 0);
  }

  for (const [id, micros] of selfTime) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      totals.idle += micros;
      continue;
    }
    totals.busy += micros;
    add(totals.functionSelf, functionOf(node.callFrame), micros);
    add(totals.fileSelf, fileOf(node.callFrame.url), micros);
    const functions = new Set<string>();
    const files = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') break;
      functions.add(functionOf(frame));
      files.add(fileOf(frame.url));
    }
    for (const key of functions) add(totals.functionTotal, key, micros);
    for (const key of files) add(totals.fileTotal, key, micros);
  }
}

/** Node names profiles CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile; thread 0 is the main one. */
const MAIN_THREAD_PROFILE = /\.\d+\.0\.\d+\.cpuprofile$/;

function profilesIn(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => MAIN_THREAD_PROFILE.test(name))
          .map((name) => join(path, name))
      : [path],
  );
}

interface TableOptions {
  busy: number;
  top: number;
  filter: string | undefined;
  requests: number | undefined;
}

function table(title: string, map: Map<string, number>, { busy, top, filter, requests }: TableOptions): string {
  const rows = [...map.entries()]
    .filter(([key]) => filter === undefined || key.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  const perRequest = (micros: number) => (requests === undefined ? '' : ` ${(micros / requests).toFixed(2).padStart(8)}`);
  const lines = [`\n${title}`, `${'ms'.padStart(9)} ${'%'.padStart(6)}${requests === undefined ? '' : ` ${'us/req'.padStart(8)}`}  where`];
  for (const [key, micros] of rows) {
    lines.push(`${(micros / 1000).toFixed(1).padStart(9)} ${((100 * micros) / busy).toFixed(1).padStart(6)}${perRequest(micros)}  ${key}`);
  }
  return lines.join('\n');
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, filter: { type: 'string' }, requests: { type: 'string' } },
});
const files = profilesIn(positionals);
if (files.length === 0) {
  console.error('usage: npx tsx bench/profile-summary.ts FILE_OR_DIR... [--top N] [--filter TEXT] [--requests N]');
  process.exit(2);
}
const totals: Totals = { busy: 0, idle: 0, functionSelf: new Map(), functionTotal: new Map(), fileSelf: new Map(), fileTotal: new Map() };
for (const file of files) accumulate(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, totals);
const options: TableOptions = {
  busy: totals.busy,
  top: Number(values.top),
  filter: values.filter,
  requests: values.requests === undefined ? undefined : Number(values.requests),
};
const perRequest = options.requests === undefined ? '' : `, ${(totals.busy / options.requests).toFixed(1)} us busy per request`;
console.log(`${files.length} profile(s): busy ${(totals.busy / 1000).toFixed(0)} ms, idle ${(totals.idle / 1000).toFixed(0)} ms${perRequest}; % of busy time`);
console.log(table('Self time by function', totals.functionSelf, options));
console.log(table('Inclusive time by function', totals.functionTotal, options));
console.log(table('Self time by file', totals.fileSelf, options));
console.log(table('Inclusive time by file', totals.fileTotal, options));
