/**
 * Sessions in Redis (`sessionStore: 'redis'`): one key per session holding its JSON data, expiring
 * with the session, so there is nothing to clear. Loading a logged-in session costs one GET and one
 * indexed user query. If Redis fails, the request gets 503: a session that cannot be read is never
 * taken for an anonymous one, and a logout that cannot be written is never reported as done.
 */
import type { Redis } from '../db/redis.ts';
import { BackendUnavailable } from '../outages.ts';
import { decodeSessionData, type LoadedSession, type SessionStore } from './session-store.ts';
import { AUTH_USER_ID } from './sessions.ts';
import type { UserRow } from './user.ts';

export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #loadUser: (id: number) => Promise<UserRow | undefined>;

  constructor(redis: Redis, prefix: string, loadUser: (id: number) => Promise<UserRow | undefined>) {
    this.#redis = redis;
    this.#prefix = `${prefix}session:`;
    this.#loadUser = loadUser;
  }

  async load(key: string): Promise<LoadedSession | null> {
    const text = await this.#run(() => this.#redis.get(this.#prefix + key));
    if (text === null) return null;
    const data = decodeSessionData(text);
    const id = Number(data[AUTH_USER_ID]);
    const user = Number.isSafeInteger(id) ? ((await this.#loadUser(id)) ?? null) : null;
    return { data, user };
  }

  async create(key: string, data: Record<string, unknown>, _userId: number | null, expiresAt: number): Promise<void> {
    const ttl = Math.max(1, expiresAt - Date.now());
    const done = await this.#run(() => this.#redis.set(this.#prefix + key, JSON.stringify(data), 'PX', ttl, 'NX'));
    // 32 random characters: a collision means a broken random source, not bad luck.
    if (done === null) throw new Error('A new session key collided with a stored one.');
  }

  async update(key: string, data: Record<string, unknown>, _userId: number | null, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1, expiresAt - Date.now());
    // XX: only if it still exists, so a session deleted by a logout elsewhere is not brought back.
    return (await this.#run(() => this.#redis.set(this.#prefix + key, JSON.stringify(data), 'PX', ttl, 'XX'))) !== null;
  }

  async delete(key: string): Promise<void> {
    await this.#run(() => this.#redis.del(this.#prefix + key));
  }

  async clearExpired(): Promise<number> {
    return 0;
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new BackendUnavailable('redis', error);
    }
  }
}
