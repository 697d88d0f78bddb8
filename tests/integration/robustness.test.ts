/**
 * Failure modes found in review: resource exhaustion through password hashing, races between
 * concurrent requests, values a view cannot send, and configuration the adapter must honour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import {
  APIView,
  AllowAny,
  BasePermission,
  IsAuthenticated,
  RemoteUserAuthentication,
  Response,
  TokenAuthentication,
  SessionAuthentication,
  createApp,
  createServer,
  gatehouse,
  path,
  type Gatehouse,
  type Request,
} from '../../src/index.ts';
import { checkPassword } from '../../src/auth/hashers.ts';
import { ServiceUnavailable } from '../../src/exceptions.ts';
import { Session } from '../../src/auth/sessions.ts';
import { APIClient } from '../../src/testing/index.ts';
import { demoApp, TOKENS } from '../helpers.ts';

describe('password hashing is bounded', () => {
  it('past two running hashes and a queue of 32, checks are refused with 503 instead of piling up', async () => {
    // One pbkdf2 iteration: cheap, but every check still goes through the limiter.
    const hash = 'pbkdf2_sha256$1$salt$' + 'x'.repeat(44);
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => checkPassword('pw', hash)));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      const error = (r as PromiseRejectedResult).reason as ServiceUnavailable;
      expect(error).toBeInstanceOf(ServiceUnavailable);
      expect(error.status).toBe(503);
      expect(error.headers).toEqual({ 'retry-after': '1' });
    }
    // Once the burst is over, checks run again.
    expect((await checkPassword('pw', hash)).valid).toBe(false);
  });
});

describe('races between requests', () => {
  let app: Gatehouse;
  beforeAll(async () => {
    app = await demoApp();
  });
  afterAll(async () => app.close());

  it('saving a session that a logout deleted meanwhile does not bring it back', async () => {
    const alice = (await app.accounts.getUserByUsername('alice'))!;
    const key = await app.accounts.createSessionFor(alice);
    const loaded = new Session(key, { _auth_user_id: String(alice.id) });
    await app.accounts.deleteSession(key); // the logout, finishing first
    loaded.set('cart', [1]);
    await expect(app.accounts.saveSession(loaded)).rejects.toMatchObject({ status: 400 });
    const row = await app.db.kysely.selectFrom('django_session').selectAll().where('session_key', '=', key).executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('concurrent creation of one username: one user, the others a validation error, never a crash', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, () => app.accounts.createUser({ username: 'racer', passwordHash: '!unusable' })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts.filter((a) => a.status === 'rejected')) {
      expect((a as PromiseRejectedResult).reason).toMatchObject({ status: 400, detail: { username: ['A user with that username already exists.'] } });
    }
  });

  it('concurrent first requests through RemoteUserAuthentication all authenticate the one new user', async () => {
    class WhoAmI extends APIView {
      static override authenticationClasses = [new RemoteUserAuthentication({ header: 'x-remote-user' })];
      static override permissionClasses = [IsAuthenticated];
      get(request: Request): Response {
        return new Response({ user: request.user.username });
      }
    }
    const remote = await createApp({ settings: { secretKey: 'x', databaseUrl: 'sqlite::memory:' }, routes: [path('/whoami/', WhoAmI)] });
    await remote.migrate();
    const client = new APIClient(remote);
    const responses = await Promise.all(Array.from({ length: 4 }, () => client.get('/whoami/', { headers: { 'x-remote-user': 'newcomer' } })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const long = await client.get('/whoami/', { headers: { 'x-remote-user': 'x'.repeat(151) } });
    expect(long.status).toBe(403);
    await client.close();
    await remote.close();
  });

  it('a permission that sets its message while deciding never shows one user another user\'s message', async () => {
    class OwnAccountOnly extends BasePermission {
      override async hasPermission(request: Request): Promise<boolean> {
        this.message = `Account 7 is not yours, ${request.user.username}.`;
        await new Promise((r) => setTimeout(r, request.user.username === 'alice' ? 30 : 0));
        return false;
      }
    }
    class Account extends APIView {
      static override authenticationClasses = [TokenAuthentication];
      static override permissionClasses = [OwnAccountOnly];
      get(): Response {
        return new Response({});
      }
    }
    const own = await createApp({ settings: { secretKey: 'x' }, routes: [path('/account/', Account)], database: app.db });
    const alice = new APIClient(own);
    const bob = new APIClient(own);
    alice.credentials({ authorization: `Token ${TOKENS.alice}` });
    bob.credentials({ authorization: `Token ${TOKENS.bob}` });
    const [a, b] = await Promise.all([alice.get('/account/'), bob.get('/account/')]);
    expect(a.data).toEqual({ detail: 'Account 7 is not yours, alice.' });
    expect(b.data).toEqual({ detail: 'Account 7 is not yours, bob.' });
    await alice.close();
    await bob.close();
  });
});

describe('what a view may and may not send', () => {
  class Headers extends APIView {
    static override authenticationClasses = [];
    static override permissionClasses = [AllowAny];
    get(request: Request): Response {
      const kind = request.queryParams.get('kind');
      if (kind === 'newline') return new Response({}, 201, { location: '/a\nSet-Cookie: x=1' });
      return new Response({}, 201, { location: '/café/☕/' });
    }
  }
  class File extends APIView {
    static override authenticationClasses = [];
    static override permissionClasses = [AllowAny];
    get(request: Request): Response {
      return new Response({ name: request.kwargs.name });
    }
  }
  let app: Gatehouse;
  let client: APIClient;
  const logged: string[] = [];
  beforeAll(async () => {
    app = await createApp({
      settings: { secretKey: 'x', databaseUrl: 'sqlite::memory:' },
      routes: [path('/headers/', Headers), path('/files/:name/', File), path('/:slug/', File)],
    });
    client = new APIClient(app);
    app.logger = { info() {}, warn() {}, error: (obj: object, msg?: string) => void logged.push(`${msg} ${JSON.stringify(obj)}`) };
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('a non-ASCII Location is percent-encoded, as Django does', async () => {
    const response = await client.get('/headers/');
    expect(response.status).toBe(201);
    expect(response.headers.location).toBe('/caf%C3%A9/%E2%98%95/');
  });

  it('a control character in a header is a logged 500 with a DRF body, never a split response', async () => {
    const response = await client.get('/headers/?kind=newline');
    expect(response.status).toBe(500);
    expect(response.data).toEqual({ detail: 'A server error occurred.' });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(logged.some((line) => line.includes('invalid response header value'))).toBe(true);
  });

  it('a path() parameter may contain a dot (only router lookups may not)', async () => {
    const response = await client.get('/files/report.pdf/');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ name: 'report.pdf' });
  });

  it('the trailing-slash redirect never sends a browser to another host', async () => {
    for (const target of ['/\\evil.com', '//evil.com']) {
      const response = await client.get(target);
      expect([target, response.status]).toEqual([target, 404]);
      expect(response.headers.location).toBeUndefined();
    }
    expect((await client.get('/files/a')).status).toBe(301);
  });
});

describe('the 401 challenge follows getAuthenticators()', () => {
  it('a per-action override decides the challenge, as DRF\'s get_authenticate_header does', async () => {
    class TokenOnly extends APIView {
      static override authenticationClasses = [SessionAuthentication];
      static override permissionClasses = [IsAuthenticated];
      override getAuthenticators() {
        return [new TokenAuthentication()];
      }
      get(): Response {
        return new Response({});
      }
    }
    const app = await createApp({ settings: { secretKey: 'x', databaseUrl: 'sqlite::memory:' }, routes: [path('/t/', TokenOnly)] });
    const client = new APIClient(app);
    const response = await client.get('/t/');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Token');
    await client.close();
    await app.close();
  });
});

describe('login and logout with bodies that are not forms', () => {
  it('a JSON null or list body is a failed login or a plain logout, never a 500', async () => {
    const app = await demoApp();
    const client = new APIClient(app);
    for (const body of ['null', '[1,2]', '"x"']) {
      const login = await client.post('/api-auth/login/', undefined, { body, headers: { 'content-type': 'application/json' } });
      expect([body, login.status]).toEqual([body, 200]);
      const logout = await client.post('/api-auth/logout/', undefined, { body, headers: { 'content-type': 'application/json' } });
      expect([body, logout.status]).toEqual([body, 302]);
    }
    await client.close();
    await app.close();
  });
});

describe('the Fastify plugin', () => {
  it("honours the app's bodyLimit whatever the host server's is", async () => {
    const app = await demoApp({ bodyLimit: 4 * 1024 * 1024, defaultAuthenticationClasses: [TokenAuthentication] });
    const host = Fastify({ bodyLimit: 1024 });
    await host.register(gatehouse, { app });
    const body = JSON.stringify({ a: 'x'.repeat(1024 * 1024) });
    const response = await host.inject({ method: 'POST', url: '/composed/', payload: body, headers: { 'content-type': 'application/json', authorization: `Token ${TOKENS.alice}` } });
    expect(response.statusCode).toBe(200);
    await host.close();
    await app.close();
  });

  it("names each media type the app's parsers take, so Fastify finds their parser once rather than per request", async () => {
    const app = await demoApp({ defaultAuthenticationClasses: [TokenAuthentication] });
    const host = Fastify();
    let plugin: { hasContentTypeParser(type: string): boolean } | undefined;
    await host.register(async (instance) => {
      plugin = instance;
      await gatehouse(instance, { app });
    });
    await host.ready();
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      expect([type, plugin!.hasContentTypeParser(type)]).toEqual([type, true]);
    }
    // Any other type still reaches the view, whose parsers answer 415.
    const response = await host.inject({
      method: 'POST',
      url: '/composed/',
      payload: 'x',
      headers: { 'content-type': 'text/x-other', authorization: `Token ${TOKENS.alice}` },
    });
    expect(response.statusCode).toBe(415);
    expect(JSON.parse(response.body)).toEqual({ detail: 'Unsupported media type "text/x-other" in request.' });
    await host.close();
    await app.close();
  });
});

describe('writing responses', () => {
  const events: string[] = [];
  class Marked extends APIView {
    static override authenticationClasses = [];
    static override permissionClasses = [AllowAny];
    get(request: Request): Response {
      const status = Number(request.queryParams.get('status') ?? 200);
      events.push(`handled ${request.queryParams.get('n') ?? ''}`);
      return new Response({ n: request.queryParams.get('n') }, status);
    }
  }
  let app: Gatehouse;
  let host: FastifyInstance;
  beforeAll(async () => {
    app = await createApp({ settings: { secretKey: 'x', databaseUrl: 'sqlite::memory:' }, routes: [path('/marked/', Marked)] });
    host = Fastify();
    host.addHook('onSend', async (request, _reply, payload) => {
      events.push(`sent ${new URL(request.url, 'http://x').searchParams.get('n') ?? ''}`);
      return payload;
    });
    await host.register(gatehouse, { app });
  });
  afterAll(async () => {
    await host.close();
    await app.close();
  });

  it('the responses of requests answered in one turn of the event loop are written together, after it', async () => {
    events.length = 0;
    const responses = await Promise.all(['1', '2', '3'].map((n) => host.inject({ method: 'GET', url: `/marked/?n=${n}` })));
    expect(responses.map((r) => [r.statusCode, r.body])).toEqual([
      [200, '{"n":"1"}'],
      [200, '{"n":"2"}'],
      [200, '{"n":"3"}'],
    ]);
    expect(events).toEqual(['handled 1', 'handled 2', 'handled 3', 'sent 1', 'sent 2', 'sent 3']);
  });

  it('a response Fastify refuses to write goes to the error handler, and the rest of the batch is written', async () => {
    const [refused, fine] = await Promise.all([
      host.inject({ method: 'GET', url: '/marked/?n=1&status=1000' }),
      host.inject({ method: 'GET', url: '/marked/?n=2' }),
    ]);
    expect(refused.statusCode).toBe(500);
    expect(JSON.parse(refused.body)).toEqual({ detail: 'A server error occurred.' });
    expect([fine.statusCode, fine.body]).toEqual([200, '{"n":"2"}']);
  });
});

describe('logging', () => {
  it('with a logger, createServer logs server errors through it', async () => {
    class Broken extends APIView {
      static override authenticationClasses = [];
      static override permissionClasses = [AllowAny];
      get(): Response {
        throw new Error('boom');
      }
    }
    const app = await createApp({ settings: { secretKey: 'x', databaseUrl: 'sqlite::memory:' }, routes: [path('/broken/', Broken)] });
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const server = createServer(app, { logger: { level: 'error', stream } as never });
    const response = await server.inject({ url: '/broken/' });
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ detail: 'A server error occurred.' });
    expect(lines.join('')).toContain('boom');
    await server.close();
    await app.close();
  });

  it('with debug on, a denial carries its explanation in a header and is logged', async () => {
    const app = await demoApp({ debug: true, defaultAuthenticationClasses: [TokenAuthentication] });
    const warnings: string[] = [];
    app.logger = { info() {}, error() {}, warn: (obj: object, msg?: string) => void warnings.push(`${msg} ${JSON.stringify(obj)}`) };
    const client = new APIClient(app);
    const response = await client.get('/example/');
    expect(response.status).toBe(401);
    expect(response.data).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(response.decision).toContain('TokenAuthentication(Token): no credentials');
    expect(response.decision).toContain('Fix:');
    expect(warnings.some((w) => w.startsWith('request denied') && w.includes('"status":401'))).toBe(true);
    await client.close();
    await app.close();
  });
});
