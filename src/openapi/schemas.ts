/**
 * `components.schemas` for serializers: one per serializer class, named after it without the
 * `Serializer` suffix (`Life`), from its read schema; `LifeRequest` for what a client sends, where that
 * differs (read-only fields left out, `required` as validation requires); `PatchedLifeRequest` for
 * PATCH, where nothing is required; `PaginatedLifeList` for a paginated list.
 */
import type { SerializerClass } from '../serializers/index.ts';
import type { JsonSchema } from './types.ts';

export type SchemaRef = { $ref: string };

const ref = (name: string): SchemaRef => ({ $ref: `#/components/schemas/${name}` });

export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema>;
  readonly #names = new Map<SerializerClass, string>();
  readonly #cache = new Map<string, SchemaRef>();

  constructor(initial: Record<string, JsonSchema>) {
    this.schemas = { ...initial };
  }

  /** The representation a serializer gives. */
  read(serializer: SerializerClass): SchemaRef {
    const base = this.#base(serializer);
    return this.#once(base, () => this.#define(base, readable(serializer)));
  }

  /** What a client sends to create or replace (`partial`: to update some fields). */
  write(serializer: SerializerClass, partial: boolean): SchemaRef {
    const base = this.#base(serializer);
    const key = `${base}\n${partial ? 'patch' : 'write'}`;
    return this.#once(key, () => {
      const full = writable(serializer);
      if (partial) {
        const { required: _required, ...patch } = full;
        if (full.required === undefined) return this.write(serializer, false);
        return this.#define(`Patched${base}Request`, patch);
      }
      if (same(full, readable(serializer))) return this.read(serializer);
      return this.#define(`${base}Request`, full);
    });
  }

  /** DRF's PageNumberPagination envelope around a list of representations. */
  paginated(serializer: SerializerClass): SchemaRef {
    const base = this.#base(serializer);
    return this.#once(`${base}\npage`, () =>
      this.#define(`Paginated${base}List`, {
        type: 'object',
        required: ['count', 'next', 'previous', 'results'],
        properties: {
          count: { type: 'integer', examples: [123] },
          next: { type: ['string', 'null'], format: 'uri', examples: ['http://api.example.org/accounts/?page=4'] },
          previous: { type: ['string', 'null'], format: 'uri', examples: ['http://api.example.org/accounts/?page=2'] },
          results: { type: 'array', items: this.read(serializer) },
        },
      }),
    );
  }

  /** A schema of the framework's own (not a serializer's), under `name` or a numbered one if taken. */
  define(name: string, schema: JsonSchema): SchemaRef {
    return this.#once(`\n${name}`, () => {
      let free = name;
      for (let n = 2; free in this.schemas; n++) free = `${name}${n}`;
      return this.#define(free, schema);
    });
  }

  /** A serializer's component name; two classes of the same name get numbered ones. */
  #base(serializer: SerializerClass): string {
    let name = this.#names.get(serializer);
    if (name === undefined) {
      const stem = (serializer.name.replace(/Serializer$/, '') || serializer.name).replace(/[^A-Za-z0-9._-]/g, '_') || 'Anonymous';
      const taken = new Set(this.#names.values());
      name = stem;
      for (let n = 2; taken.has(name) || name in this.schemas; n++) name = `${stem}${n}`;
      this.#names.set(serializer, name);
    }
    return name;
  }

  #once(key: string, build: () => SchemaRef): SchemaRef {
    let found = this.#cache.get(key);
    if (found === undefined) {
      found = build();
      this.#cache.set(key, found);
    }
    return found;
  }

  #define(name: string, schema: JsonSchema): SchemaRef {
    this.schemas[name] = schema;
    return ref(name);
  }
}

function readable(serializer: SerializerClass): JsonSchema {
  return withTypedEnums(serializer.toJsonSchema('read'));
}

function writable(serializer: SerializerClass): JsonSchema {
  return withTypedEnums(serializer.toJsonSchema('write'));
}

function same(a: JsonSchema, b: JsonSchema): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Gives an enum of strings (or numbers) its `type`, as DRF's schema generator does for choice
 * fields: clients and code generators read the type, not the values.
 */
function withTypedEnums(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties === undefined) return schema;
  const typed: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(properties)) typed[name] = typeEnum(property);
  return { ...schema, properties: typed };
}

function typeEnum(property: JsonSchema): JsonSchema {
  if (property.type !== undefined || !Array.isArray(property.enum)) return property;
  const values = property.enum as unknown[];
  const kinds = new Set(values.filter((v) => v !== null).map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v)));
  if (kinds.size !== 1) return property;
  const [kind] = kinds as Set<string>;
  if (kind !== 'string' && kind !== 'integer' && kind !== 'number' && kind !== 'boolean') return property;
  const { enum: values_, ...rest } = property;
  return { type: values.includes(null) ? [kind, 'null'] : kind, enum: values_, ...rest };
}
