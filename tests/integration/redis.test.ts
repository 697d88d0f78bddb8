/**
 * Redis: the throttle store is exact under concurrency (one Lua script per hit), keeps DRF's window
 * arithmetic, and expires its keys; the session store keeps sessions only in Redis, with Django's
 * lifecycle (new key at login, deleted at logout, a replayed cookie refused, other sessions logged
 * out by a password change), expiring with the session.
 *
 * Skipped, with the reason in its title, when Redis is unreachable; under CI (`CI` set) an unreachable
 * Redis fails instead, since CI provides one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Gatehouse } from '../../src/index.ts';
import { APIClient, deleteRedisKeys } from '../../src/testing/index.ts';
import { RedisThrottleStore } from '../../src/throttling/redis-store.ts';
import { MemoryThrottleStore } from '../../src/throttling/memory-store.ts';
import { demoApp, PASSWORDS, REDIS_URL, redisUnavailable } from '../helpers.ts';
import { cookieValue, formLogin, formLogout, setCookie } from '../support/forms.ts';

const unavailable = await redisUnavailable();
const skip = unavailable !== null && !process.env.CI;
const prefix = `gh_redis_test_${process.pid}_${randomBytes(3).toString('hex')}:`;

describe.skipIf(skip)(skip ? `Redis (skipped: ${unavailable})` : 'Redis', () => {
  let redis: Redis;

  beforeAll(() => {
    if (unavailable !== null) throw new Error(`${unavailable}; CI must provide Redis.`);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis?.disconnect();
    await deleteRedisKeys(REDIS_URL, prefix);
  });

  describe('the throttle store', () => {
    it('admits exactly the limit of 200 concurrent hits, from several clients', async () => {
      // Separate connections, as separate processes would have: the script is the only serialisation.
      const clients = [new Redis(REDIS_URL), new Redis(REDIS_URL), new Redis(REDIS_URL), new Redis(REDIS_URL)];
      try {
        const stores = clients.map((c) => new RedisThrottleStore(c, prefix));
        const now = Date.now() / 1000;
        const verdicts = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % stores.length]!.hit('concurrent', 37, 60, now)));
        expect(verdicts.filter((v) => v.allowed)).toHaveLength(37);
        expect(await redis.zcard(`${prefix}throttle:concurrent`)).toBe(37);
      } finally {
        for (const c of clients) c.disconnect();
      }
    });

    it('gives the same verdicts as the in-memory store (DRF sliding window) over a sequence of hits', async () => {
      const store = new RedisThrottleStore(redis, prefix);
      const memory = new MemoryThrottleStore();
      const start = 1_700_000_000.25;
      // Bursts, gaps longer than the window, and fractional timestamps.
      const times = [0, 0.5, 1, 1.5, 2, 2.1, 9.9, 10.0, 10.2, 11.7, 25, 25.001, 25.002, 30, 41].map((t) => start + t);
      for (const now of times) {
        const fromRedis = await store.hit('sequence', 3, 10, now);
        const fromMemory = memory.hit('sequence', 3, 10, now);
        expect(fromRedis, `at +${(now - start).toFixed(3)} s`).toEqual(fromMemory);
      }
    });

    it('expires a key with its window', async () => {
      const store = new RedisThrottleStore(redis, prefix);
      await store.hit('expiring', 5, 30, Date.now() / 1000);
      const ttl = await redis.pttl(`${prefix}throttle:expiring`);
      expect(ttl).toBeGreaterThan(25_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    });

    it('throttles a view through the app: 429 with Retry-After past the rate, shared by two apps', async () => {
      const keyPrefix = `${prefix}app:`;
      const settings = { redisUrl: REDIS_URL, redisKeyPrefix: keyPrefix, defaultThrottleRates: { scoped: '3/minute' } };
      const [one, two] = [await demoApp(settings), await demoApp(settings)];
      const clients = [new APIClient(one), new APIClient(two)];
      try {
        expect(one.throttleStore).toBeInstanceOf(RedisThrottleStore);
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++) statuses.push((await clients[i % 2]!.get('/scoped/')).status);
        expect(statuses).toEqual([200, 200, 200, 429, 429]);
        const refused = await clients[0]!.get('/scoped/');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect(refused.data).toEqual({ detail: expect.stringMatching(/^Request was throttled\. Expected available in \d+ seconds?\.$/) });
      } finally {
        for (const c of clients) await c.close();
        await one.close();
        await two.close();
      }
    });
  });

  describe('the session store', () => {
    let app: Gatehouse;
    const keyPrefix = `${prefix}sessions:`;
    const stored = (key: string) => redis.get(`${keyPrefix}session:${key}`);

    beforeAll(async () => {
      app = await demoApp({ redisUrl: REDIS_URL, redisKeyPrefix: keyPrefix, sessionStore: 'redis' });
    });
    afterAll(async () => {
      await app?.close();
    });

    it('keeps a login only in Redis, expiring with the session', async () => {
      const client = new APIClient(app, { enforceCsrfChecks: true });
      try {
        const login = await formLogin(client, 'bob', PASSWORDS.bob!);
        expect(login.status).toBe(302);
        const key = cookieValue(setCookie(login, 'sessionid')!);
        const data = JSON.parse((await stored(key))!) as Record<string, unknown>;
        expect(data._auth_user_id).toBe(String((await app.accounts.getUserByUsername('bob'))!.id));
        expect(JSON.stringify(data)).not.toContain(PASSWORDS.bob);
        const ttl = await redis.pttl(`${keyPrefix}session:${key}`);
        expect(ttl).toBeGreaterThan((app.settings.sessionCookieAge - 60) * 1000);
        const rows = await app.db.kysely.selectFrom('django_session').selectAll().execute();
        expect(rows).toHaveLength(0);
        expect((await client.get('/example/')).data).toEqual({ user: 'bob', auth: null });
      } finally {
        await client.close();
      }
    });

    it('changes the key at login, deletes the session at logout, and refuses the old cookie after', async () => {
      const client = new APIClient(app, { enforceCsrfChecks: true });
      try {
        const first = cookieValue(setCookie(await formLogin(client, 'alice', PASSWORDS.alice!), 'sessionid')!);
        const second = cookieValue(setCookie(await formLogin(client, 'alice', PASSWORDS.alice!), 'sessionid')!);
        expect(second).not.toBe(first);
        expect(await stored(first)).toBeNull();
        expect((await formLogout(client)).status).toBe(302);
        expect(await stored(second)).toBeNull();
        const replay = new APIClient(app);
        const response = await replay.get('/example/', { headers: { cookie: `sessionid=${second}` } });
        await replay.close();
        expect(response.status).toBe(403);
        expect(response.data).toEqual({ detail: 'Authentication credentials were not provided.' });
      } finally {
        await client.close();
      }
    });

    it('logs out other sessions when the password changes', async () => {
      const client = new APIClient(app, { enforceCsrfChecks: true });
      try {
        expect((await formLogin(client, 'dave', PASSWORDS.dave!)).status).toBe(302);
        expect((await client.get('/example/')).status).toBe(200);
        const dave = (await app.accounts.getUserByUsername('dave'))!;
        await app.accounts.setPassword(dave.id, 'a-new-password-9');
        const after = await client.get('/example/');
        expect(after.status).toBe(403);
        await app.accounts.setPassword(dave.id, PASSWORDS.dave!);
      } finally {
        await client.close();
      }
    });

    it('reads corrupt session data as an anonymous session, and clearsessions has nothing to do', async () => {
      await redis.set(`${keyPrefix}session:corruptsessionkey0001`, '{not json', 'PX', 60_000);
      const client = new APIClient(app);
      try {
        const response = await client.get('/example/', { headers: { cookie: 'sessionid=corruptsessionkey0001' } });
        expect(response.status).toBe(403);
      } finally {
        await client.close();
      }
      expect(await app.accounts.clearExpiredSessions()).toBe(0);
    });
  });
});
