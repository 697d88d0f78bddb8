/**
 * The demo and the framework's own tables on PostgreSQL: CRUD through the API, token and session
 * authentication (one query each), a unique violation as DRF's 400, booleans and datetimes round
 * tripping through native columns, and an explicit id moving the identity sequence past it.
 *
 * Skipped, with the reason in its title, when PostgreSQL is unreachable; under CI (`CI` set) an
 * unreachable PostgreSQL fails instead, since CI provides one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  AllowAny,
  createApp,
  defineModel,
  fields as m,
  ModelSerializer,
  ModelViewSet,
  SessionAuthentication,
  SimpleRouter,
  TokenAuthentication,
  type Gatehouse,
} from '../../src/index.ts';
import { APIClient } from '../../src/testing/index.ts';
import { openDatabase } from '../../src/db/database.ts';
import { makePassword } from '../../src/auth/hashers.ts';
import { demoRoutes } from '../../examples/demo/app.ts';
import { Life, Survey } from '../../examples/demo/models.ts';
import { loadFixture } from '../../examples/demo/fixture.ts';
import { freshTestSchema, postgresUnavailable, SEED, TOKENS } from '../helpers.ts';

const unavailable = await postgresUnavailable();
const skip = unavailable !== null && !process.env.CI;

const Gadget = defineModel(
  'pg_gadget',
  {
    name: m.char({ maxLength: 50, unique: true }),
    active: m.boolean({ default: false }),
    released: m.dateTime({ null: true }),
  },
  { ordering: ['id'] },
);

class GadgetSerializer extends ModelSerializer {
  static override meta = { model: Gadget, fields: ['id', 'name', 'active', 'released'] };
}

class GadgetViewSet extends ModelViewSet {
  static override queryset = Gadget.objects.orderBy('id');
  static override serializerClass = GadgetSerializer;
  static override permissionClasses = [AllowAny];
}

describe.skipIf(skip)(skip ? `PostgreSQL (skipped: ${unavailable})` : 'PostgreSQL', () => {
  const queries: string[] = [];
  let app: Gatehouse;
  let client: APIClient;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (unavailable !== null) throw new Error(`${unavailable}; CI must provide PostgreSQL.`);
    const schema = await freshTestSchema();
    drop = schema.drop;
    app = await createApp({
      settings: {
        secretKey: 'postgres-test',
        defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication],
        defaultThrottleRates: { scoped: null },
      },
      routes: [...demoRoutes(), ...new SimpleRouter().register('gadgets', GadgetViewSet).urls],
      models: [Life, Survey, Gadget],
      database: openDatabase(schema.url, { log: (text) => queries.push(text) }),
    });
    await app.migrate();
    const hash = await makePassword('pw');
    await loadFixture(app, { ...SEED, users: SEED.users!.map((u) => ({ ...u, passwordHash: hash })) });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
    await drop();
  });

  it('is the engine in use', () => {
    expect(app.db.dialect).toBe('postgres');
  });

  it('life: create, list, update, delete (ids continue after the fixture’s explicit ones)', async () => {
    client.credentials({ authorization: `Token ${TOKENS.bob}` });
    const created = await client.post('/life/', { answer: 99 });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ id: 3, answer: 99 });
    expect(((await client.get('/life/')).data as { id: number }[]).map((l) => l.id)).toEqual([1, 2, 3]);
    const updated = await client.patch('/life/3/', { answer: 100 });
    expect(updated.status).toBe(200);
    expect(updated.data).toMatchObject({ id: 3, answer: 100 });
    expect((await client.delete('/life/3/')).status).toBe(204);
    expect((await client.get('/life/3/')).status).toBe(404);
    // A primary key beyond int4 is "no such row", not a database error.
    expect((await client.get('/life/99999999999/')).status).toBe(404);
  });

  it('surveys: the creator is set from the request, drafts stay private, updates and deletes', async () => {
    client.credentials({ authorization: `Token ${TOKENS.bob}` });
    const created = await client.post('/surveys/', { title: 'Standup', creator: 'alice' });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({ id: 22, title: 'Standup', status: 'draft', creator: 'bob' });
    expect(((await client.get('/surveys/')).data as { id: number }[]).map((s) => s.id)).toEqual([19, 21, 22]);
    expect((await client.patch('/surveys/22/', { status: 'published' })).data).toMatchObject({ status: 'published', creator: 'bob' });
    expect((await client.patch('/surveys/19/', { title: 'Mine now' })).status).toBe(403);
    expect((await client.delete('/surveys/22/')).status).toBe(204);
    client.credentials({});
    expect(((await client.get('/surveys/')).data as { id: number }[]).map((s) => s.id)).toEqual([19, 21]);
  });

  it('token authentication is one query, plus the view’s own', async () => {
    client.credentials({ authorization: `Token ${TOKENS.alice}` });
    queries.length = 0;
    const response = await client.get('/example/');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'alice', auth: TOKENS.alice });
    expect(queries.filter((q) => q.includes('authtoken_token'))).toHaveLength(1);
    expect(queries).toHaveLength(1);
    client.credentials({ authorization: `Token ${TOKENS.carol}` });
    expect((await client.get('/example/')).status).toBe(401);
  });

  it('session authentication is one query; logout ends it', async () => {
    client.credentials({});
    expect(await client.login({ username: 'alice', password: 'pw' })).toBe(true);
    queries.length = 0;
    const response = await client.get('/example/');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'alice', auth: null });
    expect(queries.filter((q) => q.includes('django_session'))).toHaveLength(1);
    expect(queries).toHaveLength(1);
    await client.logout();
    expect((await client.get('/example/')).status).toBe(401);
  });

  it('the token endpoint returns the existing token, and creates one on first use', async () => {
    client.credentials({});
    const existing = await client.post('/api-token-auth/', { username: 'alice', password: 'pw' });
    expect(existing.data).toEqual({ token: TOKENS.alice });
    const first = await client.post('/api-token-auth/', { username: 'dave', password: 'pw' });
    expect(first.status).toBe(200);
    const again = await client.post('/api-token-auth/', { username: 'dave', password: 'pw' });
    expect(again.data).toEqual(first.data);
  });

  it('a unique violation is a 400 field error, as on SQLite', async () => {
    expect((await client.post('/gadgets/', { name: 'Lamp' })).status).toBe(201);
    const duplicate = await client.post('/gadgets/', { name: 'Lamp' });
    expect(duplicate.status).toBe(400);
    expect(duplicate.data).toEqual({ name: ['pg gadget with this name already exists.'] });
    // The database's own check (SQLSTATE 23505), not only the serializer's.
    await expect(Gadget.create(app.db, { name: 'Lamp' })).rejects.toMatchObject({ detail: { name: ['pg gadget with this name already exists.'] } });
    await expect(app.accounts.createUser({ username: 'alice', password: 'x' })).rejects.toMatchObject({
      detail: { username: ['A user with that username already exists.'] },
    });
  });

  it('booleans and datetimes round trip through native columns', async () => {
    const created = await client.post('/gadgets/', { name: 'Clock', active: true, released: '2024-02-29T23:59:58.123000Z' });
    expect(created.status).toBe(201);
    const id = (created.data as { id: number }).id;
    expect((await client.get(`/gadgets/${id}/`)).data).toEqual({ id, name: 'Clock', active: true, released: '2024-02-29T23:59:58.123000Z' });
    const stored = await app.db.kysely.selectFrom('pg_gadget').select(['active', 'released']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.active).toBe(true);
    expect(stored.released).toEqual(new Date('2024-02-29T23:59:58.123Z'));
    expect(await Gadget.objects.where('active', '=', true).count(app.db)).toBe(1);
    expect(await Gadget.objects.where((eb) => eb('released', '<', new Date('2025-01-01'))).count(app.db)).toBe(1);
    expect((await client.patch(`/gadgets/${id}/`, { active: false })).data).toMatchObject({ active: false });
    const columns = await app.db.kysely
      .selectFrom('information_schema.columns')
      .select(['column_name', 'data_type'])
      .where('table_name', '=', 'auth_user')
      .where('table_schema', '=', sql<string>`current_schema()`)
      .where('column_name', 'in', ['is_staff', 'date_joined'])
      .orderBy('column_name')
      .execute();
    expect(columns).toEqual([
      { column_name: 'date_joined', data_type: 'timestamp with time zone' },
      { column_name: 'is_staff', data_type: 'boolean' },
    ]);
    const alice = await app.accounts.getUserByUsername('alice');
    expect([alice!.isStaff, alice!.isSuperuser, (await app.accounts.getUserByUsername('dave'))!.isStaff]).toEqual([true, false, false]);
  });
});
