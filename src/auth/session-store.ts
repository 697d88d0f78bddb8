/**
 * Where sessions are kept. The database store is Django's `db` backend (the `django_session` table);
 * the Redis store keeps them in Redis, with Redis expiring them. Either way every process sees a login
 * or a logout on the very next request, because nothing is cached in the process.
 */
import type { Database } from '../db/database.ts';
import { prepare, type Prepared } from '../db/prepared.ts';
import type { UserRow } from './user.ts';
import type { MaybePromise } from '../util/types.ts';

export interface LoadedSession {
  readonly data: Record<string, unknown>;
  /** The user the session names, if that user exists. */
  readonly user: UserRow | null;
}

export interface SessionStore {
  /**
   * The live (unexpired) session under `key` and its user, or null. A store may answer synchronously
   * (the database store on SQLite): session authentication then costs no promise.
   */
  load(key: string): MaybePromise<LoadedSession | null>;
  /** Stores a new session. */
  create(key: string, data: Record<string, unknown>, userId: number | null, expiresAt: number): Promise<void>;
  /** Replaces a stored session's data; false when it no longer exists (it must then not be re-created). */
  update(key: string, data: Record<string, unknown>, userId: number | null, expiresAt: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Removes expired sessions, returning how many (`clearsessions`); stores that expire by themselves return 0. */
  clearExpired(): Promise<number>;
}

type SessionRow = UserRow & { session_data: string; user_found: number | null };

/** Parsed session data; a corrupt payload reads as an empty session, as in Django. */
export function decodeSessionData(text: string): Record<string, unknown> {
  try {
    const data: unknown = JSON.parse(text);
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function loadedSession(rows: readonly SessionRow[]): LoadedSession | null {
  const row = rows[0];
  if (row === undefined) return null;
  return { data: decodeSessionData(row.session_data), user: row.user_found === null ? null : row };
}

export class DatabaseSessionStore implements SessionStore {
  readonly #db: Database;
  /** The session and its user in one indexed join: session authentication costs one query. */
  readonly #byKey: Prepared<[string, number], SessionRow>;

  constructor(db: Database, userColumns: readonly string[]) {
    this.#db = db;
    this.#byKey = prepare(
      db,
      db.kysely
        .selectFrom('django_session as s')
        .leftJoin('auth_user as u', 'u.id', 's.user_id')
        .select([...userColumns, 's.session_data', 'u.id as user_found'])
        .where('s.session_key', '=', '')
        .where('s.expire_date', '>', 0),
    );
  }

  load(key: string): MaybePromise<LoadedSession | null> {
    const rows = this.#byKey(key, Date.now());
    return rows instanceof Promise ? rows.then(loadedSession) : loadedSession(rows);
  }

  async create(key: string, data: Record<string, unknown>, userId: number | null, expiresAt: number): Promise<void> {
    await this.#db.kysely
      .insertInto('django_session')
      .values({ session_key: key, session_data: JSON.stringify(data), expire_date: expiresAt, user_id: userId })
      .execute();
  }

  async update(key: string, data: Record<string, unknown>, userId: number | null, expiresAt: number): Promise<boolean> {
    const result = await this.#db.kysely
      .updateTable('django_session')
      .set({ session_data: JSON.stringify(data), expire_date: expiresAt, user_id: userId })
      .where('session_key', '=', key)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(key: string): Promise<void> {
    await this.#db.kysely.deleteFrom('django_session').where('session_key', '=', key).execute();
  }

  async clearExpired(): Promise<number> {
    const result = await this.#db.kysely.deleteFrom('django_session').where('expire_date', '<=', Date.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
