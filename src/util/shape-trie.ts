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

/**
 * A ShapeTrie that holds at most `limit` values: shapes are few in practice, and the cap keeps an
 * unusual app (a shape per offset, an `in` list of every length) from growing it without end.
 */
export class BoundedShapeTrie<V> {
  readonly #limit: number;
  #root = new ShapeTrie<V>();
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Where to walk from; empty again once the trie is full. */
  root(): ShapeTrie<V> {
    if (this.#size >= this.#limit) {
      this.#root = new ShapeTrie();
      this.#size = 0;
    }
    return this.#root;
  }

  /** Stores a value at a node reached from `root()`, counting it against the limit. */
  store(node: ShapeTrie<V>, value: V): V {
    this.#size++;
    return (node.value = value);
  }
}
