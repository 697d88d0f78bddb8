/**
 * Model field definitions: what `fields.char({ maxLength: 200 })` and friends return. A definition is
 * plain configuration plus a compile-time value type; `defineModel` turns each one into a `ModelField`
 * (name, column, label, ...) that the query layer and ModelSerializer read. Field options follow
 * Django's: `null` allows NULL in the column, `blank` allows an empty value in validation.
 */

/** Where a value type lives only at compile time, so rows can be typed without runtime cost. */
declare const valueType: unique symbol;

export type FieldKind =
  | 'integer'
  | 'bigInteger'
  | 'float'
  | 'boolean'
  | 'char'
  | 'text'
  | 'email'
  | 'dateTime'
  | 'foreignKey';

export type OnDelete = 'cascade' | 'restrict' | 'setNull';

export interface ModelFieldOptions<T> {
  /** A value, or a function called for each new row. */
  default?: T | (() => T);
  null?: boolean;
  blank?: boolean;
  unique?: boolean;
  verboseName?: string;
  helpText?: string;
  dbIndex?: boolean;
}

export interface CharOptions extends ModelFieldOptions<string> {
  maxLength: number;
  choices?: readonly string[];
}

export interface EmailOptions extends ModelFieldOptions<string> {
  /** Django's EmailField default: 254. */
  maxLength?: number;
}

export interface DateTimeOptions extends ModelFieldOptions<Date> {
  /** Set to the current time on create; the field is then not editable (read-only in serializers). */
  autoNowAdd?: boolean;
}

export interface ForeignKeyOptions extends ModelFieldOptions<number> {
  onDelete: OnDelete;
  /** The name of the reverse accessor on the related model (Django's `related_name`); informational. */
  relatedName?: string;
}

/** Everything a definition may carry, as `ModelField.options` exposes it. */
export interface AnyFieldOptions extends ModelFieldOptions<unknown> {
  maxLength?: number;
  choices?: readonly string[];
  autoNowAdd?: boolean;
  onDelete?: OnDelete;
  relatedName?: string;
}

export interface FieldDefinition<T = unknown> {
  readonly kind: FieldKind;
  readonly options: Readonly<AnyFieldOptions>;
  readonly [valueType]?: T;
}

/** What a foreign key needs from the model it points at; covariant in F, so any model fits. */
export interface ModelLike<F extends FieldMap = FieldMap> {
  readonly meta: { readonly table: string; readonly name: string };
  /** The definitions the model was declared with. */
  readonly definitions: F;
}

export interface ForeignKeyDefinition<M extends ModelLike = ModelLike, T = unknown>
  extends FieldDefinition<T> {
  readonly kind: 'foreignKey';
  /** A thunk, so models may refer to models defined later in the module. */
  readonly target: () => M;
}

export type FieldMap = { readonly [name: string]: FieldDefinition };

type Nullable<T, O> = O extends { null: true } ? T | null : T;

function define<T>(kind: FieldKind, options: AnyFieldOptions = {}): FieldDefinition<T> {
  return { kind, options };
}

/** 32-bit signed integer (Django's IntegerField; the range PostgreSQL enforces). */
export function integer<const O extends ModelFieldOptions<number>>(options?: O): FieldDefinition<Nullable<number, O>> {
  return define('integer', options);
}

/** 64-bit signed integer. Values beyond 2**53 lose precision as JavaScript numbers. */
export function bigInteger<const O extends ModelFieldOptions<number>>(options?: O): FieldDefinition<Nullable<number, O>> {
  return define('bigInteger', options);
}

export function float<const O extends ModelFieldOptions<number>>(options?: O): FieldDefinition<Nullable<number, O>> {
  return define('float', options);
}

export function boolean<const O extends ModelFieldOptions<boolean>>(options?: O): FieldDefinition<Nullable<boolean, O>> {
  return define('boolean', options);
}

export function char<const O extends CharOptions>(options: O): FieldDefinition<Nullable<string, O>> {
  return define('char', options);
}

export function text<const O extends ModelFieldOptions<string>>(options?: O): FieldDefinition<Nullable<string, O>> {
  return define('text', options);
}

export function email<const O extends EmailOptions>(options?: O): FieldDefinition<Nullable<string, O>> {
  return define('email', { maxLength: 254, ...options });
}

export function dateTime<const O extends DateTimeOptions>(options?: O): FieldDefinition<Nullable<Date, O>> {
  return define('dateTime', options);
}

/** A many-to-one relation, stored in the column `<name>_id` (Django's attname). */
export function foreignKey<M extends ModelLike, const O extends ForeignKeyOptions>(
  target: () => M,
  options: O,
): ForeignKeyDefinition<M, Nullable<number, O>> {
  return { kind: 'foreignKey', options, target };
}

export type ValueOf<D> = D extends FieldDefinition<infer T> ? T : never;
