/**
 * DRF's Serializer: validates input into `validatedData` (or `errors`, with DRF's bodies), saves it
 * through `create`/`update`, and represents instances as `data`.
 *
 * Fields are declared once per class (`static declaredFields`), bound and checked the first time the
 * class is used, and shared by every instance; an instance holds only its own request's data.
 *
 * Errors: a field's messages under its name; `validate(attrs)` errors, and input that is not an
 * object (`Invalid data. Expected a dictionary, but got list.`), under `non_field_errors`.
 */
import { ImproperlyConfigured, ValidationError, type ErrorDetail } from '../exceptions.ts';
import {
  SKIP,
  empty,
  type Field,
  type FieldInfo,
  type JsonSchema,
  type SerializerContext,
  type ValidationContext,
} from './field.ts';
import { pyTypeName } from './python.ts';
import { literalKey } from '../util/record-builder.ts';
import type { MaybePromise } from '../util/types.ts';

export const NON_FIELD_ERRORS = 'non_field_errors';

/** An instance's representation: field names to JSON values. */
export type Representation = Record<string, unknown>;
/** `data`: one representation, or a list of them for `many: true`. */
export type SerializedData = Representation | Representation[];
export type SerializerErrors = Record<string, ErrorDetail>;
/** Validated values, keyed by each field's source. */
export type Attrs = Record<string, unknown>;

export interface SerializerOptions<I extends object = Record<string, unknown>> {
  /** Input to validate: a parsed JSON body or form. */
  data?: unknown;
  /** The instance to update or represent; a list of them with `many: true`. */
  instance?: I | readonly I[] | null;
  /** PATCH: validate only the fields present. */
  partial?: boolean;
  /** `instance` is a list; `data` represents each item. */
  many?: boolean;
  context?: SerializerContext;
  /**
   * The input is an HTML form (strings only): an absent checkbox is false, an empty string is null
   * or "absent" for fields that allow it. Defaults to `context.request.isFormData`.
   */
  formData?: boolean;
}

/** A serializer class as views hold one: constructible, with its class-level metadata. */
export interface SerializerClass {
  new (options?: SerializerOptions): Serializer;
  fieldMap(): Readonly<Record<string, Field>>;
  fieldInfo(): Record<string, FieldInfo>;
  toJsonSchema(mode: 'read' | 'write'): JsonSchema;
}

interface BoundFields {
  readonly fields: Readonly<Record<string, Field>>;
  readonly all: readonly Field[];
  readonly writable: readonly Field[];
  readonly readable: readonly Field[];
  /** `toRepresentation` for this class's fields (see `representer`). */
  readonly represent: (instance: object) => Representation;
}

const boundFields = new WeakMap<typeof Serializer, BoundFields>();

function bindFields(serializer: typeof Serializer): BoundFields {
  let bound = boundFields.get(serializer);
  if (bound === undefined) {
    const fields: Record<string, Field> = {};
    for (const [name, field] of Object.entries(serializer.buildFields())) fields[name] = field.bind(name);
    const all = Object.values(fields);
    const readable = all.filter((f) => !f.writeOnly);
    bound = { fields, all, writable: all.filter((f) => !f.readOnly), readable, represent: representer(readable) };
    boundFields.set(serializer, bound);
  }
  return bound;
}

/**
 * An instance's representation, generated once per serializer class: each readable field's value in
 * order (`getAttribute`, then `toRepresentation` unless null), returned as one object literal.
 *
 * Why generated: a representation filled key by key changes its hidden class at every field, and the
 * one loop shared by every serializer of the process sees every field class, so V8 takes its slow,
 * generic path for each call and store. Here every field has its own call sites and the object is made
 * in its final shape. Field names are written as JSON string literals: they cannot break out of the code.
 */
function representer(readable: readonly Field[]): (instance: object) => Representation {
  const steps = readable.map(
    (_, i) =>
      `const a${i} = f${i}.getAttribute(instance);\n` +
      `const v${i} = a${i} === SKIP ? ((skipped = true), SKIP) : a${i} === null || a${i} === undefined ? null : f${i}.toRepresentation(a${i});`,
  );
  const values = readable.map((_, i) => `v${i}`).join(', ');
  const literal = readable.map((field, i) => `${literalKey(field.fieldName)}: v${i}`).join(', ');
  const code =
    `${readable.map((_, i) => `const f${i} = fields[${i}];`).join('\n')}\n` +
    `return (instance) => {\nlet skipped = false;\n${steps.join('\n')}\n` +
    `return skipped ? withoutSkipped(fields, [${values}]) : { ${literal} };\n};`;
  return new Function('fields', 'SKIP', 'withoutSkipped', code)(readable, SKIP, withoutSkipped) as (instance: object) => Representation;
}

/** The representation when a field is skipped (DRF's SkipField): the other fields, in order. */
function withoutSkipped(fields: readonly Field[], values: readonly unknown[]): Representation {
  const representation: Representation = {};
  for (let i = 0; i < fields.length; i++) if (values[i] !== SKIP) representation[fields[i]!.fieldName] = values[i];
  return representation;
}

function isMapping(data: unknown): data is Readonly<Record<string, unknown>> {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}

/** DRF's `set_value`: writes along a dotted source, creating nested objects; `source: '*'` merges. */
function setValue(target: Attrs, keys: readonly string[], value: unknown): void {
  if (keys.length === 0) {
    Object.assign(target, value);
    return;
  }
  let node = target;
  for (let i = 0; i < keys.length - 1; i++) node = (node[keys[i]!] ??= {}) as Attrs;
  node[keys[keys.length - 1]!] = value;
}

/** A field's ValidationError added to the errors (anything else propagates). */
function withFieldError(errors: SerializerErrors | undefined, field: Field, error: unknown): SerializerErrors {
  if (!(error instanceof ValidationError)) throw error;
  (errors ??= {})[field.fieldName] = error.detail;
  return errors;
}

/** What `validate` raised: a ValidationError as a serializer's error; anything else as it is. */
function objectError(error: unknown): unknown {
  return error instanceof ValidationError ? new ValidationError(asSerializerError(error.detail), error.code) : error;
}

/** DRF's `as_serializer_error`: field errors as lists, anything else under `non_field_errors`. */
function asSerializerError(detail: ErrorDetail): SerializerErrors {
  if (typeof detail === 'string') return { [NON_FIELD_ERRORS]: [detail] };
  if (Array.isArray(detail)) return { [NON_FIELD_ERRORS]: detail };
  const errors: SerializerErrors = {};
  for (const [key, value] of Object.entries(detail)) errors[key] = typeof value === 'string' ? [value] : value;
  return errors;
}

/**
 * The keys of `isValid` and `save` without the promise: synchronous when validation and the write are
 * (SQLite), for the generic views' per-request path. Not exported from the package: public methods
 * that return a promise only sometimes would be a trap (see QuerySet's `getNow`).
 */
export const validateNow: unique symbol = Symbol('Serializer.validateNow');
export const saveNow: unique symbol = Symbol('Serializer.saveNow');

export class Serializer<I extends object = Record<string, unknown>> {
  /** The fields, by name, in representation order. Subclasses spread a parent's to extend it. */
  static declaredFields: Readonly<Record<string, Field>> = {};

  /** The unbound field declarations; ModelSerializer derives them from its model. */
  static buildFields(): Record<string, Field> {
    return { ...this.declaredFields };
  }

  /** The class's fields bound to their names; built once, throwing ImproperlyConfigured for a bad declaration. */
  static fieldMap(): Readonly<Record<string, Field>> {
    return bindFields(this).fields;
  }

  /** The representation of each row. */
  static many<S extends Serializer<object>>(
    this: new (options: SerializerOptions<never>) => S,
    rows: readonly object[],
    options: Pick<SerializerOptions, 'context'> = {},
  ): Representation[] {
    return new this({ ...options, instance: rows as never, many: true }).data as Representation[];
  }

  /** DRF SimpleMetadata's field descriptions, for OPTIONS `actions`. */
  static fieldInfo(): Record<string, FieldInfo> {
    const info: Record<string, FieldInfo> = {};
    for (const field of bindFields(this).all) info[field.fieldName] = field.info();
    return info;
  }

  /**
   * A JSON Schema of the representation (`read`: every field not write-only, all present) or of
   * valid input (`write`: every field not read-only; `required` as validation requires).
   */
  static toJsonSchema(mode: 'read' | 'write'): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const field of bindFields(this).all) {
      if (mode === 'read' ? field.writeOnly : field.readOnly) continue;
      properties[field.fieldName] = field.jsonSchema();
      if (mode === 'read' || field.required) required.push(field.fieldName);
    }
    const schema: JsonSchema = { type: 'object', properties };
    if (required.length > 0) schema.required = required;
    return schema;
  }

  /** The instance given, then the one `save()` created or updated. */
  instance: I | readonly I[] | undefined;
  readonly initialData: unknown;
  readonly partial: boolean;
  readonly many: boolean;
  readonly context: SerializerContext;
  readonly formData: boolean;
  readonly #fields: BoundFields;
  readonly #hasData: boolean;
  #validatedData: Attrs | undefined;
  #errors: SerializerErrors | undefined;
  #data: SerializedData | undefined;

  constructor(options: SerializerOptions<I> = {}) {
    // new.target, not this.constructor: no property lookup on an instance of whichever class this is.
    this.#fields = bindFields(new.target as typeof Serializer);
    this.#hasData = options.data !== undefined;
    this.initialData = options.data;
    this.instance = options.instance ?? undefined;
    this.partial = options.partial ?? false;
    this.many = options.many ?? false;
    this.context = options.context ?? {};
    // Only input is form data or not: a serializer representing an instance does not look at the request.
    this.formData = options.formData ?? (this.#hasData && this.context.request?.isFormData === true);
  }

  /** This serializer's bound fields. */
  get fields(): Readonly<Record<string, Field>> {
    return this.#fields.fields;
  }

  fieldInfo(): Record<string, FieldInfo> {
    return (this.constructor as typeof Serializer).fieldInfo();
  }

  /**
   * Validates `data` once (later calls return the same verdict). With `raiseException`, invalid
   * data throws ValidationError(errors), which a view renders as a 400.
   */
  async isValid(options: { raiseException?: boolean } = {}): Promise<boolean> {
    return this[validateNow](options.raiseException === true);
  }

  /** `isValid`, without a promise when validation needs none. */
  [validateNow](raiseException: boolean): MaybePromise<boolean> {
    if (!this.#hasData) {
      throw new Error('Cannot call `.isValid()` as no `data` was passed when instantiating the serializer.');
    }
    if (this.many) throw new Error('A `many: true` serializer represents lists; validate items one at a time.');
    if (this.#errors !== undefined) return this.#verdict(raiseException);
    let validated;
    try {
      validated = this.runValidation(this.initialData);
    } catch (error) {
      return this.#invalid(error, raiseException);
    }
    if (validated instanceof Promise) {
      return validated.then(
        (attrs) => this.#valid(attrs, raiseException),
        (error: unknown) => this.#invalid(error, raiseException),
      );
    }
    return this.#valid(validated, raiseException);
  }

  #valid(attrs: Attrs, raiseException: boolean): boolean {
    this.#validatedData = attrs;
    this.#errors = {};
    return this.#verdict(raiseException);
  }

  /** Validation raised: a ValidationError is the verdict (its errors kept); anything else propagates. */
  #invalid(error: unknown, raiseException: boolean): boolean {
    if (!(error instanceof ValidationError)) throw error;
    this.#validatedData = {};
    this.#errors = asSerializerError(error.detail);
    return this.#verdict(raiseException);
  }

  #verdict(raiseException: boolean): boolean {
    const valid = Object.keys(this.#errors!).length === 0;
    if (!valid && raiseException) throw new ValidationError(this.#errors!);
    return valid;
  }

  get errors(): SerializerErrors {
    if (this.#errors === undefined) throw new Error('You must call `.isValid()` before accessing `.errors`.');
    return this.#errors;
  }

  get validatedData(): Attrs {
    if (this.#validatedData === undefined) {
      throw new Error('You must call `.isValid()` before accessing `.validatedData`.');
    }
    return this.#validatedData;
  }

  /**
   * The representation: of the instance (after `save()`, the saved one), else of the validated
   * data, else (invalid input) the input as the fields read it, for redisplaying a form.
   */
  get data(): SerializedData {
    if (this.#data !== undefined) return this.#data;
    if (this.#hasData && this.#errors === undefined) {
      throw new Error('When a serializer is given `data`, call `.isValid()` before accessing `.data`.');
    }
    const valid = this.#errors === undefined || Object.keys(this.#errors).length === 0;
    if (this.many) {
      this.#data = ((this.instance ?? []) as readonly I[]).map((item) => this.toRepresentation(item));
    } else if (this.instance !== undefined && valid) {
      this.#data = this.toRepresentation(this.instance as I);
    } else if (this.#validatedData !== undefined && valid) {
      this.#data = this.toRepresentation(this.#validatedData);
    } else {
      this.#data = this.#initial();
    }
    return this.#data;
  }

  /**
   * Creates (no instance) or updates the instance from the validated data plus `extra` (values the
   * view supplies, e.g. `{ creator: request.user }`), and returns it.
   */
  async save(extra: Attrs = {}): Promise<I> {
    return this[saveNow](extra);
  }

  /** `save`, without a promise when `create`/`update` answer without one. */
  [saveNow](extra: Attrs = {}): MaybePromise<I> {
    if (this.#errors === undefined) throw new Error('You must call `.isValid()` before calling `.save()`.');
    if (Object.keys(this.#errors).length > 0) throw new Error('You cannot call `.save()` on a serializer with invalid data.');
    if (this.#data !== undefined) {
      throw new Error('You cannot call `.save()` after accessing `.data`; read `.validatedData` instead.');
    }
    const attrs = { ...this.#validatedData, ...extra };
    const saved = this.instance === undefined ? this.create(attrs) : this.update(this.instance as I, attrs);
    return saved instanceof Promise ? saved.then((done) => (this.instance = done)) : (this.instance = saved);
  }

  /** Object-level validation, after every field validated: return the attrs, or raise ValidationError. */
  validate(attrs: Attrs): Attrs | Promise<Attrs> {
    return attrs;
  }

  protected create(_attrs: Attrs): MaybePromise<I> {
    throw new ImproperlyConfigured(`${this.constructor.name}.create() must be implemented to save new instances.`);
  }

  protected update(_instance: I, _attrs: Attrs): MaybePromise<I> {
    throw new ImproperlyConfigured(`${this.constructor.name}.update() must be implemented to save instances.`);
  }

  /** One instance as its representation. */
  toRepresentation(instance: object): Representation {
    return this.#fields.represent(instance);
  }

  /** The validation pipeline: fields, then `validate`. Synchronous unless a field or `validate` is not. */
  protected runValidation(data: unknown): MaybePromise<Attrs> {
    if (data === null) throw new ValidationError({ [NON_FIELD_ERRORS]: ['No data provided'] }, 'null');
    const attrs = this.toInternalValue(data);
    return attrs instanceof Promise ? attrs.then((done) => this.#validateObject(done)) : this.#validateObject(attrs);
  }

  /** `validate(attrs)`; its ValidationError is a serializer's error (a list goes under non_field_errors). */
  #validateObject(attrs: Attrs): MaybePromise<Attrs> {
    let validated;
    try {
      validated = this.validate(attrs);
    } catch (error) {
      throw objectError(error);
    }
    if (validated instanceof Promise) {
      return validated.then(
        (done) => this.#returned(done),
        (error: unknown) => {
          throw objectError(error);
        },
      );
    }
    return this.#returned(validated);
  }

  #returned(validated: Attrs | undefined): Attrs {
    if (validated === undefined) throw new Error(`${this.constructor.name}.validate() should return the validated data.`);
    return validated;
  }

  /** Runs every writable field; collects all field errors before raising. Synchronous unless a field is not. */
  protected toInternalValue(data: unknown): MaybePromise<Attrs> {
    if (!isMapping(data)) {
      throw new ValidationError({
        [NON_FIELD_ERRORS]: [`Invalid data. Expected a dictionary, but got ${pyTypeName(data)}.`],
      });
    }
    return this.#fieldsFrom(0, data, this.#validationContext(), {}, undefined);
  }

  /** The writable fields from `index` on, synchronously until one answers with a promise. */
  #fieldsFrom(
    index: number,
    data: Readonly<Record<string, unknown>>,
    context: ValidationContext,
    attrs: Attrs,
    errors: SerializerErrors | undefined,
  ): MaybePromise<Attrs> {
    const writable = this.#fields.writable;
    for (let i = index; i < writable.length; i++) {
      const field = writable[i]!;
      let value;
      try {
        value = field.runValidation(field.getValue(data, context), context);
      } catch (error) {
        errors = withFieldError(errors, field, error);
        continue;
      }
      if (value instanceof Promise) {
        return value.then(
          (done) => {
            if (done !== SKIP) setValue(attrs, field.sourceAttrs, done);
            return this.#fieldsFrom(i + 1, data, context, attrs, errors);
          },
          (error: unknown) => this.#fieldsFrom(i + 1, data, context, attrs, withFieldError(errors, field, error)),
        );
      }
      if (value !== SKIP) setValue(attrs, field.sourceAttrs, value);
    }
    if (errors !== undefined) throw new ValidationError(errors);
    return attrs;
  }

  #validationContext(): ValidationContext {
    return { partial: this.partial, formData: this.formData, instance: this.instance, context: this.context };
  }

  /** DRF's `get_initial`: the input as each writable field reads it, or each readable field's initial value. */
  #initial(): Representation {
    const initial: Representation = {};
    if (this.#hasData) {
      if (!isMapping(this.initialData)) return initial;
      const context = this.#validationContext();
      for (const field of this.#fields.writable) {
        const value = field.getValue(this.initialData, context);
        if (value !== empty) initial[field.fieldName] = value;
      }
      return initial;
    }
    for (const field of this.#fields.readable) initial[field.fieldName] = field.initial;
    return initial;
  }
}
