/**
 * A field as a model sees it once named: its column, labels, constraints and defaults, all resolved
 * at definition time. The query layer reads `column` and `kind`; ModelSerializer derives serializer
 * fields (required, read-only, ranges, choices, uniqueness) from the rest, as DRF's `get_field_kwargs`.
 */
import type { AnyFieldOptions, FieldDefinition, FieldKind, ForeignKeyDefinition, ModelLike, OnDelete } from './fields.ts';

/** The integer ranges Django validates on PostgreSQL (`connection.ops.integer_field_range`). */
const INTEGER_RANGES: Partial<Record<FieldKind, readonly [number | bigint, number | bigint]>> = {
  integer: [-2147483648, 2147483647],
  bigInteger: [-9223372036854775808n, 9223372036854775807n],
};

/** Django's `capfirst`. */
function capfirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export class ModelField {
  readonly name: string;
  /** The column: the name, or `<name>_id` for a foreign key (Django's attname). */
  readonly column: string;
  readonly kind: FieldKind;
  readonly options: Readonly<AnyFieldOptions>;
  readonly primaryKey: boolean;
  /** Django's `verbose_name`: the option, or the name with underscores as spaces. */
  readonly verboseName: string;
  /** The label forms and OPTIONS show: `capfirst(verboseName)`, or DRF's `name.capitalize()`. */
  readonly label: string;
  readonly null: boolean;
  readonly blank: boolean;
  readonly unique: boolean;
  /** False for the primary key and auto-set fields, which ModelSerializer makes read-only. */
  readonly editable: boolean;
  readonly hasDefault: boolean;
  readonly maxLength: number | undefined;
  readonly choices: readonly string[] | undefined;
  readonly minValue: number | bigint | undefined;
  readonly maxValue: number | bigint | undefined;
  readonly helpText: string | undefined;
  /** Whether the column gets its own index (foreign keys and `dbIndex`, unless unique already indexes it). */
  readonly indexed: boolean;
  readonly onDelete: OnDelete | undefined;
  /** DRF's UniqueValidator message, e.g. `survey with this title already exists.` */
  readonly uniqueMessage: string;
  readonly #target: (() => ModelLike) | undefined;

  constructor(name: string, definition: FieldDefinition, modelVerboseName: string, primaryKey = false) {
    const options = definition.options;
    this.name = name;
    this.kind = definition.kind;
    this.options = options;
    this.primaryKey = primaryKey;
    this.#target = definition.kind === 'foreignKey' ? (definition as ForeignKeyDefinition).target : undefined;
    this.column = this.#target ? `${name}_id` : name;
    this.verboseName = options.verboseName ?? name.replaceAll('_', ' ');
    this.label =
      options.verboseName !== undefined
        ? capfirst(options.verboseName)
        : capfirst(this.verboseName.toLowerCase());
    this.null = options.null ?? false;
    this.blank = (options.blank ?? false) || (options.autoNowAdd ?? false);
    this.unique = (options.unique ?? false) || primaryKey;
    this.editable = !primaryKey && !options.autoNowAdd;
    this.hasDefault = options.default !== undefined;
    this.maxLength = options.maxLength;
    this.choices = options.choices;
    const range = primaryKey ? undefined : INTEGER_RANGES[definition.kind];
    this.minValue = range?.[0];
    this.maxValue = range?.[1];
    this.helpText = options.helpText;
    this.indexed = !this.unique && (this.#target !== undefined || (options.dbIndex ?? false));
    this.onDelete = options.onDelete;
    this.uniqueMessage = `${modelVerboseName} with this ${this.verboseName} already exists.`;
  }

  /** The model a foreign key points at; undefined for other kinds. */
  get related(): ModelLike | undefined {
    return this.#target?.();
  }

  /** The value a new row gets when none is given, or undefined when the field has none. */
  defaultValue(): unknown {
    const given = this.options.default;
    if (given !== undefined) return typeof given === 'function' ? (given as () => unknown)() : given;
    if (this.options.autoNowAdd) return new Date();
    // Django stores '' for a string field left out, rather than failing on NOT NULL.
    if (!this.null && (this.kind === 'char' || this.kind === 'text' || this.kind === 'email')) return '';
    return undefined;
  }
}
