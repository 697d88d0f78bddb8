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

/**
 * A database URL for a new, empty schema, and a function that drops it. The schema is the connection's
 * search_path, so the framework's unqualified table names land in it.
 */
export async function freshPostgresSchema(url: string = POSTGRES_URL): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `gh_test_${process.pid}_${++schemas}_${randomBytes(3).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA "${schema}"`);
  const separator = url.includes('?') ? '&' : '?';
  return {
    url: `${url}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: () => admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
  };
}

/** The demo app (migrated, seeded) with these settings over a fresh database (see above). */
export async function demoApp(settings: SettingsInput = {}, database: 'sqlite' | 'postgres' = TEST_DATABASE): Promise<Gatehouse> {
  if (database === 'postgres' && settings.databaseUrl === undefined) {
    const { url, drop } = await freshPostgresSchema();
    const app = await seeded({ ...settings, databaseUrl: url });
    const close = app.close.bind(app);
    app.close = async () => {
      await close();
      await drop();
    };
    return app;
  }
  return seeded(settings);
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
