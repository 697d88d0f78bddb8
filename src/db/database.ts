/**
 * Database connections. A `Database` is a Kysely instance plus what the framework needs to know about
 * the engine behind it. SQLite (better-sqlite3) is the zero-set-up default; the URL decides.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { ImproperlyConfigured } from '../exceptions.ts';

// Rows are dynamic: models describe their own columns at run time, and typed rows come from them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDB = any;

export type Dialect = 'sqlite';

export interface Database {
  readonly kysely: Kysely<AnyDB>;
  readonly dialect: Dialect;
  /** The URL it was opened from, with any password removed (safe to log). */
  readonly url: string;
  close(): Promise<void>;
}

/** The default: a file next to the process, as Django's `db.sqlite3`. */
export const DEFAULT_DATABASE_URL = 'sqlite:gatehouse.sqlite3';

/**
 * Opens `sqlite:PATH` (or `sqlite::memory:`). Kysely's SQLite driver prepares a statement for every
 * query; we hand it a database whose `prepare` remembers statements by SQL text, so the hot path's
 * handful of queries are prepared once per process.
 */
export interface DatabaseOptions {
  /** Called with the SQL of every query run (query logging, and tests that count queries). */
  log?: (sql: string) => void;
}

export function openDatabase(url: string = DEFAULT_DATABASE_URL, options: DatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) return openSqlite(url, options);
  throw new ImproperlyConfigured(
    `Unsupported database URL "${redact(url)}". Use "sqlite:PATH" (e.g. ${DEFAULT_DATABASE_URL}) or "sqlite::memory:".`,
  );
}

const STATEMENT_CACHE_LIMIT = 512;

function openSqlite(url: string, options: DatabaseOptions): Database {
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  const raw = new BetterSqlite3(path === '' ? ':memory:' : path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('synchronous = NORMAL');
  const statements = new Map<string, SqliteStatement>();
  const database: SqliteDatabase = {
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        // Ad-hoc SQL (e.g. IN lists of varying length) must not grow the cache without bound.
        if (statements.size >= STATEMENT_CACHE_LIMIT) statements.clear();
        statement = raw.prepare(sql) as unknown as SqliteStatement;
        statements.set(sql, statement);
      }
      return statement;
    },
  };
  const log = options.log;
  const kysely = new Kysely<AnyDB>({
    dialect: new SqliteDialect({ database }),
    ...(log ? { log: (event: { query: { sql: string } }) => log(event.query.sql) } : {}),
  });
  return { kysely, dialect: 'sqlite', url, close: () => kysely.destroy() };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
