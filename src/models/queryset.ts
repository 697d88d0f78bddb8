/**
 * Django's QuerySet over Kysely: immutable (every method returns a new QuerySet) and lazy (nothing
 * runs until `all`, `first`, `get`, `count` or `exists` is given a database). Not bound to a database,
 * so a view can declare `queryset = Survey.objects.orderBy('id')` once at module load.
 *
 * SQL is compiled with placeholders for the filters' values and bound on each run. A queryset whose
 * filters are all comparisons (`where(column, op, value)`, `where(Q(...))`) shares its compiled SQL
 * with every queryset of the same shape, so the per-request `getQueryset().where('owner', '=', user)`
 * compiles once per process. One with a `where(eb => ...)` callback, whose contents the framework
 * cannot see, compiles once per QuerySet instance.
 */
import type {
  CompiledQuery,
  ComparisonOperatorExpression,
  Expression,
  ExpressionBuilder,
  Kysely,
  SelectQueryBuilder,
  SqlBool,
} from 'kysely';
import type { AnyDB, Database } from '../db/database.ts';
import { withParameters } from '../db/prepared.ts';
import { BoundedShapeTrie, ShapeTrie } from '../util/shape-trie.ts';
import { codecFor, type RowCodec } from './codec.ts';
import type { ExtraProperty } from '../util/record-builder.ts';
import type { FieldMap } from './fields.ts';
import type { ModelField } from './model-field.ts';
import type { Columns, ColumnName, ForeignKeyName, Model, OnlyName, OrderTerm, Row } from './model.ts';
import { parsePk } from './pk.ts';
import { isQ, type Q } from './q.ts';
import type { MaybePromise } from '../util/types.ts';

/**
 * The tables a `where` callback may reference: this model's columns are typed; other tables (for
 * subqueries) are open.
 */
export type QueryTables<F extends FieldMap> = { [table: string]: Columns<F> & Record<string, unknown> };

export type WhereCallback<F extends FieldMap> = (
  eb: ExpressionBuilder<QueryTables<F>, string>,
) => Expression<SqlBool>;

/** A Q tree with its columns resolved to the model's fields. */
type Condition =
  | { readonly kind: 'compare'; readonly field: ModelField; readonly op: ComparisonOperatorExpression; readonly value: unknown }
  | { readonly kind: 'and' | 'or'; readonly children: readonly Condition[] }
  | { readonly kind: 'not'; readonly child: Condition };

/** A filter; a condition's shape (see `shapeOf`) is worked out once, when the filter is added. */
type Where<F extends FieldMap> = { readonly callback: WhereCallback<F> } | { readonly condition: Condition; readonly shape: string | null };

interface State<F extends FieldMap> {
  readonly wheres: readonly Where<F>[];
  /** Undefined: the model's default ordering. */
  readonly ordering: readonly OrderTerm[] | undefined;
  readonly related: readonly string[];
  readonly only: Only | undefined;
  readonly limit: number | undefined;
  readonly offset: number | undefined;
  /** The part of the shape that does not depend on the filters: kept while only filters are added. */
  readonly tail: string;
  /** Which RowReader reads the rows (relations and `only()`): likewise kept while only filters are added. */
  readonly readerKey: string;
}

/** What `only()` loads besides the primary keys and the keys of selected relations. */
interface Only {
  /** The model's own columns. */
  readonly columns: readonly string[];
  /** A selected relation's columns, by relation name; a relation absent here is loaded whole. */
  readonly related: ReadonlyMap<string, readonly string[]>;
  /** The selection as text, for the caches of compiled SQL and readers. */
  readonly key: string;
}

type Select = SelectQueryBuilder<AnyDB, string, AnyDB>;
type Execution = 'all' | 'first' | 'count' | 'exists' | 'get';

interface Compiled {
  readonly kysely: Kysely<AnyDB>;
  readonly queries: Partial<Record<Execution, Shared>>;
}

/** A compiled query as the caches keep it: whether it has slots to bind is known once, not per run. */
interface Shared {
  readonly query: CompiledQuery;
  readonly slotted: boolean;
}

function shareable(query: CompiledQuery): Shared {
  return { query, slotted: query.parameters.some((p) => p instanceof Slot || p === PK_PARAMETER) };
}

/**
 * Builds rows from the values a row query fetched: the model's columns first, then each related
 * model's columns in `selectRelated` order. Its codecs also say which columns the query selects (all,
 * or those `only()` keeps), so the select list `#build` writes and the reading cannot disagree. One per
 * model, dialect, set of relations and `only()` selection, shared by every queryset.
 */
class RowReader {
  /** The select list's names, in order (`<relation>__<column>` for joined columns). */
  readonly keys: readonly string[];
  readonly codec: RowCodec;
  readonly relations: readonly { readonly name: string; readonly codec: RowCodec; readonly offset: number }[];

  constructor(codec: RowCodec, relations: readonly { readonly name: string; readonly codec: RowCodec }[]) {
    this.codec = codec;
    const keys = [...codec.columns];
    this.relations = relations.map(({ name, codec: related }) => {
      const offset = keys.length;
      keys.push(...related.columns.map((c) => `${name}__${c}`));
      return { name, codec: related, offset };
    });
    this.keys = keys;
    // A related row's `id` comes first among its columns: null there means the key was null.
    const related = this.relations.map(({ name, codec: relatedCodec, offset }) => ({
      key: name,
      read: (values: readonly unknown[]) => (values[offset] === null ? null : relatedCodec.fromValues(values, offset)),
    }));
    const build = codec.builderWith(related);
    this.#row = build !== null ? (values) => build(values, 0) : (values) => withRelated(codec.fromValues(values, 0), related, values);
  }

  read<R>(fetched: readonly (readonly unknown[])[]): R[] {
    return fetched.map(this.#row) as R[];
  }

  readonly #row: (values: readonly unknown[]) => Record<string, unknown>;
}

/** A row with a prototype (`only()`) gets its relations one by one. */
function withRelated(row: Record<string, unknown>, related: readonly ExtraProperty[], values: readonly unknown[]): Record<string, unknown> {
  for (const { key, read } of related) row[key] = read(values);
  return row;
}

const readers = new WeakMap<RowCodec, Map<string, RowReader>>();

/**
 * The key of QuerySet's synchronous `get`. Not exported from the package: a public method that
 * returns a promise only sometimes would be a trap; GenericAPIView.getObject, which needs no promise
 * on SQLite, handles both.
 */
export const getNow: unique symbol = Symbol('QuerySet.getNow');

/** Stands for the n-th filter value in compiled SQL; replaced by the value on each run. */
class Slot {
  constructor(readonly index: number) {}
}

/** Stands for the primary key in the compiled `get` query; replaced by the real key on each call. */
const PK_PARAMETER = Object.freeze({});

/**
 * Compiled queries by Kysely instance and model, shared by every QuerySet; within a model, by
 * execution, filter shapes, then tail (see `#sharedNode`).
 */
const shared = new WeakMap<Kysely<AnyDB>, WeakMap<Model, BoundedShapeTrie<Shared>>>();
const SHARED_LIMIT = 1_000;

export class QuerySet<F extends FieldMap = FieldMap> {
  readonly model: Model<F>;
  readonly #state: State<F>;
  #compiled: Compiled | undefined;

  constructor(model: Model<F>, state?: State<F>) {
    this.model = model;
    this.#state = state ?? {
      wheres: [],
      ordering: undefined,
      related: [],
      only: undefined,
      limit: undefined,
      offset: undefined,
      tail: '||||',
      readerKey: '|',
    };
  }

  /**
   * Keeps rows matching a `(column, op, value)` comparison, a `Q` condition (comparisons combined with
   * `and`/`or`/`not`), or a Kysely expression (`eb => eb.or([...])`, for what comparisons cannot say).
   */
  where(condition: Q): QuerySet<F>;
  where(callback: WhereCallback<F>): QuerySet<F>;
  where(column: ColumnName<F>, op: ComparisonOperatorExpression, value: unknown): QuerySet<F>;
  where(first: WhereCallback<F> | ColumnName<F> | Q, op?: ComparisonOperatorExpression, value?: unknown): QuerySet<F> {
    let where: Where<F>;
    if (typeof first === 'function') where = { callback: first };
    else {
      const condition: Condition = isQ(first) ? this.#resolve(first) : { kind: 'compare', field: this.#field(first), op: op!, value };
      where = { condition, shape: shapeOf(condition) };
    }
    return this.#withWheres([...this.#state.wheres, where]);
  }

  /** The first call replaces the model's default ordering; later calls add tie-breakers. */
  orderBy(column: ColumnName<F>, direction: 'asc' | 'desc' = 'asc'): QuerySet<F> {
    const term: OrderTerm = [this.#field(column).column, direction];
    return this.#with({ ordering: [...(this.#state.ordering ?? []), term] });
  }

  /** Loads a foreign key's row in the same query (a LEFT JOIN), as `row.<name>`; null when unset. */
  selectRelated(...names: ForeignKeyName<F>[]): QuerySet<F> {
    for (const name of names) {
      const field = this.model.meta.field(name);
      if (field?.related === undefined || field.name !== name) {
        throw new TypeError(`selectRelated: "${name}" is not a foreign key of ${this.model.meta.name}.`);
      }
    }
    return this.#with({ related: [...new Set([...this.#state.related, ...names])] });
  }

  /**
   * Django's `only()`: loads just these fields, and the primary key. `relation__field` names a related
   * row's field and selects the relation (as `selectRelated`); a selected relation's key is always
   * loaded, and a selected relation no name reaches into is loaded whole. Reading a field left out
   * throws a TypeError naming it, where Django would run a query per row. A later call replaces this one.
   */
  only(...names: OnlyName<F>[]): QuerySet<F> {
    const columns = new Set<string>();
    const related = new Map<string, string[]>();
    for (const name of names) {
      const [own, through, ...deeper] = name.split('__');
      const field = this.#field(own!);
      if (through === undefined) {
        columns.add(field.column);
        continue;
      }
      if (field.related === undefined || field.name !== own || deeper.length > 0) {
        throw new TypeError(`only: "${name}" is not a field of ${this.model.meta.name} or of a row it relates to by a foreign key.`);
      }
      const target = (field.related as Model).meta.field(through);
      if (target === undefined) throw new TypeError(`only: ${field.related.meta.name} has no field "${through}" (in "${name}").`);
      let list = related.get(own!);
      if (list === undefined) related.set(own!, (list = []));
      if (!list.includes(target.column)) list.push(target.column);
    }
    const key = `${[...columns].join(',')}/${[...related].map(([relation, list]) => `${relation}:${list.join(',')}`).join(';')}`;
    return this.#with({
      only: { columns: [...columns], related, key },
      related: [...new Set([...this.#state.related, ...related.keys()])],
    });
  }

  limit(count: number): QuerySet<F> {
    return this.#with({ limit: count });
  }

  offset(count: number): QuerySet<F> {
    return this.#with({ offset: count });
  }

  async all(db: Database): Promise<Row<F>[]> {
    return this.#rows(db, 'all');
  }

  /** The first row in the queryset's order (by `id` when it has none), or undefined. */
  async first(db: Database): Promise<Row<F> | undefined> {
    return (await this.#rows(db, 'first'))[0];
  }

  /** The row with this primary key among the queryset's rows; undefined when absent or `pk` is not an integer. */
  async get(db: Database, pk: unknown): Promise<Row<F> | undefined> {
    return this[getNow](db, pk);
  }

  /** `get`, synchronous when the database answers synchronously; for the framework's per-request lookup. */
  [getNow](db: Database, pk: unknown): MaybePromise<Row<F> | undefined> {
    const id = parsePk(pk);
    if (id === undefined) return undefined;
    const rows = this.#rows(db, 'get', id);
    return rows instanceof Promise ? rows.then((found) => found[0]) : rows[0];
  }

  async count(db: Database): Promise<number> {
    const rows = await db.select<{ count: number | string | bigint }>(this.#compile(db, 'count'));
    return Number(rows[0]?.count ?? 0);
  }

  async exists(db: Database): Promise<boolean> {
    return (await db.select(this.#compile(db, 'exists'))).length > 0;
  }

  /** A per-request getQueryset() adds filters: they keep the rest of the state, and its keys, as they are. */
  #withWheres(wheres: readonly Where<F>[]): QuerySet<F> {
    const { ordering, related, only, limit, offset, tail, readerKey } = this.#state;
    return new QuerySet(this.model, { wheres, ordering, related, only, limit, offset, tail, readerKey });
  }

  #with(changes: Partial<Omit<State<F>, 'wheres' | 'tail' | 'readerKey'>>): QuerySet<F> {
    const { ordering, related, only, limit, offset } = { ...this.#state, ...changes };
    const readerKey = `${related.join(',')}|${only?.key ?? ''}`;
    const tail = `${ordering === undefined ? '' : ordering.join(',')}|${readerKey}|${limit ?? ''}|${offset ?? ''}`;
    return new QuerySet(this.model, { wheres: this.#state.wheres, ordering, related, only, limit, offset, tail, readerKey });
  }

  #resolve(q: Q): Condition {
    const node = q.node;
    switch (node.kind) {
      case 'compare':
        return { kind: 'compare', field: this.#field(node.column), op: node.op, value: node.value };
      case 'not':
        return { kind: 'not', child: this.#resolve(node.child) };
      default:
        return { kind: node.kind, children: node.children.map((c) => this.#resolve(c)) };
    }
  }

  #field(name: string): ModelField {
    const field = this.model.meta.field(name);
    if (field === undefined) throw new TypeError(`${this.model.meta.name} has no field "${name}".`);
    return field;
  }

  #cache(db: Database): Compiled {
    if (this.#compiled?.kysely !== db.kysely) this.#compiled = { kysely: db.kysely, queries: {} };
    return this.#compiled;
  }

  /** The query for `execution`, compiled or reused (see the module comment), with this queryset's values bound. */
  #compile(db: Database, execution: Execution, pk?: number): CompiledQuery {
    const queries = this.#sharedQueries(db);
    const node = this.#sharedNode(queries.root(), execution);
    const compiled =
      node === null
        ? (this.#cache(db).queries[execution] ??= shareable(this.#build(db, execution).compile()))
        : (node.value ?? queries.store(node, shareable(this.#build(db, execution).compile())));
    if (!compiled.slotted) return compiled.query;
    const parameters = compiled.query.parameters;
    const values = this.#values(db);
    const bound: unknown[] = new Array(parameters.length);
    for (let i = 0; i < parameters.length; i++) {
      const p = parameters[i];
      bound[i] = p instanceof Slot ? values[p.index] : p === PK_PARAMETER ? pk : p;
    }
    return withParameters(compiled.query, bound);
  }

  /** This model's shared cache of compiled queries. */
  #sharedQueries(db: Database): BoundedShapeTrie<Shared> {
    let byModel = shared.get(db.kysely);
    if (byModel === undefined) shared.set(db.kysely, (byModel = new WeakMap()));
    let queries = byModel.get(this.model as Model);
    if (queries === undefined) byModel.set(this.model as Model, (queries = new BoundedShapeTrie(SHARED_LIMIT)));
    return queries;
  }

  /**
   * This query's entry in the shared cache, found by what decides the SQL apart from the slotted
   * values: the execution; each filter's shape (each comparison's column, operator, and how many
   * values it takes); the ordering, relations and slicing (the tail). Null when a callback filter
   * makes the SQL opaque (or a value is itself an SQL expression).
   */
  #sharedNode(root: ShapeTrie<Shared>, execution: Execution): ShapeTrie<Shared> | null {
    let node = root.child(execution);
    for (const where of this.#state.wheres) {
      if ('callback' in where || where.shape === null) return null;
      node = node.child(where.shape);
    }
    return node.child(this.#state.tail);
  }

  /** The filters' values in stored form, in the order their slots were numbered by `#filtered`. */
  #values(db: Database): unknown[] {
    const codec = codecFor(this.model.meta, db);
    const values: unknown[] = [];
    for (const where of this.#state.wheres) if ('condition' in where) collectValues(codec, where.condition, values);
    return values;
  }

  #build(db: Database, execution: Execution): Select {
    const kysely = db.kysely;
    const { table } = this.model.meta;
    const codec = codecFor(this.model.meta, db);
    const { limit, offset } = this.#state;
    const sliced = limit !== undefined || offset !== undefined;

    if (execution === 'count' || execution === 'exists') {
      let base = this.#filtered(kysely.selectFrom(table), codec);
      if (sliced) {
        base = this.#slice(this.#ordered(base.select('id'), false), codec);
        base = kysely.selectFrom(base.as('sliced'));
      }
      const query =
        execution === 'count'
          ? base.select((eb) => eb.fn.countAll().as('count'))
          : base.select((eb) => eb.lit(1).as('found')).limit(1);
      return this.#withParameters(query, codec);
    }

    const reader = this.#reader(db);
    let query: Select;
    if (reader.relations.length === 0) {
      query = this.#filtered(kysely.selectFrom(table).select(reader.codec.columns), codec);
    } else {
      // The filters run in a subquery over the model's table alone, so unqualified columns in a
      // `where` callback (`id`, shared by every table) stay unambiguous next to the joined tables.
      const filtered = this.#filtered(kysely.selectFrom(table).selectAll(), codec).as(table);
      query = kysely.selectFrom(filtered).select(reader.codec.columns.map((c) => `${table}.${c}`));
      for (const relation of reader.relations) {
        const field = this.model.meta.field(relation.name)!;
        const alias = `${table}__${relation.name}`;
        query = query
          .leftJoin(`${(field.related as Model).meta.table} as ${alias}`, `${alias}.id`, `${table}.${field.column}`)
          .select(relation.codec.columns.map((c) => `${alias}.${c} as ${relation.name}__${c}`));
      }
    }
    if (execution === 'get') return this.#withParameters(query.where(`${table}.id`, '=', PK_PARAMETER), codec);
    query = this.#ordered(query, this.#state.related.length > 0);
    if (execution === 'first') {
      if (this.#orderTerms().length === 0) query = query.orderBy(`${table}.id`);
      query = query.limit(1);
      if (offset !== undefined) query = query.offset(offset);
      return this.#withParameters(query, codec);
    }
    return this.#withParameters(this.#slice(query, codec), codec);
  }

  /** Applies the filters, with a Slot for each value `#values` will supply (numbered in the same order). */
  #filtered(query: Select, codec: RowCodec): Select {
    let next = 0;
    const expression = (eb: ExpressionBuilder<AnyDB, string>, condition: Condition): Expression<SqlBool> => {
      if (condition.kind === 'compare') {
        const { field, op, value } = condition;
        const operand = !slotted(value)
          ? encodeOperand(codec, field, value)
          : Array.isArray(value)
            ? value.map(() => new Slot(next++))
            : new Slot(next++);
        return eb(field.column, op, operand);
      }
      if (condition.kind === 'not') return eb.not(expression(eb, condition.child));
      const parts = condition.children.map((child) => expression(eb, child));
      return condition.kind === 'and' ? eb.and(parts) : eb.or(parts);
    };
    for (const where of this.#state.wheres) {
      query =
        'callback' in where
          ? query.where(where.callback as (eb: ExpressionBuilder<AnyDB, string>) => Expression<SqlBool>)
          : query.where((eb) => expression(eb, where.condition));
    }
    return query;
  }

  #orderTerms(): readonly OrderTerm[] {
    return this.#state.ordering ?? this.model.meta.ordering;
  }

  #ordered(query: Select, qualify: boolean): Select {
    for (const [column, direction] of this.#orderTerms()) {
      query = query.orderBy(qualify ? `${this.model.meta.table}.${column}` : column, direction);
    }
    return query;
  }

  #slice(query: Select, codec: RowCodec): Select {
    const { limit, offset } = this.#state;
    if (limit !== undefined || offset !== undefined) query = query.limit(limit ?? codec.adapter.unlimited);
    if (offset !== undefined) query = query.offset(offset);
    return query;
  }

  /** Parameters written in `where` callbacks are plain JavaScript values; the dialect may need them converted. */
  #withParameters(query: Select, codec: RowCodec): Select {
    const plugin = codec.adapter.parameterPlugin;
    return plugin && this.#state.wheres.some((w) => 'callback' in w) ? query.withPlugin(plugin) : query;
  }

  /** The rows, synchronously when the database answers synchronously (SQLite's fast path). */
  #rows(db: Database, execution: 'all' | 'first' | 'get', pk?: number): MaybePromise<Row<F>[]> {
    const reader = this.#reader(db);
    const fetched = db.selectValues(this.#compile(db, execution, pk), reader.keys);
    return fetched instanceof Promise ? fetched.then((values) => reader.read<Row<F>>(values)) : reader.read<Row<F>>(fetched);
  }

  #reader(db: Database): RowReader {
    const codec = codecFor(this.model.meta, db);
    let byRelations = readers.get(codec);
    if (byRelations === undefined) readers.set(codec, (byRelations = new Map()));
    const { related, only, readerKey } = this.#state;
    let reader = byRelations.get(readerKey);
    if (reader === undefined) {
      const relations = related.map((name) => {
        const field = this.model.meta.field(name)!;
        const relatedCodec = codecFor((field.related as Model).meta, db);
        const columns = only?.related.get(name);
        return { name, codec: columns === undefined ? relatedCodec : narrowed(relatedCodec, (field.related as Model).meta.name, columns) };
      });
      const own = only === undefined ? codec : narrowed(codec, this.model.meta.name, [...only.columns, ...related.map((name) => this.model.meta.field(name)!.column)]);
      byRelations.set(readerKey, (reader = new RowReader(own, relations)));
    }
    return reader;
  }
}

/** `codec` reading the primary key and `columns` only; other columns of its rows refuse to be read. */
function narrowed(codec: RowCodec, model: string, columns: readonly string[]): RowCodec {
  return codec.only(new Set(['id', ...columns]), (column) =>
    new TypeError(`${model}.${column} was not loaded: the queryset's only() leaves it out. Add it to only(), or drop only().`),
  );
}

function collectValues(codec: RowCodec, condition: Condition, values: unknown[]): void {
  if (condition.kind === 'compare') {
    if (!slotted(condition.value)) return;
    const operand = encodeOperand(codec, condition.field, condition.value);
    if (Array.isArray(operand)) values.push(...operand);
    else values.push(operand);
  } else if (condition.kind === 'not') collectValues(codec, condition.child, values);
  else for (const child of condition.children) collectValues(codec, child, values);
}

/**
 * Whether a comparison's value becomes a placeholder. Null and booleans do not: Kysely writes them into
 * the SQL for `is`/`is not`, so they are part of the shape. Nor does an SQL expression.
 */
function slotted(value: unknown): boolean {
  return value !== null && typeof value !== 'boolean' && !isExpression(value);
}

function isExpression(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'toOperationNode' in value;
}

function shapeOf(condition: Condition): string | null {
  switch (condition.kind) {
    case 'compare': {
      const { field, op, value } = condition;
      if (isExpression(value) || typeof op !== 'string') return null;
      if (!slotted(value)) return `${field.column} ${op} ${String(value)}`;
      return Array.isArray(value) ? `${field.column} ${op} [${value.length}]` : comparisonShape(field, op);
    }
    case 'not': {
      const inner = shapeOf(condition.child);
      if (inner === null) return null;
      const node = interned.root().child('not').child(inner);
      return node.value ?? interned.store(node, `not(${inner})`);
    }
    default: {
      let node = interned.root().child(condition.kind);
      for (const child of condition.children) {
        const part = shapeOf(child);
        if (part === null) return null;
        node = node.child(part);
      }
      return node.value ?? interned.store(node, `${condition.kind}(${condition.children.map(shapeOf).join(',')})`);
    }
  }
}

/**
 * The shapes of `and`/`or`/`not` conditions, interned: a filter added per request gets the same string
 * object each time, which the shared cache finds by the hash it holds.
 */
const interned = new BoundedShapeTrie<string>(10_000);

/** `<column> <op> ?`, made once per field and operator: a per-request filter rebuilds its shape. */
const comparisonShapes = new WeakMap<ModelField, Map<string, string>>();

function comparisonShape(field: ModelField, op: string): string {
  let byOp = comparisonShapes.get(field);
  if (byOp === undefined) comparisonShapes.set(field, (byOp = new Map()));
  let shape = byOp.get(op);
  if (shape === undefined) byOp.set(op, (shape = `${field.column} ${op} ?`));
  return shape;
}

/**
 * A `(column, op, value)` operand in stored form; lists (for `in`) element by element. A foreign key
 * compares with a related row by its primary key, as Django's `filter(creator=user)`.
 */
function encodeOperand(codec: RowCodec, field: ModelField, value: unknown): unknown {
  return Array.isArray(value) ? value.map((v) => encodeValue(codec, field, v)) : encodeValue(codec, field, value);
}

function encodeValue(codec: RowCodec, field: ModelField, value: unknown): unknown {
  return field.related !== undefined && value !== null && typeof value === 'object' ? (value as { id?: unknown }).id : codec.encode(field.column, value);
}
