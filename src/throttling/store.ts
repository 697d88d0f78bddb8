/**
 * Where throttles keep request histories, and the sliding-window arithmetic every store shares.
 *
 * A store answers one question atomically: "may this key make one more request, and if so, record
 * it". Reading the history, deciding and writing are one operation, so two concurrent requests cannot
 * both take the last slot (DRF's get-then-set on the cache can). The in-memory store does it
 * synchronously; a shared store does it in one round trip, e.g. a Redis Lua script over a sorted set:
 * ZREMRANGEBYSCORE key -inf now-duration, ZCARD, then ZADD + EXPIRE only when under the limit. Its
 * members must be unique (requests can share a timestamp), and it returns the count and the oldest
 * score; `throttleWait` turns them into the wait.
 */
import type { MaybePromise } from '../util/types.ts';

/** What a store found for one key: whether the request was admitted, and what `throttleWait` needs. */
export interface ThrottleVerdict {
  readonly allowed: boolean;
  /** Requests in the window before this one (after dropping expired ones, not counting this one). */
  readonly historyLength: number;
  /** Timestamp (seconds) of the oldest request still in the window; null when the window is empty. */
  readonly oldest: number | null;
}

export interface ThrottleStore {
  /**
   * DRF's sliding window for `key`: forget requests at or before `now - durationSeconds`; refuse when
   * `limit` remain (without recording); otherwise record `now` and admit. Must be atomic per key.
   */
  hit(key: string, limit: number, durationSeconds: number, now: number): MaybePromise<ThrottleVerdict>;
}

/**
 * The window step on a history kept oldest first, in insertion order (DRF's list reversed), which it
 * updates in place. Expiry stops at the first live entry, as DRF's `pop()` loop does, so a clock that
 * steps backwards behaves as it does in DRF.
 */
export function slideWindow(history: number[], limit: number, durationSeconds: number, now: number): ThrottleVerdict {
  const horizon = now - durationSeconds;
  let expired = 0;
  while (expired < history.length && history[expired]! <= horizon) expired++;
  if (expired > 0) history.splice(0, expired);
  const historyLength = history.length;
  const oldest = historyLength > 0 ? history[0]! : null;
  if (historyLength >= limit) return { allowed: false, historyLength, oldest };
  history.push(now);
  return { allowed: true, historyLength, oldest };
}

/**
 * DRF's `SimpleRateThrottle.wait()` for a refused request: the time left until the oldest request
 * leaves the window, spread over the requests that will then be available. Null when none will be
 * (the rate was lowered below what the history already holds), so another throttle's wait is used.
 */
export function throttleWait(verdict: ThrottleVerdict, limit: number, durationSeconds: number, now: number): number | null {
  const remaining = verdict.oldest === null ? durationSeconds : durationSeconds - (now - verdict.oldest);
  const available = limit - verdict.historyLength + 1;
  if (available <= 0) return null;
  return remaining / available;
}
