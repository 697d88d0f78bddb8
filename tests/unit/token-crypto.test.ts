import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestKey, generateKey, TokenSealer } from '../../src/auth/token-crypto.ts';

describe('token storage', () => {
  it('looks keys up by their SHA-256 hex digest', () => {
    for (const key of [generateKey(), '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b', 'ключ-é']) {
      expect(digestKey(key)).toBe(createHash('sha256').update(key, 'utf8').digest('hex'));
    }
    expect(generateKey()).toMatch(/^[0-9a-f]{40}$/);
  });

  it('seals keys so only the same secret key unseals them, and detects tampering', () => {
    const key = generateKey();
    const sealed = new TokenSealer('secret-a').seal(key);
    expect(sealed).not.toContain(key);
    expect(new TokenSealer('secret-a').unseal(sealed)).toBe(key);
    expect(new TokenSealer('secret-b').unseal(sealed)).toBeNull();
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(new TokenSealer('secret-a').unseal(raw.toString('base64'))).toBeNull();
    expect(new TokenSealer('secret-a').unseal('c2hvcnQ=')).toBeNull();
  });
});
