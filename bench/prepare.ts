/**
 * Builds the database the benchmark serves: the demo's tables and seed (examples/demo/seed.json),
 * enough published surveys of alice's that her list has 100 rows, and a logged-in session of hers.
 * It goes through the demo app itself (migrate, loadFixture, the accounts service), so the rows are
 * exactly what Gatehouse would have written: hashed tokens, signed session hashes.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createDemoApp } from '../examples/demo/app.ts';
import { loadFixture, type Fixture } from '../examples/demo/fixture.ts';
import { Survey } from '../examples/demo/models.ts';
import { benchSettings, type Backends } from './settings.ts';
import type { Credentials } from './scenarios.ts';

const LIST_SIZE = 100;

export async function prepareDemoDatabase(backends: Backends): Promise<Credentials> {
  const seed = JSON.parse(readFileSync(new URL('../examples/demo/seed.json', import.meta.url), 'utf8')) as Fixture;
  const app = await createDemoApp(benchSettings(backends));
  try {
    await app.migrate();
    await loadFixture(app, seed);
    const alice = await app.accounts.getUserByUsername('alice');
    const token = seed.users?.find((u) => u.username === 'alice')?.token;
    const first = seed.surveys?.find((s) => s.creator === 'alice' && s.status === 'published');
    if (alice === null || token === undefined || first === undefined) {
      throw new Error('examples/demo/seed.json no longer has alice with a token and a published survey');
    }
    // alice sees every published survey and her own drafts: top the seed up to exactly LIST_SIZE.
    const visible = (seed.surveys ?? []).filter((s) => s.status === 'published' || s.creator === 'alice').length;
    const nextId = Math.max(...(seed.surveys ?? []).map((s) => s.id)) + 1;
    for (let i = 0; i < LIST_SIZE - visible; i++) {
      // Explicit ids, so the rows (and the bodies compared with the baseline's) are the same on every engine.
      await Survey.create(app.db, { id: nextId + i, title: `Survey ${nextId + i}`, status: 'published', creator_id: alice.id });
    }
    const sessionKey = await app.accounts.createSessionFor(alice);
    return { token, sessionKey, surveyId: first.id, surveyTitle: first.title, listSize: LIST_SIZE };
  } finally {
    await app.close();
  }
}

/**
 * A fresh PostgreSQL schema for one run, selected through the connection's search_path, so the run
 * neither sees nor disturbs other tables in the database. `drop` removes it.
 */
export async function createPostgresSchema(baseUrl: string, name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Deletes one run's Redis keys (sessions, throttle windows). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
