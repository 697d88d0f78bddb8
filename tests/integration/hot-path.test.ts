/**
 * The per-request path stays lean: authenticating a request costs at most one query, and that query
 * is answered from an index (no table scan); on SQLite a read goes through the whole pipeline
 * without a promise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { APIClient } from '../../src/testing/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import {
  apiView,
  createApp,
  path,
  SessionAuthentication,
  TokenAuthentication,
  BasePermission,
  AllowAny,
  RetrieveUpdateAPIView,
  type Gatehouse,
  type Serializer,
} from '../../src/index.ts';
import type { IncomingRequest } from '../../src/request.ts';
import { makePassword } from '../../src/auth/hashers.ts';
import { demoRoutes } from '../../examples/demo/app.ts';
import { Life, Survey } from '../../examples/demo/models.ts';
import { SurveySerializer } from '../../examples/demo/serializers.ts';
import { loadFixture } from '../../examples/demo/fixture.ts';
import { SEED, TOKENS } from '../helpers.ts';

describe('authentication cost per request', () => {
  const queries: string[] = [];
  let app: Gatehouse;
  let client: APIClient;

  beforeAll(async () => {
    app = await createApp({
      settings: {
        secretKey: 'test',
        defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication],
        defaultThrottleRates: { scoped: null },
      },
      routes: demoRoutes(),
      models: [Life, Survey],
      database: openDatabase('sqlite::memory:', { log: (text) => queries.push(text) }),
    });
    await app.migrate();
    const hash = await makePassword('pw');
    await loadFixture(app, { ...SEED, users: SEED.users!.map((u) => ({ ...u, passwordHash: hash })) });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  async function queriesFor(send: () => Promise<{ status: number }>): Promise<string[]> {
    queries.length = 0;
    expect((await send()).status).toBe(200);
    return [...queries];
  }

  async function planOf(query: string): Promise<string> {
    const parameters = query.split('?').slice(1).map(() => 'x');
    const { rows } = await app.db.kysely.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${query}`, parameters),
    );
    return rows.map((r) => r.detail).join('\n');
  }

  it("token authentication is one indexed query, plus the view's own", async () => {
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    const run = await queriesFor(() => client.get('/life/1/'));
    const auth = run.filter((q) => q.includes('authtoken_token'));
    expect(auth).toHaveLength(1);
    expect(run).toHaveLength(2);
    const plan = await planOf(auth[0]!);
    expect(plan).toMatch(/SEARCH t USING INDEX/);
    expect(plan).not.toMatch(/^SCAN/m);
  });

  it("session authentication is one indexed query, plus the view's own", async () => {
    client.credentials({});
    expect(await client.login({ username: 'alice', password: 'pw' })).toBe(true);
    const run = await queriesFor(() => client.get('/life/1/'));
    const auth = run.filter((q) => q.includes('django_session'));
    expect(auth).toHaveLength(1);
    expect(run).toHaveLength(2);
    const plan = await planOf(auth[0]!);
    expect(plan).toMatch(/SEARCH s USING INDEX/);
    expect(plan).not.toMatch(/^SCAN/m);
  });

  it('an anonymous request runs no authentication query', async () => {
    await client.logout();
    const run = await queriesFor(() => client.get('/life/1/'));
    expect(run).toHaveLength(1);
  });
});

describe('synchronous answers on SQLite', () => {
  let app: Gatehouse;

  /** Grants after a turn of the event loop, as a permission that looks something up would. */
  class SlowAllow extends BasePermission {
    override hasPermission(): Promise<boolean> {
      return new Promise((resolve) => setImmediate(() => resolve(true)));
    }
  }

  /** Validation that needs a turn of the event loop, as one that looks something up would. */
  class SlowlyValidated extends SurveySerializer {
    override async validate(attrs: Record<string, unknown>): Promise<Record<string, unknown>> {
      await new Promise((resolve) => setImmediate(resolve));
      return { ...attrs, title: String(attrs.title).toUpperCase() };
    }
  }

  class SlowlyValidatedUpdate extends RetrieveUpdateAPIView {
    static override queryset = Survey.objects;
    static override serializerClass = SlowlyValidated;
    static override permissionClasses = [AllowAny];
  }

  /** The documented hook: performUpdate decides what is saved. */
  class DraftingUpdate extends RetrieveUpdateAPIView {
    static override queryset = Survey.objects;
    static override serializerClass = SurveySerializer;
    static override permissionClasses = [AllowAny];

    override async performUpdate(serializer: Serializer): Promise<unknown> {
      return serializer.save({ status: 'draft' });
    }
  }

  beforeAll(async () => {
    app = await createApp({
      settings: {
        secretKey: 'test',
        defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication],
        defaultThrottleRates: { scoped: null },
      },
      routes: [
        ...demoRoutes(),
        path('/slowly-validated/:pk/', SlowlyValidatedUpdate),
        path('/drafting/:pk/', DraftingUpdate),
        path('/slow/', apiView(['GET'], () => ({ slow: true }), { permissionClasses: [SlowAllow] })),
        path('/broken/', apiView(['GET'], () => {
          throw new Error('boom');
        })),
      ],
      models: [Life, Survey],
      database: openDatabase('sqlite::memory:'),
    });
    await app.migrate();
    await loadFixture(app, SEED);
  });
  afterAll(async () => {
    await app.close();
  });

  function handle(routePath: string, url: string, headers: Record<string, string>, params: Record<string, string> = {}, method = 'GET', body = '') {
    const compiled = app.routes.find((r) => r.route.path === routePath);
    if (compiled === undefined) throw new Error(`no route ${routePath}`);
    const incoming: IncomingRequest = { method, url, headers: { host: 'testserver', ...headers }, body: Buffer.from(body), remoteAddress: '127.0.0.1', isSecure: false };
    return app.handle(compiled, incoming, params);
  }

  function put(routePath: string, id: number, data: unknown, headers: Record<string, string> = {}) {
    const url = routePath.replace(':pk', String(id));
    return handle(routePath, url, { 'content-type': 'application/json', ...headers }, { pk: String(id) }, 'PUT', JSON.stringify(data));
  }

  const asAlice = { authorization: `Token ${TOKENS.alice}` };

  it('a token-authenticated update is answered without a promise, and written', async () => {
    const rendered = put('/surveys/:pk/', 19, { title: 'Team dinner', status: 'published' }, asAlice);
    expect(rendered).not.toBeInstanceOf(Promise);
    expect(rendered).toMatchObject({ status: 200 });
    expect(JSON.parse(String((rendered as { body: string }).body))).toEqual({ id: 19, title: 'Team dinner', status: 'published', creator: 'alice' });
    expect((await Survey.objects.get(app.db, 19))?.title).toBe('Team dinner');
    const partial = handle('/surveys/:pk/', '/surveys/19/', { 'content-type': 'application/json', ...asAlice }, { pk: '19' }, 'PATCH', '{"title":"Team lunch"}');
    expect(partial).not.toBeInstanceOf(Promise);
    expect(JSON.parse(String((partial as { body: string }).body))).toMatchObject({ title: 'Team lunch', status: 'published' });
  });

  it('an invalid update is a 400 without a promise, and writes nothing', async () => {
    const rendered = put('/surveys/:pk/', 19, { title: '', status: 'published' }, asAlice);
    expect(rendered).not.toBeInstanceOf(Promise);
    expect(rendered).toMatchObject({ status: 400 });
    expect(JSON.parse(String((rendered as { body: string }).body))).toEqual({ title: ['This field may not be blank.'] });
    expect((await Survey.objects.get(app.db, 19))?.title).toBe('Team lunch');
  });

  it('an update whose validation is asynchronous answers through a promise, with what it validated', async () => {
    const rendered = put('/slowly-validated/:pk/', 21, { title: 'Commute', status: 'published' });
    expect(rendered).toBeInstanceOf(Promise);
    expect(await rendered).toMatchObject({ status: 200 });
    expect((await Survey.objects.get(app.db, 21))?.title).toBe('COMMUTE');
    const invalid = await put('/slowly-validated/:pk/', 21, { status: 'published' });
    expect(invalid).toMatchObject({ status: 400, body: '{"title":["This field is required."]}' });
  });

  it('an overridden performUpdate still decides what is saved', async () => {
    const rendered = await put('/drafting/:pk/', 21, { title: 'Commute', status: 'published' });
    expect(rendered).toMatchObject({ status: 200 });
    expect(JSON.parse(String(rendered.body))).toMatchObject({ title: 'Commute', status: 'draft' });
    expect((await Survey.objects.get(app.db, 21))?.status).toBe('draft');
  });

  it('a token-authenticated detail read is answered without a promise', () => {
    const rendered = handle('/life/:pk/', '/life/1/', { authorization: `Token ${TOKENS.alice}` }, { pk: '1' });
    expect(rendered).not.toBeInstanceOf(Promise);
    expect((rendered as { status: number }).status).toBe(200);
    expect(JSON.parse(String((rendered as { body: string }).body))).toMatchObject({ id: 1 });
  });

  it('a session-authenticated detail read is answered without a promise', async () => {
    const alice = await app.accounts.getUserByUsername('alice');
    const key = await app.accounts.createSessionFor(alice!);
    const rendered = handle('/life/:pk/', '/life/1/', { cookie: `sessionid=${key}` }, { pk: '1' });
    expect(rendered).not.toBeInstanceOf(Promise);
    expect(rendered).toMatchObject({ status: 200 });
    expect((rendered as { headers: Record<string, string> }).headers.vary).toContain('Cookie');
  });

  it('an anonymous denial and a 404 are answered without a promise', () => {
    const denied = handle('/example/', '/example/', {});
    expect(denied).not.toBeInstanceOf(Promise);
    expect((denied as { status: number }).status).toBe(403);
    const missing = handle('/life/:pk/', '/life/999999/', { authorization: `Token ${TOKENS.alice}` }, { pk: '999999' });
    expect((missing as { status: number }).status).toBe(404);
  });

  it('an asynchronous permission makes the answer a promise, with the same outcome', async () => {
    const rendered = handle('/slow/', '/slow/', {});
    expect(rendered).toBeInstanceOf(Promise);
    expect(await rendered).toMatchObject({ status: 200, body: '{"slow":true}' });
  });

  it('a handler that throws synchronously is a logged 500, not an exception out of handle()', () => {
    const errors: unknown[] = [];
    const logger = app.logger;
    app.logger = { ...logger, error: (entry: unknown) => void errors.push(entry) } as typeof logger;
    try {
      const rendered = handle('/broken/', '/broken/', {});
      expect(rendered).toMatchObject({ status: 500, body: '{"detail":"A server error occurred."}' });
      expect(errors).toHaveLength(1);
    } finally {
      app.logger = logger;
    }
  });
});
