/**
 * Converts a model's rows between JavaScript values and what one dialect stores, with the column list
 * and converters worked out once per model and dialect rather than on every query.
 */
import type { Database, Dialect } from '../db/database.ts';
import { adapterFor, type Convert, type DialectAdapter } from './dialect.ts';
import type { ModelField } from './model-field.ts';
import { recordBuilder, type ExtraProperty, type RecordBuilder } from '../util/record-builder.ts';

export interface ModelShape {
  readonly fields: readonly ModelField[];
}

export class RowCodec {
  readonly adapter: DialectAdapter;
  /** Every column read, `id` first, in declaration order. */
  readonly columns: readonly string[];
  readonly #fields: readonly ModelField[];
  /** What rows are made from: null for plain objects, or an object whose getters refuse left-out columns. */
  readonly #prototype: object | null;
  /** Each column's decoder, by position in `columns`; undefined where the stored value is the value. */
  readonly #decoderAt: readonly (Convert | undefined)[];
  readonly #encoders: ReadonlyMap<string, Convert>;
  /** Plain rows (no prototype) in one allocation of their final shape. */
  readonly #build: RecordBuilder | null;

  constructor(shape: ModelShape, adapter: DialectAdapter, prototype: object | null = null) {
    this.adapter = adapter;
    this.#fields = shape.fields;
    this.#prototype = prototype;
    this.columns = shape.fields.map((f) => f.column);
    this.#decoderAt = shape.fields.map((f) => adapter.decoder(f.kind));
    const encoders = new Map<string, Convert>();
    for (const field of shape.fields) {
      const encode = adapter.encoder(field.kind);
      if (encode) encoders.set(field.column, encode);
    }
    this.#encoders = encoders;
    this.#build = prototype === null ? recordBuilder(this.columns, this.#decoderAt) : null;
  }

  /** The row whose columns are `values[offset]`, `values[offset + 1]`, ... in the order of `columns`, decoded. */
  fromValues<R>(values: readonly unknown[], offset: number): R {
    if (this.#build !== null) return this.#build(values, offset) as R;
    const row: Record<string, unknown> = Object.create(this.#prototype);
    const { columns } = this;
    const decoders = this.#decoderAt;
    for (let i = 0; i < columns.length; i++) {
      const value = values[offset + i];
      const decode = decoders[i];
      row[columns[i]!] = decode === undefined ? value : decode(value);
    }
    return row as R;
  }

  /**
   * Builds this codec's rows with `extras` after the columns (a queryset's selected relations), in one
   * object literal; null for rows with a prototype (`only()`), which are filled key by key.
   */
  builderWith(extras: readonly ExtraProperty[]): RecordBuilder | null {
    if (extras.length === 0 || this.#build === null) return this.#build;
    return recordBuilder(this.columns, this.#decoderAt, extras);
  }

  /**
   * The codec of the rows a query reading only `columns` returns (QuerySet.only): reading any other
   * column of them throws `refusal(column)`, so a left-out field is never mistaken for an empty one;
   * assigning one makes it an ordinary property.
   */
  only(columns: ReadonlySet<string>, refusal: (column: string) => Error): RowCodec {
    const prototype = {};
    for (const field of this.#fields) {
      if (columns.has(field.column)) continue;
      Object.defineProperty(prototype, field.column, {
        get() {
          throw refusal(field.column);
        },
        set(this: object, value: unknown) {
          Object.defineProperty(this, field.column, { value, writable: true, enumerable: true, configurable: true });
        },
      });
    }
    return new RowCodec({ fields: this.#fields.filter((f) => columns.has(f.column)) }, this.adapter, prototype);
  }

  /** Converts a fetched row in place and returns it. */
  decode<R>(row: Record<string, unknown>): R {
    const { columns } = this;
    const decoders = this.#decoderAt;
    for (let i = 0; i < columns.length; i++) {
      const decode = decoders[i];
      if (decode !== undefined) row[columns[i]!] = decode(row[columns[i]!]);
    }
    return row as R;
  }

  /** Converts one value for `column` to its stored form. */
  encode(column: string, value: unknown): unknown {
    const convert = this.#encoders.get(column);
    return convert ? convert(value) : value;
  }
}

const codecs = new WeakMap<ModelShape, Map<Dialect, RowCodec>>();

export function codecFor(shape: ModelShape, db: Database): RowCodec {
  let byDialect = codecs.get(shape);
  if (byDialect === undefined) {
    byDialect = new Map();
    codecs.set(shape, byDialect);
  }
  let codec = byDialect.get(db.dialect);
  if (codec === undefined) {
    codec = new RowCodec(shape, adapterFor(db));
    byDialect.set(db.dialect, codec);
  }
  return codec;
}
