import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { ImproperlyConfigured, ValidationError } from '../../src/exceptions.ts';
import { defineModel, fields as m, Q, registeredModels, type RowOf } from '../../src/models/index.ts';
import { getNow } from '../../src/models/queryset.ts';

const Author = defineModel('author', {
  username: m.char({ maxLength: 150, unique: true }),
  is_staff: m.boolean({ default: false }),
  joined: m.dateTime({ autoNowAdd: true }),
});

const Survey = defineModel(
  'survey',
  {
    title: m.char({ maxLength: 200, unique: true }),
    status: m.char({ maxLength: 20, default: 'draft', choices: ['draft', 'published'] }),
    creator: m.foreignKey(() => Author, { onDelete: 'cascade' }),
    reviewer: m.foreignKey(() => Author, { onDelete: 'setNull', null: true }),
    score: m.float({ null: true }),
  },
  { ordering: ['-id'] },
);

const Life = defineModel('life', { answer: m.integer({ default: 42 }) }, { ordering: ['id'] });

let db: Database;
let queries: string[] = [];

beforeEach(async () => {
  db = openDatabase('sqlite::memory:', { log: (sql) => queries.push(sql) });
  for (const model of [Author, Survey, Life]) await model.createTable(db);
  queries = [];
});

afterEach(async () => {
  await db.close();
});

describe('definition', () => {
  it('adds an id primary key and resolves labels and columns', () => {
    const [id, title, , creator] = Survey.meta.fields;
    expect(id).toMatchObject({ name: 'id', column: 'id', label: 'ID', primaryKey: true, editable: false });
    expect(title).toMatchObject({ name: 'title', column: 'title', label: 'Title', maxLength: 200, unique: true });
    expect(creator).toMatchObject({ name: 'creator', column: 'creator_id', kind: 'foreignKey', label: 'Creator' });
    expect(creator!.related).toBe(Author);
    expect(Life.meta.field('answer')).toMatchObject({ minValue: -2147483648, maxValue: 2147483647, hasDefault: true });
    expect(Survey.meta.field('creator_id')).toBe(creator);
    expect(title!.uniqueMessage).toBe('survey with this title already exists.');
  });

  it('registers models and rejects inconsistent definitions', () => {
    expect(registeredModels()).toEqual(expect.arrayContaining([Author, Survey, Life]));
    expect(() => defineModel('life', {})).toThrow(ImproperlyConfigured);
    expect(() => defineModel('bad_id', { id: m.integer() })).toThrow(/"id" is the automatic primary key/);
    expect(() => defineModel('bad_order', {}, { ordering: ['nope'] })).toThrow(/ordering refers to "nope"/);
    expect(() =>
      defineModel('bad_fk', { owner: m.foreignKey(() => Author, { onDelete: 'setNull' }) }),
    ).toThrow(/cannot be null/);
  });

  it('types rows from the definition', () => {
    const row: RowOf<typeof Survey> = {
      id: 1,
      title: 't',
      status: 'draft',
      creator_id: 1,
      reviewer_id: null,
      score: null,
    };
    expect(row.creator).toBeUndefined();
  });
});

describe('createTable', () => {
  it('is idempotent and creates foreign keys and indexes', async () => {
    await Survey.createTable(db);
    const raw = await db.kysely.introspection.getTables();
    const survey = raw.find((t) => t.name === 'survey')!;
    expect(survey.columns.map((c) => c.name)).toEqual(['id', 'title', 'status', 'creator_id', 'reviewer_id', 'score']);
    expect(survey.columns.find((c) => c.name === 'creator_id')!.isNullable).toBe(false);
    expect(survey.columns.find((c) => c.name === 'reviewer_id')!.isNullable).toBe(true);
    const { rows } = await db.kysely.executeQuery<{ name: string }>(
      (await import('kysely')).sql`select name from sqlite_master where type = 'index' and tbl_name = 'survey'`.compile(db.kysely),
    );
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['survey_creator_id_idx', 'survey_reviewer_id_idx']));
  });
});

describe('writes', () => {
  it('creates rows with defaults and returns them', async () => {
    const life = await Life.create(db, {});
    expect(life).toEqual({ id: 1, answer: 42 });
    const author = await Author.create(db, { username: 'alice' });
    expect(author.is_staff).toBe(false);
    expect(author.joined).toBeInstanceOf(Date);
    expect(Math.abs(author.joined.getTime() - Date.now())).toBeLessThan(5000);
  });

  it('round-trips booleans and datetimes', async () => {
    const joined = new Date('2024-02-29T23:59:58.123Z');
    const created = await Author.create(db, { username: 'bob', is_staff: true, joined });
    expect(created).toEqual({ id: 1, username: 'bob', is_staff: true, joined });
    const { rows } = await db.kysely.selectFrom('author').selectAll().execute().then((r) => ({ rows: r }));
    expect(rows[0]).toMatchObject({ is_staff: 1, joined: '2024-02-29T23:59:58.123Z' });
    expect(await Author.objects.get(db, 1)).toEqual(created);
  });

  it('takes a foreign key as the related row or as <name>_id', async () => {
    const alice = await Author.create(db, { username: 'alice' });
    const a = await Survey.create(db, { title: 'a', creator: alice });
    expect(a).toMatchObject({ title: 'a', status: 'draft', creator_id: alice.id, reviewer_id: null, creator: alice });
    const b = await Survey.create(db, { title: 'b', creator_id: alice.id });
    expect(b.creator_id).toBe(alice.id);
    await expect(Survey.create(db, { title: 'c', creator: 1 as never })).rejects.toThrow(TypeError);
    await expect(Survey.create(db, { nope: 1 } as never)).rejects.toThrow(/has no field "nope"/);
  });

  it('updates given columns and returns the row; undefined when absent', async () => {
    const alice = await Author.create(db, { username: 'alice' });
    const s = await Survey.create(db, { title: 'a', creator: alice });
    const updated = await Survey.update(db, s.id, { status: 'published', score: 1.5 });
    expect(updated).toMatchObject({ id: s.id, title: 'a', status: 'published', score: 1.5 });
    expect(await Survey.update(db, 999, { status: 'draft' })).toBeUndefined();
    expect(await Survey.update(db, 'abc', { status: 'draft' })).toBeUndefined();
    expect(await Survey.update(db, s.id, {})).toMatchObject({ id: s.id, status: 'published' });
  });

  it('updates each set of columns with its own SQL, whatever the order they are given in', async () => {
    const alice = await Author.create(db, { username: 'alice' });
    const s = await Survey.create(db, { title: 'a', creator: alice });
    // Twice over, so the second round runs on the SQL the first compiled.
    for (let round = 0; round < 2; round++) {
      expect(await Survey.update(db, s.id, { title: `t${round}` })).toMatchObject({ title: `t${round}`, status: 'draft', score: null });
      expect(await Survey.update(db, s.id, { title: 'x', status: 'published' })).toMatchObject({ title: 'x', status: 'published' });
      expect(await Survey.update(db, s.id, { status: 'draft', title: 'y' })).toMatchObject({ title: 'y', status: 'draft' });
      expect(await Survey.update(db, s.id, { status: 'published' })).toMatchObject({ title: 'y', status: 'published' });
      expect(await Survey.update(db, s.id, { score: 2.5, title: 'z' })).toMatchObject({ title: 'z', score: 2.5, status: 'published' });
      expect(await Survey.update(db, s.id, { score: null, status: 'draft' })).toMatchObject({ title: 'z', score: null, status: 'draft' });
    }
  });

  it('deletes and reports whether a row went', async () => {
    const life = await Life.create(db, { answer: 1 });
    expect(await Life.delete(db, life.id)).toBe(true);
    expect(await Life.delete(db, life.id)).toBe(false);
    expect(await Life.delete(db, 'x')).toBe(false);
  });

  it('maps a unique violation to a ValidationError with DRF’s message', async () => {
    const alice = await Author.create(db, { username: 'alice' });
    await Survey.create(db, { title: 'dup', creator: alice });
    const error = await Survey.create(db, { title: 'dup', creator: alice }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).detail).toEqual({ title: ['survey with this title already exists.'] });
    const other = await Survey.create(db, { title: 'other', creator: alice });
    await expect(Survey.update(db, other.id, { title: 'dup' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('compiles an UPDATE once per column list, binding each call\'s values', async () => {
    const alice = await Author.create(db, { username: 'alice' });
    const builds = vi.spyOn(db.kysely, 'updateTable');
    expect(await Author.update(db, alice.id, { is_staff: true, username: 'alice2' })).toMatchObject({ is_staff: true, username: 'alice2' });
    expect(await Author.update(db, alice.id, { is_staff: false, username: 'alice3' })).toMatchObject({ is_staff: false, username: 'alice3' });
    expect(builds.mock.calls.length, 'the same columns reuse the compiled UPDATE').toBe(1);
    const joined = new Date('2020-01-02T03:04:05.000Z');
    expect((await Author.update(db, alice.id, { joined }))!.joined).toEqual(joined);
    expect(builds.mock.calls.length, 'other columns compile their own').toBe(2);
    expect(await Author.objects.get(db, alice.id)).toMatchObject({ username: 'alice3', is_staff: false, joined });
    builds.mockRestore();
  });

  it('cascades and sets null along foreign keys', async () => {
    const alice = await Author.create(db, { username: 'alice' });
    const bob = await Author.create(db, { username: 'bob' });
    await Survey.create(db, { title: 'a', creator: alice, reviewer: bob });
    await Survey.create(db, { title: 'b', creator: bob });
    await Author.delete(db, bob.id);
    const rows = await Survey.objects.all(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ title: 'a', reviewer_id: null });
    await Author.delete(db, alice.id);
    expect(await Survey.objects.count(db)).toBe(0);
  });
});

describe('QuerySet', () => {
  async function seed() {
    const alice = await Author.create(db, { username: 'alice' });
    const bob = await Author.create(db, { username: 'bob', is_staff: true });
    await Survey.create(db, { title: 'a1', creator: alice, status: 'published' });
    await Survey.create(db, { title: 'a2', creator: alice });
    await Survey.create(db, { title: 'b1', creator: bob, reviewer: alice });
    return { alice, bob };
  }

  it('is immutable and lazy', async () => {
    const base = Survey.objects;
    const filtered = base.where('status', '=', 'published');
    expect(filtered).not.toBe(base);
    expect(queries).toEqual([]);
    await seed();
    expect(await base.count(db)).toBe(3);
    expect(await filtered.count(db)).toBe(1);
  });

  it('uses the model ordering, replaced by the first orderBy', async () => {
    await seed();
    expect((await Survey.objects.all(db)).map((s) => s.title)).toEqual(['b1', 'a2', 'a1']);
    expect((await Survey.objects.orderBy('title').all(db)).map((s) => s.title)).toEqual(['a1', 'a2', 'b1']);
    expect((await Survey.objects.orderBy('creator', 'desc').orderBy('id').all(db)).map((s) => s.title)).toEqual([
      'b1',
      'a1',
      'a2',
    ]);
  });

  it('filters with expression callbacks and comparisons', async () => {
    const { alice, bob } = await seed();
    const visible = Survey.objects
      .orderBy('id')
      .where((eb) => eb.or([eb('status', '=', 'published'), eb('creator_id', '=', bob.id)]));
    expect((await visible.all(db)).map((s) => s.title)).toEqual(['a1', 'b1']);
    expect(await Survey.objects.where('creator', '=', alice.id).count(db)).toBe(2);
    expect(await Survey.objects.where('creator', '=', alice).count(db)).toBe(2);
    expect(await Survey.objects.where('creator_id', 'in', [alice, bob]).count(db)).toBe(3);
    expect(await Survey.objects.where('title', 'in', ['a1', 'b1']).count(db)).toBe(2);
    expect(await Author.objects.where('is_staff', '=', true).count(db)).toBe(1);
    expect(await Author.objects.where((eb) => eb('is_staff', '=', true)).count(db)).toBe(1);
    expect(await Author.objects.where((eb) => eb('joined', '<', new Date(Date.now() + 60_000))).count(db)).toBe(2);
    expect(await Survey.objects.where('status', '=', 'archived').exists(db)).toBe(false);
    expect(await Survey.objects.exists(db)).toBe(true);
  });

  it('slices with limit and offset', async () => {
    await seed();
    const page = Survey.objects.orderBy('id').offset(1).limit(1);
    expect((await page.all(db)).map((s) => s.title)).toEqual(['a2']);
    expect(await page.count(db)).toBe(1);
    expect((await Survey.objects.orderBy('id').offset(2).all(db)).map((s) => s.title)).toEqual(['b1']);
    expect((await Survey.objects.orderBy('id').first(db))?.title).toBe('a1');
    expect((await Survey.objects.first(db))?.title).toBe('b1');
    expect(await Survey.objects.where('title', '=', 'zzz').first(db)).toBeUndefined();
  });

  it('selectRelated loads related rows in one query', async () => {
    const { alice, bob } = await seed();
    queries = [];
    const rows = await Survey.objects.selectRelated('creator', 'reviewer').orderBy('id').all(db);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/left join/i);
    expect(rows.map((r) => r.creator?.username)).toEqual(['alice', 'alice', 'bob']);
    expect(rows[0]!.creator).toEqual(alice);
    expect(rows[0]!.reviewer).toBeNull();
    expect(rows[2]!.reviewer).toEqual(alice);
    expect(rows[2]!.creator!.is_staff).toBe(true);
    expect(rows[2]).toMatchObject({ id: 3, title: 'b1', creator_id: bob.id });
    expect(Object.keys(rows[0]!)).toEqual(['id', 'title', 'status', 'creator_id', 'reviewer_id', 'score', 'creator', 'reviewer']);
  });

  it('selectRelated keeps unqualified filters unambiguous', async () => {
    const { bob } = await seed();
    const qs = Survey.objects.selectRelated('creator').where((eb) => eb('id', '>', 1)).where('creator', '=', bob.id);
    const rows = await qs.all(db);
    expect(rows.map((r) => [r.title, r.creator?.username])).toEqual([['b1', 'bob']]);
    expect((await qs.get(db, 3))?.creator?.username).toBe('bob');
    expect(await qs.get(db, 1)).toBeUndefined();
    expect(await qs.count(db)).toBe(1);
  });

  it('only() loads the named fields and the keys, and refuses to read the others', async () => {
    const { alice, bob } = await seed();
    queries = [];
    const qs = Survey.objects.only('title', 'creator__username').orderBy('id');
    const rows = await qs.all(db);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toMatch(/left join/i);
    expect(queries[0], 'no column left out is selected').not.toMatch(/status|score|is_staff|joined|reviewer/);
    expect(rows.map((r) => [r.id, r.title, r.creator_id, r.creator?.username])).toEqual([
      [1, 'a1', alice.id, 'alice'],
      [2, 'a2', alice.id, 'alice'],
      [3, 'b1', bob.id, 'bob'],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['id', 'title', 'creator_id', 'creator']);
    expect(JSON.parse(JSON.stringify(rows[2]))).toEqual({ id: 3, title: 'b1', creator_id: bob.id, creator: { id: bob.id, username: 'bob' } });
    expect(() => rows[0]!.status).toThrow("survey.status was not loaded: the queryset's only() leaves it out. Add it to only(), or drop only().");
    expect(() => rows[2]!.creator!.is_staff).toThrow(/^author\.is_staff was not loaded/);
    // Assigning a field left out makes it an ordinary property.
    rows[0]!.status = 'draft';
    expect(rows[0]!.status).toBe('draft');
    expect(Object.keys(rows[0]!)).toContain('status');
    // Filters may use columns that are not loaded; get, first and count work as without only().
    expect((await qs.where('status', '=', 'published').get(db, 1))?.title).toBe('a1');
    expect(await qs.where('status', '=', 'published').get(db, 2)).toBeUndefined();
    expect((await qs.first(db))?.creator?.username).toBe('alice');
    expect(await qs.count(db)).toBe(3);
  });

  it('only() keeps a selected relation whole unless a name reaches into it; a later call replaces it', async () => {
    const { alice } = await seed();
    const [b1] = await Survey.objects.selectRelated('reviewer').only('title').where('title', '=', 'b1').all(db);
    expect(Object.keys(b1!)).toEqual(['id', 'title', 'reviewer_id', 'reviewer']);
    expect(b1!.reviewer).toEqual(alice);
    expect(b1!.reviewer!.joined).toBeInstanceOf(Date);
    const replaced = await Survey.objects.only('status').only('title', 'score').orderBy('id').first(db);
    expect(Object.keys(replaced!)).toEqual(['id', 'title', 'score']);
    // A field named twice, or by its column, is loaded once.
    const [byColumn] = await Survey.objects.only('creator_id', 'creator', 'title', 'title').orderBy('id').all(db);
    expect(Object.keys(byColumn!)).toEqual(['id', 'title', 'creator_id']);
  });

  it('only() rejects names that are not fields when the queryset is declared', () => {
    expect(() => Survey.objects.only('nope' as never)).toThrow(/survey has no field "nope"/);
    expect(() => Survey.objects.only('title__length' as never)).toThrow(/"title__length" is not a field of survey or of a row it relates to/);
    expect(() => Survey.objects.only('creator_id__username' as never)).toThrow(/is not a field of survey/);
    expect(() => Survey.objects.only('creator__nope' as never)).toThrow(/author has no field "nope" \(in "creator__nope"\)/);
    expect(() => Survey.objects.only('creator__username__x' as never)).toThrow(/is not a field of survey/);
  });

  it('get returns undefined for absent rows and bad primary keys, never throws', async () => {
    await seed();
    expect((await Survey.objects.get(db, 1))?.title).toBe('a1');
    expect((await Survey.objects.get(db, '2'))?.title).toBe('a2');
    for (const bad of ['abc', '1.5', '99999999999999999999', '', ' ', '1e3', null, undefined, {}, [], 1.5, NaN, Infinity, true]) {
      expect(await Survey.objects.get(db, bad)).toBeUndefined();
    }
    expect(await Survey.objects.get(db, 999)).toBeUndefined();
    expect(await Survey.objects.where('status', '=', 'published').get(db, 2)).toBeUndefined();
  });

  it('compiles a declared queryset once', async () => {
    await seed();
    const qs = Survey.objects.orderBy('id');
    const first = await qs.all(db);
    const second = await qs.all(db);
    expect(second).toEqual(first);
    expect(second[0]).not.toBe(first[0]);
    expect(queries.slice(-2)[0]).toBe(queries.slice(-2)[1]);
  });

  it('filters with Q conditions: or, and, not, in-lists, null and booleans', async () => {
    const { alice, bob } = await seed();
    const titles = async (qs: typeof Survey.objects) => (await qs.orderBy('id').all(db)).map((s) => s.title);
    expect(await titles(Survey.objects.where(Q('status', '=', 'published').or(Q('creator', '=', bob.id))))).toEqual(['a1', 'b1']);
    expect(await titles(Survey.objects.where(Q('creator', '=', alice).and(Q('status', '=', 'draft'))))).toEqual(['a2']);
    expect(await titles(Survey.objects.where(Q('creator', '=', alice).not()))).toEqual(['b1']);
    expect(await titles(Survey.objects.where(Q('title', 'in', ['a1', 'b1', 'zz'])))).toEqual(['a1', 'b1']);
    expect(await titles(Survey.objects.where(Q('reviewer', 'is', null)))).toEqual(['a1', 'a2']);
    expect(await titles(Survey.objects.where(Q('reviewer', 'is not', null)))).toEqual(['b1']);
    expect(await Author.objects.where(Q('is_staff', '=', true)).count(db)).toBe(1);
    expect(await Author.objects.where(Q('is_staff', '=', false)).count(db)).toBe(1);
    expect(() => Survey.objects.where(Q('nope', '=', 1))).toThrow(/has no field "nope"/);
  });

  it('shares compiled SQL between querysets of one shape, binding each one\'s own values', async () => {
    const { alice, bob } = await seed();
    const builds = vi.spyOn(db.kysely, 'selectFrom');
    const visible = (userId: number) => Survey.objects.where(Q('status', '=', 'published').or(Q('creator', '=', userId)));
    const forAlice = await visible(alice.id).orderBy('id').all(db);
    const built = builds.mock.calls.length;
    const forBob = await visible(bob.id).orderBy('id').all(db);
    expect(builds.mock.calls.length, 'the second queryset of the same shape is not rebuilt').toBe(built);
    expect(forAlice.map((s) => s.title)).toEqual(['a1', 'a2']);
    expect(forBob.map((s) => s.title)).toEqual(['a1', 'b1']);
    // Another shape (a longer in-list, another operator) compiles its own SQL.
    expect(await Survey.objects.where('title', 'in', ['a1']).count(db)).toBe(1);
    expect(await Survey.objects.where('title', 'in', ['a1', 'a2']).count(db)).toBe(2);
    expect(await Survey.objects.where('title', '!=', 'a1').count(db)).toBe(2);
    // get binds the primary key alongside the filter values.
    expect((await visible(bob.id).get(db, 3))?.title).toBe('b1');
    expect(await visible(alice.id).get(db, 3)).toBeUndefined();
    builds.mockRestore();
  });

  it('keeps the compiled SQL of nested conditions apart: the same comparisons combined differently are other queries', async () => {
    const { alice, bob } = await seed();
    const published = () => Q('status', '=', 'published');
    const byBob = () => Q('creator', '=', bob.id);
    const first = () => Q('title', '=', 'a1');
    const titles = async (qs: typeof Survey.objects) => (await qs.orderBy('id').all(db)).map((s) => s.title);
    // Asked twice each, in an order where a cache keyed by less than the whole structure would answer wrongly.
    for (let round = 0; round < 2; round++) {
      expect(await titles(Survey.objects.where(published().or(byBob()).and(first())))).toEqual(['a1']);
      expect(await titles(Survey.objects.where(published().or(byBob().and(first()))))).toEqual(['a1']);
      expect(await titles(Survey.objects.where(published().and(byBob()).or(first())))).toEqual(['a1']);
      expect(await titles(Survey.objects.where(published().or(byBob()).not()))).toEqual(['a2']);
      expect(await titles(Survey.objects.where(published().not().or(byBob())))).toEqual(['a2', 'b1']);
      expect(await titles(Survey.objects.where(published().not()).where(byBob()))).toEqual(['b1']);
      expect(await titles(Survey.objects.where(published().not().and(byBob())))).toEqual(['b1']);
      expect(await titles(Survey.objects.where(published().and(byBob())))).toEqual([]);
      expect(await titles(Survey.objects.where(published().or(byBob())))).toEqual(['a1', 'b1']);
      expect(await titles(Survey.objects.where(byBob().or(published())))).toEqual(['a1', 'b1']);
      expect(await titles(Survey.objects.where(Q('creator', '=', alice.id).or(byBob())))).toEqual(['a1', 'a2', 'b1']);
    }
  });

  it('answers rightly past the shared cache\'s limit of shapes, which it then starts again', async () => {
    await seed();
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    // An in-list of every length from 1 to 1,100 is a shape each: more than the cache keeps.
    for (let n = 1; n <= 1_100; n++) {
      expect(await Survey.objects.where(Q('id', 'in', ids(n)).or(Q('title', '=', 'zz'))).count(db)).toBe(Math.min(n, 3));
    }
    expect(await Survey.objects.where(Q('id', 'in', ids(2)).or(Q('title', '=', 'b1'))).count(db)).toBe(3);
  });

  it('a read while a transaction holds the connection waits for it, never seeing its uncommitted rows', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = db.kysely
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('life').values({ answer: 7 }).execute();
        inserted();
        await gate;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await insertedYet;
    const counted = Life.objects.count(db);
    const listed = Life.objects.all(db);
    release();
    await transaction;
    expect(await counted).toBe(0);
    expect(await listed).toEqual([]);
  });

  it('rows read through Kysely (while the connection is held) equal rows read on the fast path', async () => {
    await seed();
    const qs = Survey.objects.selectRelated('creator', 'reviewer').orderBy('id');
    const fast = await qs.all(db);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = db.kysely.transaction().execute(() => gate);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = qs.all(db);
    release();
    await holding;
    expect(await queued).toEqual(fast);
    expect(fast[0]!.creator!.joined).toBeInstanceOf(Date);
    expect(fast[2]!.reviewer!.is_staff).toBe(false);
  });

  it('the framework\'s lookup answers without a promise on SQLite, and with one while the connection is held', async () => {
    await seed();
    const qs = Survey.objects.only('title', 'creator__username');
    const now = qs[getNow](db, 3);
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toEqual(await qs.get(db, 3));
    expect(qs[getNow](db, 'abc')).toBeUndefined();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = db.kysely.transaction().execute(() => gate);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = qs[getNow](db, 3);
    expect(queued).toBeInstanceOf(Promise);
    release();
    await holding;
    expect(await queued).toEqual(now);
  });

  it('rejects unknown columns and relations when the queryset is declared', () => {
    expect(() => Survey.objects.orderBy('nope' as never)).toThrow(/has no field "nope"/);
    expect(() => Survey.objects.where('nope' as never, '=', 1)).toThrow(TypeError);
    expect(() => Survey.objects.selectRelated('title' as never)).toThrow(/not a foreign key/);
  });
});
