/**
 * DRF's typed fields, with its coercions and exact messages: strings (CharField, EmailField), numbers
 * (IntegerField, FloatField), BooleanField, ChoiceField, DateTimeField and ReadOnlyField. Each decides
 * which JSON or form values it accepts; anything else, however nested or odd, is its invalid message.
 */
import { formatDateTime, parseDateTime } from './datetime.ts';
import { isValidEmail } from './email.ts';
import {
  Field,
  fail,
  type FieldInfo,
  type FieldOptions,
  type JsonSchema,
  type MaybePromise,
  type SKIP,
  type ValidationContext,
  empty,
} from './field.ts';
import { pyFloat, pyInt, pyLen, pyStr, pyStrip } from './python.ts';

/** DRF's guard against huge numeric strings (`MAX_STRING_LENGTH`). */
const MAX_STRING_LENGTH = 1000;
const STRING_TOO_LARGE = 'String value too large.';

export interface CharFieldOptions extends FieldOptions<string> {
  maxLength?: number;
  minLength?: number;
  allowBlank?: boolean;
  /** Strip leading and trailing whitespace (default true). */
  trimWhitespace?: boolean;
}

/**
 * Accepts strings, and numbers (as their Python `str`); rejects booleans and composites with
 * `Not a valid string.` A blank string (after trimming) is `This field may not be blank.` unless
 * `allowBlank`. Lengths count code points, as Python's `len`.
 */
export class CharField extends Field<string> {
  readonly type: string = 'string';
  override readonly initial: unknown = '';
  readonly maxLength: number | undefined;
  readonly minLength: number | undefined;
  readonly allowBlank: boolean;
  readonly trimWhitespace: boolean;
  protected readonly invalidMessage: string = 'Not a valid string.';

  constructor(options: CharFieldOptions = {}) {
    super(options);
    this.maxLength = options.maxLength;
    this.minLength = options.minLength;
    this.allowBlank = options.allowBlank ?? false;
    this.trimWhitespace = options.trimWhitespace ?? true;
    const { maxLength, minLength } = options;
    if (maxLength !== undefined) {
      const message = `Ensure this field has no more than ${maxLength} characters.`;
      this.addValidators((value) => {
        const text = value as string;
        // Code points never outnumber UTF-16 units, so only a long string needs counting.
        if (text.length > maxLength && pyLen(text) > maxLength) fail(message, 'max_length');
      });
    }
    if (minLength !== undefined) {
      const message = `Ensure this field has at least ${minLength} characters.`;
      this.addValidators((value) => {
        if (pyLen(value as string) < minLength) fail(message, 'min_length');
      });
    }
    this.addValidators(prohibitNullCharacters, prohibitSurrogates);
  }

  override runValidation(data: unknown, context: ValidationContext): MaybePromise<string | null | typeof SKIP> {
    // Blank input is settled here, before null and type checks, as DRF's CharField does.
    if (data === '' || (this.trimWhitespace && typeof data === 'string' && pyStrip(data) === '')) {
      if (!this.allowBlank) fail('This field may not be blank.', 'blank');
      return '';
    }
    return super.runValidation(data, context);
  }

  toInternalValue(data: unknown): string {
    if (typeof data !== 'string' && typeof data !== 'number') fail(this.invalidMessage);
    const value = pyStr(data);
    return this.trimWhitespace ? pyStrip(value) : value;
  }

  toRepresentation(value: unknown): unknown {
    return pyStr(value);
  }

  override info(): FieldInfo {
    const info = super.info();
    if (this.minLength !== undefined) info.min_length = this.minLength;
    if (this.maxLength !== undefined) info.max_length = this.maxLength;
    return info;
  }

  protected override schemaType(): JsonSchema {
    const schema: JsonSchema = { type: 'string' };
    if (this.minLength !== undefined) schema.minLength = this.minLength;
    else if (!this.allowBlank) schema.minLength = 1;
    if (this.maxLength !== undefined) schema.maxLength = this.maxLength;
    return schema;
  }
}

function prohibitNullCharacters(value: unknown): void {
  if ((value as string).includes('\0')) fail('Null characters are not allowed.', 'null_characters_not_allowed');
}

// A surrogate not part of a pair (Python's `str` holds those as single characters).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function prohibitSurrogates(value: unknown): void {
  const lone = LONE_SURROGATE.exec(value as string);
  if (lone === null) return;
  const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
  fail(`Surrogate characters are not allowed: U+${code}.`, 'surrogate_characters_not_allowed');
}

/** A CharField that must hold an email address (Django's EmailValidator); any invalid input says so. */
export class EmailField extends CharField {
  override readonly type: string = 'email';
  protected override readonly invalidMessage: string = 'Enter a valid email address.';

  constructor(options: CharFieldOptions = {}) {
    super(options);
    this.addValidators((value) => {
      if (!isValidEmail(value as string)) fail('Enter a valid email address.');
    });
  }

  protected override schemaType(): JsonSchema {
    return { ...super.schemaType(), format: 'email' };
  }
}

type Limit = number | bigint;

export interface NumberFieldOptions extends FieldOptions<number> {
  maxValue?: Limit;
  minValue?: Limit;
}

abstract class NumberField extends Field<number> {
  readonly maxValue: Limit | undefined;
  readonly minValue: Limit | undefined;

  constructor(options: NumberFieldOptions) {
    super(options);
    this.maxValue = options.maxValue;
    this.minValue = options.minValue;
  }

  /** DRF's MaxValueValidator and MinValueValidator; `checked` is the value to compare (exact for big integers). */
  protected checkRange(checked: number | bigint): void {
    if (this.maxValue !== undefined && checked > this.maxValue) {
      fail(`Ensure this value is less than or equal to ${pyStr(this.maxValue)}.`, 'max_value');
    }
    if (this.minValue !== undefined && checked < this.minValue) {
      fail(`Ensure this value is greater than or equal to ${pyStr(this.minValue)}.`, 'min_value');
    }
  }

  override info(): FieldInfo {
    const info = super.info();
    if (this.minValue !== undefined) info.min_value = Number(this.minValue);
    if (this.maxValue !== undefined) info.max_value = Number(this.maxValue);
    return info;
  }

  protected rangeSchema(type: string): JsonSchema {
    const schema: JsonSchema = { type };
    if (this.minValue !== undefined) schema.minimum = Number(this.minValue);
    if (this.maxValue !== undefined) schema.maximum = Number(this.maxValue);
    return schema;
  }
}

// DRF's re_decimal: '12.0' and '12.' count as integers, '12.5' does not.
const INTEGRAL_DECIMAL = /\.0*\s*$/;

/**
 * Accepts integers, integral floats (3.0) and integer strings ("12", " 12.0 ", "1_000"); rejects
 * booleans, fractions and anything else with `A valid integer is required.` Values outside the range
 * are reported against the range however large, never passed to the database.
 */
export class IntegerField extends NumberField {
  readonly type: string = 'integer';

  constructor(options: NumberFieldOptions = {}) {
    super(options);
  }

  toInternalValue(data: unknown): number {
    // The range is checked here, while the exact value of a huge input is still at hand.
    let exact: number | bigint;
    if (typeof data === 'number') {
      if (!Number.isInteger(data)) fail('A valid integer is required.');
      exact = data;
    } else if (typeof data === 'string') {
      if (data.length > MAX_STRING_LENGTH && pyLen(data) > MAX_STRING_LENGTH) fail(STRING_TOO_LARGE, 'max_string_length');
      const parsed = pyInt(data.replace(INTEGRAL_DECIMAL, ''));
      if (parsed === undefined) fail('A valid integer is required.');
      exact = parsed;
    } else {
      fail('A valid integer is required.');
    }
    this.checkRange(exact);
    return typeof exact === 'bigint' ? Number(exact) : exact === 0 ? 0 : exact;
  }

  toRepresentation(value: unknown): unknown {
    return typeof value === 'bigint' ? Number(value) : Math.trunc(Number(value));
  }

  protected override schemaType(): JsonSchema {
    return this.rangeSchema('integer');
  }
}

/**
 * Accepts numbers, numeric strings (Python's `float()` syntax) and booleans (as 1 and 0, as Python's
 * `float(True)`); `A valid number is required.` otherwise. Infinities and NaN are rejected too: they
 * have no JSON form.
 */
export class FloatField extends NumberField {
  readonly type: string = 'float';

  constructor(options: NumberFieldOptions = {}) {
    super(options);
  }

  toInternalValue(data: unknown): number {
    let value: number | undefined;
    if (typeof data === 'number') value = data;
    else if (typeof data === 'boolean') value = data ? 1 : 0;
    else if (typeof data === 'string') {
      if (data.length > MAX_STRING_LENGTH && pyLen(data) > MAX_STRING_LENGTH) fail(STRING_TOO_LARGE, 'max_string_length');
      value = pyFloat(data);
    }
    if (value === undefined || !Number.isFinite(value)) fail('A valid number is required.');
    this.checkRange(value);
    return value;
  }

  toRepresentation(value: unknown): unknown {
    return Number(value);
  }

  protected override schemaType(): JsonSchema {
    return this.rangeSchema('number');
  }
}

const TRUE_VALUES: ReadonlySet<unknown> = new Set([
  't', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true,
]);
const FALSE_VALUES: ReadonlySet<unknown> = new Set([
  'f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false,
]);
const NULL_VALUES: ReadonlySet<unknown> = new Set(['null', 'Null', 'NULL', '', null]);

/**
 * Accepts DRF's TRUE_VALUES and FALSE_VALUES (`true`, `"on"`, `"1"`, `0`, `"no"`, ...), and with
 * `allowNull` its NULL_VALUES; `Must be a valid boolean.` otherwise. An HTML form leaves an unchecked
 * checkbox out entirely, so an absent field in form input means false (null when nullable).
 */
export class BooleanField extends Field<boolean | null> {
  readonly type: string = 'boolean';
  override readonly initial: unknown;

  constructor(options: FieldOptions<boolean | null> = {}) {
    super(options);
    this.initial = this.allowNull ? null : false;
  }

  protected override get defaultEmptyHtml(): unknown {
    if (this.default !== empty) return this.default;
    return this.allowNull ? null : false;
  }

  toInternalValue(data: unknown): boolean | null {
    if (TRUE_VALUES.has(data)) return true;
    if (FALSE_VALUES.has(data)) return false;
    if (this.allowNull && NULL_VALUES.has(data)) return null;
    fail('Must be a valid boolean.');
  }

  toRepresentation(value: unknown): unknown {
    if (TRUE_VALUES.has(value)) return true;
    if (FALSE_VALUES.has(value)) return false;
    if (this.allowNull && NULL_VALUES.has(value)) return null;
    return Boolean(value);
  }

  protected override schemaType(): JsonSchema {
    return { type: 'boolean' };
  }
}

export type Choice = string | number;

export interface ChoiceFieldOptions<C extends Choice = Choice> extends FieldOptions<C> {
  choices: readonly C[];
  allowBlank?: boolean;
}

/**
 * Accepts one of `choices`, compared as Python strings (so `1` matches the choice `"1"` and the
 * reverse); `"{input}" is not a valid choice.` otherwise, with the input as Python prints it.
 */
export class ChoiceField<C extends Choice = Choice> extends Field<C> {
  readonly type: string = 'choice';
  readonly choices: readonly C[];
  readonly allowBlank: boolean;
  private readonly byString: ReadonlyMap<string, C>;

  constructor(options: ChoiceFieldOptions<C>) {
    super(options);
    this.choices = options.choices;
    this.allowBlank = options.allowBlank ?? false;
    this.byString = new Map(options.choices.map((c) => [pyStr(c), c]));
  }

  toInternalValue(data: unknown): C {
    if (data === '' && this.allowBlank) return '' as C;
    const choice = this.choice(pyStr(data));
    if (choice === undefined) fail(`"${pyStr(data)}" is not a valid choice.`, 'invalid_choice');
    return choice;
  }

  toRepresentation(value: unknown): unknown {
    if (value === '' || value === null) return value;
    return this.choice(pyStr(value)) ?? value;
  }

  private choice(key: string): C | undefined {
    return this.byString.get(key);
  }

  override info(): FieldInfo {
    const info = super.info();
    if (!this.readOnly) info.choices = this.choices.map((value) => ({ value, display_name: pyStr(value) }));
    return info;
  }

  protected override schemaType(): JsonSchema {
    return { enum: this.allowBlank ? [...this.choices, ''] : [...this.choices] };
  }
}

const DATETIME_FORMATS = 'YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]';

/** ISO 8601 input (Django's `parse_datetime`, naive taken as UTC); output in UTC with `Z`. */
export class DateTimeField extends Field<Date> {
  readonly type: string = 'datetime';

  toInternalValue(data: unknown): Date {
    if (data instanceof Date && !Number.isNaN(data.getTime())) return data;
    const parsed = typeof data === 'string' ? parseDateTime(data) : 'invalid';
    if (parsed === 'overflow') fail('Datetime value out of range.', 'overflow');
    if (parsed === 'invalid') fail(`Datetime has wrong format. Use one of these formats instead: ${DATETIME_FORMATS}.`);
    return parsed;
  }

  toRepresentation(value: unknown): unknown {
    if (!value) return null;
    if (typeof value === 'string') return value;
    return formatDateTime(value as Date);
  }

  protected override schemaType(): JsonSchema {
    return { type: 'string', format: 'date-time' };
  }
}

/** Represents the attribute as it is; never written. */
export class ReadOnlyField extends Field {
  readonly type: string = 'field';

  constructor(options: Omit<FieldOptions, 'readOnly' | 'writeOnly' | 'required'> = {}) {
    super({ ...options, readOnly: true });
  }

  toInternalValue(data: unknown): unknown {
    return data;
  }

  toRepresentation(value: unknown): unknown {
    return value;
  }
}
