/**
 * Throttling over HTTP (the algorithm itself is unit-tested in tests/unit/throttling.test.ts): the
 * demo with anonymous 3/min, user 5/min and scoped 2/min, as the reference's throttling profile
 * (spec §5, §13 "Throttled"), DRF's ordering (authentication and permissions run before throttles, so
 * refused requests never consume quota), and DESIGN departure 2 (X-Forwarded-For is ignored unless
 * `numProxies` is set; then the address that many hops from the right counts).
 *
 * A fake clock is injected by subclassing the throttles (`timer` is a constructor option), so waits and
 * window expiry are asserted exactly, never timed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AllowAny,
  AnonRateThrottle,
  APIView,
  BaseThrottle,
  createApp,
  path,
  Response,
  SimpleRateThrottle,
  TokenAuthentication,
  UserRateThrottle,
  type Gatehouse,
  type SettingsInput,
} from '../../src/index.ts';
import type { ThrottleDecision, ThrottleOptions, ThrottleRequest } from '../../src/throttling/index.ts';
import { APIClient, type TestResponse } from '../../src/testing/index.ts';
import { demoApp, TOKENS } from '../helpers.ts';

const RATES = { anon: '3/min', user: '5/min', scoped: '2/min' };
const THROTTLED_60 = { detail: 'Request was throttled. Expected available in 60 seconds.' };

/** The clock every clocked throttle reads, in seconds. */
const clock = { now: 1_000_000 };

class ClockedAnonRateThrottle extends AnonRateThrottle {
  constructor(options: ThrottleOptions) {
    super({ ...options, timer: () => clock.now });
  }
}

class ClockedUserRateThrottle extends UserRateThrottle {
  constructor(options: ThrottleOptions) {
    super({ ...options, timer: () => clock.now });
  }
}

const opened: { app: Gatehouse; client: APIClient }[] = [];

async function throttledDemo(settings: SettingsInput = {}): Promise<APIClient> {
  const app = await demoApp({
    defaultAuthenticationClasses: [TokenAuthentication],
    defaultThrottleClasses: [AnonRateThrottle, UserRateThrottle],
    defaultThrottleRates: RATES,
    ...settings,
  });
  const client = new APIClient(app);
  opened.push({ app, client });
  return client;
}

afterEach(async () => {
  for (const { app, client } of opened.splice(0)) {
    await client.close();
    await app.close();
  }
});

async function statuses(send: () => Promise<TestResponse>, times: number): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < times; i++) result.push((await send()).status);
  return result;
}

describe('anonymous 3/min and user 5/min on the demo', () => {
  it('the 4th anonymous request is a 429 with Retry-After and DRF\'s message', async () => {
    const client = await throttledDemo();
    expect(await statuses(() => client.get('/life/'), 3)).toEqual([200, 200, 200]);
    const response = await client.get('/life/');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    const wait = Number(response.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(response.data).toEqual({ detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.` });
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
  });

  it('the count is per client, not per route: the 4th request anywhere is refused', async () => {
    const client = await throttledDemo();
    await client.get('/life/');
    await client.get('/life/1/');
    await client.get('/surveys/');
    expect((await client.get('/composed/')).status).toBe(429);
  });

  it('users are counted by pk: the 6th is refused, another user and anonymous are not affected', async () => {
    const client = await throttledDemo();
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    expect(await statuses(() => client.get('/life/'), 5)).toEqual([200, 200, 200, 200, 200]);
    expect((await client.get('/life/')).status).toBe(429);
    client.credentials({ authorization: `Token ${TOKENS.bob}` });
    expect((await client.get('/life/')).status).toBe(200);
    client.credentials({});
    expect(await statuses(() => client.get('/life/'), 3)).toEqual([200, 200, 200]);
  });

  it('authenticated users are not limited by the anonymous rate', async () => {
    const client = await throttledDemo();
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    expect(await statuses(() => client.get('/life/'), 5)).toEqual([200, 200, 200, 200, 200]);
  });

  it('the scoped view allows 2 per minute, on a count of its own', async () => {
    const client = await throttledDemo();
    expect(await statuses(() => client.get('/scoped/'), 3)).toEqual([200, 200, 429]);
    // /scoped/ has only ScopedRateThrottle: the default anon count is untouched.
    expect(await statuses(() => client.get('/life/'), 3)).toEqual([200, 200, 200]);
    // Scoped counts are per user too.
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    expect(await statuses(() => client.get('/scoped/'), 3)).toEqual([200, 200, 429]);
  });

  it('unauthenticated requests refused by a permission do not consume quota', async () => {
    const client = await throttledDemo();
    expect(await statuses(() => client.get('/example/'), 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
  });

  it('a write refused by a view permission does not consume quota', async () => {
    const client = await throttledDemo();
    // Anonymous POST on surveys: IsAuthenticatedOrReadOnly refuses before the throttles run.
    expect(await statuses(() => client.post('/surveys/', { title: 'x' }), 5)).toEqual([401, 401, 401, 401, 401]);
    expect(await statuses(() => client.get('/surveys/'), 4)).toEqual([200, 200, 200, 429]);
  });

  it('failed authentication does not consume quota', async () => {
    const client = await throttledDemo();
    client.credentials({ authorization: 'Token nope' });
    expect(await statuses(() => client.get('/life/'), 5)).toEqual([401, 401, 401, 401, 401]);
    client.credentials({});
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
  });

  it('a bad token while throttled is 401 "Invalid token.", not 429 (authentication runs first)', async () => {
    const client = await throttledDemo();
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
    client.credentials({ authorization: 'Token nope' });
    const response = await client.get('/life/');
    expect(response.status).toBe(401);
    expect(response.data).toEqual({ detail: 'Invalid token.' });
    expect(response.headers['www-authenticate']).toBe('Token');
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('an anonymous permission denial while throttled is 401, not 429', async () => {
    const client = await throttledDemo();
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
    expect((await client.get('/example/')).status).toBe(401);
  });

  it('object-level denials happen after the throttles (in getObject), so they do count', async () => {
    const client = await throttledDemo();
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    // Survey 21 is bob's: IsCreatorOrReadOnly refuses alice's PATCH at object level.
    expect(await statuses(() => client.patch('/surveys/21/', { title: 'x' }), 5)).toEqual([403, 403, 403, 403, 403]);
    expect((await client.get('/life/')).status).toBe(429);
  });
});

describe('waits and windows, with a fake clock', () => {
  async function clockedDemo(settings: SettingsInput = {}): Promise<APIClient> {
    clock.now = 1_000_000;
    return throttledDemo({ defaultThrottleClasses: [ClockedAnonRateThrottle, ClockedUserRateThrottle], ...settings });
  }

  it('3 requests at t=0, then 429 with Retry-After 60 and "Expected available in 60 seconds."', async () => {
    const client = await clockedDemo();
    expect(await statuses(() => client.get('/life/'), 3)).toEqual([200, 200, 200]);
    const response = await client.get('/life/');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('60');
    expect(response.data).toEqual(THROTTLED_60);
  });

  it('the wait shrinks as time passes, and the window frees up after 60 s', async () => {
    const client = await clockedDemo();
    await statuses(() => client.get('/life/'), 3);
    clock.now += 30;
    const half = await client.get('/life/');
    expect(half.status).toBe(429);
    expect(half.headers['retry-after']).toBe('30');
    expect(half.data).toEqual({ detail: 'Request was throttled. Expected available in 30 seconds.' });
    clock.now += 29.5;
    const almost = await client.get('/life/');
    expect(almost.headers['retry-after']).toBe('1');
    expect(almost.data).toEqual({ detail: 'Request was throttled. Expected available in 1 second.' });
    clock.now += 0.5;
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
  });

  it('requests spaced 20 s apart under 3/min are never throttled', async () => {
    const client = await clockedDemo();
    for (let i = 0; i < 6; i++) {
      expect((await client.get('/life/')).status).toBe(200);
      clock.now += 20;
    }
  });

  it('every throttle sees every request: requests refused by the anon throttle still count for the user throttle', async () => {
    const client = await clockedDemo({ defaultThrottleRates: { anon: '3/min', user: '5/hour', scoped: null } });
    // t=0: the anon throttle refuses the 4th and 5th, but the user throttle (by address) records them.
    expect(await statuses(() => client.get('/life/'), 5)).toEqual([200, 200, 200, 429, 429]);
    clock.now += 61;
    // The anon window is clear, but the user throttle now holds 5 in the hour: its wait decides.
    const response = await client.get('/life/');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe(String(3600 - 61));
  });

  it('the longest wait of the refusing throttles is reported', async () => {
    const client = await clockedDemo({ defaultThrottleRates: { anon: '1/min', user: '1/hour', scoped: null } });
    expect((await client.get('/life/')).status).toBe(200);
    const response = await client.get('/life/');
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('3600');
  });
});

// ------------------------------------------------------------------------------------------ own views

/** Allows the first request and refuses the rest, with no idea how long to wait (DRF's test_non_time_throttle). */
class OnceThrottle extends BaseThrottle {
  #seen = false;
  allowRequest(): ThrottleDecision {
    if (this.#seen) return { allowed: false, wait: null };
    this.#seen = true;
    return { allowed: true, wait: null };
  }
}

class OnceView extends APIView {
  static override permissionClasses = [AllowAny];
  static override throttleClasses = [OnceThrottle];
  get(): Response {
    return new Response({ ok: true });
  }
}

abstract class ClockedFixedRate extends SimpleRateThrottle {
  constructor(options: ThrottleOptions) {
    super({ ...options, timer: () => clock.now });
  }
  getCacheKey(request: ThrottleRequest): string {
    return this.formatCacheKey(this.constructor.name, this.getIdent(request));
  }
}

class ThreePerSecond extends ClockedFixedRate {
  static override rate = '3/sec';
}

class SixPerMinute extends ClockedFixedRate {
  static override rate = '6/min';
}

class TwoThrottlesView extends APIView {
  static override permissionClasses = [AllowAny];
  static override throttleClasses = [ThreePerSecond, SixPerMinute];
  get(): Response {
    return new Response({ ok: true });
  }
}

async function ownApp(settings: SettingsInput = {}): Promise<APIClient> {
  const app = await createApp({
    settings: { secretKey: 'throttling-test', databaseUrl: 'sqlite::memory:', defaultAuthenticationClasses: [], ...settings },
    routes: [path('/once/', OnceView), path('/two/', TwoThrottlesView)],
  });
  await app.migrate();
  const client = new APIClient(app);
  opened.push({ app, client });
  return client;
}

describe('throttle classes on a view', () => {
  it('a refusal without a wait is "Request was throttled." with no Retry-After', async () => {
    const client = await ownApp();
    const first = await client.get('/once/');
    expect(first.status).toBe(200);
    expect(first.headers['retry-after']).toBeUndefined();
    const second = await client.get('/once/');
    expect(second.status).toBe(429);
    expect(second.data).toEqual({ detail: 'Request was throttled.' });
    expect(second.headers['retry-after']).toBeUndefined();
  });

  it('3/sec with 6/min (DRF test_request_throttling_multiple_throttles): Retry-After 1, then 59, then 58', async () => {
    clock.now = 5_000;
    const client = await ownApp();
    expect(await statuses(() => client.get('/two/'), 3)).toEqual([200, 200, 200]);
    const first = await client.get('/two/');
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('1');
    clock.now += 1;
    expect(await statuses(() => client.get('/two/'), 2)).toEqual([200, 200]);
    const second = await client.get('/two/');
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('59');
    clock.now += 1;
    const third = await client.get('/two/');
    expect(third.headers['retry-after']).toBe('58');
  });
});

// ------------------------------------------------------------------------------------------ departure 2

describe('departure 2: X-Forwarded-For counts only behind a configured number of proxies', () => {
  const xff = (value: string) => ({ headers: { 'x-forwarded-for': value } });

  it('numProxies unset (null): changing X-Forwarded-For does not dodge the anon throttle', async () => {
    const client = await throttledDemo();
    expect((await client.get('/life/', xff('1.1.1.1'))).status).toBe(200);
    expect((await client.get('/life/', xff('2.2.2.2'))).status).toBe(200);
    expect((await client.get('/life/', xff('3.3.3.3, 4.4.4.4'))).status).toBe(200);
    const response = await client.get('/life/', xff('5.5.5.5'));
    expect(response.status).toBe(429);
    // No header at all: the same client (the socket address).
    expect((await client.get('/life/')).status).toBe(429);
  });

  it('numProxies 0: the header is ignored too', async () => {
    const client = await throttledDemo({ numProxies: 0 });
    for (const address of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) expect((await client.get('/life/', xff(address))).status).toBe(200);
    expect((await client.get('/life/', xff('4.4.4.4'))).status).toBe(429);
  });

  it('numProxies 1: the rightmost address identifies the client', async () => {
    const client = await throttledDemo({ numProxies: 1 });
    // A client can prepend what it likes; the proxy appends the real address last.
    for (const spoof of ['9.9.9.9', '8.8.8.8', '7.7.7.7']) {
      expect((await client.get('/life/', xff(`${spoof}, 1.1.1.1`))).status).toBe(200);
    }
    expect((await client.get('/life/', xff('6.6.6.6, 1.1.1.1'))).status).toBe(429);
    expect((await client.get('/life/', xff('1.1.1.1'))).status).toBe(429);
    // Another real client behind the same proxy is counted separately.
    expect((await client.get('/life/', xff('1.1.1.1, 2.2.2.2'))).status).toBe(200);
    // Without the header, the socket address.
    expect(await statuses(() => client.get('/life/'), 4)).toEqual([200, 200, 200, 429]);
  });

  it('numProxies 2: the second address from the right (DRF XffSpoofingTests / XffUniqueMachinesTest)', async () => {
    const client = await throttledDemo({ numProxies: 2, defaultThrottleRates: { anon: '1/day', user: null, scoped: null } });
    expect((await client.get('/life/', xff('0.0.0.0, 1.1.1.1, 2.2.2.2'))).status).toBe(200);
    expect((await client.get('/life/', xff('4.4.4.4, 1.1.1.1, 2.2.2.2'))).status).toBe(429);
    expect((await client.get('/life/', xff('0.0.0.0, 7.7.7.7, 2.2.2.2'))).status).toBe(200);
  });

  it('numProxies larger than the header: the leftmost address', async () => {
    const client = await throttledDemo({ numProxies: 3, defaultThrottleRates: { anon: '1/day', user: null, scoped: null } });
    expect((await client.get('/life/', xff('3.3.3.3, 2.2.2.2'))).status).toBe(200);
    expect((await client.get('/life/', xff('3.3.3.3, 5.5.5.5'))).status).toBe(429);
  });

  it('the user throttle counts anonymous clients by the same address', async () => {
    const client = await throttledDemo({ numProxies: 1, defaultThrottleRates: { anon: null, user: '2/min', scoped: null } });
    expect((await client.get('/life/', xff('9.9.9.9, 1.1.1.1'))).status).toBe(200);
    expect((await client.get('/life/', xff('8.8.8.8, 1.1.1.1'))).status).toBe(200);
    expect((await client.get('/life/', xff('7.7.7.7, 1.1.1.1'))).status).toBe(429);
    expect((await client.get('/life/', xff('3.3.3.3'))).status).toBe(200);
  });
});
