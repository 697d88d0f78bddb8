import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { prepare } from '../../src/db/prepared.ts';
import { recordBuilder } from '../../src/util/record-builder.ts';

describe('recordBuilder', () => {
  it('builds objects of the given keys from values at an offset, converting where asked', () => {
    const build = recordBuilder(['id', 'is_active', 'name'], [undefined, (v) => v === 1]);
    expect(build([0, 7, 1, 'alice'], 1)).toEqual({ id: 7, is_active: true, name: 'alice' });
    expect(Object.keys(build([7, 0, 'bob'], 0))).toEqual(['id', 'is_active', 'name']);
  });

  it('adds extra properties after the keyed values, each read from the whole list', () => {
    const build = recordBuilder(['id'], [], [{ key: 'pair', read: (values) => `${String(values[1])}+${String(values[2])}` }]);
    const row = build([3, 'a', 'b'], 0);
    expect(row).toEqual({ id: 3, pair: 'a+b' });
    expect(Object.keys(row)).toEqual(['id', 'pair']);
  });

  it('writes keys as data: quotes cannot escape the literal and __proto__ is an own property', () => {
    const keys = ['"}); throw new Error("x', '__proto__', 'a\u2028b'];
    const row = recordBuilder(keys)(['one', 'two', 'three'], 0);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(keys);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('two');
  });
});

describe('prepare', () => {
  let db: Database;

  beforeEach(async () => {
    db = openDatabase('sqlite::memory:');
    await sql`CREATE TABLE person (id integer primary key, name text, boss_id integer)`.execute(db.kysely);
    await sql`INSERT INTO person (id, name, boss_id) VALUES (1, 'ada', NULL), (2, 'bob', 1)`.execute(db.kysely);
  });

  afterEach(async () => {
    await db.close();
  });

  it('answers rows keyed by column names and aliases, with the parameters of each call', () => {
    const byName = prepare<[string], { id: number; name: string; boss: string | null }>(
      db,
      db.kysely
        .selectFrom('person as p')
        .leftJoin('person as b', 'b.id', 'p.boss_id')
        .select(['p.id', 'p.name', 'b.name as boss'])
        .where('p.name', '=', ''),
    );
    expect(byName('bob')).toEqual([{ id: 2, name: 'bob', boss: 'ada' }]);
    expect(byName('ada')).toEqual([{ id: 1, name: 'ada', boss: null }]);
    expect(byName('nobody')).toEqual([]);
  });

  it('refuses at start-up a query whose columns it cannot name', () => {
    expect(() => prepare(db, db.kysely.selectFrom('person').selectAll())).toThrow(/each selected column named/);
    expect(() => prepare(db, db.kysely.selectFrom('person').select((eb) => eb.fn.countAll().as('n')))).not.toThrow();
  });
});
