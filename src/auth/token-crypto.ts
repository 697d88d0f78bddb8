/**
 * How tokens are kept: the database holds the SHA-256 digest of a key (what a request is looked up by)
 * and the key sealed with AES-256-GCM under a key derived from the secret key (so the obtain-token view
 * can hand a user their existing token, as DRF's does). A leaked table yields neither usable tokens
 * nor, without the secret key, the keys themselves.
 */
import * as crypto from 'node:crypto';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** DRF's format: 40 lowercase hex characters (160 random bits). */
export function generateKey(): string {
  return randomBytes(20).toString('hex');
}

/**
 * `crypto.hash` (Node >= 20.12) digests in one call, without a Hash object: a third of the cost of
 * `createHash(...).update(...).digest()` on every token request. Looked up on the namespace, because
 * a named import of it would fail to load on older Node 20 releases.
 */
export const digestKey: (key: string) => string =
  typeof crypto.hash === 'function'
    ? (key) => crypto.hash('sha256', key, 'hex')
    : (key) => crypto.createHash('sha256').update(key, 'utf8').digest('hex');

export class TokenSealer {
  readonly #key: Buffer;

  constructor(secretKey: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secretKey, 'gatehouse', 'authtoken-seal-v1', 32));
  }

  seal(tokenKey: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const encrypted = Buffer.concat([cipher.update(tokenKey, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), encrypted]).toString('base64');
  }

  /** The key, or null when the seal was made under another secret key or tampered with. */
  unseal(sealed: string): string | null {
    const raw = Buffer.from(sealed, 'base64');
    if (raw.length < 28) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
