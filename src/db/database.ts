/**
 * Database connections. A `Database` is a Kysely instance plus what the framework needs to know about
 * the engine behind it. SQLite (better-sqlite3) is the zero-set-up default; PostgreSQL (pg) scales out.
 * The URL decides.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { ImproperlyConfigured } from '../exceptions.ts';

// Rows are dynamic: models describe their own columns at run time, and typed rows come from them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDB = any;

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly kysely: Kysely<AnyDB>;
  readonly dialect: Dialect;
  /** The URL it was opened from, with any password removed (safe to log). */
  readonly url: string;
  close(): Promise<void>;
}

/** The default: a file next to the process, as Django's `db.sqlite3`. */
export const DEFAULT_DATABASE_URL = 'sqlite:gatehouse.sqlite3';

export interface DatabaseOptions {
  /** Called with the SQL of every query run (query logging, and tests that count queries). */
  log?: (sql: string) => void;
}

/** Opens `sqlite:PATH`, `sqlite::memory:`, or `postgres://user:password@host:port/name` (also `postgresql://`). */
export function openDatabase(url: string = DEFAULT_DATABASE_URL, options: DatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) return openSqlite(url, options);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options);
  throw new ImproperlyConfigured(
    `Unsupported database URL "${redact(url)}". Use "sqlite:PATH" (e.g. ${DEFAULT_DATABASE_URL}), "sqlite::memory:" ` +
      'or "postgres://user:password@host:port/name".',
  );
}

function kyselyLog(options: DatabaseOptions): { log?: (event: { query: { sql: string } }) => void } {
  const log = options.log;
  return log ? { log: (event) => log(event.query.sql) } : {};
}

/**
 * Kysely's SQLite driver prepares a statement for every query; we hand it a database whose `prepare`
 * remembers statements by SQL text, so the hot path's handful of queries are prepared once per process.
 */
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
  const kysely = new Kysely<AnyDB>({ dialect: new SqliteDialect({ database }), ...kyselyLog(options) });
  return { kysely, dialect: 'sqlite', url, close: () => kysely.destroy() };
}

const INT8_OID = 20;

/**
 * int8 (bigint, count(*)) arrives as a number when it fits one exactly, else as pg's lossless string.
 * Scoped to our pools: setting it on `pg.types` would change every other pg user in the process.
 */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') {
      return (value: string) => {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : value;
      };
    }
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A bounded pool that fails fast during an outage: waiting for a connection and running a statement
 * are both time-limited, so requests get an error instead of hanging. Connection settings in the URL's
 * query string (e.g. `?statement_timeout=10000`, `?options=-c%20search_path%3Dapp`) win over these.
 */
function openPostgres(url: string, options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 30_000,
    connectionString: url,
    types: pgTypes,
  });
  // An idle client whose connection drops (server restart, failover) emits 'error' on the pool; unhandled,
  // that would crash the process. The pool discards the client; the next query opens a new one.
  pool.on('error', (error) => {
    process.emitWarning(`PostgreSQL idle connection error (${redact(url)}): ${error.message}`);
  });
  const kysely = new Kysely<AnyDB>({ dialect: new PostgresDialect({ pool }), ...kyselyLog(options) });
  return { kysely, dialect: 'postgres', url: redact(url), close: () => kysely.destroy() };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
