/**
 * Throttling, mirroring DRF's tests/test_throttling.py (spec §14.4) with a fake clock, plus the
 * parts Gatehouse adds: start-up validation, atomic store verdicts, key expiry, async stores.
 */
import { describe, expect, it } from 'vitest';
import { ImproperlyConfigured, Throttled } from '../../src/exceptions.ts';
import {
  AnonRateThrottle,
  BaseThrottle,
  MemoryThrottleStore,
  ScopedRateThrottle,
  SimpleRateThrottle,
  UserRateThrottle,
  checkThrottles,
  parseRate,
  slideWindow,
  throttleWait,
  type ThrottleDecision,
  type ThrottleOptions,
  type ThrottleRequest,
  type ThrottleStore,
  type ThrottleVerdict,
  type ThrottleView,
  type TracedThrottleRequest,
} from '../../src/throttling/index.ts';

type Rates = Record<string, string | null>;

class Clock {
  now = 0;
  readonly timer = (): number => this.now;
}

function anonymous(clientAddress = '127.0.0.1'): ThrottleRequest {
  return { user: { isAuthenticated: false, pk: null }, clientAddress };
}

function user(pk: number | string, clientAddress = '127.0.0.1'): ThrottleRequest {
  return { user: { isAuthenticated: true, pk }, clientAddress };
}

function setup(rates: Rates) {
  const clock = new Clock();
  const store = new MemoryThrottleStore();
  const options: ThrottleOptions = { rates, store, timer: clock.timer };
  return { clock, store, options };
}

interface Outcome {
  status: 200 | 429;
  retryAfter?: string | undefined;
  detail?: string;
}

/** One request through the throttles, as the view sees it: 200, or 429 with Retry-After. */
function send(throttles: readonly BaseThrottle[], request: ThrottleRequest, view: ThrottleView = {}): Outcome {
  try {
    const pending = checkThrottles(throttles, request, view);
    expect(pending).toBeUndefined();
    return { status: 200 };
  } catch (error) {
    if (!(error instanceof Throttled)) throw error;
    return { status: 429, retryAfter: error.headers?.['retry-after'], detail: error.message };
  }
}

function sendTimes(n: number, throttles: readonly BaseThrottle[], request: ThrottleRequest, view: ThrottleView = {}): Outcome[] {
  return Array.from({ length: n }, () => send(throttles, request, view));
}

// DRF's User3SecRateThrottle / User3MinRateThrottle / User6MinRateThrottle, via the rates table.
const USER_RATES: Rates = { seconds: '3/sec', minutes: '3/min', sixmin: '6/min' };
class User3Sec extends UserRateThrottle {
  static override scope = 'seconds';
}
class User3Min extends UserRateThrottle {
  static override scope = 'minutes';
}
class User6Min extends UserRateThrottle {
  static override scope = 'sixmin';
}

describe('parseRate', () => {
  it.each([
    ['3/s', 3, 1],
    ['3/sec', 3, 1],
    ['3/m', 3, 60],
    ['3/min', 3, 60],
    ['3/mango', 3, 60],
    ['10/hour', 10, 3600],
    ['1/day', 1, 86400],
    ['0/d', 0, 86400],
  ])('%s is %i per %i s (only the first letter of the period counts)', (rate, numRequests, duration) => {
    expect(parseRate(rate)).toEqual({ numRequests, duration });
  });

  it('returns null for a null rate (no limit)', () => {
    expect(parseRate(null)).toBeNull();
  });

  it.each(['abc', '3/x', '-1/m', '3', '3/', '/m', '3.5/m', '3/m/s', '', ' 3/m', '3/M'])(
    'rejects %j at start-up, naming it and the accepted form',
    (rate) => {
      expect(() => parseRate(rate)).toThrow(ImproperlyConfigured);
      expect(() => parseRate(rate)).toThrow(`Invalid throttle rate ${JSON.stringify(rate)}`);
      expect(() => parseRate(rate)).toThrow(/'<number of requests>\/<period>'.*s, m, h or d/);
    },
  );
});

describe('ThrottlingTests (DRF)', () => {
  it('throttles the 4th request within a second', () => {
    const { options } = setup(USER_RATES);
    const throttles = [new User3Sec(options)];
    const outcomes = sendTimes(4, throttles, user(1)).map((o) => o.status);
    expect(outcomes).toEqual([200, 200, 200, 429]);
  });

  it('lets requests through again once the window has passed', () => {
    const { clock, options } = setup(USER_RATES);
    const throttles = [new User3Sec(options)];
    sendTimes(4, throttles, user(1));
    clock.now = 1;
    expect(send(throttles, user(1)).status).toBe(200);
  });

  it('throttles per user', () => {
    const { options } = setup(USER_RATES);
    const throttles = [new User3Sec(options)];
    sendTimes(3, throttles, user('a'));
    expect(send(throttles, user('b')).status).toBe(200);
    expect(send(throttles, user('a')).status).toBe(429);
  });

  it('runs every throttle on every request (3/s + 6/min)', () => {
    const { clock, options } = setup(USER_RATES);
    const throttles = [new User3Sec(options), new User6Min(options)];
    const request = user(1);
    expect(sendTimes(3, throttles, request).map((o) => o.status)).toEqual([200, 200, 200]);
    expect(send(throttles, request)).toMatchObject({ status: 429, retryAfter: '1' });

    clock.now = 1;
    expect(sendTimes(2, throttles, request).map((o) => o.status)).toEqual([200, 200]);
    expect(send(throttles, request)).toMatchObject({ status: 429, retryAfter: '59' });

    clock.now = 2;
    expect(send(throttles, request)).toMatchObject({ status: 429, retryAfter: '58' });
  });

  it('drops the null wait of a lowered rate and keeps the other throttle’s (rate change negative)', () => {
    const { options } = setup(USER_RATES);
    const request = user(1);
    const outcomes = sendTimes(24, [new User3Sec(options), new User6Min(options)], request);
    expect(outcomes.at(-1)).toMatchObject({ status: 429, retryAfter: '60' });

    // Restarting with a lower rate: the same store now holds more history than the rate allows.
    const lowered = { ...options, rates: { ...USER_RATES, seconds: '1/sec' } };
    const last = sendTimes(24, [new User3Sec(lowered), new User6Min(lowered)], request).at(-1);
    expect(last).toMatchObject({ status: 429, retryAfter: '60' });
  });

  it('sends Retry-After only on the refusal (seconds and minutes fields)', () => {
    const { options } = setup(USER_RATES);
    const perSecond = sendTimes(4, [new User3Sec(options)], user(1));
    expect(perSecond.map((o) => o.retryAfter)).toEqual([undefined, undefined, undefined, '1']);
    const perMinute = sendTimes(4, [new User3Min(options)], user(2));
    expect(perMinute.map((o) => o.retryAfter)).toEqual([undefined, undefined, undefined, '60']);
  });

  it('never throttles requests spaced at the rate (next rate remains constant if followed)', () => {
    const { clock, options } = setup(USER_RATES);
    const throttles = [new User3Min(options)];
    for (const t of [0, 20, 40, 60, 80]) {
      clock.now = t;
      expect(send(throttles, user(1)).status).toBe(200);
    }
  });

  it('refuses without Retry-After when the throttle knows no wait (non-time throttle)', () => {
    class OnceThrottle extends BaseThrottle {
      #called = false;
      allowRequest(): ThrottleDecision {
        const allowed = !this.#called;
        this.#called = true;
        return { allowed, wait: null };
      }
    }
    const throttles = [new OnceThrottle()];
    expect(send(throttles, anonymous())).toEqual({ status: 200 });
    expect(send(throttles, anonymous())).toEqual({ status: 429, retryAfter: undefined, detail: 'Request was throttled.' });
  });

  it('does not record refused requests', () => {
    const { clock, options } = setup(USER_RATES);
    const throttles = [new User3Min(options)];
    sendTimes(3, throttles, user(1));
    clock.now = 30;
    expect(sendTimes(10, throttles, user(1)).every((o) => o.status === 429)).toBe(true);
    // Had the refusals at t=30 counted, the window would still be full at t=60.
    clock.now = 60;
    expect(sendTimes(3, throttles, user(1)).map((o) => o.status)).toEqual([200, 200, 200]);
  });
});

describe('ScopedRateThrottleTests (DRF)', () => {
  const x: ThrottleView = { throttleScope: 'x' };
  const y: ThrottleView = { throttleScope: 'y' };

  it('counts each scope at its own rate', () => {
    const { clock, options } = setup({ x: '3/min', y: '1/min' });
    const throttles = [new ScopedRateThrottle(options)];
    // DRF's timeline: [time, view, status]. At t=60 the first x request has left the window.
    const timeline: [number, ThrottleView, number][] = [
      [0, x, 200], [1, x, 200], [2, x, 200], [3, x, 429],
      [4, y, 200], [5, y, 429],
      [60, x, 200], [61, x, 200], [62, x, 200], [63, x, 429],
      [64, y, 200], [65, y, 429],
    ];
    for (const [time, view, status] of timeline) {
      clock.now = time;
      expect([time, send(throttles, anonymous(), view).status]).toEqual([time, status]);
    }
  });

  it('does not throttle a view without a scope', () => {
    const { options } = setup({ x: '1/min' });
    const throttles = [new ScopedRateThrottle(options)];
    expect(sendTimes(10, throttles, anonymous()).every((o) => o.status === 200)).toBe(true);
    expect(sendTimes(10, throttles, anonymous(), { throttleScope: '' }).every((o) => o.status === 200)).toBe(true);
  });

  it('keys by user pk when authenticated, by address otherwise', () => {
    const { options } = setup({ user: '1/min' });
    const throttle = new ScopedRateThrottle(options);
    expect(throttle.getCacheKey(user(25), { throttleScope: 'user' })).toBe('throttle_user_25');
    expect(throttle.getCacheKey(anonymous('9.9.9.9'), { throttleScope: 'scoped' })).toBe('throttle_scoped_9.9.9.9');
    expect(throttle.getCacheKey(anonymous(), {})).toBeNull();
  });

  it('does not throttle a scope whose rate is null', () => {
    const { options } = setup({ x: null });
    expect(sendTimes(10, [new ScopedRateThrottle(options)], anonymous(), x).every((o) => o.status === 200)).toBe(true);
  });

  it('checks view scopes at start-up, naming the scope and the fix', () => {
    const { options } = setup({ x: '3/min' });
    const throttle = new ScopedRateThrottle(options);
    expect(() => throttle.checkScope('x')).not.toThrow();
    expect(() => throttle.checkScope('uploads')).toThrow(ImproperlyConfigured);
    expect(() => throttle.checkScope('uploads')).toThrow(/^No default throttle rate set for 'uploads' scope\..*defaultThrottleRates/);
  });

  it('still refuses an unchecked scope with no rate at request time', () => {
    const { options } = setup({ x: '3/min' });
    expect(() => send([new ScopedRateThrottle(options)], anonymous(), { throttleScope: 'nope' })).toThrow(
      "No default throttle rate set for 'nope' scope.",
    );
  });

  it('validates every rate in the table at construction', () => {
    const { options } = setup({ x: '3/min', y: 'often' });
    expect(() => new ScopedRateThrottle(options)).toThrow('Invalid throttle rate "often"');
  });
});

describe('BaseThrottle and SimpleRateThrottle (DRF unit tests)', () => {
  it('requires allowRequest and getCacheKey (compile-time, DRF raises NotImplementedError)', () => {
    // @ts-expect-error allowRequest is abstract
    class NoAllow extends BaseThrottle {}
    // @ts-expect-error getCacheKey is abstract
    class NoKey extends SimpleRateThrottle {
      static override rate = '1/min';
    }
    expect([NoAllow, NoKey]).toHaveLength(2);
  });

  it('getIdent is the address the request resolved; X-Forwarded-For is not read here', () => {
    const { options } = setup({ anon: '1/min' });
    const throttle = new AnonRateThrottle(options);
    expect(throttle.getIdent(anonymous('3.3.3.3'))).toBe('3.3.3.3');
  });

  it('requires a scope or a rate', () => {
    class Unscoped extends SimpleRateThrottle {
      getCacheKey(): string {
        return 'k';
      }
    }
    const { options } = setup({});
    expect(() => new Unscoped(options)).toThrow("You must set either `static scope` or `static rate` for 'Unscoped' throttle.");
  });

  it("throws DRF's message plus the fix when the scope has no rate", () => {
    const { options } = setup({ user: '1/min' });
    expect(() => new AnonRateThrottle(options)).toThrow(ImproperlyConfigured);
    expect(() => new AnonRateThrottle(options)).toThrow(
      "No default throttle rate set for 'anon' scope. Add it to the defaultThrottleRates setting, e.g. defaultThrottleRates: { anon: '100/day' } (null for no limit).",
    );
  });

  it('takes a class rate over the rates table (DRF’s `rate` attribute)', () => {
    class Burst extends UserRateThrottle {
      static override scope = 'burst';
      static override rate = '2/sec';
    }
    const { options } = setup({});
    expect(sendTimes(3, [new Burst(options)], user(1)).map((o) => o.status)).toEqual([200, 200, 429]);
  });

  it('never throttles a null rate (DRF’s defaults) and touches no store', () => {
    const { store, options } = setup({ anon: null, user: null });
    const throttles = [new AnonRateThrottle(options), new UserRateThrottle(options)];
    expect(sendTimes(50, throttles, anonymous()).every((o) => o.status === 200)).toBe(true);
    expect(store.size).toBe(0);
  });

  it('lets a request with a null key through uncounted', () => {
    const { store, options } = setup({ anon: '1/min' });
    const throttle = new AnonRateThrottle(options);
    expect(sendTimes(5, [throttle], user(1)).every((o) => o.status === 200)).toBe(true);
    expect(store.size).toBe(0);
  });

  it('formats keys with cacheFormat', () => {
    class Prefixed extends AnonRateThrottle {
      static override cacheFormat = 'app:%(scope)s:%(ident)s';
    }
    const { options } = setup({ anon: '1/min' });
    expect(new Prefixed(options).getCacheKey(anonymous('1.2.3.4'))).toBe('app:anon:1.2.3.4');
  });

  it('waits duration / (limit + 1) with an empty history: 1/60 s gives 30', () => {
    expect(throttleWait({ allowed: false, historyLength: 0, oldest: null }, 1, 60, 0)).toBe(30);
    // Reached through a throttle: a 0/min rate refuses with an empty window, 60 / (0 + 1).
    const { options } = setup({ anon: '0/min' });
    expect(new AnonRateThrottle(options).allowRequest(anonymous(), {})).toEqual({ allowed: false, wait: 60 });
  });

  it('waits null when no request will become available (rate lowered below the history)', () => {
    expect(throttleWait({ allowed: false, historyLength: 3, oldest: 0 }, 1, 60, 0)).toBeNull();
    expect(throttleWait({ allowed: false, historyLength: 2, oldest: 0 }, 1, 60, 0)).toBeNull();
    expect(throttleWait({ allowed: false, historyLength: 1, oldest: 0 }, 1, 60, 15)).toBe(45);
  });
});

describe('AnonRateThrottle and UserRateThrottle', () => {
  it('anon: ignores authenticated users, keys anonymous ones by address', () => {
    const { options } = setup({ anon: '3/min' });
    const throttle = new AnonRateThrottle(options);
    expect(throttle.getCacheKey(user(1))).toBeNull();
    expect(throttle.getCacheKey(anonymous())).toBe('throttle_anon_127.0.0.1');
    expect(throttle.getCacheKey(anonymous('1.2.3.4,5.6.7.8'))).toBe('throttle_anon_1.2.3.4,5.6.7.8');
  });

  it('user: keys users by pk and anonymous clients by address', () => {
    const { options } = setup({ user: '5/min' });
    const throttle = new UserRateThrottle(options);
    expect(throttle.getCacheKey(user(25))).toBe('throttle_user_25');
    expect(throttle.getCacheKey(anonymous())).toBe('throttle_user_127.0.0.1');
  });

  it('anon 3/min + user 5/min: anonymous clients get 3, users 5', () => {
    const { options } = setup({ anon: '3/min', user: '5/min' });
    const throttles = [new AnonRateThrottle(options), new UserRateThrottle(options)];
    const anon = sendTimes(4, throttles, anonymous());
    expect(anon.map((o) => o.status)).toEqual([200, 200, 200, 429]);
    expect(anon[3]).toEqual({
      status: 429,
      retryAfter: '60',
      detail: 'Request was throttled. Expected available in 60 seconds.',
    });
    expect(sendTimes(6, throttles, user(25)).map((o) => o.status)).toEqual([200, 200, 200, 200, 200, 429]);
  });
});

describe('checkThrottles', () => {
  /** A throttle with a fixed answer that counts its calls. */
  class Fixed extends BaseThrottle {
    calls = 0;
    constructor(readonly decision: ThrottleDecision) {
      super();
    }
    allowRequest(): ThrottleDecision {
      this.calls++;
      return this.decision;
    }
  }

  const refuse = (wait: number | null) => new Fixed({ allowed: false, wait });

  it('asks every throttle even after one refused, and raises the longest wait', () => {
    const throttles = [refuse(5), refuse(null), new Fixed({ allowed: true, wait: null }), refuse(12.2)];
    expect(send(throttles, anonymous())).toMatchObject({ status: 429, retryAfter: '13' });
    expect(throttles.map((t) => t.calls)).toEqual([1, 1, 1, 1]);
  });

  it('raises Throttled without a wait when every wait is null', () => {
    expect(() => checkThrottles([refuse(null), refuse(null)], anonymous(), {})).toThrow(
      expect.objectContaining({ wait: undefined, headers: undefined, message: 'Request was throttled.' }),
    );
  });

  it("uses DRF's messages: plural, and singular for 1 second", () => {
    expect(() => checkThrottles([refuse(59.2)], anonymous(), {})).toThrow('Request was throttled. Expected available in 60 seconds.');
    expect(() => checkThrottles([refuse(0.4)], anonymous(), {})).toThrow('Request was throttled. Expected available in 1 second.');
    try {
      checkThrottles([refuse(0.4)], anonymous(), {});
    } catch (error) {
      expect(error).toBeInstanceOf(Throttled);
      expect((error as Throttled).body()).toEqual({ detail: 'Request was throttled. Expected available in 1 second.' });
      expect((error as Throttled).headers).toEqual({ 'retry-after': '1' });
    }
  });

  it('admits with no throttles at all', () => {
    expect(checkThrottles([], anonymous(), {})).toBeUndefined();
  });

  it('records each decision in the request trace', () => {
    const trace: unknown[] = [];
    const request: TracedThrottleRequest = { ...anonymous(), record: (d) => trace.push(d) };
    expect(() => checkThrottles([new Fixed({ allowed: true, wait: null }), refuse(3)], request, {})).toThrow(Throttled);
    expect(trace).toEqual([
      { step: 'throttle', by: 'Fixed', outcome: 'allowed' },
      { step: 'throttle', by: 'Fixed', outcome: 'throttled', wait: 3 },
    ]);
  });

  describe('with an asynchronous store', () => {
    /** A remote-like store: the memory store's answers, one tick later, with the call order logged. */
    class AsyncStore implements ThrottleStore {
      readonly inner = new MemoryThrottleStore();
      readonly log: string[] = [];
      async hit(key: string, limit: number, duration: number, now: number): Promise<ThrottleVerdict> {
        this.log.push(`start ${key}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        this.log.push(`end ${key}`);
        return this.inner.hit(key, limit, duration, now);
      }
    }

    it('returns a promise, runs the throttles one after another, and rejects with Throttled', async () => {
      const store = new AsyncStore();
      const clock = new Clock();
      const options: ThrottleOptions = { rates: { anon: '1/min', user: '5/min' }, store, timer: clock.timer };
      const throttles = [new AnonRateThrottle(options), new UserRateThrottle(options)];
      const first = checkThrottles(throttles, anonymous(), {});
      expect(first).toBeInstanceOf(Promise);
      await first;
      expect(store.log).toEqual([
        'start throttle_anon_127.0.0.1',
        'end throttle_anon_127.0.0.1',
        'start throttle_user_127.0.0.1',
        'end throttle_user_127.0.0.1',
      ]);
      await expect(checkThrottles(throttles, anonymous(), {})).rejects.toMatchObject({ status: 429, wait: 60 });
      // The user throttle admitted (and recorded) the refused request too.
      expect(store.inner.hit('throttle_user_127.0.0.1', 5, 60, 0)).toMatchObject({ historyLength: 2 });
    });

    it('switches to async midway when only a later throttle is asynchronous', async () => {
      const store = new AsyncStore();
      const options: ThrottleOptions = { rates: { user: '1/min' }, store, timer: () => 0 };
      const sync = refuse(7);
      const pending = checkThrottles([sync, new UserRateThrottle(options)], anonymous(), {});
      expect(pending).toBeInstanceOf(Promise);
      await expect(pending).rejects.toMatchObject({ wait: 7 });
      expect(sync.calls).toBe(1);
    });
  });
});

describe('slideWindow and MemoryThrottleStore', () => {
  it('drops entries at or before now - duration, refuses at the limit without recording', () => {
    const history = [0, 10, 20];
    expect(slideWindow(history, 3, 60, 60)).toEqual({ allowed: true, historyLength: 2, oldest: 10 });
    expect(history).toEqual([10, 20, 60]);
    expect(slideWindow(history, 3, 60, 61)).toEqual({ allowed: false, historyLength: 3, oldest: 10 });
    expect(history).toEqual([10, 20, 60]);
  });

  it('answers synchronously with the verdict the wait needs', () => {
    const store = new MemoryThrottleStore();
    expect(store.hit('k', 2, 60, 0)).toEqual({ allowed: true, historyLength: 0, oldest: null });
    expect(store.hit('k', 2, 60, 5)).toEqual({ allowed: true, historyLength: 1, oldest: 0 });
    expect(store.hit('k', 2, 60, 6)).toEqual({ allowed: false, historyLength: 2, oldest: 0 });
  });

  it('forgets expired keys as later requests arrive', () => {
    const store = new MemoryThrottleStore();
    for (let i = 0; i < 1000; i++) store.hit(`ip-${i}`, 1, 60, 0);
    expect(store.size).toBe(1000);
    for (let i = 0; i < 1000; i++) store.hit('steady', 1000, 60, 60);
    expect(store.size).toBe(1);
  });

  it('stays bounded under a stream of distinct clients', () => {
    const store = new MemoryThrottleStore();
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      store.hit(`ip-${i}`, 1, 60, i / 10); // 10 new clients a second, each remembered for 60 s
      largest = Math.max(largest, store.size);
    }
    // 600 keys are live at any moment; sweeping two keys a hit holds the map near twice that.
    expect(largest).toBeLessThan(1300);
  });

  it('does not keep a key whose first request was refused', () => {
    const store = new MemoryThrottleStore();
    expect(store.hit('blocked', 0, 60, 0).allowed).toBe(false);
    expect(store.size).toBe(0);
  });
});
