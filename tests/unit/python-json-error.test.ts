import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pythonJsonError } from '../../src/util/python-json-error.ts';

// Expected messages below were produced once by CPython 3.11.7 (`str(exc)` of the ValueError
// `json.loads(text)` raises; STRICT_CASES with DRF's `parse_constant=strict_constant`).
// null: Python accepts the text.
const CASES: ReadonlyArray<readonly [string, string | null]> = [
  ["", "Expecting value: line 1 column 1 (char 0)"],
  [" ", "Expecting value: line 1 column 2 (char 1)"],
  [" \t\n\r", "Expecting value: line 2 column 2 (char 4)"],
  ["\n\n  ", "Expecting value: line 3 column 3 (char 4)"],
  ["x", "Expecting value: line 1 column 1 (char 0)"],
  ["{bad", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["tru", "Expecting value: line 1 column 1 (char 0)"],
  ["nul", "Expecting value: line 1 column 1 (char 0)"],
  ["fals", "Expecting value: line 1 column 1 (char 0)"],
  ["True", "Expecting value: line 1 column 1 (char 0)"],
  ["None", "Expecting value: line 1 column 1 (char 0)"],
  ["undefined", "Expecting value: line 1 column 1 (char 0)"],
  ["-", "Expecting value: line 1 column 1 (char 0)"],
  ["--1", "Expecting value: line 1 column 1 (char 0)"],
  ["+1", "Expecting value: line 1 column 1 (char 0)"],
  ["01", "Extra data: line 1 column 2 (char 1)"],
  ["-01", "Extra data: line 1 column 3 (char 2)"],
  ["1.", "Extra data: line 1 column 2 (char 1)"],
  [".5", "Expecting value: line 1 column 1 (char 0)"],
  ["1e", "Extra data: line 1 column 2 (char 1)"],
  ["1e+", "Extra data: line 1 column 2 (char 1)"],
  ["1.e5", "Extra data: line 1 column 2 (char 1)"],
  ["-x", "Expecting value: line 1 column 1 (char 0)"],
  ["0x1F", "Extra data: line 1 column 2 (char 1)"],
  ["1_000", "Extra data: line 1 column 2 (char 1)"],
  ["[", "Expecting value: line 1 column 2 (char 1)"],
  ["[1,", "Expecting value: line 1 column 4 (char 3)"],
  ["[1,]", "Expecting value: line 1 column 4 (char 3)"],
  ["[,1]", "Expecting value: line 1 column 2 (char 1)"],
  ["[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"],
  ["[1;2]", "Expecting ',' delimiter: line 1 column 3 (char 2)"],
  ["[[[]]", "Expecting ',' delimiter: line 1 column 6 (char 5)"],
  ["[]]", "Extra data: line 1 column 3 (char 2)"],
  ["]", "Expecting value: line 1 column 1 (char 0)"],
  ["{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["{\"a\"", "Expecting ':' delimiter: line 1 column 5 (char 4)"],
  ["{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"],
  ["{\"a\":}", "Expecting value: line 1 column 6 (char 5)"],
  ["{\"a\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
  ["{,}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["{\"a\":1 \"b\":2}", "Expecting ',' delimiter: line 1 column 8 (char 7)"],
  ["{\"a\":1;\"b\":2}", "Expecting ',' delimiter: line 1 column 7 (char 6)"],
  ["{'a':1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["{a:1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["{1:2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"],
  ["{\"a\"::1}", "Expecting value: line 1 column 6 (char 5)"],
  ["{\"a\":1}}", "Extra data: line 1 column 8 (char 7)"],
  ["{}{}", "Extra data: line 1 column 3 (char 2)"],
  ["[][]", "Extra data: line 1 column 3 (char 2)"],
  ["1 2", "Extra data: line 1 column 3 (char 2)"],
  ["\"a\" \"b\"", "Extra data: line 1 column 5 (char 4)"],
  ["null x", "Extra data: line 1 column 6 (char 5)"],
  ["true false", "Extra data: line 1 column 6 (char 5)"],
  ["1 /* c */", "Extra data: line 1 column 3 (char 2)"],
  ["// comment\n1", "Expecting value: line 1 column 1 (char 0)"],
  ["/* c */ 1", "Expecting value: line 1 column 1 (char 0)"],
  ["[1] // c", "Extra data: line 1 column 5 (char 4)"],
  ["'single'", "Expecting value: line 1 column 1 (char 0)"],
  ["['a']", "Expecting value: line 1 column 2 (char 1)"],
  ["[\"a\", 'b']", "Expecting value: line 1 column 7 (char 6)"],
  ["\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"],
  ["\"", "Unterminated string starting at: line 1 column 1 (char 0)"],
  ["[\"abc", "Unterminated string starting at: line 1 column 2 (char 1)"],
  ["{\"abc", "Unterminated string starting at: line 1 column 2 (char 1)"],
  ["{\"a\":\"b", "Unterminated string starting at: line 1 column 6 (char 5)"],
  ["\"a\\", "Unterminated string starting at: line 1 column 1 (char 0)"],
  ["\"\\", "Unterminated string starting at: line 1 column 1 (char 0)"],
  ["\"a\nb\"", "Invalid control character at: line 1 column 3 (char 2)"],
  ["\"a\tb\"", "Invalid control character at: line 1 column 3 (char 2)"],
  ["\"\u0000\"", "Invalid control character at: line 1 column 2 (char 1)"],
  ["\"\u001f\"", "Invalid control character at: line 1 column 2 (char 1)"],
  ["\"\u007f\"", null],
  ["\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)"],
  ["\"\\a\"", "Invalid \\escape: line 1 column 2 (char 1)"],
  ["\"\\'\"", "Invalid \\escape: line 1 column 2 (char 1)"],
  ["\"\\U0041\"", "Invalid \\escape: line 1 column 2 (char 1)"],
  ["\"\\u12\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
  ["\"\\u12x4\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
  ["\"\\u1234", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
  ["\"\\uDEF\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"],
  ["\"\\u00e9\"", null],
  ["\"\\ud800\"", null],
  ["\"\\udc00\"", null],
  ["\"\\ud800\\udc00\"", null],
  ["\"\\ud800\\udc00", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"],
  ["\"\\ud800\\u0041\"", null],
  ["\"\\ud800\\uzzzz\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"],
  ["\"\\ud800\\n\"", null],
  ["\"\\ud800\\u\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"],
  ["\"\\ud800x\"", null],
  ["{\n  \"a\": 1,\n  \"b\": 2,\n}", "Expecting property name enclosed in double quotes: line 4 column 1 (char 22)"],
  ["[\n1,\n2\n3]", "Expecting ',' delimiter: line 4 column 1 (char 7)"],
  ["{\n\"a\":\n}", "Expecting value: line 3 column 1 (char 7)"],
  ["\n\n\n  x", "Expecting value: line 4 column 3 (char 5)"],
  ["{\"a\":\n\"b\nc\"}", "Invalid control character at: line 2 column 3 (char 8)"],
  ["[1,\r\n2,\r\n]", "Expecting value: line 3 column 1 (char 9)"],
  ["[\"😀\", x]", "Expecting value: line 1 column 7 (char 6)"],
  ["😀", "Expecting value: line 1 column 1 (char 0)"],
  ["\"😀😀\" x", "Extra data: line 1 column 6 (char 5)"],
  ["{\"😀\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"],
  ["\n\"😀\n\"", "Invalid control character at: line 2 column 3 (char 3)"],
  ["[\"é中😀\",]", "Expecting value: line 1 column 8 (char 7)"],
  ["NaN", null],
  ["Infinity", null],
  ["-Infinity", null],
  ["[NaN, Infinity, -Infinity]", null],
  ["{\"a\":1,\"a\":2}", null],
  [" [1] ", null],
  ["1e400", null],
  ["-0.0E-0", null],
  ["nan", "Expecting value: line 1 column 1 (char 0)"],
  ["inf", "Expecting value: line 1 column 1 (char 0)"],
  ["-inf", "Expecting value: line 1 column 1 (char 0)"],
  ["Infinit", "Expecting value: line 1 column 1 (char 0)"],
  ["-Inf", "Expecting value: line 1 column 1 (char 0)"],
  ["[NaN x]", "Expecting ',' delimiter: line 1 column 6 (char 5)"],
  ["[1e5x]", "Expecting ',' delimiter: line 1 column 5 (char 4)"],
  ["\ufeff{}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"],
  ["\ufeff", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"],
  [" \ufeff1", "Expecting value: line 1 column 2 (char 1)"],
  ["\"\ufeff\"", null],
  ["\u00a01", "Expecting value: line 1 column 1 (char 0)"],
  ["1\u00a0", "Extra data: line 1 column 2 (char 1)"],
  ["[1,\u20282]", "Expecting value: line 1 column 4 (char 3)"],
  ["\f1", "Expecting value: line 1 column 1 (char 0)"],
  ['1'.repeat(4300), null],
  ['1'.repeat(4301), "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit"],
  ["-" + '9'.repeat(4301), "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit"],
  ["[" + '1'.repeat(4301) + ",x", "Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit"],
  ["[x," + '1'.repeat(4301) + "]", "Expecting value: line 1 column 2 (char 1)"],
  ['1'.repeat(5000) + ".5", null],
  ['1'.repeat(5000) + "e1", null],
];

const STRICT_CASES: ReadonlyArray<readonly [string, string | null]> = [
  ["NaN", "Out of range float values are not JSON compliant: 'NaN'"],
  ["[1, -Infinity]", "Out of range float values are not JSON compliant: '-Infinity'"],
  ["[NaN, x", "Out of range float values are not JSON compliant: 'NaN'"],
  ["[x, NaN]", "Expecting value: line 1 column 2 (char 1)"],
  ["{\"a\": Infinity,}", "Out of range float values are not JSON compliant: 'Infinity'"],
  ["\"NaN\"", null],
  ["NaNx", "Out of range float values are not JSON compliant: 'NaN'"],
];

describe('pythonJsonError', () => {
  it.each(CASES)('json.loads(%j)', (text, expected) => {
    expect(pythonJsonError(text)).toBe(expected);
  });

  it.each(STRICT_CASES)('DRF strict constants: %j', (text, expected) => {
    expect(pythonJsonError(text, { strictConstants: true })).toBe(expected);
  });

  it('covers every message kind', () => {
    const kinds = new Set(
      [...CASES, ...STRICT_CASES].flatMap(([, message]) => (message === null ? [] : [message.split(/: line |: value has | JSON compliant: /)[0]])),
    );
    expect([...kinds].sort()).toEqual(
      [
        'Exceeds the limit (4300 digits) for integer string conversion',
        'Expecting value',
        'Expecting property name enclosed in double quotes',
        "Expecting ':' delimiter",
        "Expecting ',' delimiter",
        'Extra data',
        'Invalid \\escape',
        'Invalid \\uXXXX escape',
        'Invalid control character at',
        'Out of range float values are not',
        'Unexpected UTF-8 BOM (decode using utf-8-sig)',
        'Unterminated string starting at',
      ].sort(),
    );
  });

  // CPython raises RecursionError past ~1000 levels; these expect what it says without that limit,
  // extrapolated from the same shapes at depth 3 and 5 (checked against python3).
  describe('deep nesting uses no call stack', () => {
    const n = 100_000;
    it.each([
      ['['.repeat(n), `Expecting value: line 1 column ${n + 1} (char ${n})`],
      ['['.repeat(n) + ']'.repeat(n - 1), `Expecting ',' delimiter: line 1 column ${2 * n} (char ${2 * n - 1})`],
      ['{"a":'.repeat(n), `Expecting value: line 1 column ${5 * n + 1} (char ${5 * n})`],
      ['[{"a":'.repeat(n), `Expecting value: line 1 column ${6 * n + 1} (char ${6 * n})`],
      ['['.repeat(n) + ']'.repeat(n), null],
      ['['.repeat(n) + ']'.repeat(n) + 'x', `Extra data: line 1 column ${2 * n + 1} (char ${2 * n})`],
      ['{"a":['.repeat(n) + '1' + ']}'.repeat(n), null],
      ['{"a":['.repeat(n) + '1' + ']}'.repeat(n) + ',', `Extra data: line 1 column ${8 * n + 2} (char ${8 * n + 1})`],
    ])('%#', (text, expected) => {
      expect(pythonJsonError(text)).toBe(expected);
    });
  });

  it('is linear on large inputs', () => {
    // Each of these would take hours if any step were quadratic in the length.
    const size = 1_000_000;
    const started = Date.now();
    // Expected values follow the same shapes at small sizes, checked against python3.
    const highs = size / 8;
    expect(pythonJsonError('"' + '\\ud800'.repeat(highs) + '\\u')).toBe(
      `Invalid \\uXXXX escape: line 1 column ${6 * highs + 3} (char ${6 * highs + 2})`,
    );
    expect(pythonJsonError('\n'.repeat(size) + 'x')).toBe(`Expecting value: line ${size + 1} column 1 (char ${size})`);
    expect(pythonJsonError('[' + '1,'.repeat(size / 2) + ']')).toBe(`Expecting value: line 1 column ${size + 2} (char ${size + 1})`);
    expect(pythonJsonError('😀'.repeat(size) + 'x')).toBe('Expecting value: line 1 column 1 (char 0)');
    expect(pythonJsonError('"' + '😀'.repeat(size) + '" x')).toBe(`Extra data: line 1 column ${size + 4} (char ${size + 3})`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('never throws, whatever the code units', () => {
    const random = mulberry32(7);
    const units = [0x22, 0x5c, 0x75, 0x64, 0x38, 0x30, 0x5b, 0x7b, 0x3a, 0x2c, 0xd800, 0xdc00, 0xdbff, 0xfeff, 0x0a];
    for (let k = 0; k < 5_000; k++) {
      const length = Math.floor(random() * 16);
      const text = String.fromCharCode(...Array.from({ length }, () => units[Math.floor(random() * units.length)] ?? 0));
      const result = pythonJsonError(text);
      expect(result === null || typeof result === 'string').toBe(true);
    }
  });

  const python = pythonVersion();
  const skipReason =
    python === null
      ? 'python3 not found'
      : python[0] === 3 && (python[1] === 11 || python[1] === 12)
        ? null
        : `python3 is ${python.join('.')}, whose json messages differ from 3.11's`;

  it.skipIf(skipReason !== null)(
    `agrees with python3's json.loads on random JSON-ish strings${skipReason === null ? '' : ` (skipped: ${skipReason})`}`,
    () => {
      const inputs = randomInputs(4_000, 20240611);
      const expected = runPython(inputs, false);
      const strictExpected = runPython(inputs, true);
      const mismatches: string[] = [];
      inputs.forEach((text, i) => {
        const got = pythonJsonError(text);
        if (got !== expected[i]) mismatches.push(`${JSON.stringify(text)}: got ${JSON.stringify(got)}, python ${JSON.stringify(expected[i])}`);
        const strictGot = pythonJsonError(text, { strictConstants: true });
        if (strictGot !== strictExpected[i]) {
          mismatches.push(`strict ${JSON.stringify(text)}: got ${JSON.stringify(strictGot)}, python ${JSON.stringify(strictExpected[i])}`);
        }
      });
      expect(mismatches.slice(0, 20)).toEqual([]);
      // The generator must reach every message kind, or agreement proves little.
      const kinds = new Set(expected.flatMap((message) => (message === null ? [] : [message.split(': line ')[0]])));
      // (All but the integer digit limit, which short strings cannot reach.)
      expect(kinds.size).toBe(10);
    },
  );
});

/** Deterministic PRNG so the random inputs are the same on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  ...'{}[]":,  \t\n\r0123456789-+.eEtrufalsn\\/bxuNIaiy\'',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u00a0',
  '\ufeff',
  '\ud800',
  '😀',
  'é',
];

const FRAGMENTS = [
  ...['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity', 'tru', 'nul', 'Inf'],
  ...['0', '12', '-1', '1.5', '1e5', '1E-2', '-0.0', '.', 'e', '-', '+', '01'],
  ...['"', '"a"', '"k":', '"😀"', '\\', '\\n', '\\x', '\\u', '\\ud800', '\\udc00', '\\u00e9', 'd800', 'dc0', 'zz'],
  ...['{', '}', '[', ']', ':', ',', ' ', '\n', '\t', '\u0001', '😀', '\ufeff', "'", '/*', '//'],
];

const OPENERS = ['[', '{', '{"k":', '{"k"', '"', '[1,', '[{"k":[', '{"k":"'];

/** Short strings of JSON-ish characters, and of JSON-ish tokens (which reach deeper paths). */
function randomInputs(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const inputs: string[] = [];
  for (let k = 0; k < count; k++) {
    const byToken = k % 2 === 0;
    const length = Math.floor(random() * (byToken ? 9 : 13));
    // Half the token strings open a container or string first, to reach the errors found inside.
    let text = byToken && random() < 0.5 ? pick(OPENERS) : '';
    for (let j = 0; j < length; j++) text += byToken ? pick(FRAGMENTS) : pick(ALPHABET);
    inputs.push(text);
  }
  return inputs;
}

function pythonVersion(): number[] | null {
  const result = spawnSync('python3', ['-c', 'import sys; print(*sys.version_info[:2])'], { encoding: 'utf8' });
  if (result.status !== 0 || typeof result.stdout !== 'string') return null;
  return result.stdout.trim().split(' ').map(Number);
}

/** All inputs through one python3 process: JSON list in on stdin, messages (or null) out. */
function runPython(inputs: readonly string[], strictConstants: boolean): (string | null)[] {
  const script = `
import json, sys
def strict_constant(o):
    raise ValueError('Out of range float values are not JSON compliant: ' + repr(o))
kw = {'parse_constant': strict_constant} if ${strictConstants ? 'True' : 'False'} else {}
out = []
for s in json.load(sys.stdin):
    try:
        json.loads(s, **kw)
        out.append(None)
    except ValueError as e:
        out.append(str(e))
json.dump(out, sys.stdout)
`;
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(inputs), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as (string | null)[];
}
