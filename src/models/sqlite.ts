/**
 * The SQLite adapter. SQLite has no boolean or datetime storage classes, so booleans are stored as
 * 1/0 and datetimes as ISO-8601 text in UTC (`2024-05-01T12:00:00.000Z`), which also sorts correctly.
 * AUTOINCREMENT matches Django: ids of deleted rows are never reused.
 */
import {
  OperationNodeTransformer,
  type ColumnDataType,
  type KyselyPlugin,
  type PrimitiveValueListNode,
  type QueryResult,
  type UnknownRow,
  type ValueNode,
} from 'kysely';
import type { DialectAdapter } from './dialect.ts';
import type { FieldKind } from './fields.ts';

function encodeBoolean(value: unknown): unknown {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

function decodeBoolean(value: unknown): unknown {
  return value === null || value === undefined ? value : value === 1 || value === true;
}

function encodeDate(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

function decodeDate(value: unknown): unknown {
  return typeof value === 'string' ? new Date(value) : value;
}

/** Either encoding: a query parameter carries no field kind, only its JavaScript type. */
function encodeParameter(value: unknown): unknown {
  return encodeDate(encodeBoolean(value));
}

class ParameterTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = encodeParameter(node.value);
    return value === node.value ? node : { ...node, value };
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    if (!node.values.some((v) => typeof v === 'boolean' || v instanceof Date)) return node;
    return { ...node, values: node.values.map(encodeParameter) };
  }
}

const transformer = new ParameterTransformer();

const parameterPlugin: KyselyPlugin = {
  transformQuery: ({ node }) => transformer.transformNode(node),
  transformResult: ({ result }): Promise<QueryResult<UnknownRow>> => Promise.resolve(result),
};

const UNIQUE_FAILED = 'UNIQUE constraint failed: ';

export const sqliteAdapter: DialectAdapter = {
  dialect: 'sqlite',

  columnType(kind: FieldKind, maxLength: number | undefined): ColumnDataType {
    switch (kind) {
      case 'integer':
      case 'foreignKey':
        return 'integer';
      case 'bigInteger':
        return 'bigint';
      case 'float':
        return 'real';
      case 'boolean':
        return 'boolean';
      case 'char':
      case 'email':
        return `varchar(${maxLength ?? 255})`;
      case 'text':
        return 'text';
      case 'dateTime':
        return 'datetime';
    }
  },

  primaryKeyType: 'integer',
  primaryKey: (column) => column.primaryKey().autoIncrement(),

  encoder(kind) {
    if (kind === 'boolean') return encodeBoolean;
    if (kind === 'dateTime') return encodeDate;
    return undefined;
  },

  decoder(kind) {
    if (kind === 'boolean') return decodeBoolean;
    if (kind === 'dateTime') return decodeDate;
    return undefined;
  },

  uniqueViolation(error) {
    // better-sqlite3: code SQLITE_CONSTRAINT_UNIQUE, message "UNIQUE constraint failed: t.a, t.b".
    if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') {
      return undefined;
    }
    const at = error.message.indexOf(UNIQUE_FAILED);
    if (at === -1) return undefined;
    return error.message
      .slice(at + UNIQUE_FAILED.length)
      .split(', ')
      .map((qualified) => qualified.slice(qualified.indexOf('.') + 1));
  },

  parameterPlugin,

  // SQLite accepts OFFSET only after a LIMIT; -1 means none.
  unlimited: -1,
};
