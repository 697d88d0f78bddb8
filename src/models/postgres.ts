/**
 * The PostgreSQL adapter. PostgreSQL stores booleans and datetimes natively (`boolean`, `timestamptz`,
 * which pg reads back as `Date`), so nothing is converted. Integers are `bigint`, as SQLite's are 64-bit:
 * a value the serializer accepts must fit the column on either engine. The id is an identity column
 * (Django's since 4.1); a row created with an explicit id moves the sequence past it, as `loaddata` does.
 */
import { sql, type ColumnDataType } from 'kysely';
import type { DialectAdapter } from './dialect.ts';
import type { FieldKind } from './fields.ts';

const UNIQUE_VIOLATION = '23505';

/** pg's `detail` of a unique violation: `Key (a, b)=(1, 2) already exists.` */
const KEY_DETAIL = /^Key \((.+?)\)=\(/;

export const postgresAdapter: DialectAdapter = {
  dialect: 'postgres',

  columnType(kind: FieldKind, maxLength: number | undefined): ColumnDataType {
    switch (kind) {
      case 'integer':
      case 'bigInteger':
      case 'foreignKey':
        return 'bigint';
      case 'float':
        return 'double precision';
      case 'boolean':
        return 'boolean';
      case 'char':
      case 'email':
        return `varchar(${maxLength ?? 255})`;
      case 'text':
        return 'text';
      case 'dateTime':
        return 'timestamptz';
    }
  },

  primaryKeyType: 'bigint',
  primaryKey: (column) => column.primaryKey().generatedByDefaultAsIdentity(),

  encoder: () => undefined,
  decoder: () => undefined,

  uniqueViolation(error) {
    if (!(error instanceof Error) || (error as { code?: unknown }).code !== UNIQUE_VIOLATION) return undefined;
    const match = KEY_DETAIL.exec(String((error as { detail?: unknown }).detail ?? ''));
    if (match === null) return undefined;
    return match[1]!.split(', ').map((column) => column.replace(/^"(.*)"$/, '$1'));
  },

  parameterPlugin: undefined,

  unlimited: null,

  async explicitIdInserted(db, table) {
    await sql`SELECT setval(pg_get_serial_sequence(${`"${table}"`}, 'id'), (SELECT MAX(id) FROM ${sql.table(table)}))`.execute(db.kysely);
  },
};
