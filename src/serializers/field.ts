/**
 * The serializer field contract, DRF's `fields.Field`: reading a value out of the input (`getValue`),
 * turning it into a validated internal value (`runValidation`, raising ValidationError with DRF's
 * messages), reading it back off an instance (`getAttribute`) and representing it (`toRepresentation`).
 *
 * A field is declared once and shared by every request, so it holds configuration only; what varies
 * per validation (partial update, form input, the instance, the database) arrives as a
 * `ValidationContext`. A serializer binds a copy of each declared field to its name once per class
 * (so fields avoid `#private` members, which a copy would not carry).
 */
import type { Database } from '../db/database.ts';
import type { ErrorDetail } from '../exceptions.ts';
import { ImproperlyConfigured, ValidationError } from '../exceptions.ts';
import type { Request } from '../request.ts';

/** DRF's `empty`: no value was given (distinct from null). */
export const empty: unique symbol = Symbol('empty');
/** DRF's `SkipField`: leave the field out of the validated data or the representation. */
export const SKIP: unique symbol = Symbol('skip');

import type { MaybePromise } from '../util/types.ts';

export type { MaybePromise };

/** What a serializer is given for a request: the database its fields and `save()` use, and the request. */
export interface SerializerContext {
  db?: Database;
  request?: Request;
  [key: string]: unknown;
}

/** What one validation run tells every field. */
export interface ValidationContext {
  /** A partial update: absent fields are skipped, not required or defaulted. */
  readonly partial: boolean;
  /** The input is an HTML form (DRF's `html.is_html_input`): strings only, no null, no false. */
  readonly formData: boolean;
  /** The instance being updated, or undefined when creating. */
  readonly instance: unknown;
  readonly context: SerializerContext;
}

/** Raises ValidationError (a message or messages) to reject a value. May be async (e.g. a database lookup). */
export type Validator = (value: unknown, context: ValidationContext) => MaybePromise<void>;

export interface FieldOptions<T = unknown> {
  readOnly?: boolean;
  writeOnly?: boolean;
  /** Defaults to true unless the field is read-only or has a default. */
  required?: boolean;
  /** Used when the input leaves the field out (not on partial updates). A function is called each time. */
  default?: T | (() => T);
  allowNull?: boolean;
  /** The attribute (dotted path, e.g. `creator.username`) to read from instances and write validated data to. */
  source?: string;
  label?: string;
  helpText?: string;
  validators?: readonly Validator[];
}

/** One field's entry in DRF SimpleMetadata's OPTIONS `actions`. */
export interface FieldInfo {
  type: string;
  required: boolean;
  read_only: boolean;
  label: string;
  help_text?: string;
  min_length?: number;
  max_length?: number;
  min_value?: number;
  max_value?: number;
  choices?: { value: unknown; display_name: string }[];
}

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export interface JsonSchema {
  type?: string | string[];
  [keyword: string]: unknown;
}

const REQUIRED = 'This field is required.';
const NULL = 'This field may not be null.';

/** Rejects with DRF's message; `code` is DRF's error code. */
export function fail(message: string, code = 'invalid'): never {
  throw new ValidationError(message, code);
}

export abstract class Field<T = unknown> {
  readonly readOnly: boolean;
  readonly writeOnly: boolean;
  readonly required: boolean;
  readonly default: T | (() => T) | typeof empty;
  readonly allowNull: boolean;
  readonly source: string | undefined;
  readonly helpText: string | undefined;
  /** The caller's validators, then the field's own (DRF's order). */
  readonly validators: readonly Validator[];
  /** Set by `bind`. */
  readonly fieldName: string = '';
  /** The label given, or (once bound) DRF's default: the name with `_` as spaces, capitalised. */
  readonly label: string;
  /** `source` split on dots; empty for `source: '*'` (the whole object). */
  readonly sourceAttrs: readonly string[] = [];
  /** SimpleMetadata's type name: `integer`, `string`, `choice`, ... */
  abstract readonly type: string;
  /** The value the browsable form starts with. */
  readonly initial: unknown = null;

  constructor(options: FieldOptions<T> = {}) {
    const readOnly = options.readOnly ?? false;
    const hasDefault = options.default !== undefined;
    const required = options.required ?? (!hasDefault && !readOnly);
    if (readOnly && options.writeOnly) throw new ImproperlyConfigured('May not set both `readOnly` and `writeOnly`.');
    if (readOnly && required) throw new ImproperlyConfigured('May not set both `readOnly` and `required`.');
    if (required && hasDefault) throw new ImproperlyConfigured('May not set both `required` and `default`.');
    this.readOnly = readOnly;
    this.writeOnly = options.writeOnly ?? false;
    this.required = required;
    this.default = hasDefault ? options.default! : empty;
    this.allowNull = options.allowNull ?? false;
    this.source = options.source;
    this.label = options.label ?? '';
    this.helpText = options.helpText;
    this.validators = [...(options.validators ?? [])];
  }

  /** For subclass constructors: the field type's own validators run after the caller's, as in DRF. */
  protected addValidators(...validators: Validator[]): void {
    (this.validators as Validator[]).push(...validators);
  }

  /** A copy of this field bound to `name`: the source and label default from it. */
  bind(name: string): this {
    const bound = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(bound, this);
    const source = this.source ?? name;
    Object.assign(bound, {
      fieldName: name,
      label: this.label || capitalize(name.replaceAll('_', ' ')),
      sourceAttrs: source === '*' ? [] : source.split('.'),
    });
    return bound;
  }

  /** The input value for this field, or `empty` when absent. Implements DRF's HTML-form rules. */
  getValue(data: Readonly<Record<string, unknown>>, context: ValidationContext): unknown {
    const name = this.fieldName;
    if (!context.formData) return Object.hasOwn(data, name) ? data[name] : empty;
    if (!Object.hasOwn(data, name)) return context.partial ? empty : this.defaultEmptyHtml;
    const given = data[name];
    // A repeated form key: the last value, as Django's QueryDict does.
    const value = Array.isArray(given) ? given[given.length - 1] : given;
    if (value === '') {
      const allowBlank = (this as { allowBlank?: boolean }).allowBlank === true;
      if (this.allowNull) return allowBlank ? '' : null;
      if (!this.required) return allowBlank ? '' : empty;
    }
    return value;
  }

  /** What an HTML form's absent field means: nothing, except for checkboxes (BooleanField). */
  protected get defaultEmptyHtml(): unknown {
    return empty;
  }

  /**
   * DRF's `run_validation`: the validated internal value, SKIP to leave the field out, or a
   * ValidationError. A promise only when the field or a validator needs one.
   */
  runValidation(data: unknown, context: ValidationContext): MaybePromise<T | null | typeof SKIP> {
    if (this.readOnly) return this.getDefault(context);
    if (data === empty) {
      if (context.partial) return SKIP;
      if (this.required) fail(REQUIRED, 'required');
      return this.getDefault(context);
    }
    if (data === null) {
      if (!this.allowNull) fail(NULL, 'null');
      return null;
    }
    const value = this.toInternalValue(data, context);
    return value instanceof Promise
      ? value.then((v) => this.validated(v, context))
      : this.validated(value, context);
  }

  getDefault(context: ValidationContext): T | typeof SKIP {
    if (this.default === empty || context.partial) return SKIP;
    return typeof this.default === 'function' ? (this.default as () => T)() : this.default;
  }

  /** Converts a non-null input value, or raises the field's invalid message. */
  abstract toInternalValue(data: unknown, context: ValidationContext): MaybePromise<T>;

  abstract toRepresentation(value: unknown): unknown;

  private validated(value: T, context: ValidationContext): MaybePromise<T> {
    const validators = this.validators;
    let errors: ErrorDetail[] | undefined;
    for (let i = 0; i < validators.length; i++) {
      try {
        const result = validators[i]!(value, context);
        if (result instanceof Promise) return this.validatedAsync(value, context, i, result, errors);
      } catch (error) {
        errors = collect(error, errors);
      }
    }
    if (errors !== undefined) throw new ValidationError(errors as string[]);
    return value;
  }

  private async validatedAsync(
    value: T,
    context: ValidationContext,
    index: number,
    pending: Promise<void>,
    collected: ErrorDetail[] | undefined,
  ): Promise<T> {
    let errors = collected;
    try {
      await pending;
    } catch (error) {
      errors = collect(error, errors);
    }
    for (let i = index + 1; i < this.validators.length; i++) {
      try {
        await this.validators[i]!(value, context);
      } catch (error) {
        errors = collect(error, errors);
      }
    }
    if (errors !== undefined) throw new ValidationError(errors as string[]);
    return value;
  }

  /**
   * The value to represent, read along `sourceAttrs`; null when an intermediate object is null or
   * absent. A missing final attribute gives the default, null when nullable, SKIP when not required,
   * and is otherwise a programming error (the field names nothing on the instance).
   */
  getAttribute(instance: unknown): unknown {
    let value = instance;
    for (const attr of this.sourceAttrs) {
      if (value === null || value === undefined) return null;
      const next = (value as Record<string, unknown>)[attr];
      if (next === undefined) return this.missing(instance, attr);
      value = next;
    }
    return value;
  }

  private missing(instance: unknown, attr: string): unknown {
    if (this.default !== empty) {
      return typeof this.default === 'function' ? (this.default as () => T)() : this.default;
    }
    if (this.allowNull) return null;
    if (!this.required) return SKIP;
    throw new TypeError(
      `Got no value for field \`${this.fieldName}\`: the instance has no attribute or key "${attr}" ` +
        `(${instance === null || typeof instance !== 'object' ? typeof instance : instance.constructor.name}).`,
    );
  }

  /** SimpleMetadata's description of the field (the OPTIONS `actions` entry). */
  info(): FieldInfo {
    const info: FieldInfo = { type: this.type, required: this.required, read_only: this.readOnly, label: this.label };
    if (this.helpText) info.help_text = this.helpText;
    return info;
  }

  /** The field as JSON Schema, for OpenAPI. */
  jsonSchema(): JsonSchema {
    const schema: JsonSchema = { ...this.schemaType(), title: this.label };
    if (this.helpText) schema.description = this.helpText;
    if (this.allowNull) {
      if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
    }
    if (this.default !== empty && typeof this.default !== 'function') schema.default = this.toRepresentation(this.default);
    if (this.readOnly) schema.readOnly = true;
    if (this.writeOnly) schema.writeOnly = true;
    return schema;
  }

  /** The type keywords: `{ type: 'integer', minimum: ... }`. Any value by default. */
  protected schemaType(): JsonSchema {
    return {};
  }
}

function collect(error: unknown, errors: ErrorDetail[] | undefined): ErrorDetail[] {
  if (!(error instanceof ValidationError)) throw error;
  // A validator raising field errors (a dict) ends validation with them, as DRF does.
  if (!Array.isArray(error.detail) && typeof error.detail === 'object') throw error;
  const list = errors ?? [];
  if (Array.isArray(error.detail)) list.push(...error.detail);
  else list.push(error.detail);
  return list;
}

/** Python's `str.capitalize()`. */
function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).toLowerCase();
}
