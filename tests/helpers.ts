/**
 * Shared set-up for integration tests: the demo app over a fresh database loaded with the seed
 * fixture. Password hashes are computed once per process (scrypt is deliberately slow) and reused.
 *
 * The database is `sqlite::memory:`, or with GATEHOUSE_TEST_DATABASE=postgres a new PostgreSQL schema
 * per app (named by process id and a counter, so parallel vitest workers never share one), dropped
 * when the app closes. GATEHOUSE_TEST_POSTGRES_URL names the server (default: the local `test` database).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Gatehouse, SettingsInput } from '../src/index.ts';
import { makePassword } from '../src/auth/hashers.ts';
import { createDemoApp } from '../examples/demo/app.ts';
import { loadFixture, type Fixture } from '../examples/demo/fixture.ts';
import { Redis } from 'ioredis';
import { deleteRedisKeys, freshPostgresSchema } from '../src/testing/index.ts';

export const SEED = JSON.parse(readFileSync(new URL('../examples/demo/seed.json', import.meta.url), 'utf8')) as Fixture;

export const TOKENS = {
  alice: '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b',
  bob: 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0',
  carol: 'c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4c4',
} as const;

export const PASSWORDS = Object.fromEntries((SEED.users ?? []).map((u) => [u.username, u.password])) as Record<string, string>;

const hashes = new Map<string, Promise<string>>();

function hashOnce(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (hash === undefined) {
    hash = makePassword(password);
    hashes.set(password, hash);
  }
  return hash;
}

export const POSTGRES_URL = process.env.GATEHOUSE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const TEST_DATABASE = process.env.GATEHOUSE_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * With GATEHOUSE_TEST_REDIS=redis://..., every demo app counts its throttles in Redis, under a key
 * prefix of its own. Sessions stay in the database there, because several tests inspect the session
 * table; the Redis session store has its own tests (redis.test.ts, multiprocess.test.ts).
 */
export const TEST_REDIS_URL = process.env.GATEHOUSE_TEST_REDIS || null;

export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why PostgreSQL cannot be used, or null when it answers. */
export async function postgresUnavailable(url: string = POSTGRES_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')} is unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let schemas = 0;

/** A new, empty schema on the test server (named by process id and a counter), and a function that drops it. */
export function freshTestSchema(url: string = POSTGRES_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  return freshPostgresSchema(url, `gh_test_${process.pid}_${++schemas}_${randomBytes(3).toString('hex')}`);
}

/** The demo app (migrated, seeded) with these settings over a fresh database (see above). */
export async function demoApp(settings: SettingsInput = {}, database: 'sqlite' | 'postgres' = TEST_DATABASE): Promise<Gatehouse> {
  const cleanups: (() => Promise<void>)[] = [];
  if (database === 'postgres' && settings.databaseUrl === undefined) {
    const { url, drop } = await freshTestSchema();
    settings = { ...settings, databaseUrl: url };
    cleanups.push(drop);
  }
  if (TEST_REDIS_URL !== null && settings.redisUrl === undefined) {
    const prefix = `gh_test_${process.pid}_${++schemas}_${randomBytes(3).toString('hex')}:`;
    settings = { ...settings, redisUrl: TEST_REDIS_URL, redisKeyPrefix: prefix };
    cleanups.push(() => deleteRedisKeys(TEST_REDIS_URL, prefix));
  }
  const app = await seeded(settings);
  if (cleanups.length > 0) {
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      for (const cleanup of cleanups) await cleanup();
    };
  }
  return app;
}

/** Why Redis cannot be used, or null when it answers PING. */
export async function redisUnavailable(url: string = REDIS_URL): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return `Redis at ${url} is unreachable: ${(error as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

async function seeded(settings: SettingsInput): Promise<Gatehouse> {
  const app = await createDemoApp({ secretKey: 'test-secret-key', databaseUrl: 'sqlite::memory:', ...settings });
  await app.migrate();
  const users = await Promise.all(
    (SEED.users ?? []).map(async (u) => ({ ...u, passwordHash: await hashOnce(u.password) })),
  );
  await loadFixture(app, { ...SEED, users });
  return app;
}
