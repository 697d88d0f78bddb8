/**
 * Objects of one fixed shape, built from a list of values: `recordBuilder(['id', 'title'])` makes
 * `(values, offset) => ({ id: values[offset], title: values[offset + 1] })`, optionally passing each
 * value through a converter first, and followed by extra properties computed from the whole list.
 * Build one per shape, once, and keep it.
 *
 * Why generated code: an object filled key by key (`row[key] = value` in a loop) changes its hidden
 * class at every key, and the loop's one property store serves every model and query of the process,
 * so V8 falls back to its slow, shared lookup for each store. An object literal is created with its
 * final shape in one allocation. The keys come from the application's own models and queries, never
 * from a request, and are written as JSON string literals, so no key can break out of the literal.
 */
export type RecordBuilder = (values: readonly unknown[], offset: number) => Record<string, unknown>;

export type Converter = (value: unknown) => unknown;

/** A property after the keyed values, computed from the whole list (e.g. a joined row). */
export interface ExtraProperty {
  readonly key: string;
  readonly read: (values: readonly unknown[]) => unknown;
}

export function recordBuilder(
  keys: readonly string[],
  converters: readonly (Converter | undefined)[] = [],
  extras: readonly ExtraProperty[] = [],
): RecordBuilder {
  const properties = keys.map((key, i) => {
    const value = converters[i] === undefined ? `values[offset + ${i}]` : `converters[${i}](values[offset + ${i}])`;
    return `${literalKey(key)}: ${value}`;
  });
  extras.forEach((extra, i) => properties.push(`${literalKey(extra.key)}: extras[${i}].read(values)`));
  const make = new Function('converters', 'extras', `return (values, offset) => ({ ${properties.join(', ')} });`);
  return make(converters, extras) as RecordBuilder;
}

/** A key for generated object literal code: `"__proto__": x` would set the prototype, so it is computed. */
export function literalKey(key: string): string {
  return key === '__proto__' ? `[${JSON.stringify(key)}]` : JSON.stringify(key);
}
