/**
 * DRF's `check_throttles`: every throttle is asked, in order, even after one has refused (those that
 * admit still record the request), and a refusal raises Throttled with the longest known wait.
 * A throttle whose store fails (Redis down or slow) is answered by the view's `throttleStoreFailed`:
 * its failure policy admits the request or refuses it with 503.
 */
import { APIException, ImproperlyConfigured, Throttled } from '../exceptions.ts';
import type { Decision } from '../trace.ts';
import type { MaybePromise } from '../util/types.ts';
import type { BaseThrottle, ThrottleDecision, ThrottleRequest, ThrottleView } from './throttles.ts';

/** A request that may keep a decision trace (the framework's Request does). */
export interface TracedThrottleRequest extends ThrottleRequest {
  record?(decision: Extract<Decision, { step: 'throttle' }>): void;
}

interface Tally {
  refused: boolean;
  /** The longest non-null wait among refusals. */
  wait: number | null;
}

/**
 * Returns nothing when every throttle admits the request; throws Throttled (429) otherwise, with
 * DRF's wait: the largest of the refusing throttles' waits, none when all were null. Stays
 * synchronous while the throttles answer synchronously, so the in-memory store costs no await.
 */
export function checkThrottles(
  throttles: readonly BaseThrottle[],
  request: TracedThrottleRequest,
  view: ThrottleView,
): Promise<void> | void {
  const tally: Tally = { refused: false, wait: null };
  for (let i = 0; i < throttles.length; i++) {
    const throttle = throttles[i]!;
    let answer: MaybePromise<ThrottleDecision>;
    try {
      answer = throttle.allowRequest(request, view);
    } catch (error) {
      answer = storeFailed(throttle, error, view);
    }
    if (answer instanceof Promise) return finishAsync(throttles, i, answer, request, view, tally);
    count(tally, throttle, answer, request);
  }
  conclude(tally);
}

function storeFailed(throttle: BaseThrottle, error: unknown, view: ThrottleView): ThrottleDecision {
  // Configuration mistakes and deliberate HTTP errors are not outages.
  if (error instanceof APIException || error instanceof ImproperlyConfigured || !view.throttleStoreFailed) throw error;
  return view.throttleStoreFailed(throttle, error);
}

async function ask(throttle: BaseThrottle, request: TracedThrottleRequest, view: ThrottleView): Promise<ThrottleDecision> {
  try {
    return await throttle.allowRequest(request, view);
  } catch (error) {
    return storeFailed(throttle, error, view);
  }
}

// Each throttle is awaited before the next is asked, as DRF runs them one after another: two
// throttles sharing a key must see each other's records.
async function finishAsync(
  throttles: readonly BaseThrottle[],
  index: number,
  pending: Promise<ThrottleDecision>,
  request: TracedThrottleRequest,
  view: ThrottleView,
  tally: Tally,
): Promise<void> {
  const first = throttles[index]!;
  count(tally, first, await pending.catch((error: unknown) => storeFailed(first, error, view)), request);
  for (let i = index + 1; i < throttles.length; i++) {
    const throttle = throttles[i]!;
    count(tally, throttle, await ask(throttle, request, view), request);
  }
  conclude(tally);
}

function count(tally: Tally, throttle: BaseThrottle, decision: ThrottleDecision, request: TracedThrottleRequest): void {
  if (decision.allowed) {
    request.record?.({ step: 'throttle', by: throttle.name, outcome: 'allowed' });
    return;
  }
  request.record?.({ step: 'throttle', by: throttle.name, outcome: 'throttled', wait: decision.wait });
  tally.refused = true;
  if (decision.wait !== null && (tally.wait === null || decision.wait > tally.wait)) tally.wait = decision.wait;
}

function conclude(tally: Tally): void {
  if (tally.refused) throw tally.wait === null ? new Throttled() : new Throttled(tally.wait);
}
