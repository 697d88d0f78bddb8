/**
 * Several server processes sharing one PostgreSQL and one Redis behave as one server. This is what
 * `--workers N` and horizontal scaling rely on: no state may hide in a process's memory.
 *
 * Two real `gatehouse serve` processes on different ports (tests/support/scale-app.ts, the demo with
 * Redis sessions and a shared Redis throttle store), driven over real HTTP, show that:
 * - a session logged in through one process authenticates on the other (CSRF included);
 * - a logout on one is refused by the other on the very next request, and so is a revoked token;
 * - a throttle of N per minute admits exactly N of 200 concurrent requests split over both processes
 *   (each process keeping its own count would admit 2N; a read-then-write store would overshoot).
 * And `gatehouse serve --workers 2` puts two worker processes behind one port, and on SIGTERM the
 * primary lets a request in flight finish, waits for the workers to exit, and exits 0.
 *
 * Skipped, with the reason in its title, when PostgreSQL or Redis is unreachable; under CI (`CI` set)
 * that fails instead, since CI provides both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { deleteRedisKeys } from '../../src/testing/index.ts';
import { formTokenOf } from '../support/forms.ts';
import { demoApp, freshTestSchema, PASSWORDS, postgresUnavailable, REDIS_URL, redisUnavailable, TOKENS } from '../helpers.ts';

const BIN = new URL('../../bin/gatehouse.js', import.meta.url).pathname;
const APP = new URL('../support/scale-app.ts', import.meta.url).pathname;

// The servers and the seeding must agree: it seals the stored tokens and signs the session hashes.
const SECRET_KEY = 'multiprocess-test-secret';
// Not a round number, so an accidental default or a per-process count (2 × N) cannot pass for it.
const RATE = 37;
const CONCURRENT = 200;

const unavailable = (await postgresUnavailable()) ?? (await redisUnavailable());
const skip = unavailable !== null && !process.env.CI;

// ------------------------------------------------------------------ child processes

type Child = ChildProcessByStdio<null, Readable, Readable>;

interface ServerProcess {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly child: Child;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves with the exit code (null if killed by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited after the grace period. */
  stop(): Promise<number | null>;
}

const READY = /Gatehouse serving on (http:\/\/[^/\s]+)\//;

/**
 * Starts `gatehouse serve` on a port the kernel picks (`--port 0`, so no race for a free port) and
 * resolves once it prints its address. A process that exits or stays silent is reported with its output.
 */
function startServer(extraArgs: string[], settings: Record<string, unknown>, timeoutMs = 45_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--app', APP, '--port', '0', ...extraArgs], {
    env: { ...process.env, GATEHOUSE_TEST_SETTINGS: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
      if ((await Promise.race([exited, grace])) === 'timeout') child.kill('SIGKILL');
    }
    return exited;
  };

  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`gatehouse serve ${extraArgs.join(' ')} ${reason}. Its output:\n${output}`));
    };
    const timer = setTimeout(() => fail(`printed no address within ${timeoutMs / 1000} s`), timeoutMs);
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    const early = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited during start-up (${signal ?? `code ${code}`})`);
    child.once('exit', early);
    const ready = () => {
      const match = READY.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout.off('data', ready);
      child.off('exit', early);
      resolve({ url: match[1]!, child, output: () => output, exited, stop });
    };
    child.stdout.on('data', ready);
  });
}

// ------------------------------------------------------------------ HTTP

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The connection it came over, to tell whether requests shared connections. */
  socket: Socket;
}

interface Send {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** `false` for a new connection per request (Node's default agent would pool them). */
  agent?: http.Agent | false;
  /** Called once the request is fully written to the connection. */
  onSent?: () => void;
}

/**
 * One request over node:http rather than fetch: it sends exactly the headers given (fetch may add an
 * Origin, which the CSRF check inspects) and lets the throttle test control the connection pool.
 */
function send(url: string, { method = 'GET', headers = {}, body, agent = false, onSent }: Send = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      // Taken now: a pooled connection is detached from the response once it ends.
      const socket = response.socket;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, socket }));
      response.on('error', reject);
    });
    request.on('error', reject);
    if (onSent) request.on('finish', onSent);
    request.end(body);
  });
}

function json(reply: Reply): unknown {
  try {
    return JSON.parse(reply.body);
  } catch {
    throw new Error(`Expected JSON, got ${reply.status}: ${reply.body.slice(0, 500)}`);
  }
}

/** A browser's cookie jar, reduced to what these servers set: name=value, deleted by an empty value or Max-Age=0. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** Takes the reply's Set-Cookie headers and returns the reply. */
  absorb(reply: Reply): Reply {
    for (const line of reply.headers['set-cookie'] ?? []) {
      const [pair = '', ...attributes] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (value === '' || value === '""' || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return reply;
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

const FORM = 'application/x-www-form-urlencoded';

// ------------------------------------------------------------------ the tests

describe.skipIf(skip)(skip ? `multi-process servers (skipped: ${unavailable})` : 'multi-process servers on shared PostgreSQL and Redis', () => {
  const redisKeyPrefix = `gh_mp_${process.pid}_${randomBytes(3).toString('hex')}:`;
  let settings: Record<string, unknown>;
  let dropSchema: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (unavailable !== null) throw new Error(`${unavailable}; CI must provide PostgreSQL and Redis.`);
    const schema = await freshTestSchema();
    dropSchema = schema.drop;
    // Migrated and seeded once, here: servers starting side by side must not race to create tables.
    const seeding = await demoApp({ databaseUrl: schema.url, secretKey: SECRET_KEY });
    await seeding.close();
    settings = {
      secretKey: SECRET_KEY,
      databaseUrl: schema.url,
      redisUrl: REDIS_URL,
      redisKeyPrefix,
      sessionStore: 'redis',
      defaultThrottleRates: { scoped: `${RATE}/minute` },
    };
  }, 60_000);

  afterAll(async () => {
    await deleteRedisKeys(REDIS_URL, redisKeyPrefix).catch(() => undefined);
    await dropSchema();
  });

  describe('two processes on different ports', () => {
    let a: ServerProcess;
    let b: ServerProcess;
    let redis: Redis;

    beforeAll(async () => {
      // Both settled before failing, so afterAll stops the one that did start.
      const [first, second] = await Promise.allSettled([startServer([], settings), startServer([], settings)]);
      if (first.status === 'fulfilled') a = first.value;
      if (second.status === 'fulfilled') b = second.value;
      if (first.status === 'rejected') throw first.reason;
      if (second.status === 'rejected') throw second.reason;
      expect(a.url).not.toBe(b.url);
      redis = new Redis(REDIS_URL);
    }, 60_000);

    afterAll(async () => {
      redis?.disconnect();
      const codes = await Promise.all([a?.stop(), b?.stop()]);
      // Each was told to stop with SIGTERM: anything but a clean exit is a shutdown bug worth seeing.
      for (const [i, code] of codes.entries()) {
        if (code !== undefined && code !== 0) throw new Error(`server ${i === 0 ? 'A' : 'B'} exited with ${code}:\n${[a, b][i]?.output()}`);
      }
    }, 40_000);

    it('a session logged in on one works on the other, and its logout is refused there on the very next request', async () => {
      const jar = new CookieJar();

      const form = jar.absorb(await send(`${a.url}/api-auth/login/`, { headers: { accept: 'text/html' } }));
      expect(form.status).toBe(200);
      const csrfField = formTokenOf(form.body);
      expect(jar.get('csrftoken')).toBeDefined();

      const login = jar.absorb(
        await send(`${a.url}/api-auth/login/`, {
          method: 'POST',
          headers: { 'content-type': FORM, cookie: jar.header() },
          body: new URLSearchParams({ username: 'alice', password: PASSWORDS.alice!, csrfmiddlewaretoken: csrfField }).toString(),
        }),
      );
      expect(login.status, login.body).toBe(302);
      const sessionId = jar.get('sessionid');
      expect(sessionId, 'the login sets a session cookie').toBeDefined();
      // The session lives in Redis, not in either process (nor in the database).
      expect(await redis.exists(`${redisKeyPrefix}session:${sessionId}`)).toBe(1);

      const onB = await send(`${b.url}/example/`, { headers: { cookie: jar.header() } });
      expect(onB.status, onB.body).toBe(200);
      expect(json(onB)).toEqual({ user: 'alice', auth: null });

      // An unsafe request on B with the CSRF cookie A rotated at login: CSRF is enforced and passes.
      const created = await send(`${b.url}/surveys/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: jar.header(), 'x-csrftoken': jar.get('csrftoken')! },
        body: JSON.stringify({ title: 'Made on B' }),
      });
      expect(created.status, created.body).toBe(201);
      expect(json(created)).toMatchObject({ title: 'Made on B', creator: 'alice' });
      const withoutToken = await send(`${b.url}/surveys/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: jar.header() },
        body: JSON.stringify({ title: 'No CSRF token' }),
      });
      expect(withoutToken.status).toBe(403);
      expect(json(withoutToken)).toEqual({ detail: 'CSRF Failed: CSRF token missing or incorrect.' });

      const cookieBeforeLogout = jar.header();
      const logout = await send(`${a.url}/api-auth/logout/`, {
        method: 'POST',
        headers: { 'content-type': FORM, cookie: jar.header() },
        body: new URLSearchParams({ csrfmiddlewaretoken: jar.get('csrftoken')! }).toString(),
      });
      expect(logout.status, logout.body).toBe(302);

      // The old cookie, replayed on B at once (a stolen cookie, or a tab that missed the logout).
      const afterLogout = await send(`${b.url}/example/`, { headers: { cookie: cookieBeforeLogout } });
      expect(afterLogout.status).toBe(403);
      expect(json(afterLogout)).toEqual({ detail: 'Authentication credentials were not provided.' });
      expect(await redis.exists(`${redisKeyPrefix}session:${sessionId}`)).toBe(0);
      // And on A, where the logout happened.
      expect((await send(`${a.url}/example/`, { headers: { cookie: cookieBeforeLogout } })).status).toBe(403);
    });

    it('a token revoked on one is refused by the other on the very next request; a new one works on both', async () => {
      const old = { authorization: `Token ${TOKENS.bob}` };
      for (const server of [a, b]) {
        const reply = await send(`${server.url}/example/`, { headers: old });
        expect(reply.status, reply.body).toBe(200);
        expect(json(reply)).toMatchObject({ user: 'bob' });
      }

      const revoked = await send(`${a.url}/api-token-revoke/`, { method: 'POST', headers: old });
      expect(revoked.status, revoked.body).toBe(204);

      // The first authenticator is SessionAuthentication, which has no challenge: so, as in DRF, the
      // failed token is a 403 (not a 401) and there is no WWW-Authenticate header.
      const refused = await send(`${b.url}/example/`, { headers: old });
      expect(refused.status).toBe(403);
      expect(json(refused)).toEqual({ detail: 'Invalid token.' });
      expect(refused.headers['www-authenticate']).toBeUndefined();
      expect((await send(`${a.url}/example/`, { headers: old })).status).toBe(403);

      const obtained = await send(`${b.url}/api-token-auth/`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams({ username: 'bob', password: PASSWORDS.bob! }).toString(),
      });
      expect(obtained.status, obtained.body).toBe(200);
      const { token } = json(obtained) as { token: string };
      expect(token).toMatch(/^[0-9a-f]{40}$/);
      expect(token).not.toBe(TOKENS.bob);
      for (const server of [a, b]) {
        const reply = await send(`${server.url}/example/`, { headers: { authorization: `Token ${token}` } });
        expect(reply.status, reply.body).toBe(200);
        expect(json(reply)).toMatchObject({ user: 'bob' });
      }
    });

    it(`a throttle of ${RATE}/minute admits exactly ${RATE} of ${CONCURRENT} concurrent requests over both processes`, async () => {
      // One pool per server with room for all its requests, so none waits for another's connection.
      const agents = [a, b].map(() => new http.Agent({ keepAlive: true, maxSockets: CONCURRENT / 2 }));
      try {
        // Every request is issued before any answer can arrive; all are anonymous from 127.0.0.1, so
        // they share one throttle key whichever process they reach.
        const replies = await Promise.all(
          Array.from({ length: CONCURRENT }, (_, i) => {
            const server = i % 2;
            return send(`${[a, b][server]!.url}/scoped/`, { agent: agents[server]! }).then((reply) => ({ server, reply }));
          }),
        );

        const perServer = [0, 1].map((server) => replies.filter((r) => r.server === server).map((r) => r.reply));
        for (const served of perServer) {
          expect(served).toHaveLength(CONCURRENT / 2);
          // In flight together: each request had a connection of its own.
          expect(new Set(served.map((reply) => reply.socket)).size).toBe(CONCURRENT / 2);
          expect(served.every((reply) => reply.status === 200 || reply.status === 429), served.map((r) => r.status).join(' ')).toBe(true);
          // Both processes enforced the shared limit.
          expect(served.some((reply) => reply.status === 429)).toBe(true);
        }

        const admitted = replies.filter((r) => r.reply.status === 200);
        const throttled = replies.filter((r) => r.reply.status === 429);
        expect(
          admitted.length,
          `admitted ${perServer.map((served) => served.filter((reply) => reply.status === 200).length).join(' + ')} (A + B)`,
        ).toBe(RATE);
        expect(throttled).toHaveLength(CONCURRENT - RATE);
        for (const { reply } of admitted) expect(json(reply)).toEqual({ ok: true });
        for (const { reply } of throttled) {
          expect(Number(reply.headers['retry-after'])).toBeGreaterThan(0);
          expect(json(reply)).toEqual({ detail: expect.stringMatching(/^Request was throttled\. Expected available in \d+ seconds?\.$/) });
        }

        // The shared window holds exactly the admitted requests: refused ones leave no trace in it.
        const keys = await redis.keys(`${redisKeyPrefix}throttle:*`);
        expect(keys).toHaveLength(1);
        expect(await redis.zcard(keys[0]!)).toBe(RATE);
      } finally {
        for (const agent of agents) agent.destroy();
      }
    });
  });

  describe('gatehouse serve --workers 2', () => {
    let cluster: ServerProcess | undefined;

    afterAll(async () => {
      await cluster?.stop();
    }, 20_000);

    it('answers from two worker processes behind one port, and on SIGTERM drains a request in flight and exits 0', async () => {
      cluster = await startServer(['--workers', '2'], settings);
      const primary = cluster.child.pid;

      // A new connection per request: the primary hands connections to the workers in turn.
      const pids = new Set<number>();
      for (let i = 0; i < 40 && pids.size < 2; i++) {
        const reply = await send(`${cluster.url}/slow/?ms=0`);
        expect(reply.status, reply.body).toBe(200);
        pids.add((json(reply) as { pid: number }).pid);
      }
      expect(pids.size, `pids answering: ${[...pids].join(', ')}`).toBe(2);
      expect(pids.has(primary!)).toBe(false);

      // Open a connection to a worker first, so the slow request surely reaches a worker (over an
      // accepted connection) rather than waiting in the primary when the signal arrives.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const warm = await send(`${cluster.url}/slow/?ms=0`, { agent });
        expect(warm.status).toBe(200);
        const worker = (json(warm) as { pid: number }).pid;

        let sent!: () => void;
        const written = new Promise<void>((resolve) => (sent = resolve));
        const slow = send(`${cluster.url}/slow/?ms=1500`, { agent, onSent: sent });
        await written;
        // Give the worker a moment to read the request it has been sent, so it is in flight, not queued.
        await new Promise((resolve) => setTimeout(resolve, 300));
        cluster.child.kill('SIGTERM');

        const reply = await slow;
        expect(reply.status, reply.body).toBe(200);
        expect(json(reply)).toEqual({ slept: 1500, pid: worker });
      } finally {
        agent.destroy();
      }

      const code = await Promise.race([
        cluster.exited,
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref()),
      ]);
      expect(code, cluster.output()).toBe(0);
      // The primary waited for its workers: none outlives it.
      for (const pid of pids) expect(isAlive(pid), `worker ${pid} still running`).toBe(false);
    }, 90_000);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
