/**
 * Database connections. A `Database` is a Kysely instance plus what the framework needs to know about
 * the engine behind it. SQLite (better-sqlite3) is the zero-set-up default; PostgreSQL (pg) scales out.
 * The URL decides.
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import { ImproperlyConfigured } from '../exceptions.ts';

// Rows are dynamic: models describe their own columns at run time, and typed rows come from them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDB = any;

export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly kysely: Kysely<AnyDB>;
  readonly dialect: Dialect;
  /**
   * Runs a compiled statement that returns rows (a SELECT, or a write with RETURNING). On SQLite, while
   * no query or transaction holds the connection, it runs at once on the cached statement and answers
   * synchronously, without Kysely's connection round (a mutex and several awaits) that dominated the
   * cost of the per-request lookups.
   */
  select<R>(query: CompiledQuery): R[] | Promise<R[]>;
  /**
   * Runs a compiled SELECT and returns each row as an array of its values in select-list order, which
   * `keys` names. Querysets read rows this way: better-sqlite3 builds an array of many columns in half
   * the time it builds the object, and the queryset builds its rows from the values anyway. Synchronous
   * when `select` would be.
   */
  selectValues(query: CompiledQuery, keys: readonly string[]): unknown[][] | Promise<unknown[][]>;
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
    `Unsupported database URL "${redactUrl(url)}". Use "sqlite:PATH" (e.g. ${DEFAULT_DATABASE_URL}), "sqlite::memory:" ` +
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
  const prepareForKysely = (sql: string) => raw.prepare(sql) as unknown as SqliteStatement;
  const database: SqliteDatabase = {
    close: () => raw.close(),
    prepare: (sql: string): SqliteStatement => cachedStatement(statements, sql, prepareForKysely),
  };
  // Statements in raw mode (rows as arrays) are separate objects: Kysely's must keep returning objects.
  const valueStatements = new Map<string, BetterSqlite3.Statement>();
  const prepareForValues = (sql: string) => raw.prepare(sql).raw(true);
  const dialect = new TrackedSqliteDialect({ database });
  const kysely = new Kysely<AnyDB>({ dialect, ...kyselyLog(options) });
  const log = options.log;
  const select = <R>(query: CompiledQuery): R[] | Promise<R[]> => {
    // Someone holds the connection, perhaps inside a transaction: wait for it, as Kysely would.
    if (dialect.driver.held > 0) return kysely.executeQuery<R>(query).then((result) => result.rows);
    log?.(query.sql);
    return database.prepare(query.sql).all(query.parameters) as R[];
  };
  const selectValues = (query: CompiledQuery, keys: readonly string[]): unknown[][] | Promise<unknown[][]> => {
    if (dialect.driver.held > 0) return kysely.executeQuery<Record<string, unknown>>(query).then((result) => valuesOf(result.rows, keys));
    log?.(query.sql);
    return cachedStatement(valueStatements, query.sql, prepareForValues).all(query.parameters) as unknown[][];
  };
  return { kysely, dialect: 'sqlite', url, select, selectValues, close: () => kysely.destroy() };
}

/** The statement prepared for `sql`, prepared once. */
function cachedStatement<S>(cache: Map<string, S>, sql: string, prepare: (sql: string) => S): S {
  let statement = cache.get(sql);
  if (statement === undefined) {
    // Ad-hoc SQL (e.g. IN lists of varying length) must not grow the cache without bound.
    if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
    statement = prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

function valuesOf(rows: readonly Record<string, unknown>[], keys: readonly string[]): unknown[][] {
  return rows.map((row) => keys.map((key) => row[key]));
}

/** Kysely's SQLite driver, counting who holds its one connection (see `Database.select`). */
class TrackedSqliteDriver extends SqliteDriver {
  held = 0;

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    this.held++;
    return connection;
  }

  override async releaseConnection(): Promise<void> {
    this.held--;
    await super.releaseConnection();
  }
}

class TrackedSqliteDialect extends SqliteDialect {
  readonly driver: TrackedSqliteDriver;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.driver = new TrackedSqliteDriver(config);
  }

  override createDriver(): Driver {
    return this.driver;
  }
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
    process.emitWarning(`PostgreSQL idle connection error (${redactUrl(url)}): ${error.message}`);
  });
  // pg-pool listens for errors only on idle clients, yet pg emits 'error' on a checked-out client whose
  // connection is reset mid-query; unhandled, that event would crash the process. The query itself
  // is rejected (an outage: 503) and the pool discards the broken client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const kysely = new Kysely<AnyDB>({ dialect: new PostgresDialect({ pool }), ...kyselyLog(options) });
  const select = async <R>(query: CompiledQuery): Promise<R[]> => (await kysely.executeQuery<R>(query)).rows;
  const selectValues = async (query: CompiledQuery, keys: readonly string[]): Promise<unknown[][]> =>
    valuesOf((await kysely.executeQuery<Record<string, unknown>>(query)).rows, keys);
  return { kysely, dialect: 'postgres', url: redactUrl(url), select, selectValues, close: () => kysely.destroy() };
}

/** The URL with its password replaced by `***`, safe to log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
