import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  isPasswordUsable,
  makePassword,
  makeUnusablePassword,
  runDummyHasher,
} from '../../src/auth/hashers.ts';

// Made by Python exactly as Django's hashers make them (hashlib.pbkdf2_hmac / hashlib.scrypt).
const DJANGO_PBKDF2_SHA256 =
  'pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$AHgHGSwHB4z/uQbWzhabLVzvgjKbHEDZpSPA3qqcrQI=';
const DJANGO_PBKDF2_SHA1 = 'pbkdf2_sha1$260000$Q1w2E3r4T5y6U7i8O9p0As$nKiOzpiit/ikWWgnCkmk23hnAHE=';
// Django's ScryptPasswordHasher defaults: N=2^14, r=8, p=5, 64-byte key; the password is not ASCII.
const DJANGO_SCRYPT =
  'scrypt$16384$ZxCvBnM1234567890asdfg$8$5$DvYbqZ0Gwb0VFdMdcnpQjFah5HcJdyl6VVEdtk19ILstW4141Yhmj4Ufw8Sq5BxPmPb64TmKWEElc3oiKda+LA==';

const INVALID = { valid: false, mustUpdate: false };

// Every scrypt at N=2^17 takes a few hundred milliseconds, and every hash that cannot verify costs one.
const SLOW = { timeout: 60_000 };

describe('checkPassword with hashes made by Django', SLOW, () => {
  it('verifies pbkdf2_sha256 and asks for an upgrade to scrypt', async () => {
    expect(await checkPassword('alice-password-1', DJANGO_PBKDF2_SHA256)).toEqual({ valid: true, mustUpdate: true });
  });

  it('rejects a wrong password against pbkdf2_sha256, without asking for an upgrade', async () => {
    expect(await checkPassword('alice-password-2', DJANGO_PBKDF2_SHA256)).toEqual(INVALID);
  });

  it('verifies pbkdf2_sha1', async () => {
    expect(await checkPassword('bob-password-2', DJANGO_PBKDF2_SHA1)).toEqual({ valid: true, mustUpdate: true });
    expect(await checkPassword('bob-password-3', DJANGO_PBKDF2_SHA1)).toEqual(INVALID);
  });

  it('verifies scrypt with Django’s parameters, UTF-8 encoded, and asks for the current ones', async () => {
    expect(await checkPassword('carol-pässword', DJANGO_SCRYPT)).toEqual({ valid: true, mustUpdate: true });
    expect(await checkPassword('carol-password', DJANGO_SCRYPT)).toEqual(INVALID);
  });
});

describe('makePassword', SLOW, () => {
  it('encodes scrypt in Django’s format with N=2^17, r=8, p=1, a 22-character salt and a 64-byte key', async () => {
    const encoded = await makePassword('s3cret');
    const [algorithm, n, salt, r, p, hash] = encoded.split('$');
    expect([algorithm, n, r, p]).toEqual(['scrypt', '131072', '8', '1']);
    expect(salt).toMatch(/^[a-zA-Z0-9]{22}$/);
    expect(Buffer.from(hash ?? '', 'base64')).toHaveLength(64);
  });

  it('round-trips, current parameters need no update, and the salt differs per hash', async () => {
    const [first, second] = await Promise.all([makePassword('s3cret'), makePassword('s3cret')]);
    expect(first).not.toBe(second);
    expect(await checkPassword('s3cret', first)).toEqual({ valid: true, mustUpdate: false });
    expect(await checkPassword('s3cret!', first)).toEqual(INVALID);
    expect(await checkPassword('', first)).toEqual(INVALID);
  });

  it('rejects a tampered hash, salt or parameter', async () => {
    const encoded = await makePassword('s3cret');
    const parts = encoded.split('$');
    const hash = parts[5] ?? '';
    const salt = parts[2] ?? '';
    // Replace the first character with a different one: a fixed letter would leave the value
    // unchanged whenever the random salt or hash already starts with it.
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
    const flipped = flip(hash);
    const tampered = [
      [...parts.slice(0, 5), flipped].join('$'),
      [parts[0], parts[1], flip(salt), ...parts.slice(3)].join('$'),
      [parts[0], parts[1], parts[2], parts[3], '2', parts[5]].join('$'),
      // Same numbers written another way: Django compares whole encoded strings.
      [parts[0], '0131072', ...parts.slice(2)].join('$'),
    ];
    for (const value of tampered) expect(await checkPassword('s3cret', value)).toEqual(INVALID);
  });
});

describe('unusable and malformed hashes', SLOW, () => {
  it('makes `!` plus 40 letters and digits, which is not usable and never verifies', async () => {
    const unusable = makeUnusablePassword();
    expect(unusable).toMatch(/^![a-zA-Z0-9]{40}$/);
    expect(makeUnusablePassword()).not.toBe(unusable);
    expect(isPasswordUsable(unusable)).toBe(false);
    expect(isPasswordUsable(DJANGO_PBKDF2_SHA256)).toBe(true);
    expect(await checkPassword(unusable, unusable)).toEqual(INVALID);
    expect(await checkPassword('alice-password-1', '!' + DJANGO_PBKDF2_SHA256)).toEqual(INVALID);
  });

  it('answers invalid, without throwing, for unknown algorithms and malformed strings', async () => {
    const malformed = [
      '',
      '$',
      'alice-password-1',
      'md5$abc$def',
      'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA',
      'pbkdf2_sha256',
      'pbkdf2_sha256$$abcdefghijklmnopqrstuv$AHgHGSwHB4z/uQbWzhabLVzvgjKbHEDZpSPA3qqcrQI=',
      'pbkdf2_sha256$0$abcdefghijklmnopqrstuv$AHgHGSwHB4z/uQbWzhabLVzvgjKbHEDZpSPA3qqcrQI=',
      'pbkdf2_sha256$-5$abcdefghijklmnopqrstuv$AHgHGSwHB4z/uQbWzhabLVzvgjKbHEDZpSPA3qqcrQI=',
      'pbkdf2_sha256$260000$$AHgHGSwHB4z/uQbWzhabLVzvgjKbHEDZpSPA3qqcrQI=',
      DJANGO_PBKDF2_SHA256 + '$extra',
      'scrypt$16384$salt$8$5',
      'scrypt$1000$ZxCvBnM1234567890asdfg$8$5$AAAA', // N not a power of two
      'scrypt$1073741824$ZxCvBnM1234567890asdfg$8$1$AAAA', // needs far more than the memory cap
      'scrypt$abc$ZxCvBnM1234567890asdfg$8$5$AAAA',
      'constructor$1$2$3',
    ];
    for (const encoded of malformed) expect(await checkPassword('alice-password-1', encoded)).toEqual(INVALID);
  });
});

describe('runDummyHasher', SLOW, () => {
  it('resolves after spending one hash', async () => {
    await expect(runDummyHasher('anything')).resolves.toBeUndefined();
  });
});
