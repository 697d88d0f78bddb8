/**
 * Password hashing in Django's stored formats, so user tables move between Django and Gatehouse
 * both ways: new hashes are Django's `ScryptPasswordHasher` format (`scrypt$N$salt$r$p$hash`), and
 * Django's `pbkdf2_sha256$…` (and `pbkdf2_sha1$…`) hashes still verify, flagged for re-hashing.
 *
 * Stock Django cannot verify our N=2^17 hashes: its scrypt hasher passes maxmem=0, and OpenSSL's
 * 32 MiB default is too small. A Django project sharing the table needs a ScryptPasswordHasher
 * subclass with `maxmem = 256 * 1024 * 1024` (and `work_factor = 2**17`, `parallelism = 1`).
 */
import { pbkdf2, scrypt } from 'node:crypto';
import { constantTimeEqual, randomString } from '../util/random.ts';
import { ServiceUnavailable } from '../exceptions.ts';

const SCRYPT_N = 2 ** 17;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
// Django's ScryptPasswordHasher derives 64 bytes; a different length would never verify there.
const SCRYPT_KEY_LENGTH = 64;
// Node's 32 MiB default is below the 128 MiB that N=2^17, r=8 needs; this cap also bounds what a
// stored hash with larger parameters may make us allocate.
const SCRYPT_MAX_MEMORY = 256 * 1024 * 1024;

// Django's salt: ceil(128 bits / log2(62)) characters.
const SALT_LENGTH = 22;
const UNUSABLE_PREFIX = '!';
const UNUSABLE_SUFFIX_LENGTH = 40;

interface Pbkdf2Algorithm {
  name: string;
  digest: string;
  keyLength: number;
}

// Django derives as many bytes as the digest has (its default dklen).
const PBKDF2_ALGORITHMS: ReadonlyMap<string, Pbkdf2Algorithm> = new Map([
  ['pbkdf2_sha256', { name: 'pbkdf2_sha256', digest: 'sha256', keyLength: 32 }],
  ['pbkdf2_sha1', { name: 'pbkdf2_sha1', digest: 'sha1', keyLength: 20 }],
]);

/** The outcome of checking a password: whether it matches, and whether to store a fresh hash. */
export interface PasswordCheck {
  valid: boolean;
  /** True only for a valid password whose hash uses another algorithm or other parameters. */
  mustUpdate: boolean;
}

/** Hashes a password with scrypt (N=2^17, r=8, p=1) and a fresh salt; returns Django's encoded form. */
export function makePassword(raw: string): Promise<string> {
  return encodeScrypt(raw, randomString(SALT_LENGTH), SCRYPT_N, SCRYPT_R, SCRYPT_P);
}

/**
 * Checks a password against a stored hash (scrypt with any parameters, pbkdf2_sha256, pbkdf2_sha1).
 * An unusable, unknown or malformed hash never verifies and never throws; it still costs one hash,
 * as in Django, so response time does not tell such accounts apart (CVE-2024-39329).
 */
export async function checkPassword(raw: string, encoded: string): Promise<PasswordCheck> {
  const verdict = isPasswordUsable(encoded) ? await verify(raw, encoded) : undefined;
  if (verdict !== undefined) return verdict;
  await runDummyHasher(raw);
  return { valid: false, mustUpdate: false };
}

/** Returns a value that marks a password as unusable: `!` and 40 random letters and digits. */
export function makeUnusablePassword(): string {
  return UNUSABLE_PREFIX + randomString(UNUSABLE_SUFFIX_LENGTH);
}

/** Decides whether a stored value can ever verify, i.e. is not an unusable-password marker. */
export function isPasswordUsable(encoded: string): boolean {
  return !encoded.startsWith(UNUSABLE_PREFIX);
}

/**
 * Spends the time of one password hash, for a login naming a user that does not exist, so the
 * response time does not reveal which usernames exist. Resolves when done.
 */
export async function runDummyHasher(raw: string): Promise<void> {
  // As Django does, hash the submitted password afresh rather than verify a kept dummy hash: with
  // the current parameters it costs what verifying a current hash costs, and needs no state.
  await makePassword(raw);
}

async function verify(raw: string, encoded: string): Promise<PasswordCheck | undefined> {
  const algorithm = encoded.split('$', 1)[0] ?? '';
  try {
    if (algorithm === 'scrypt') return await verifyScrypt(raw, encoded);
    const pbkdf2Algorithm = PBKDF2_ALGORITHMS.get(algorithm);
    if (pbkdf2Algorithm) return await verifyPbkdf2(raw, encoded, pbkdf2Algorithm);
  } catch (error) {
    if (error instanceof ServiceUnavailable) throw error;
    // node:crypto refuses parameters it cannot run (N not a power of two, too much memory, zero
    // iterations): such a hash is as unusable as a malformed one.
  }
  return undefined;
}

async function verifyScrypt(raw: string, encoded: string): Promise<PasswordCheck | undefined> {
  const parts = encoded.split('$');
  const [, n, salt, r, p] = parts;
  if (parts.length !== 6 || !salt || !isDecimal(n) || !isDecimal(r) || !isDecimal(p)) return undefined;
  const [workFactor, blockSize, parallelism] = [Number(n), Number(r), Number(p)];
  // Like Django, compare whole encoded strings: a non-canonical number or base64 never verifies.
  const valid = constantTimeEqual(encoded, await encodeScrypt(raw, salt, workFactor, blockSize, parallelism));
  const outdated = workFactor !== SCRYPT_N || blockSize !== SCRYPT_R || parallelism !== SCRYPT_P;
  return { valid, mustUpdate: valid && outdated };
}

async function verifyPbkdf2(
  raw: string,
  encoded: string,
  algorithm: Pbkdf2Algorithm,
): Promise<PasswordCheck | undefined> {
  const parts = encoded.split('$');
  const [, iterations, salt] = parts;
  if (parts.length !== 4 || !salt || !isDecimal(iterations)) return undefined;
  const key = await limited(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        pbkdf2(raw, salt, Number(iterations), algorithm.keyLength, algorithm.digest, (error, derived) =>
          error ? reject(error) : resolve(derived),
        );
      }),
  );
  const recomputed = `${algorithm.name}$${Number(iterations)}$${salt}$${key.toString('base64')}`;
  const valid = constantTimeEqual(encoded, recomputed);
  // New hashes are scrypt, so every pbkdf2 hash that verifies is re-hashed at login.
  return { valid, mustUpdate: valid };
}

function encodeScrypt(raw: string, salt: string, n: number, r: number, p: number): Promise<string> {
  return limited(
    () =>
      new Promise((resolve, reject) => {
        scrypt(raw, salt, SCRYPT_KEY_LENGTH, { N: n, r, p, maxmem: SCRYPT_MAX_MEMORY }, (error, key) =>
          error ? reject(error) : resolve(`scrypt$${n}$${salt}$${r}$${p}$${key.toString('base64')}`),
        );
      }),
  );
}

/**
 * Hashes are deliberately expensive (128 MiB and ~0.4 s each). Unbounded, a flood of bogus Basic
 * credentials (checked before any throttle) would exhaust memory and the thread pool other I/O
 * needs. At most two run at once and a short queue waits; beyond it the request gets a 503.
 */
const MAX_RUNNING = 2;
const MAX_WAITING = 32;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running < MAX_RUNNING) running++;
  else if (waiting.length >= MAX_WAITING) {
    throw new ServiceUnavailable('Too many password checks in progress; retry shortly.', 1);
  } else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await task();
  } finally {
    // Hand the slot straight to the next waiter, or free it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function isDecimal(value: string | undefined): value is string {
  return value !== undefined && /^\d{1,15}$/.test(value);
}


