/**
 * How views get their throttles: the classes listed in `throttleClasses` (or the default setting) are
 * built once per view at start-up with the app's rates and store, and a view's `throttleScope` is
 * checked against the rates then, so a scope without a rate fails at start-up, naming the view.
 */
import { ImproperlyConfigured } from '../exceptions.ts';
import type { AppContext } from '../app-context.ts';
import { BaseThrottle, ScopedRateThrottle, type ThrottleClass } from './throttles.ts';

export type ThrottlePolicy = ThrottleClass;
export type { BaseThrottle };
export { checkThrottles } from './check.ts';

export function buildThrottles(
  policies: readonly ThrottlePolicy[],
  scope: string | undefined,
  context: AppContext,
  view: string,
  /** Where the list came from, for messages: the view's property or the default setting. */
  where: string,
): BaseThrottle[] {
  return policies.map((Policy) => {
    if (typeof Policy !== 'function' || !(Policy.prototype instanceof BaseThrottle)) {
      const name = typeof Policy === 'function' && Policy.name ? `"${Policy.name}"` : typeof Policy;
      throw new ImproperlyConfigured(
        `${where} contains ${name}, which is not a throttle class. Use classes extending BaseThrottle, e.g. [AnonRateThrottle, UserRateThrottle].`,
      );
    }
    try {
      const throttle = new Policy({ rates: context.settings.defaultThrottleRates, store: context.throttleStore });
      if (scope && throttle instanceof ScopedRateThrottle) throttle.checkScope(scope);
      return throttle;
    } catch (error) {
      if (error instanceof ImproperlyConfigured) throw new ImproperlyConfigured(`${view}: ${error.message}`);
      throw error;
    }
  });
}
