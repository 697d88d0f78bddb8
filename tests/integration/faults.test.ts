/**
 * Faults: what a client sees, and what the process does, when a backing service fails.
 *
 * - PostgreSQL down: API requests answer 503 JSON with Retry-After within a bound (never 500, never a
 *   hang), the outage is logged at most once per 10 s, and when the service returns the same app
 *   answers 200 again, without a restart.
 * - A PostgreSQL connection killed mid-request, during a burst of creates: every answer is 201 or 503,
 *   and afterwards every acknowledged (201) row is in the table exactly once, complete, with its
 *   creator; nothing is written twice or in part.
 * - Redis down or hung: no request waits on it for long (bounded commands); general throttles follow
 *   `throttleFailurePolicy` (open and logged by default, 503 when 'closed'); the login form and the
 *   obtain-token view always fail closed (503, never a token); a request carrying a Redis session
 *   answers 503 (never served as anonymous); everything works again once Redis is back.
 * - SIGTERM: `gatehouse serve` finishes the request in flight, takes no new ones, and exits with 0.
 *
 * The shared PostgreSQL and Redis are never stopped: the app reaches them through a TcpProxy
 * (tests/support/tcp-proxy.ts) that the tests take down, stall or cut. Each suite is skipped, with
 * the reason in its title, when its service is unreachable; under CI (`CI` set) it fails instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import http from 'node:http';
import type { Readable } from 'node:stream';
import pg from 'pg';
import { SessionAuthentication, TokenAuthentication, type Gatehouse } from '../../src/index.ts';
import { APIClient, deleteRedisKeys, type TestResponse } from '../../src/testing/index.ts';
import type { Logger } from '../../src/logging.ts';
import { redisReady } from '../../src/db/redis.ts';
import { demoApp, freshTestSchema, PASSWORDS, POSTGRES_URL, postgresUnavailable, REDIS_URL, redisUnavailable, TOKENS } from '../helpers.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const BIN = new URL('../../bin/gatehouse.js', import.meta.url).pathname;
const SCALE_APP = new URL('../support/scale-app.ts', import.meta.url).pathname;
const ALICE_PASSWORD = PASSWORDS.alice!;

// Bounds say "does not hang", not "is fast": the machine is small and shared with other test files.
const DB_DOWN_BOUND_MS = 10_000; // a refused connection fails at once; the pool's connect timeout is 5 s
const REDIS_DOWN_BOUND_MS = 3_000; // no offline queue: a command fails at once while disconnected
const REDIS_STALL_BOUND_MS = 5_000; // every Redis command gives up after 1 s

const [pgUnavailable, redisDown] = await Promise.all([postgresUnavailable(), redisUnavailable()]);
const skipPostgres = pgUnavailable !== null && !process.env.CI;
const skipRedis = redisDown !== null && !process.env.CI;

interface Logged {
  level: 'warn' | 'error';
  msg: string;
  obj: Record<string, unknown>;
}

/** Points the app's (public, mutable) logger at an array, so a test can see what an outage logs. */
function captureLogs(app: Gatehouse): Logged[] {
  const logged: Logged[] = [];
  const logger: Logger = {
    info() {},
    warn: (obj, msg) => void logged.push({ level: 'warn', msg: msg ?? '', obj: obj as Record<string, unknown> }),
    error: (obj, msg) => void logged.push({ level: 'error', msg: msg ?? '', obj: obj as Record<string, unknown> }),
  };
  app.logger = logger;
  return logged;
}

/** The work's result and how long it took; rejects if it takes longer than `limitMs` (a hang). */
async function timed<T>(work: Promise<T>, limitMs = 30_000): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
  });
  try {
    const value = await Promise.race([work, hang]);
    return { value, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** The answer an outage must give: 503, DRF's JSON error body, and when to retry. */
function expectOutage(response: TestResponse): void {
  expect(response.status, response.text).toBe(503);
  expect(String(response.headers['content-type'])).toMatch(/^application\/json/);
  expect(response.data).toEqual({ detail: expect.any(String) });
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `url` with its port replaced, so the app reaches the service through the proxy. */
function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

function proxyFor(url: string, defaultPort: number): TcpProxy {
  const { hostname, port } = new URL(url);
  return new TcpProxy({ host: hostname, port: Number(port || defaultPort) });
}

describe.skipIf(skipPostgres)(skipPostgres ? `faults: PostgreSQL (skipped: ${pgUnavailable})` : 'faults: PostgreSQL', () => {
  let proxy: TcpProxy;
  let app: Gatehouse;
  let client: APIClient;
  let logged: Logged[];
  let directUrl: string;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (pgUnavailable !== null) throw new Error(`${pgUnavailable}; CI must provide PostgreSQL.`);
    proxy = proxyFor(POSTGRES_URL, 5432);
    await proxy.up();
    const schema = await freshTestSchema();
    directUrl = schema.url;
    drop = schema.drop;
    // The app's pool goes through the proxy; the schema (in the URL's search_path) is ours alone.
    app = await demoApp(
      { databaseUrl: throughProxy(schema.url, proxy.port), defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication] },
      'postgres',
    );
    logged = captureLogs(app);
    client = new APIClient(app);
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await proxy?.down();
    await drop();
  });

  it('down: 503 JSON with Retry-After within a bound, logged once; back up: 200 with no restart', async () => {
    const alice = { authorization: `Token ${TOKENS.alice}` };
    expect((await client.get('/surveys/', { headers: alice })).status).toBe(200);
    logged.length = 0;

    await proxy.down();
    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      // Token authentication itself needs the database: it must fail as an outage, not as a 401/500.
      const surveys = await timed(client.get('/surveys/', { headers: alice }));
      expectOutage(surveys.value);
      expect(surveys.ms).toBeLessThan(DB_DOWN_BOUND_MS);
      const life = await timed(client.get('/life/'));
      expectOutage(life.value);
      expect(life.ms).toBeLessThan(DB_DOWN_BOUND_MS);
    }
    // Six failed requests: one warning per 10 s, naming the backend; no error (an error is a 500).
    const warnings = logged.filter((l) => l.msg === 'database unavailable');
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 10_000));
    expect(warnings[0]!.obj).toMatchObject({ backend: 'database' });
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);

    await proxy.up();
    // The pool opens new connections by itself: the same app object serves again.
    const surveys = await client.get('/surveys/', { headers: alice });
    expect(surveys.status).toBe(200);
    expect(Array.isArray(surveys.data)).toBe(true);
    expect((await client.get('/life/')).status).toBe(200);
  });

  it('connections killed mid-request during a burst of creates: 201 or 503 only, every acknowledged row stored once and whole', async () => {
    const alice = { authorization: `Token ${TOKENS.alice}` };
    await proxy.up();
    logged.length = 0;
    const run = `burst-${Date.now()}`;
    const total = 60;
    // Cut every connection after the 5th, 15th, 30th and 45th answers: with dozens of requests still
    // waiting for the pool's ten connections, each cut lands on queries in flight.
    const cutAfter = new Set([5, 15, 30, 45]);
    let answered = 0;
    let cuts = 0;
    const burst = Array.from({ length: total }, (_, i) =>
      timed(client.post('/surveys/', { title: `${run}-${i}` }, { headers: alice })).then(({ value }) => {
        answered++;
        if (cutAfter.has(answered)) {
          cuts++;
          proxy.cut();
        }
        return { title: `${run}-${i}`, response: value };
      }),
    );
    // Had an abrupt reset reached an unhandled 'error' event (a crash in a server), vitest would fail
    // the run with an uncaught exception.
    const results = await Promise.all(burst);
    expect(cuts).toBe(cutAfter.size);

    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s !== 201 && s !== 503), JSON.stringify(results.filter((r) => r.response.status !== 201 && r.response.status !== 503).map((r) => r.response.text))).toEqual([]);
    // Both outcomes happened: the cuts did interrupt requests, and requests between them succeeded.
    expect(statuses).toContain(201);
    expect(statuses).toContain(503);
    for (const { response } of results.filter((r) => r.response.status === 503)) expectOutage(response);
    expect(logged.filter((l) => l.level === 'error')).toEqual([]);

    // Read the table directly (not through the proxy) and compare with what was acknowledged.
    const db = new pg.Client({ connectionString: directUrl });
    await db.connect();
    try {
      // Ids are bigint identities: this plain client returns them as strings; compare them as numbers.
      const { rows: users } = await db.query<{ id: number }>('SELECT id::int AS id FROM auth_user WHERE username = $1', ['alice']);
      const aliceId = users[0]!.id;
      const { rows } = await db.query<{ id: number; title: string | null; status: string | null; creator_id: number | null }>(
        'SELECT id::int AS id, title, status, creator_id::int AS creator_id FROM survey WHERE title LIKE $1',
        [`${run}-%`],
      );
      const byTitle = new Map<string, typeof rows>();
      for (const row of rows) byTitle.set(row.title!, [...(byTitle.get(row.title!) ?? []), row]);
      // No title twice, no partial row, every row alice's.
      for (const [title, copies] of byTitle) expect(copies.length, title).toBe(1);
      for (const row of rows) expect(row).toEqual({ id: expect.any(Number), title: expect.any(String), status: 'draft', creator_id: aliceId });
      // Every 201 is in the table, under the id it was acknowledged with. (A 503 may or may not
      // have committed: the connection can die after COMMIT, before the answer; it was not acknowledged.)
      for (const { title, response } of results.filter((r) => r.response.status === 201)) {
        const stored = byTitle.get(title);
        expect(stored, `acknowledged ${title} is missing`).toBeDefined();
        expect(response.data).toEqual({ id: stored![0]!.id, title, status: 'draft', creator: 'alice' });
      }
    } finally {
      await db.end();
    }

    // The app carries on as if nothing happened.
    const after = await client.post('/surveys/', { title: `${run}-after` }, { headers: alice });
    expect(after.status).toBe(201);
    expect((await client.get('/surveys/', { headers: alice })).status).toBe(200);
  });
});

describe.skipIf(skipRedis)(skipRedis ? `faults: Redis (skipped: ${redisDown})` : 'faults: Redis', () => {
  const prefixes: string[] = [];
  const apps: Gatehouse[] = [];
  const clients: APIClient[] = [];
  let proxy: TcpProxy;
  /** Default policy (open), `scoped` 5/minute, `login` 100/minute, sessions in Redis. */
  let open: Gatehouse;
  let openLogs: Logged[];
  /** throttleFailurePolicy 'closed'. */
  let closed: Gatehouse;

  async function redisApp(settings: Parameters<typeof demoApp>[0]): Promise<Gatehouse> {
    const prefix = `gh_faults_${process.pid}_${prefixes.length}_${Date.now()}:`;
    prefixes.push(prefix);
    const app = await demoApp(
      {
        redisUrl: throughProxy(REDIS_URL, proxy.port),
        redisKeyPrefix: prefix,
        defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication],
        ...settings,
      },
      'sqlite',
    );
    apps.push(app);
    return app;
  }

  function clientOf(app: Gatehouse): APIClient {
    const client = new APIClient(app);
    clients.push(client);
    return client;
  }

  /** Brings Redis back and waits until every app's client has reconnected (it retries every <= 2 s). */
  async function redisUp(): Promise<void> {
    await proxy.up();
    await waitUntil(async () => (await Promise.all(apps.map((app) => redisReady(app.redis!)))).every((error) => error === null), 20_000, 'Redis to reconnect');
  }

  beforeAll(async () => {
    if (redisDown !== null) throw new Error(`${redisDown}; CI must provide Redis.`);
    proxy = proxyFor(REDIS_URL, 6379);
    await proxy.up();
    open = await redisApp({ defaultThrottleRates: { scoped: '5/minute', login: '100/minute' }, sessionStore: 'redis' });
    openLogs = captureLogs(open);
    closed = await redisApp({ defaultThrottleRates: { scoped: '5/minute' }, throttleFailurePolicy: 'closed' });
    captureLogs(closed);
  });

  afterAll(async () => {
    for (const client of clients) await client.close();
    for (const app of apps) await app.close();
    await proxy?.down();
    for (const prefix of prefixes) await deleteRedisKeys(REDIS_URL, prefix);
  });

  it('down: general throttles fail open quickly and log it by default; with the closed policy, 503', async () => {
    await redisUp();
    const client = clientOf(open);
    // The 6th request in a minute is refused: the count lives in Redis.
    const before: number[] = [];
    for (let i = 0; i < 6; i++) before.push((await client.get('/scoped/')).status);
    expect(before).toEqual([200, 200, 200, 200, 200, 429]);
    const closedClient = clientOf(closed);
    expect((await closedClient.get('/scoped/')).status).toBe(200);
    openLogs.length = 0;

    await proxy.down();
    // Over the limit, but the limiter cannot be asked: the default policy admits.
    const admitted = await timed(client.get('/scoped/'));
    expect(admitted.value.status).toBe(200);
    expect(admitted.value.data).toEqual({ ok: true });
    expect(admitted.ms).toBeLessThan(REDIS_DOWN_BOUND_MS);
    // The operator is told that throttling is off, not only that Redis dropped the connection.
    expect(openLogs.filter((l) => l.level === 'warn').map((l) => l.msg)).toContain('throttle store unavailable; failing open');
    expect(openLogs.filter((l) => l.level === 'error')).toEqual([]);

    const refused = await timed(closedClient.get('/scoped/'));
    expectOutage(refused.value);
    expect(refused.ms).toBeLessThan(REDIS_DOWN_BOUND_MS);
  });

  it('down: the obtain-token view and the login form fail closed (503, no token); back up: they work', async () => {
    const client = clientOf(open);
    const credentials = { username: 'alice', password: ALICE_PASSWORD };
    await proxy.down();

    const token = await timed(client.post('/api-token-auth/', credentials));
    expectOutage(token.value);
    expect(token.value.text).not.toContain(TOKENS.alice);
    expect(token.ms).toBeLessThan(REDIS_DOWN_BOUND_MS);

    const form = await timed(client.post('/api-auth/login/', credentials, { format: 'form' }));
    expectOutage(form.value);
    expect(form.value.headers['set-cookie']).toBeUndefined();
    expect(form.ms).toBeLessThan(REDIS_DOWN_BOUND_MS);

    await redisUp();
    const ok = await client.post('/api-token-auth/', credentials);
    expect(ok.status).toBe(200);
    expect(ok.data).toEqual({ token: TOKENS.alice });
    const login = await client.post('/api-auth/login/', credentials, { format: 'form' });
    expect(login.status).toBe(302);
    expect(client.cookies.has('sessionid')).toBe(true);
  });

  it('hung (stalled) or down: throttles answer within a bound; a Redis session is 503, never anonymous; then it recovers', async () => {
    await redisUp();
    const client = clientOf(open);
    expect(await client.login({ username: 'alice', password: ALICE_PASSWORD })).toBe(true);
    expect((await client.get('/example/')).data).toEqual({ user: 'alice', auth: null });
    // Another user's token: this test's /scoped/ requests count apart from the anonymous ones above.
    const bob = clientOf(open);
    bob.credentials({ authorization: `Token ${TOKENS.bob}` });

    proxy.stall();
    const scoped = await timed(bob.get('/scoped/'));
    expect(scoped.value.status).toBe(200);
    expect(scoped.ms).toBeLessThan(REDIS_STALL_BOUND_MS);
    const session = await timed(client.get('/example/'));
    expectOutage(session.value);
    expect(session.ms).toBeLessThan(REDIS_STALL_BOUND_MS);

    // The stalled proxy dropped what it was given, so those connections are out of step; a hung server
    // that recovers would answer in order. Reset them, as a server restart would, and come back.
    proxy.cut();
    await redisUp();
    expect((await client.get('/example/')).data).toEqual({ user: 'alice', auth: null });

    await proxy.down();
    const down = await timed(client.get('/example/'));
    expectOutage(down.value);
    expect(down.ms).toBeLessThan(REDIS_DOWN_BOUND_MS);
    // Where anonymous users may read too, the unreadable session is still not taken for anonymous.
    expectOutage(await client.get('/surveys/'));
    // The session survives the outage: it was not deleted, nor replaced by a new one.
    expect(down.value.headers['set-cookie']).toBeUndefined();

    await redisUp();
    const back = await client.get('/example/');
    expect(back.status).toBe(200);
    expect(back.data).toEqual({ user: 'alice', auth: null });
    expect(openLogs.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('faults: SIGTERM', () => {
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;

  afterAll(() => {
    // Only if an assertion failed before it exited.
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('drains the request in flight, refuses new ones, and exits 0', async () => {
    // /slow/ touches no table, so an unmigrated in-memory database will do.
    const env = { ...process.env, GATEHOUSE_TEST_SETTINGS: JSON.stringify({ databaseUrl: 'sqlite::memory:' }) };
    const server = spawn(process.execPath, [BIN, 'serve', '--app', SCALE_APP, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = server;
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      server.on('exit', (code, signal) => resolve({ code, signal })),
    );

    await waitUntil(() => /serving on http:\/\/127\.0\.0\.1:\d+\//.test(output) || server.exitCode !== null, 60_000, 'the server to start');
    const port = Number(/serving on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1]);
    expect(port, output).toBeGreaterThan(0);
    // Warm up, so the slow request is being handled (not still queued) when the signal comes.
    expect((await httpGet(port, '/slow/?ms=0')).status).toBe(200);

    const inFlight = httpGet(port, '/slow/?ms=4000');
    let drainedEarly = false;
    const settle = () => void (drainedEarly = true);
    inFlight.then(settle, settle);
    await new Promise((resolve) => setTimeout(resolve, 500));
    server.kill('SIGTERM');
    const signalled = Date.now();

    // New connections: answered normally until the child has handled the signal, then refused (the
    // listener is closed) or at most answered 503 - and that while the slow request is still running.
    // One that arrives as the listener closes may be reset instead: not served either, so keep trying.
    const seen: (number | string)[] = [];
    await waitUntil(
      async () => {
        seen.push(
          await httpGet(port, '/slow/?ms=0').then(
            (response) => response.status,
            (error: NodeJS.ErrnoException) => error.code ?? error.message,
          ),
        );
        return seen.at(-1) === 'ECONNREFUSED' || seen.at(-1) === 503;
      },
      3_000,
      'the server to stop taking new requests',
    );
    expect(seen.filter((outcome) => ![200, 'ECONNRESET', 'ECONNREFUSED', 503].includes(outcome)), output).toEqual([]);
    expect(drainedEarly, 'the in-flight request ended before new ones were refused').toBe(false);

    const drained = await inFlight;
    expect(drained.status, output).toBe(200);
    expect(JSON.parse(drained.body)).toMatchObject({ slept: 4000 });

    const { code, signal } = await timed(exited, 15_000).then((r) => r.value);
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(15_000);
  });
});

/** A GET on a connection of its own (no keep-alive pool), so "a new connection" is exactly that. */
function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    // Never a hang: a connection the server neither serves nor refuses fails the attempt.
    request.setTimeout(10_000, () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}
