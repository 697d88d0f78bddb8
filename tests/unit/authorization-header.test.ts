import { describe, expect, it } from 'vitest';
import { authorizationParts } from '../../src/authentication/base.ts';
import type { Request } from '../../src/request.ts';

/** Python's `bytes.split()`, as DRF applies it to the Authorization header. */
function pythonSplit(header: string): string[] {
  return header.split(/[ \t\n\r\v\f]+/).filter((part) => part !== '');
}

const withHeader = (authorization: string | undefined) => ({ header: () => authorization }) as unknown as Request;

describe('authorizationParts', () => {
  it('splits on runs of ASCII whitespace as Python does, whichever path it takes', () => {
    const headers = [
      'Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b',
      'Token  abc',
      ' Token abc',
      'Token abc ',
      'Token\tabc',
      'Token \r\nabc',
      'Token a b',
      'Token',
      'Token ',
      ' ',
      '\t\v\f',
      'Token\u00a0abc',
      'Token abc\u00a0def',
      'Basic dXNlcjpwYXNz',
      'a b\tc',
    ];
    for (const header of headers) expect(authorizationParts(withHeader(header)), JSON.stringify(header)).toEqual(pythonSplit(header));
    expect(authorizationParts(withHeader(undefined))).toEqual([]);
    expect(authorizationParts(withHeader(''))).toEqual([]);
  });
});
