/**
 * The in-process throttle store: one sliding window per key, in a Map. Like DRF with LocMemCache, the
 * counts are per process, so N workers give N independent counters; use a shared store for more.
 */
import { slideWindow, type ThrottleStore, type ThrottleVerdict } from './store.ts';

interface Window {
  /** Request timestamps, oldest first. Never longer than the largest limit used with the key. */
  readonly history: number[];
  /** When the newest request leaves the window: from then on the key holds nothing. */
  expiresAt: number;
}

/**
 * Admits or refuses synchronously (so the throttle check needs no await) and forgets keys whose
 * window has passed. Forgetting is lazy but bounded: every hit also inspects the next
 * `sweepPerHit` (k >= 2) keys of a cursor that cycles through the map. A hit adds at most one key,
 * so the cursor outruns any stream of new clients and the map stays near k/(k-1) times the live
 * keys (twice, by default), with no timer to keep the process alive.
 */
export class MemoryThrottleStore implements ThrottleStore {
  readonly #windows = new Map<string, Window>();
  readonly #sweepPerHit: number;
  #cursor: Iterator<[string, Window]> | undefined;

  constructor(options: { sweepPerHit?: number } = {}) {
    this.#sweepPerHit = Math.max(2, options.sweepPerHit ?? 2);
  }

  /** The number of keys held, expired or not: what the sweep keeps bounded. */
  get size(): number {
    return this.#windows.size;
  }

  hit(key: string, limit: number, durationSeconds: number, now: number): ThrottleVerdict {
    this.#sweep(now);
    const existing = this.#windows.get(key);
    const window = existing ?? { history: [], expiresAt: 0 };
    const verdict = slideWindow(window.history, limit, durationSeconds, now);
    if (verdict.allowed) {
      window.expiresAt = Math.max(window.expiresAt, now + durationSeconds);
      if (existing === undefined) this.#windows.set(key, window);
    }
    return verdict;
  }

  #sweep(now: number): void {
    for (let i = 0; i < this.#sweepPerHit; i++) {
      this.#cursor ??= this.#windows.entries();
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = undefined;
        return;
      }
      const [key, window] = next.value;
      if (window.expiresAt <= now) this.#windows.delete(key);
    }
  }
}
