/** Secrets shared by CSRF tokens, session keys and password salts: unbiased picks from a CSPRNG. */
import { randomInt, timingSafeEqual } from 'node:crypto';

export const LETTERS_AND_DIGITS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Django's `get_random_string`: `length` characters drawn uniformly from `chars`. */
export function randomString(length: number, chars: string = LETTERS_AND_DIGITS): string {
  let out = '';
  for (let i = 0; i < length; i++) out += chars[randomInt(chars.length)];
  return out;
}

/** Compares two strings in time independent of where they differ; unequal lengths are simply unequal. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
