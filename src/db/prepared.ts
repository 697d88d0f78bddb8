/**
 * Queries compiled once at start-up and run with new parameters: the per-request path neither builds
 * nor compiles SQL. Build the query with placeholder values in the order the parameters will be given.
 */
import type { Compilable, CompiledQuery } from 'kysely';
import type { Database } from './database.ts';

/** Runs the query; on SQLite's fast path the rows come back synchronously (see `Database.select`). */
export type Prepared<P extends readonly unknown[], R> = (...params: P) => R[] | Promise<R[]>;

export function prepare<P extends readonly unknown[], R = Record<string, unknown>>(
  db: Database,
  query: Compilable<unknown>,
): Prepared<P, R> {
  const compiled = query.compile();
  return (...params: P) => db.select<R>({ ...compiled, parameters: params } as CompiledQuery<R>);
}
