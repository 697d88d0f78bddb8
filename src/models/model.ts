/**
 * Models: a table described once, Django-style. `defineModel` checks the definition (throwing
 * ImproperlyConfigured for a mistake), registers the model for `migrate`, and returns a `Model` that
 * creates its table, writes rows (`create`, `update`, `delete`) and reads them through `objects`.
 *
 * Every model has an auto-increment integer primary key `id`. Rows are plain objects typed from the
 * definition (`RowOf<typeof Survey>`), with booleans and datetimes as JavaScript values whatever the
 * database stores. A unique-constraint failure on write becomes the ValidationError DRF's
 * UniqueValidator would have raised, so a race between check and insert is a 400, not a 500.
 */
import type { CompiledQuery, CreateTableBuilder, Kysely } from 'kysely';
import type { AnyDB, Database } from '../db/database.ts';
import { withParameters } from '../db/prepared.ts';
import { BoundedShapeTrie } from '../util/shape-trie.ts';
import { ImproperlyConfigured, ValidationError } from '../exceptions.ts';
import { adapterFor } from './dialect.ts';
import { codecFor, type RowCodec } from './codec.ts';
import type { FieldMap, ForeignKeyDefinition, ModelLike, ValueOf } from './fields.ts';
import { integer } from './fields.ts';
import { ModelField } from './model-field.ts';
import { parsePk } from './pk.ts';
import { QuerySet, getNow } from './queryset.ts';
import type { MaybePromise } from '../util/types.ts';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type ForeignKeyName<F extends FieldMap> = {
  [K in keyof F & string]: F[K] extends ForeignKeyDefinition ? K : never;
}[keyof F & string];

type TargetOf<D> = D extends ForeignKeyDefinition<infer M> ? M : never;

/** The stored columns of a row: `id`, each field, and `<name>_id` for each foreign key. */
export type Columns<F extends FieldMap> = Simplify<
  { id: number } & {
    [K in keyof F & string as F[K] extends ForeignKeyDefinition ? `${K}_id` : K]: ValueOf<F[K]>;
  }
>;

/** A column (`creator_id`) or a field name (`creator`), as filters and ordering accept. */
export type ColumnName<F extends FieldMap> = (keyof Columns<F> & string) | (keyof F & string);

type FieldsOf<M> = M extends ModelLike<infer F> ? F : never;

/** What `only()` takes: a column or field name, or `<foreign key>__<column or field of the related model>`. */
export type OnlyName<F extends FieldMap> =
  | ColumnName<F>
  | { [K in ForeignKeyName<F>]: `${K}__${ColumnName<FieldsOf<TargetOf<F[K]>>>}` }[ForeignKeyName<F>];

/**
 * A row: its columns, plus each foreign key's row when loaded (by `selectRelated`, or given to
 * `create`/`update`); null when the key is unset.
 */
export type Row<F extends FieldMap> = Simplify<
  Columns<F> & { [K in ForeignKeyName<F>]?: RowOf<TargetOf<F[K]>> | null }
>;

export type RowOf<M> = M extends ModelLike<infer F> ? Row<F> : never;

/** What `create`/`update` take: columns, with a foreign key as `<name>_id` or as the related row. */
export type Values<F extends FieldMap> = Partial<Columns<F>> & {
  [K in ForeignKeyName<F>]?: { readonly id: number } | null;
};

export type OrderTerm = readonly [column: string, direction: 'asc' | 'desc'];

export interface ModelOptions {
  /** Defaults to the model's name. */
  table?: string;
  /** Default ordering: field names, `-` for descending (`['-created', 'id']`). */
  ordering?: readonly string[];
  /** Used in messages (`survey with this title already exists.`); defaults to the name, `_` as spaces. */
  verboseName?: string;
}

const ID = integer({ verboseName: 'ID' });

/**
 * `UPDATE <table> SET <columns> WHERE id = ? RETURNING <the codec's columns>`, compiled once per Kysely
 * instance, table and column list: every PUT of the same fields reuses the SQL instead of building and
 * compiling it. Column lists are few in practice; the cap only bounds an app that updates every
 * combination.
 */
const compiledUpdates = new WeakMap<Kysely<AnyDB>, BoundedShapeTrie<CompiledQuery>>();
const COMPILED_UPDATES_LIMIT = 1_000;

/** The key of Model's `update` without the promise, for ModelSerializer (see QuerySet's `getNow`). */
export const updateNow: unique symbol = Symbol('Model.updateNow');

export class ModelMeta {
  readonly name: string;
  readonly table: string;
  readonly verboseName: string;
  /** `id` first, then the declared fields in order. */
  readonly fields: readonly ModelField[];
  readonly pk: ModelField;
  readonly ordering: readonly OrderTerm[];
  /** Fields by name and by column, so `creator` and `creator_id` both resolve. */
  readonly #lookup: ReadonlyMap<string, ModelField>;

  constructor(name: string, definitions: FieldMap, options: ModelOptions) {
    this.name = name;
    this.table = options.table ?? name;
    this.verboseName = options.verboseName ?? name.replaceAll('_', ' ');
    this.pk = new ModelField('id', ID, this.verboseName, true);
    const fields = [this.pk];
    const lookup = new Map<string, ModelField>([['id', this.pk]]);
    for (const [fieldName, definition] of Object.entries(definitions)) {
      const field = new ModelField(fieldName, definition, this.verboseName);
      for (const key of new Set([field.name, field.column])) {
        if (lookup.has(key)) {
          throw new ImproperlyConfigured(
            `Model "${name}": the name "${key}" is used twice${key === 'id' ? ' ("id" is the automatic primary key)' : ''}.`,
          );
        }
        lookup.set(key, field);
      }
      if (field.onDelete === 'setNull' && !field.null) {
        throw new ImproperlyConfigured(
          `Model "${name}": field "${fieldName}" specifies onDelete 'setNull' but cannot be null; add null: true.`,
        );
      }
      fields.push(field);
    }
    this.fields = fields;
    this.#lookup = lookup;
    this.ordering = (options.ordering ?? []).map((term): OrderTerm => {
      const descending = term.startsWith('-');
      const field = lookup.get(descending ? term.slice(1) : term);
      if (field === undefined) {
        throw new ImproperlyConfigured(`Model "${name}": ordering refers to "${term}", which is not a field.`);
      }
      return [field.column, descending ? 'desc' : 'asc'];
    });
  }

  /** A field by name or column; undefined when there is none. */
  field(nameOrColumn: string): ModelField | undefined {
    return this.#lookup.get(nameOrColumn);
  }
}

export class Model<F extends FieldMap = FieldMap> implements ModelLike<F> {
  readonly meta: ModelMeta;
  readonly definitions: F;
  /** Every row, in the model's default ordering. */
  readonly objects: QuerySet<F>;

  constructor(name: string, definitions: F, options: ModelOptions = {}) {
    this.meta = new ModelMeta(name, definitions, options);
    this.definitions = definitions;
    this.objects = new QuerySet(this);
  }

  /** Django's model name (`life`), as permission codenames use it (`add_life`). */
  get name(): string {
    return this.meta.name;
  }

  /** CREATE TABLE IF NOT EXISTS, with foreign keys (ON DELETE), unique constraints and indexes. */
  async createTable(db: Database): Promise<void> {
    const adapter = adapterFor(db);
    const { table } = this.meta;
    let builder: CreateTableBuilder<string, AnyDB> = db.kysely.schema
      .createTable(table)
      .ifNotExists()
      .addColumn('id', adapter.primaryKeyType, (column) => adapter.primaryKey(column.notNull()));
    for (const field of this.meta.fields) {
      if (field.primaryKey) continue;
      builder = builder.addColumn(field.column, adapter.columnType(field.kind, field.maxLength), (column) => {
        if (!field.null) column = column.notNull();
        if (field.unique) column = column.unique();
        const related = field.related;
        if (related !== undefined) {
          column = column
            .references(`${related.meta.table}.id`)
            .onDelete(field.onDelete === 'setNull' ? 'set null' : field.onDelete ?? 'cascade');
        }
        return column;
      });
    }
    await builder.execute();
    for (const field of this.meta.fields) {
      if (!field.indexed) continue;
      await db.kysely.schema
        .createIndex(`${table}_${field.column}_idx`)
        .ifNotExists()
        .on(table)
        .column(field.column)
        .execute();
    }
  }

  /**
   * Inserts a row, applying field defaults, and returns it as stored. Raises ValidationError when a
   * unique field's value is taken, TypeError for a value that names no field.
   */
  async create(db: Database, values: Values<F>): Promise<Row<F>> {
    const codec = codecFor(this.meta, db);
    const related: [string, unknown][] = [];
    const record = this.#record(values, codec, related);
    for (const field of this.meta.fields) {
      if (field.primaryKey || field.column in record) continue;
      const value = field.defaultValue();
      if (value !== undefined) record[field.column] = codec.encode(field.column, value);
    }
    const insert = db.kysely.insertInto(this.meta.table);
    const query = Object.keys(record).length === 0 ? insert.defaultValues() : insert.values(record);
    const row = await this.#write(codec, () => query.returningAll().executeTakeFirstOrThrow());
    if ('id' in record) await codec.adapter.explicitIdInserted?.(db, this.meta.table);
    return this.#withRelated(codec.decode(row), related);
  }

  /**
   * Updates the given columns of one row and returns it as stored; undefined when no row has this
   * primary key. Raises like `create`.
   */
  async update(db: Database, pk: unknown, values: Values<F>): Promise<Row<F> | undefined> {
    return this[updateNow](db, pk, values);
  }

  /** `update`, without a promise when the database answers without one (SQLite). */
  [updateNow](db: Database, pk: unknown, values: Values<F>): MaybePromise<Row<F> | undefined> {
    const id = parsePk(pk);
    if (id === undefined) return undefined;
    const codec = codecFor(this.meta, db);
    const related: [string, unknown][] = [];
    const record = this.#record(values, codec, related);
    const columns = Object.keys(record);
    if (columns.length === 0) return this.objects[getNow](db, id);
    const compiled = this.#compiledUpdate(db, columns, codec);
    const parameters = columns.map((column) => record[column]);
    parameters.push(id);
    const stored = this.#write(codec, () => db.selectValues(withParameters(compiled, parameters), codec.columns));
    return stored instanceof Promise ? stored.then((rows) => this.#updated(codec, rows, related)) : this.#updated(codec, stored, related);
  }

  #updated(codec: RowCodec, stored: readonly (readonly unknown[])[], related: readonly [string, unknown][]): Row<F> | undefined {
    return stored[0] === undefined ? undefined : this.#withRelated(codec.fromValues(stored[0], 0), related);
  }

  /**
   * The compiled UPDATE of `columns` by id, whose parameters are the columns' values, then the id. It
   * returns the codec's columns in the codec's order, so the row is read as values (see RowCodec).
   */
  #compiledUpdate(db: Database, columns: readonly string[], codec: RowCodec): CompiledQuery {
    let updates = compiledUpdates.get(db.kysely);
    if (updates === undefined) compiledUpdates.set(db.kysely, (updates = new BoundedShapeTrie(COMPILED_UPDATES_LIMIT)));
    // Keyed by the table and each column name: strings of the model's, the same objects every request.
    let node = updates.root().child(this.meta.table);
    for (const column of columns) node = node.child(column);
    let compiled = node.value;
    if (compiled === undefined) {
      const placeholders = Object.fromEntries(columns.map((column) => [column, null]));
      compiled = db.kysely.updateTable(this.meta.table).set(placeholders).where('id', '=', 0).returning(codec.columns).compile();
      if (compiled.parameters.length !== columns.length + 1) throw new Error(`Unexpected UPDATE parameters: ${compiled.sql}`);
      updates.store(node, compiled);
    }
    return compiled;
  }

  /** Deletes one row (the database cascades or restricts along foreign keys); whether one was deleted. */
  async delete(db: Database, pk: unknown): Promise<boolean> {
    const id = parsePk(pk);
    if (id === undefined) return false;
    const result = await db.kysely.deleteFrom(this.meta.table).where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Values keyed by column, in stored form; related rows given for foreign keys are collected in `related`. */
  #record(values: Values<F>, codec: RowCodec, related: [string, unknown][]): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (value === undefined) continue;
      const field = this.meta.field(key);
      if (field === undefined) throw new TypeError(`${this.meta.name} has no field "${key}".`);
      if (field.related !== undefined && key === field.name) {
        if (value !== null && typeof (value as { id?: unknown }).id !== 'number') {
          throw new TypeError(
            `${this.meta.name}.${key} must be a ${field.related.meta.name} row or null; pass a primary key as "${field.column}".`,
          );
        }
        record[field.column] = value === null ? null : (value as { id: number }).id;
        related.push([key, value]);
      } else {
        record[field.column] = codec.encode(field.column, value);
      }
    }
    return record;
  }

  /**
   * Runs a write, turning a unique-constraint failure into a field's ValidationError; synchronous when
   * the write is (SQLite's fast path).
   */
  #write<T>(codec: RowCodec, write: () => T | Promise<T>): T | Promise<T> {
    let result;
    try {
      result = write();
    } catch (error) {
      throw this.#writeError(codec, error);
    }
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      throw this.#writeError(codec, error);
    });
  }

  #writeError(codec: RowCodec, error: unknown): unknown {
    const columns = codec.adapter.uniqueViolation(error);
    const field = columns === undefined ? undefined : this.meta.field(columns[0]!);
    return field === undefined ? error : new ValidationError({ [field.name]: [field.uniqueMessage] }, 'unique');
  }

  #withRelated(row: Record<string, unknown>, related: readonly [string, unknown][]): Row<F> {
    for (const [name, value] of related) row[name] = value;
    return row as Row<F>;
  }
}

const registry = new Map<string, Model>();

/**
 * Defines and registers a model. `name` is Django's model name (lower case); the table defaults to
 * it. Throws ImproperlyConfigured for a name defined twice or an inconsistent definition.
 */
export function defineModel<F extends FieldMap>(name: string, fields: F, options?: ModelOptions): Model<F> {
  if (registry.has(name)) throw new ImproperlyConfigured(`A model named "${name}" is already defined.`);
  const model = new Model(name, fields, options);
  registry.set(name, model as unknown as Model);
  return model;
}

/** Every defined model, in definition order (what `migrate` creates). */
export function registeredModels(): readonly Model[] {
  return [...registry.values()];
}
