/**
 * Throttle rates: DRF's `'<requests>/<period>'` strings, e.g. `'100/day'` or `'5/min'`.
 */
import { ImproperlyConfigured } from '../exceptions.ts';

/** A parsed rate: at most `numRequests` requests in any window of `duration` seconds. */
export interface Rate {
  readonly numRequests: number;
  readonly duration: number;
}

// Only the period's first letter counts, as in DRF: '3/m', '3/min' and '3/mango' are all per minute.
const PERIOD_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a rate as DRF's `SimpleRateThrottle.parse_rate` does. Null (no limit) gives null.
 * Throws ImproperlyConfigured for anything DRF would choke on, plus negative counts, so a typo in
 * the settings stops start-up instead of turning into a 500 on the first throttled request.
 */
export function parseRate(rate: string | null): Rate | null {
  if (rate === null) return null;
  const parts = typeof rate === 'string' ? rate.split('/') : [];
  const [count, period] = parts;
  const duration = parts.length === 2 && period ? PERIOD_SECONDS[period[0]!] : undefined;
  if (count === undefined || !/^\d+$/.test(count) || duration === undefined || !Number.isSafeInteger(Number(count))) {
    throw new ImproperlyConfigured(
      `Invalid throttle rate ${JSON.stringify(rate)}: expected '<number of requests>/<period>', where the period ` +
        `starts with s, m, h or d (second, minute, hour, day), e.g. '100/day' or '5/min'. Use null for no limit.`,
    );
  }
  return { numRequests: Number(count), duration };
}
