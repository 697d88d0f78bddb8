/**
 * Throttles (DRF's `throttling.py`): each decides whether a request may proceed now.
 *
 * Unlike DRF, a throttle is built once at start-up and shared by every request, so it keeps no
 * per-request state (DRF's `self.key`, `self.history`, `self.now`): `allowRequest` answers with a
 * decision that already carries the wait, DRF's `allow_request()` and `wait()` in one.
 */
import { ImproperlyConfigured } from '../exceptions.ts';
import type { MaybePromise } from '../util/types.ts';
import { parseRate, type Rate } from './rate.ts';
import { throttleWait, type ThrottleStore, type ThrottleVerdict } from './store.ts';

/** What a throttle reads from a request; the framework's Request satisfies it. */
export interface ThrottleRequest {
  readonly user: { readonly isAuthenticated: boolean; readonly pk: number | string | null };
  /** The client's address, resolved by the request (X-Forwarded-For only behind trusted proxies). */
  readonly clientAddress: string;
}

/** What a throttle reads from a view. */
export interface ThrottleView {
  readonly throttleScope?: string | undefined;
  /**
   * Answers for a throttle whose store failed (admit, or throw to refuse). Without it the store's
   * error propagates.
   */
  throttleStoreFailed?(throttle: BaseThrottle, error: unknown): ThrottleDecision;
}

export interface ThrottleDecision {
  readonly allowed: boolean;
  /** Seconds until a refused request would be allowed; null when unknown (and always when allowed). */
  readonly wait: number | null;
}

export interface ThrottleOptions {
  /** Rates by scope: the `defaultThrottleRates` setting. Null means never throttle. */
  readonly rates: Readonly<Record<string, string | null>>;
  readonly store: ThrottleStore;
  /** The clock in seconds; replaceable in tests. */
  readonly timer?: () => number;
}

/** How the framework builds a throttle class at start-up. */
export type ThrottleClass = new (options: ThrottleOptions) => BaseThrottle;

const ALLOWED: ThrottleDecision = Object.freeze({ allowed: true, wait: null });

const secondsNow = (): number => Date.now() / 1000;

/** Decides whether a request may proceed; a refusal becomes a 429 in `checkThrottles`. */
export abstract class BaseThrottle {
  abstract allowRequest(request: ThrottleRequest, view: ThrottleView): MaybePromise<ThrottleDecision>;

  /** DRF's `get_ident`: who the client is when not a user. */
  getIdent(request: ThrottleRequest): string {
    return request.clientAddress;
  }

  get name(): string {
    return this.constructor.name;
  }
}

/**
 * Allows `numRequests` per `duration` for each cache key, counted in the store's sliding window.
 * The rate is the class's `static rate`, else the rates table's entry for its `static scope`; a null
 * rate never throttles, a null key (see `getCacheKey`) lets the request through uncounted.
 * Throws ImproperlyConfigured at construction when neither is set or the scope has no rate.
 */
export abstract class SimpleRateThrottle extends BaseThrottle {
  /** The entry of the rates table to use (DRF's `scope`). */
  static scope: string | null = null;
  /** A fixed rate for the class, bypassing the rates table (DRF's `rate` attribute). */
  static rate?: string;
  /** `%(scope)s` and `%(ident)s` are replaced, as in DRF. */
  static cacheFormat = 'throttle_%(scope)s_%(ident)s';

  readonly scope: string | null;
  /** The rate in force; null never throttles. Always null for ScopedRateThrottle, whose rate is per view. */
  readonly rate: Rate | null;
  protected readonly rates: Readonly<Record<string, string | null>>;
  protected readonly store: ThrottleStore;
  protected readonly timer: () => number;
  readonly #cacheFormat: string;

  constructor(options: ThrottleOptions) {
    super();
    this.rates = options.rates;
    this.store = options.store;
    this.timer = options.timer ?? secondsNow;
    this.scope = new.target.scope;
    this.#cacheFormat = new.target.cacheFormat;
    this.rate = this.getRate();
  }

  /** The key counting this request, or null to let it through uncounted. */
  abstract getCacheKey(request: ThrottleRequest, view: ThrottleView): string | null;

  /** DRF's `get_rate`, run once at construction. */
  protected getRate(): Rate | null {
    const fixed = (this.constructor as typeof SimpleRateThrottle).rate;
    if (fixed) return parseRate(fixed);
    if (this.scope === null) {
      throw new ImproperlyConfigured(
        `You must set either \`static scope\` or \`static rate\` for '${this.name}' throttle.`,
      );
    }
    return rateForScope(this.rates, this.scope);
  }

  allowRequest(request: ThrottleRequest, view: ThrottleView): MaybePromise<ThrottleDecision> {
    if (this.rate === null) return ALLOWED;
    const key = this.getCacheKey(request, view);
    if (key === null) return ALLOWED;
    return this.throttle(key, this.rate);
  }

  /** Counts one request against `key` at `rate`. */
  protected throttle(key: string, rate: Rate): MaybePromise<ThrottleDecision> {
    const now = this.timer();
    const verdict = this.store.hit(key, rate.numRequests, rate.duration, now);
    return verdict instanceof Promise ? verdict.then((v) => decide(v, rate, now)) : decide(verdict, rate, now);
  }

  protected formatCacheKey(scope: string, ident: string): string {
    return this.#cacheFormat.replace(/%\((scope|ident)\)s/g, (_, name: string) => (name === 'scope' ? scope : ident));
  }
}

/** Limits anonymous clients by address (scope `anon`); authenticated users are not counted. */
export class AnonRateThrottle extends SimpleRateThrottle {
  static override scope = 'anon';

  getCacheKey(request: ThrottleRequest): string | null {
    if (request.user.isAuthenticated) return null;
    return this.formatCacheKey(this.scope!, this.getIdent(request));
  }
}

/**
 * Limits each user by primary key (scope `user`). Anonymous requests are counted too, by address, so
 * with both this and AnonRateThrottle an anonymous client gets the lower of the two rates.
 */
export class UserRateThrottle extends SimpleRateThrottle {
  static override scope = 'user';

  getCacheKey(request: ThrottleRequest): string {
    return this.formatCacheKey(this.scope!, userIdent(this, request));
  }
}

/**
 * Limits attempts at credentials (the login form, the obtain-token view) per client address, whether
 * or not the request is already authenticated (scope `login`). Off until `defaultThrottleRates.login`
 * is set, e.g. '10/minute'. The views using it fail closed: a store outage refuses attempts with 503
 * rather than lifting the limit.
 */
export class LoginRateThrottle extends SimpleRateThrottle {
  static override scope = 'login';

  /** A missing `login` rate means no limit: apps that set their own rates table need not name it. */
  protected override getRate(): Rate | null {
    return parseRate(this.rates.login ?? null);
  }

  getCacheKey(request: ThrottleRequest): string {
    return this.formatCacheKey(this.scope!, this.getIdent(request));
  }
}

/**
 * Limits each user (or anonymous address) per view scope: the view's `throttleScope` picks the
 * rate, and each scope counts separately. A view without a scope is not throttled. Every rate in the
 * table is parsed at construction; a scope missing from it throws ImproperlyConfigured, from
 * `checkScope` at start-up, or at request time for a view that was not checked.
 */
export class ScopedRateThrottle extends SimpleRateThrottle {
  readonly #scopeRates: ReadonlyMap<string, Rate | null>;

  constructor(options: ThrottleOptions) {
    super(options);
    this.#scopeRates = new Map(Object.entries(options.rates).map(([scope, rate]) => [scope, parseRate(rate)]));
  }

  /** No rate of its own: each request's comes from its view's scope. */
  protected override getRate(): Rate | null {
    return null;
  }

  /** Start-up check of a view's `throttleScope`: throws ImproperlyConfigured when it has no rate. */
  checkScope(scope: string): void {
    this.#rateFor(scope);
  }

  override allowRequest(request: ThrottleRequest, view: ThrottleView): MaybePromise<ThrottleDecision> {
    const scope = view.throttleScope;
    if (!scope) return ALLOWED;
    const rate = this.#rateFor(scope);
    if (rate === null) return ALLOWED;
    const key = this.getCacheKey(request, view);
    if (key === null) return ALLOWED;
    return this.throttle(key, rate);
  }

  getCacheKey(request: ThrottleRequest, view: ThrottleView): string | null {
    const scope = view.throttleScope;
    return scope ? this.formatCacheKey(scope, userIdent(this, request)) : null;
  }

  #rateFor(scope: string): Rate | null {
    const rate = this.#scopeRates.get(scope);
    if (rate === undefined) throw missingRate(scope, ` ScopedRateThrottle reads it from a view's throttleScope.`);
    return rate;
  }
}

function decide(verdict: ThrottleVerdict, rate: Rate, now: number): ThrottleDecision {
  if (verdict.allowed) return ALLOWED;
  return { allowed: false, wait: throttleWait(verdict, rate.numRequests, rate.duration, now) };
}

function userIdent(throttle: BaseThrottle, request: ThrottleRequest): string {
  const user = request.user;
  return user.isAuthenticated ? String(user.pk) : throttle.getIdent(request);
}

function rateForScope(rates: Readonly<Record<string, string | null>>, scope: string): Rate | null {
  if (!Object.hasOwn(rates, scope)) throw missingRate(scope, '');
  return parseRate(rates[scope] ?? null);
}

function missingRate(scope: string, context: string): ImproperlyConfigured {
  const key = /^[A-Za-z_$][\w$]*$/.test(scope) ? scope : JSON.stringify(scope);
  return new ImproperlyConfigured(
    `No default throttle rate set for '${scope}' scope.${context} ` +
      `Add it to the defaultThrottleRates setting, e.g. defaultThrottleRates: { ${key}: '100/day' } (null for no limit).`,
  );
}
