/**
 * DRF's ModelSerializer: serializer fields derived from a model's fields (as DRF's
 * `build_standard_field` / `get_field_kwargs` derive them), saving through the model.
 *
 * `meta.fields` lists the fields (or `'__all__'`); declared fields override derived ones. The field
 * map is built and checked once per class, on first use: a name that is neither declared nor a model
 * field, or a declared field left out of `meta.fields`, throws ImproperlyConfigured naming both.
 */
import { ImproperlyConfigured, NotFound } from '../exceptions.ts';
import type { FieldMap, Model, ModelField, Values } from '../models/index.ts';
import { updateNow } from '../models/model.ts';
import type { MaybePromise } from '../util/types.ts';
import type { Field, FieldOptions } from './field.ts';
import {
  BooleanField,
  CharField,
  ChoiceField,
  DateTimeField,
  EmailField,
  FloatField,
  IntegerField,
  type CharFieldOptions,
  type NumberFieldOptions,
} from './fields.ts';
import { PrimaryKeyRelatedField } from './relations.ts';
import { Serializer, type Attrs } from './serializer.ts';
import { uniqueValidator } from './validators.ts';

export interface ModelSerializerMeta {
  readonly model: Model<FieldMap>;
  /** Field names in representation order, or `'__all__'` (`id`, declared fields, model fields, then foreign keys). */
  readonly fields: readonly string[] | '__all__';
  /** Model fields to make read-only (declared fields are left as declared). */
  readonly readOnlyFields?: readonly string[];
}

export class ModelSerializer<I extends object = Record<string, unknown>> extends Serializer<I> {
  static meta: ModelSerializerMeta | undefined = undefined;

  static override buildFields(): Record<string, Field> {
    const meta = this.meta;
    if (meta?.model === undefined) throw new ImproperlyConfigured(`Class ${this.name} missing "meta.model" attribute.`);
    const { model } = meta;
    const declared = this.declaredFields;
    if (meta.fields !== '__all__' && !Array.isArray(meta.fields)) {
      throw new ImproperlyConfigured(
        `The \`fields\` option of ${this.name} must be a list or "__all__". Got ${typeof meta.fields}.`,
      );
    }
    const names = meta.fields === '__all__' ? allFieldNames(model, declared) : meta.fields;
    for (const name of Object.keys(declared)) {
      if (!names.includes(name)) {
        throw new ImproperlyConfigured(
          `The field '${name}' was declared on serializer ${this.name}, but has not been included in the 'fields' option.`,
        );
      }
    }
    const readOnly = new Set(meta.readOnlyFields ?? []);
    const fields: Record<string, Field> = {};
    for (const name of names) {
      const field = declared[name];
      if (field !== undefined) {
        fields[name] = field;
        continue;
      }
      const modelField = model.meta.field(name);
      if (modelField === undefined || modelField.name !== name) {
        throw new ImproperlyConfigured(
          `Field name \`${name}\` is not valid for model \`${model.meta.name}\` in \`${this.name}\`.`,
        );
      }
      fields[name] = buildField(model, modelField, readOnly.has(name));
    }
    return fields;
  }

  protected override async create(attrs: Attrs): Promise<I> {
    return (await this.#model().create(this.#db(), attrs as Values<FieldMap>)) as unknown as I;
  }

  /**
   * Writes the validated fields. Related rows loaded on the instance (e.g. by selectRelated) carry
   * over while their key is unchanged, so the representation can still read through them.
   */
  protected override update(instance: I, attrs: Attrs): MaybePromise<I> {
    const before = instance as Record<string, unknown>;
    const row = this.#model()[updateNow](this.#db(), before.id, attrs as Values<FieldMap>);
    return row instanceof Promise ? row.then((done) => this.#updated(before, done)) : this.#updated(before, row);
  }

  #updated(before: Record<string, unknown>, row: Record<string, unknown> | undefined): I {
    if (row === undefined) throw new NotFound();
    for (const field of this.#model().meta.fields) {
      if (field.related === undefined || field.name in row || before[field.name] === undefined) continue;
      if (before[field.column] === row[field.column]) row[field.name] = before[field.name];
    }
    return row as unknown as I;
  }

  #model(): Model<FieldMap> {
    return (this.constructor as typeof ModelSerializer).meta!.model;
  }

  #db() {
    const db = this.context.db;
    if (db === undefined) throw new ImproperlyConfigured(`${this.constructor.name}.save() needs the database as \`context.db\`.`);
    return db;
  }
}

/** DRF's default field list: the primary key, declared fields, plain model fields, then foreign keys. */
function allFieldNames(model: Model<FieldMap>, declared: Readonly<Record<string, Field>>): string[] {
  const fields = model.meta.fields;
  const names = [
    'id',
    ...Object.keys(declared),
    ...fields.filter((f) => !f.primaryKey && f.related === undefined).map((f) => f.name),
    ...fields.filter((f) => f.related !== undefined).map((f) => f.name),
  ];
  return [...new Set(names)];
}

/**
 * DRF's mapping from a model field to a serializer field. Constraints (lengths, ranges, uniqueness,
 * required) are dropped for read-only fields, as DRF drops them for `read_only_fields`.
 */
function buildField(model: Model<FieldMap>, field: ModelField, forceReadOnly: boolean): Field {
  if (!field.editable) {
    const options = { readOnly: true, label: field.label, helpText: field.helpText };
    return field.kind === 'dateTime' ? new DateTimeField(options) : new IntegerField(options);
  }
  const readOnly = forceReadOnly;
  // `never` as the default's type: derived fields never carry one, so the options suit every field type.
  const base: FieldOptions<never> = { label: field.label };
  if (field.helpText) base.helpText = field.helpText;
  if (field.null) base.allowNull = true;
  if (readOnly) base.readOnly = true;
  else {
    if (field.hasDefault || field.blank || field.null) base.required = false;
    if (field.unique) {
      base.validators = [
        field.related === undefined
          ? uniqueValidator(model, field.name, field.uniqueMessage)
          : uniqueValidator(model, field.name),
      ];
    }
  }
  const allowBlank = !readOnly && field.blank && (field.kind === 'char' || field.kind === 'text' || field.kind === 'email');
  if (field.choices !== undefined) return new ChoiceField({ ...base, choices: field.choices, allowBlank });
  switch (field.kind) {
    case 'integer':
    case 'bigInteger': {
      const options: NumberFieldOptions = { ...base };
      if (!readOnly) {
        options.minValue = field.minValue;
        options.maxValue = field.maxValue;
      }
      return new IntegerField(options);
    }
    case 'float':
      return new FloatField(base);
    case 'boolean':
      return new BooleanField(base);
    case 'dateTime':
      return new DateTimeField(base);
    case 'foreignKey':
      return new PrimaryKeyRelatedField(readOnly ? base : { ...base, model: field.related as Model<FieldMap> });
    case 'char':
    case 'text':
    case 'email': {
      const options: CharFieldOptions = { ...base, allowBlank };
      if (!readOnly && field.maxLength !== undefined) options.maxLength = field.maxLength;
      return field.kind === 'email' ? new EmailField(options) : new CharField(options);
    }
  }
}
