/**
 * The hand-written baseline: bare Fastify and better-sqlite3 doing the same work as the demo's token
 * GET detail — the same token lookup (SHA-256 digest joined to its user), the same row, the same JSON.
 * `tsx bench/baseline.ts DBFILE PORT` over a database the demo migrated and seeded.
 */
import Fastify from 'fastify';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';

const [file, portArg] = process.argv.slice(2);
const db = new Database(file!);
db.pragma('journal_mode = WAL');
const tokenUser = db.prepare(
  'select u.id, u.username, u.is_active from authtoken_token t inner join auth_user u on u.id = t.user_id where t.digest = ?',
);
const lifeById = db.prepare('select id, answer from life where id = ?');
const lifeList = db.prepare('select id, answer from life order by id');
const updateLife = db.prepare('update life set answer = ? where id = ? returning id, answer');

const app = Fastify();

function authenticate(header: string | undefined): { id: number } | null {
  if (!header?.startsWith('Token ')) return null;
  const digest = createHash('sha256').update(header.slice(6)).digest('hex');
  const user = tokenUser.get(digest) as { id: number; is_active: number } | undefined;
  return user && user.is_active ? user : null;
}

const DENIED = JSON.stringify({ detail: 'Authentication credentials were not provided.' });

app.get('/life/:pk/', (req, reply) => {
  if (!authenticate(req.headers.authorization)) return reply.code(401).type('application/json').send(DENIED);
  const row = lifeById.get(Number((req.params as { pk: string }).pk));
  if (!row) return reply.code(404).type('application/json').send('{"detail":"Not found."}');
  return reply.type('application/json').send(JSON.stringify(row));
});

app.put('/life/:pk/', (req, reply) => {
  if (!authenticate(req.headers.authorization)) return reply.code(401).type('application/json').send(DENIED);
  const body = req.body as { answer?: unknown };
  if (!Number.isInteger(body?.answer)) return reply.code(400).send({ answer: ['A valid integer is required.'] });
  const row = updateLife.get(body.answer, Number((req.params as { pk: string }).pk));
  return reply.type('application/json').send(JSON.stringify(row));
});

app.get('/life/', (req, reply) => {
  if (!authenticate(req.headers.authorization)) return reply.code(401).type('application/json').send(DENIED);
  return reply.type('application/json').send(JSON.stringify(lifeList.all()));
});

app.get('/example/', (req, reply) => {
  if (!authenticate(req.headers.authorization)) return reply.code(403).type('application/json').send(DENIED);
  return reply.send({ ok: true });
});

await app.listen({ host: '127.0.0.1', port: Number(portArg) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
