/**
 * Shared set-up for integration tests: the demo app over an in-memory database loaded with the seed
 * fixture. Password hashes are computed once per process (scrypt is deliberately slow) and reused.
 */
import { readFileSync } from 'node:fs';
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

/** The demo app (migrated, seeded) with these settings over `sqlite::memory:`. */
export async function demoApp(settings: SettingsInput = {}): Promise<Gatehouse> {
  const app = await createDemoApp({ secretKey: 'test-secret-key', databaseUrl: 'sqlite::memory:', ...settings });
  await app.migrate();
  const users = await Promise.all(
    (SEED.users ?? []).map(async (u) => ({ ...u, passwordHash: await hashOnce(u.password) })),
  );
  await loadFixture(app, { ...SEED, users });
  return app;
}
