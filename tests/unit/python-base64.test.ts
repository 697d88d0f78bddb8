import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { b64decodeLenient } from '../../src/util/python-base64.ts';

const hex = (input: string): string | null => b64decodeLenient(input)?.toString('hex') ?? null;

// Each expected value is what `base64.b64decode(input.encode('latin-1'))` gives on CPython 3.11
// (hex of the bytes), null where it raises binascii.Error.
const CORPUS: ReadonlyArray<readonly [input: string, expected: string | null]> = [
  ['am9objpwYXNz!d29yZA==', '6a6f686e3a70617373776f7264'],
  ['am9objpwYXNzd29yZA', null],
  ['=a=', null],
  ['Y', null],
  ['YWJjZA===', '61626364'],
  ['!!!!', ''],
  ['', ''],
  ['====', ''],
  ['YQ', null],
  ['YQ=', null],
  ['YQ==', '61'],
  ['YQ===', '61'],
  ['YQ==YWJj', '61'],
  ['YWI', null],
  ['YWI=', '6162'],
  ['YWI=YQ', '6162'],
  ['YW=Jj', '616263'],
  ['Y=WJj', '616263'],
  ['=YWJj', '616263'],
  ['YW Jj', '616263'],
  ['YW\tJj\n', '616263'],
  ['YWJj!', '616263'],
  ['YWJjZ', null],
  ['YWJjZA', null],
  ['YWJjZA=', null],
  ['YWJjZA=!=', '61626364'],
  ['YWJjZA=\u00ff=', '61626364'],
  ['YX==', '61'],
  ['YWK=', '6162'],
  ['\u00e9YWJj', '616263'],
  ['-_-_', ''],
  ['YQ==\u0000', '61'],
  ['A===', null],
  ['AA==', '00'],
  ['AAA=', '0000'],
  ['AAAA', '000000'],
  ['AAAAA', null],
  ['YWJj=ZGVm', '616263646566'],
  ['YWJjZGVm=', '616263646566'],
  ['YW=', null],
  ['YW=!=x', '61'],
  ['YW=x=', '616c'],
  ['YWJ=Z', '6162'],
  ['Zm9vOmJhcjpiYXo=', '666f6f3a6261723a62617a'],
  ['w6k6w6k=', 'c3a93ac3a9'],
];

describe('b64decodeLenient', () => {
  it('decodes the Basic credentials DRF accepts, skipping characters outside the alphabet', () => {
    expect(b64decodeLenient('am9objpwYXNz!d29yZA==')?.toString('utf8')).toBe('john:password');
  });

  it('rejects the paddings Python rejects and accepts the ones it accepts (spec §2.4)', () => {
    expect(b64decodeLenient('am9objpwYXNzd29yZA')).toBeNull();
    expect(b64decodeLenient('=a=')).toBeNull();
    expect(b64decodeLenient('Y')).toBeNull();
    expect(hex('YWJjZA===')).toBe('61626364');
    expect(hex('!!!!')).toBe('');
  });

  it.each(CORPUS)('%j matches CPython', (input, expected) => {
    expect(hex(input)).toBe(expected);
  });
});

const python = spawnSync('python3', ['--version']);
const hasPython = python.error === undefined && python.status === 0;

describe.skipIf(!hasPython)('b64decodeLenient against the local python3', () => {
  it('agrees on thousands of random short strings', () => {
    // A fixed-seed generator keeps a failure reproducible.
    let seed = 20240611;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const alphabets = ['AQgw=', 'Ab+/=! ', 'YWJjZA=!', 'ab=', 'A=\u00ff\t-_'];
    const inputs = Array.from({ length: 5000 }, (_, i) => {
      const chars = alphabets[i % alphabets.length] ?? '';
      const length = Math.floor(random() * 14);
      return Array.from({ length }, () => chars.charAt(Math.floor(random() * chars.length))).join('');
    });
    const run = spawnSync(
      'python3',
      [
        '-c',
        [
          'import sys, json, base64, binascii',
          'out = []',
          'for s in json.load(sys.stdin):',
          '    try: out.append(base64.b64decode(s.encode("latin-1")).hex())',
          '    except binascii.Error: out.append(None)',
          'json.dump(out, sys.stdout)',
        ].join('\n'),
      ],
      { input: JSON.stringify(inputs), maxBuffer: 1 << 26 },
    );
    expect(run.status).toBe(0);
    const expected = JSON.parse(run.stdout.toString()) as Array<string | null>;
    const mismatches = inputs.filter((input, i) => hex(input) !== expected[i]);
    expect(mismatches).toEqual([]);
  });
});
