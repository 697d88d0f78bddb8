/**
 * DRF's PrimaryKeyRelatedField: a foreign key written and shown as the related row's primary key.
 * Validation looks the key up (through `context.db`) in the field's queryset, so a queryset that
 * filters (e.g. to the user's own rows) also limits what may be referenced.
 */
import type { Database } from '../db/database.ts';
import { ImproperlyConfigured } from '../exceptions.ts';
import { Field, fail, type FieldOptions, type JsonSchema, type ValidationContext } from './field.ts';
import { pyInt, pyStr, pyTypeName } from './python.ts';

/** What the field needs of a queryset: a lookup by primary key (a model's `objects`, filtered or not). */
export interface PkLookup {
  get(db: Database, pk: unknown): Promise<object | undefined>;
}

export interface PrimaryKeyRelatedFieldOptions extends FieldOptions<object> {
  /** Where valid keys are looked up; required unless `model` is given or the field is read-only. */
  queryset?: PkLookup;
  /** Shorthand for `queryset: model.objects`. */
  model?: { readonly objects: PkLookup };
}

/**
 * Validates to the related row. Raises `Incorrect type. Expected pk value, received {type}.` for
 * input that is not an integer (booleans, fractional strings, objects), and
 * `Invalid pk "{pk}" - object does not exist.` when no row in the queryset has it.
 */
export class PrimaryKeyRelatedField extends Field<object> {
  readonly type: string = 'field';
  readonly queryset: PkLookup | undefined;

  constructor(options: PrimaryKeyRelatedFieldOptions = {}) {
    super(options);
    this.queryset = options.queryset ?? options.model?.objects;
    if (this.queryset === undefined && !this.readOnly) {
      throw new ImproperlyConfigured('PrimaryKeyRelatedField needs a `queryset` (or `model`) unless `readOnly: true`.');
    }
    if (this.queryset !== undefined && this.readOnly) {
      throw new ImproperlyConfigured('PrimaryKeyRelatedField: give a `queryset` or set `readOnly: true`, not both.');
    }
  }

  async toInternalValue(data: unknown, context: ValidationContext): Promise<object> {
    const pk = toPk(data);
    if (pk === undefined) fail(`Incorrect type. Expected pk value, received ${pyTypeName(data)}.`, 'incorrect_type');
    const db = context.context.db;
    if (db === undefined) throw new ImproperlyConfigured('PrimaryKeyRelatedField needs the database as `context.db`.');
    const row = pk === null ? undefined : await this.queryset!.get(db, pk);
    if (row === undefined) fail(`Invalid pk "${pyStr(data)}" - object does not exist.`, 'does_not_exist');
    return row;
  }

  /** The key, read as `<name>_id` when the instance has it, so the related row need not be loaded. */
  override getAttribute(instance: unknown): unknown {
    const attrs = this.sourceAttrs;
    let parent = instance;
    for (let i = 0; i < attrs.length - 1; i++) {
      if (parent === null || parent === undefined) return null;
      parent = (parent as Record<string, unknown>)[attrs[i]!];
    }
    if (parent === null || parent === undefined) return null;
    const last = attrs[attrs.length - 1]!;
    const id = (parent as Record<string, unknown>)[`${last}_id`];
    if (id !== undefined) return id;
    const related = super.getAttribute(instance);
    return related !== null && typeof related === 'object' ? ((related as { id?: unknown }).id ?? null) : related;
  }

  toRepresentation(value: unknown): unknown {
    return value;
  }

  protected override schemaType(): JsonSchema {
    return { type: 'integer' };
  }
}

/**
 * The key Django's `int(value)` would look up: a number truncated, an integer string; null for an
 * integer too large to exist; undefined where `int()` raises (DRF's "incorrect type").
 */
function toPk(data: unknown): number | null | undefined {
  if (typeof data === 'number') return Number.isFinite(data) ? Math.trunc(data) : undefined;
  if (typeof data !== 'string') return undefined;
  const parsed = pyInt(data);
  if (parsed === undefined) return undefined;
  const pk = Number(parsed);
  return Number.isSafeInteger(pk) ? pk : null;
}
