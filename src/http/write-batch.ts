/**
 * Responses written together, once per turn of the event loop, rather than each as soon as it is
 * ready.
 *
 * Why: writing to a socket wakes the process reading the other end, and when that reader sleeps
 * between responses the kernel wakes it with an interrupt to its CPU, paid by the writer inside its
 * `writev`. That is the usual case behind a proxy on the same host: the proxy handles a response
 * sooner than the server makes the next one, so it is asleep at every write. A batch wakes a
 * sleeping reader once; the writes after it find it awake. Redis writes its replies the same way,
 * before it sleeps. On the benchmark's token read (bench/RESULTS.md) the writes cost 30 µs of the
 * server's 83 per request, 14 of them in waking the client; batched, 10 and 1.
 *
 * The batch is flushed by `setImmediate`: after the event loop has run every I/O callback it polled
 * (every request that arrived together), before it waits for more. A request answered on its own
 * waits for nothing but that.
 */
export class WriteBatch<T, V> {
  // Target and value side by side in one list: adding a response allocates nothing.
  #pending: (T | V)[] = [];
  #flushing: (T | V)[] = [];
  readonly #write: (target: T, value: V) => void;
  readonly #failed: (target: T, error: unknown) => void;
  readonly #flush = (): void => this.#writeAll();

  /**
   * `write` sends one value to its target; when it throws, `failed` gets the target and the error,
   * and the rest of the batch is still written.
   */
  constructor(write: (target: T, value: V) => void, failed: (target: T, error: unknown) => void) {
    this.#write = write;
    this.#failed = failed;
  }

  add(target: T, value: V): void {
    if (this.#pending.push(target, value) === 2) setImmediate(this.#flush);
  }

  #writeAll(): void {
    // The two lists trade places: a value added while this batch is written (a failure answered
    // synchronously) goes into the next batch, with its own flush.
    const batch = this.#pending;
    this.#pending = this.#flushing;
    this.#flushing = batch;
    for (let i = 0; i < batch.length; i += 2) {
      const target = batch[i] as T;
      try {
        this.#write(target, batch[i + 1] as V);
      } catch (error) {
        this.#failed(target, error);
      }
    }
    batch.length = 0;
  }
}
