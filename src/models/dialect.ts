/**
 * What differs between database engines, for the model layer: column types, the auto-increment
 * primary key, how values the engine lacks (booleans, datetimes) are stored, and how a unique-constraint
 * failure is recognised. Everything else is written once in Kysely's builder. A dialect is chosen by
 * `Database.dialect`: `sqlite.ts` and `postgres.ts`.
 */
import type { ColumnDataType, ColumnDefinitionBuilder, KyselyPlugin } from 'kysely';
import type { Database, Dialect } from '../db/database.ts';
import type { FieldKind } from './fields.ts';
import { postgresAdapter } from './postgres.ts';
import { sqliteAdapter } from './sqlite.ts';

export type Convert = (value: unknown) => unknown;

export interface DialectAdapter {
  readonly dialect: Dialect;
  /** The column type of a field kind; `maxLength` applies to character kinds. */
  columnType(kind: FieldKind, maxLength: number | undefined): ColumnDataType;
  readonly primaryKeyType: ColumnDataType;
  /** Makes the `id` column an auto-incrementing primary key. */
  primaryKey(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** JavaScript value → stored value, for kinds the engine cannot store as they are. */
  encoder(kind: FieldKind): Convert | undefined;
  /** Stored value → JavaScript value; the inverse of `encoder`. */
  decoder(kind: FieldKind): Convert | undefined;
  /** The columns named by a unique-constraint failure, or undefined when `error` is not one. */
  uniqueViolation(error: unknown): readonly string[] | undefined;
  /**
   * Rewrites parameters written directly in query expressions (`eb('is_staff', '=', true)`) into
   * stored values; undefined when the driver binds them as they are.
   */
  readonly parameterPlugin: KyselyPlugin | undefined;
  /** The LIMIT meaning "no limit", for an OFFSET without one. */
  readonly unlimited: number | null;
  /** Called after a row was inserted with an explicit id, for engines whose id sequence must move past it. */
  explicitIdInserted?(db: Database, table: string): Promise<void>;
}

const adapters: Record<Dialect, DialectAdapter> = { sqlite: sqliteAdapter, postgres: postgresAdapter };

export function adapterFor(db: Database): DialectAdapter {
  return adapters[db.dialect];
}
