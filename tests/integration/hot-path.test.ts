/**
 * The per-request path stays lean: authenticating a request costs at most one query, and that query
 * is answered from an index (no table scan).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { APIClient } from '../../src/testing/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { createApp, SessionAuthentication, TokenAuthentication, type Gatehouse } from '../../src/index.ts';
import { makePassword } from '../../src/auth/hashers.ts';
import { demoRoutes } from '../../examples/demo/app.ts';
import { Life, Survey } from '../../examples/demo/models.ts';
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
