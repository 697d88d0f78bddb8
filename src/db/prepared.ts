/**
 * Queries compiled once at start-up and run with new parameters: the per-request path neither builds
 * nor compiles SQL. Build the query with placeholder values in the order the parameters will be given.
 *
 * Rows are fetched as lists of values and made into objects of one fixed shape (util/record-builder):
 * cheaper than letting the driver name every column of every row. So the query must name each column
 * it selects (`select(['u.id', 'u.username'])`, `select('x as y')`); `selectAll()` is refused at start-up.
 */
import { AliasNode, ColumnNode, IdentifierNode, ReferenceNode, SelectQueryNode, type Compilable, type CompiledQuery, type OperationNode } from 'kysely';
import { recordBuilder } from '../util/record-builder.ts';
import type { Database } from './database.ts';

/** Runs the query; on SQLite's fast path the rows come back synchronously (see `Database.select`). */
export type Prepared<P extends readonly unknown[], R> = (...params: P) => R[] | Promise<R[]>;

export function prepare<P extends readonly unknown[], R = Record<string, unknown>>(
  db: Database,
  query: Compilable<unknown>,
): Prepared<P, R> {
  const compiled = query.compile();
  const keys = selectedNames(compiled.query);
  const build = recordBuilder(keys);
  const row = (values: readonly unknown[]): R => build(values, 0) as R;
  const rows = (fetched: readonly (readonly unknown[])[]): R[] => fetched.map(row);
  return (...params: P) => {
    const fetched = db.selectValues(withParameters(compiled, params), keys);
    return fetched instanceof Promise ? fetched.then(rows) : rows(fetched);
  };
}

/**
 * A compiled query with other parameters. Written out rather than spread: a spread of Kysely's
 * query objects, whose shapes vary, is a slow generic clone on every request.
 */
export function withParameters(compiled: CompiledQuery, parameters: readonly unknown[]): CompiledQuery {
  return { query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters };
}

/** The names of a select's result columns, in order: a column's name, or its alias. */
function selectedNames(node: OperationNode): string[] {
  if (!SelectQueryNode.is(node) || node.selections === undefined) throw new TypeError('prepare() takes a select query with a select list.');
  return node.selections.map(({ selection }) => {
    if (AliasNode.is(selection) && IdentifierNode.is(selection.alias)) return selection.alias.name;
    const column = ReferenceNode.is(selection) ? selection.column : selection;
    if (ColumnNode.is(column)) return column.column.name;
    throw new TypeError(`prepare() needs each selected column named (a column or "expression as name"), got ${selection.kind}.`);
  });
}
