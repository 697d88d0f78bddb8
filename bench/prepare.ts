/**
 * Creates the benchmark database: the demo migrated and seeded, 100 life rows for the list scenario,
 * and a logged-in session for alice. Prints the session key.
 */
import { readFileSync } from 'node:fs';
import { createDemoApp } from '../examples/demo/app.ts';
import { loadFixture, type Fixture } from '../examples/demo/fixture.ts';
import { Life } from '../examples/demo/models.ts';

const [file] = process.argv.slice(2);
const seed = JSON.parse(readFileSync(new URL('../examples/demo/seed.json', import.meta.url), 'utf8')) as Fixture;
const app = await createDemoApp({ secretKey: 'benchmark-secret-key', databaseUrl: `sqlite:${file}` });
await app.migrate();
await loadFixture(app, seed);
for (let i = 3; i <= 100; i++) await Life.create(app.db, { answer: i });
const alice = (await app.accounts.getUserByUsername('alice'))!;
process.stdout.write(await app.accounts.createSessionFor(alice));
await app.close();
