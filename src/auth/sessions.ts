/**
 * Server-side sessions, as Django's database backend: the browser holds only a random key in the
 * `sessionid` cookie; the data lives in `django_session`. A session changes key at login (fixation)
 * and is deleted at logout, so a replayed cookie is worthless.
 */
import { randomString } from '../util/random.ts';

const KEY_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Django's session key: 32 characters of lowercase letters and digits. */
export function newSessionKey(): string {
  return randomString(32, KEY_CHARS);
}

/** A syntactically valid key; anything else is never looked up. */
export function isValidSessionKey(key: string): boolean {
  return key.length >= 8 && key.length <= 40 && /^[a-z0-9]+$/.test(key);
}

export const AUTH_USER_ID = '_auth_user_id';
export const AUTH_USER_HASH = '_auth_user_hash';

export class Session {
  /** The key the data is stored under; null until first saved. */
  key: string | null;
  /** The key the client sent, to delete its cookie when the session is flushed. */
  readonly receivedKey: string | null;
  data: Record<string, unknown>;
  /** Data or key changed: save it and (re)send the cookie. */
  modified = false;
  /** Deleted (logout, or a stale login): the cookie must be deleted. */
  flushed = false;
  /** Its row exists: saving updates it, and must not re-create it if a logout deleted it meanwhile. */
  stored: boolean;

  constructor(key: string | null, data: Record<string, unknown> = {}) {
    this.key = key;
    this.receivedKey = key;
    this.data = data;
    this.stored = key !== null;
  }

  get(name: string): unknown {
    return this.data[name];
  }

  set(name: string, value: unknown): void {
    this.data[name] = value;
    this.modified = true;
  }

  get userId(): number | null {
    const id = Number(this.data[AUTH_USER_ID]);
    return Number.isSafeInteger(id) ? id : null;
  }
}
