/**
 * A cache keyed by a path of strings. The strings it is walked with are the same objects request after
 * request (interned query shapes, a queryset's `tail`, a model's column names), so each step is a
 * lookup by the hash the string already holds, where one key concatenated per request would be a new
 * string to flatten and hash every time.
 */
export class ShapeTrie<V> {
  readonly #next = new Map<string, ShapeTrie<V>>();
  value: V | undefined;

  child(key: string): ShapeTrie<V> {
    let node = this.#next.get(key);
    if (node === undefined) this.#next.set(key, (node = new ShapeTrie()));
    return node;
  }
}
