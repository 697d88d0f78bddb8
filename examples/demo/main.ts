/**
 * `npm start`: migrates and seeds `demo.sqlite3` (once), serves the demo API on port 8000 and prints
 * how to log in and the demo tokens.
 */
import { readFileSync } from 'node:fs';
import { serve } from '../../src/index.ts';
import { createDemoApp, demoSettings } from './app.ts';
import { loadFixture, type Fixture } from './fixture.ts';

const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? '127.0.0.1';
const seed = JSON.parse(readFileSync(new URL('./seed.json', import.meta.url), 'utf8')) as Fixture;

const app = await createDemoApp(demoSettings());
await app.migrate();
if ((await app.accounts.getUserByUsername('alice')) === null) await loadFixture(app, seed);

const { address: base, closed } = await serve(app, { host, port, logger: { level: 'warn' } });
const users = (seed.users ?? []).filter((u) => u.is_active !== false);
console.log(`
Gatehouse demo API on ${base}/

Browse it:   ${base}/            (log in at ${base}/api-auth/login/)
Users:       ${users.map((u) => `${u.username} / ${u.password}`).join(', ')}
Tokens:
${users.filter((u) => u.token).map((u) => `  ${u.username.padEnd(6)} curl -H 'Authorization: Token ${u.token}' ${base}/example/`).join('\n')}
Get one:     curl -d username=dave -d password=dave-password-1 ${base}/api-token-auth/
`);
await closed;
