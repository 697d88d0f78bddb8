/**
 * The browsable API's HTML forms, built from a serializer's fields: one input per writable field
 * (read-only fields are left out), by field type (a checkbox for booleans, a select for choices, a
 * number, email or datetime-local input, a textarea for unbounded text, else a text input), marked
 * required as validation requires, and filled with the instance's values, the values just submitted
 * (with their errors, after a 400), or each field's initial value.
 *
 * What a field renders as is worked out once per field and kept; a request only fills in values.
 */
import {
  BooleanField,
  CharField,
  ChoiceField,
  DateTimeField,
  EmailField,
  FloatField,
  IntegerField,
  empty,
  type Field,
} from '../serializers/index.ts';

export type InputKind = 'text' | 'textarea' | 'email' | 'number' | 'checkbox' | 'select' | 'datetime-local';

/** One form field as templates receive it. Every string is plain text for `<%= %>`. */
export interface FormField {
  name: string;
  /** The input's id (unique in the page): `<form id>-<name>`. */
  id: string;
  label: string;
  helpText: string;
  input: InputKind;
  required: boolean;
  /** The value of text-like inputs and selects ('' for none). */
  value: string;
  /** Checkboxes: whether checked. */
  checked: boolean;
  /** Selects: the options, the current one selected; a blank option first when the field may be left empty. */
  options: { value: string; label: string; selected: boolean }[];
  maxLength: number | null;
  min: number | null;
  max: number | null;
  /** Number inputs: `1` for integers, `any` for floats; datetime inputs: `1` (seconds). */
  step: string | null;
  /** This field's errors from a 400 for this form. */
  errors: string[];
}

export interface HtmlForm {
  /** The form element's id: `post-form` or `put-form`. */
  id: string;
  /** The methods its submit buttons send, e.g. `['PUT', 'PATCH']`. */
  methods: string[];
  fields: FormField[];
  /** Errors not tied to a field (`non_field_errors`, `detail`). */
  errors: string[];
}

type Spec = Omit<FormField, 'id' | 'value' | 'checked' | 'options' | 'errors'> & { choices: readonly string[] | null; blank: boolean };

const specs = new WeakMap<Field, Spec>();

function specOf(field: Field): Spec {
  let spec = specs.get(field);
  if (spec !== undefined) return spec;
  spec = {
    name: field.fieldName,
    label: field.label,
    helpText: field.helpText ?? '',
    input: 'text',
    required: field.required,
    maxLength: null,
    min: null,
    max: null,
    step: null,
    choices: null,
    blank: false,
  };
  if (field instanceof BooleanField) {
    spec.input = 'checkbox';
    // An HTML form leaves an unchecked box out, which means false: never "required".
    spec.required = false;
  } else if (field instanceof ChoiceField) {
    spec.input = 'select';
    spec.choices = field.choices.map(String);
    spec.blank = !field.required || field.allowBlank || field.allowNull;
  } else if (field instanceof IntegerField || field instanceof FloatField) {
    spec.input = 'number';
    spec.step = field instanceof IntegerField ? '1' : 'any';
    if (field.minValue !== undefined) spec.min = Number(field.minValue);
    if (field.maxValue !== undefined) spec.max = Number(field.maxValue);
  } else if (field instanceof DateTimeField) {
    spec.input = 'datetime-local';
    spec.step = '1';
  } else if (field instanceof CharField) {
    spec.input = field instanceof EmailField ? 'email' : field.maxLength === undefined ? 'textarea' : 'text';
    spec.maxLength = field.maxLength ?? null;
  }
  specs.set(field, spec);
  return spec;
}

/** The writable fields of a serializer, in order. */
export function writableFields(fields: Readonly<Record<string, Field>>): Field[] {
  return Object.values(fields).filter((f) => !f.readOnly);
}

/**
 * What a new object's form starts with: each field's default, else its initial value. A field with
 * neither (and that may not be null) is left out, so the raw tab's JSON does not start out invalid.
 */
export function initialValues(fields: readonly Field[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    const value = field.default !== empty && typeof field.default !== 'function' ? field.toRepresentation(field.default) : field.initial;
    if (value !== null || field.allowNull) values[field.fieldName] = value;
  }
  return values;
}

/** Fills the fields' inputs from `values` (a representation, or submitted form/JSON input). */
export function buildForm(
  id: string,
  methods: string[],
  fields: readonly Field[],
  values: Readonly<Record<string, unknown>>,
  errors: Readonly<Record<string, unknown>> | null,
): HtmlForm {
  const formFields = fields.map((field): FormField => {
    const spec = specOf(field);
    const value = lastValue(values[spec.name]);
    const text = inputText(spec.input, value);
    return {
      name: spec.name,
      id: `${id}-${spec.name}`,
      label: spec.label,
      helpText: spec.helpText,
      input: spec.input,
      required: spec.required,
      value: text,
      checked: spec.input === 'checkbox' && isTrue(value),
      options:
        spec.choices === null
          ? []
          : [
              ...(spec.blank || !spec.choices.includes(text) ? [{ value: '', label: '---------', selected: !spec.choices.includes(text) }] : []),
              ...spec.choices.map((choice) => ({ value: choice, label: choice, selected: choice === text })),
            ],
      maxLength: spec.maxLength,
      min: spec.min,
      max: spec.max,
      step: spec.step,
      errors: messages(errors?.[spec.name]),
    };
  });
  const names = new Set(fields.map((f) => f.fieldName));
  const general = errors === null ? [] : Object.entries(errors).filter(([key]) => !names.has(key)).flatMap(([, value]) => messages(value));
  return { id, methods, fields: formFields, errors: general };
}

/** A form repeats a key when a value is a list; the last one counts, as for the server. */
function lastValue(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function inputText(input: InputKind, value: unknown): string {
  if (value === null || value === undefined || typeof value === 'object') return '';
  const text = String(value);
  // `2024-05-01T10:00:00.123456Z` as datetime-local wants it: no zone (the server reads naive as UTC), whole seconds.
  if (input === 'datetime-local') return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?/.exec(text)?.[0] ?? text;
  return text;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true' || value === 'True' || value === 'on' || value === '1' || value === 1;
}

function messages(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(messages);
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).flatMap(messages);
  return [String(value)];
}
