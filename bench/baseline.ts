/**
 * The baseline: what the benchmarked demo endpoints cost when written by hand with bare Fastify and
 * better-sqlite3, over the same database file layout (a copy of the one Gatehouse serves). It does
 * the same work per request, not less: it authenticates (session cookie first, then
 * `Authorization: Token`, as the demo's authentication classes are ordered), looks the credential up
 * the way Gatehouse stores it (a token by its SHA-256 digest; a session joined to its user, unexpired,
 * with Django's session hash checked), applies the same visibility and permission rules, and answers
 * with the same status, JSON body and headers. What it skips is generality: no policy classes, no
 * serializer, no query builder, no content negotiation beyond "does Accept mention text/html".
 *
 * Environment: DATABASE_FILE (required), PORT (default 0). Reports `{ type: 'ready', port, pids }`
 * over IPC, as gatehouse-server.ts does.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import BetterSqlite3 from 'better-sqlite3';
import { createHash, createHmac, hash, randomInt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { BENCH_SECRET_KEY, SCOPED_LIMIT, type ReadyMessage } from './constants.ts';

interface UserRow {
  id: number;
  username: string;
  password: string;
  is_active: number;
}

interface SurveyRow {
  id: number;
  title: string;
  status: string;
  creator_id: number;
  creator: string | null;
}

interface Authenticated {
  user: UserRow;
  via: 'session' | 'token';
}

/** A refusal with DRF's body; thrown from the helpers, answered by `refuse`. */
class Refusal {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

const file = process.env.DATABASE_FILE;
if (!file) throw new Error('baseline: DATABASE_FILE is required');

// The pragmas Gatehouse's SQLite connection uses (src/db/database.ts), so writes cost the same.
const db = new BetterSqlite3(file);
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');

const userByTokenDigest = db.prepare<[string], UserRow>(
  'SELECT u.id, u.username, u.password, u.is_active FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.digest = ?',
);
const userBySession = db.prepare<[string, number], UserRow & { session_data: string }>(
  'SELECT s.session_data, u.id, u.username, u.password, u.is_active FROM django_session s JOIN auth_user u ON u.id = s.user_id ' +
    'WHERE s.session_key = ? AND s.expire_date > ?',
);
// Drafts are visible only to their creator (the demo's SurveyViewSet.getQueryset); null matches none.
const VISIBLE = "(s.status = 'published' OR s.creator_id = ?)";
const SURVEY_COLUMNS = 's.id, s.title, s.status, s.creator_id, u.username AS creator FROM survey s LEFT JOIN auth_user u ON u.id = s.creator_id';
const surveyById = db.prepare<[number, number | null], SurveyRow>(`SELECT ${SURVEY_COLUMNS} WHERE s.id = ? AND ${VISIBLE}`);
const visibleSurveys = db.prepare<[number | null], SurveyRow>(`SELECT ${SURVEY_COLUMNS} WHERE ${VISIBLE} ORDER BY s.id`);
const updateSurvey = db.prepare<[string, string, number], Omit<SurveyRow, 'creator'>>(
  'UPDATE survey SET title = ?, status = ? WHERE id = ? RETURNING id, title, status, creator_id',
);

// ------------------------------------------------------------------ authentication

/** Gatehouse's session hash key (src/auth/accounts.ts): a password change invalidates sessions. */
const sessionHashKey = createHash('sha256').update(`gatehouse.session-auth-hash${BENCH_SECRET_KEY}`).digest();
const SESSION_KEY = /^[a-z0-9]{8,40}$/;

function sessionUser(cookieHeader: string | undefined): UserRow | null {
  if (cookieHeader === undefined) return null;
  const key = parseCookies(cookieHeader).sessionid;
  if (key === undefined || !SESSION_KEY.test(key)) return null;
  const row = userBySession.get(key, Date.now());
  if (row === undefined || !row.is_active) return null;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(row.session_data) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (data._auth_user_id !== String(row.id) || typeof data._auth_user_hash !== 'string') return null;
  const expected = createHmac('sha256', sessionHashKey).update(row.password).digest('hex');
  const given = Buffer.from(data._auth_user_hash);
  return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected)) ? row : null;
}

/** DRF's order: the session, then the token; neither means anonymous. Bad credentials are refused. */
function authenticate(request: FastifyRequest): Authenticated | null {
  const fromSession = sessionUser(request.headers.cookie);
  if (fromSession !== null) return { user: fromSession, via: 'session' };
  const header = request.headers.authorization;
  if (header === undefined) return null;
  // Only the Token scheme is served; Basic is configured in the demo but no scenario sends it.
  const parts = header.trim().split(/\s+/);
  if (parts[0]?.toLowerCase() !== 'token') return null;
  if (parts.length !== 2) throw new Refusal(403, { detail: 'Invalid token header.' });
  // The one-shot digest Gatehouse uses too (src/auth/token-crypto.ts).
  const user = userByTokenDigest.get(hash('sha256', parts[1]!, 'hex'));
  if (user === undefined) throw new Refusal(403, { detail: 'Invalid token.' });
  if (!user.is_active) throw new Refusal(403, { detail: 'User inactive or deleted.' });
  return { user, via: 'token' };
}

const NOT_AUTHENTICATED = new Refusal(403, { detail: 'Authentication credentials were not provided.' });
const NOT_PERMITTED = new Refusal(403, { detail: 'You do not have permission to perform this action.' });
const NOT_FOUND = new Refusal(404, { detail: 'Not found.' });

// ------------------------------------------------------------------ responses

const DETAIL_ALLOW = 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS';
const LIST_ALLOW = 'GET, POST, HEAD, OPTIONS';
const VIEW_ALLOW = 'GET, HEAD, OPTIONS';

/** The body is already a string: skip Fastify's serializer and its `; charset=utf-8`, as Gatehouse does. */
const asIs = (body: unknown): string => body as string;

function send(reply: FastifyReply, status: number, allow: string, body: string, contentType = 'application/json'): FastifyReply {
  return reply
    .code(status)
    .headers({ 'x-content-type-options': 'nosniff', allow, vary: 'Accept, Cookie', 'content-type': contentType })
    .serializer(asIs)
    .send(body);
}

function refuse(reply: FastifyReply, allow: string, error: unknown): FastifyReply {
  if (error instanceof Refusal) return send(reply, error.status, allow, JSON.stringify(error.body));
  throw error;
}

function surveyJson(row: SurveyRow): { id: number; title: string; status: string; creator: string | null } {
  return { id: row.id, title: row.title, status: row.status, creator: row.creator };
}

function surveyId(params: unknown): number {
  const raw = (params as { id: string }).id;
  const id = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id)) throw NOT_FOUND;
  return id;
}

// ------------------------------------------------------------------ validation (the serializer's rules)

const STATUSES = new Set(['draft', 'published']);

/** SurveySerializer on PUT: title required, trimmed, 1..200 characters; status optional, a choice. */
function validateSurvey(body: unknown): { title: string; status: string | undefined } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Refusal(400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  }
  const { title, status } = body as Record<string, unknown>;
  const errors: Record<string, string[]> = {};
  let cleanTitle = '';
  if (title === undefined) errors.title = ['This field is required.'];
  else if (typeof title !== 'string' && typeof title !== 'number') errors.title = ['Not a valid string.'];
  else {
    cleanTitle = String(title).trim();
    if (cleanTitle === '') errors.title = ['This field may not be blank.'];
    else if (cleanTitle.length > 200) errors.title = ['Ensure this field has no more than 200 characters.'];
  }
  if (status !== undefined && (typeof status !== 'string' || !STATUSES.has(status))) {
    errors.status = [`"${String(status)}" is not a valid choice.`];
  }
  if (Object.keys(errors).length > 0) throw new Refusal(400, errors);
  return { title: cleanTitle, status: status as string | undefined };
}

// ------------------------------------------------------------------ the sliding-window throttle

/**
 * DRF's scoped throttle as Gatehouse's in-memory store keeps it (src/throttling/store.ts): one history
 * of timestamps per client, oldest first; expired entries are dropped from the front, then the request
 * is admitted and recorded if under the limit.
 */
const histories = new Map<string, number[]>();

function throttleWait(ident: string): number | null {
  const key = `throttle_scoped_${ident}`;
  let history = histories.get(key);
  if (history === undefined) histories.set(key, (history = []));
  const now = Date.now() / 1000;
  const horizon = now - SCOPED_LIMIT.seconds;
  let expired = 0;
  while (expired < history.length && history[expired]! <= horizon) expired++;
  if (expired > 0) history.splice(0, expired);
  if (history.length >= SCOPED_LIMIT.requests) {
    const remaining = SCOPED_LIMIT.seconds - (now - history[0]!);
    return remaining / (SCOPED_LIMIT.requests - history.length + 1);
  }
  history.push(now);
  return null;
}

// ------------------------------------------------------------------ the browsable page

/**
 * A comparable HTML page: the same inline stylesheet and script as Gatehouse's page (read from its
 * templates, so the bytes sent are comparable), the response pretty-printed and escaped, the edit form
 * filled from the object, a CSRF token minted and its cookie set. It is not Gatehouse's markup.
 */
const templates = new URL('../src/browsable/templates/', import.meta.url);
const STYLE = readFileSync(new URL('style.eta', templates), 'utf8');
const SCRIPT = readFileSync(new URL('script.eta', templates), 'utf8');

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

const CSRF_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomChars(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CSRF_CHARS[randomInt(CSRF_CHARS.length)];
  return out;
}

/** Django's masked CSRF token: a random mask, then the secret shifted by it. */
function maskSecret(secret: string): string {
  const mask = randomChars(32);
  let cipher = '';
  for (let i = 0; i < 32; i++) cipher += CSRF_CHARS[(CSRF_CHARS.indexOf(secret[i]!) + CSRF_CHARS.indexOf(mask[i]!)) % CSRF_CHARS.length];
  return mask + cipher;
}

function surveyPage(survey: SurveyRow, user: UserRow, csrfToken: string): string {
  const data = surveyJson(survey);
  const path = `/surveys/${survey.id}/`;
  const editable = survey.creator_id === user.id;
  const raw = escapeHtml(JSON.stringify({ title: survey.title, status: survey.status }, null, 4));
  const options = ['draft', 'published']
    .map((s) => `<option value="${s}"${s === survey.status ? ' selected' : ''}>${s}</option>`)
    .join('');
  const csrfInput = `<input type="hidden" name="csrfmiddlewaretoken" value="${csrfToken}">`;
  const forms = editable
    ? `<section id="edit-forms" class="panel">
    <form id="put-form" class="api-form" data-api-form="html" action="${path}">${csrfInput}
<div class="field"><label for="put-form-title">Title</label><input type="text" id="put-form-title" name="title" value="${escapeHtml(survey.title)}" maxlength="200" required></div>
<div class="field"><label for="put-form-status">Status</label><select id="put-form-status" name="status"><option value="">---------</option>${options}</select></div>
      <div class="submit"><button type="submit" class="btn primary" data-method="PUT">PUT</button><button type="submit" class="btn primary" data-method="PATCH">PATCH</button></div>
    </form>
    <form id="raw-form" class="api-form" data-api-form="raw" action="${path}">
      <textarea id="raw-content" name="_content" rows="10">${raw}</textarea>
      <div class="submit"><button type="submit" class="btn primary" data-method="PUT">PUT</button></div>
    </form>
  </section>`
    : '';
  const pageJson = JSON.stringify({ csrfHeaderName: 'X-CSRFToken', csrfToken, user: user.username, authorizationSent: true }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="NONE,NOARCHIVE">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Survey Instance – Baseline</title>
  <style>
${STYLE}</style>
</head>
<body>
<header class="topbar">
  <a class="brand" href="/">Baseline</a>
  <nav id="user" class="user"><span class="username">${escapeHtml(user.username)}</span>
    <form id="logoutForm" method="post" action="/api-auth/logout/?next=${encodeURIComponent(path)}">${csrfInput}<button type="submit" class="link">Log out</button></form>
  </nav>
</header>
<nav class="breadcrumbs"><a href="/">Api Root</a><span class="sep">›</span><a href="/surveys/">Survey List</a><span class="sep">›</span><span class="active">Survey Instance</span></nav>
<main>
  <h1 id="view-name">Survey Instance</h1>
  <section class="response-info" id="response">
    <pre class="request"><b>GET</b> ${escapeHtml(path)}</pre>
    <pre class="response"><b class="status ok">HTTP 200 OK</b>
<b>Allow:</b> ${DETAIL_ALLOW}
<b>Content-Type:</b> application/json
<b>Vary:</b> Accept
<code id="response-content">${escapeHtml(JSON.stringify(data, null, 4))}</code></pre>
  </section>
  ${forms}
  <details id="request-tool" class="panel"><summary>Send a request</summary>
    <textarea id="request-body" name="_content" rows="6">${raw}</textarea>
  </details>
</main>
<script type="application/json" id="drf_csrf">${pageJson}</script>
<script>
${SCRIPT}</script>
</body>
</html>
`;
}

function csrfCookie(token: string): string {
  const maxAge = 60 * 60 * 24 * 7 * 52;
  return serializeCookie('csrftoken', token, { maxAge, expires: new Date(Date.now() + maxAge * 1000), path: '/', sameSite: 'lax' });
}

// ------------------------------------------------------------------ routes

const fastify = Fastify({ logger: false });

fastify.get('/surveys/:id/', async (request, reply) => {
  try {
    const auth = authenticate(request);
    const survey = surveyById.get(surveyId(request.params), auth?.user.id ?? null);
    if (survey === undefined) throw NOT_FOUND;
    if (auth !== null && request.headers.accept?.includes('text/html')) {
      const secret = randomChars(32);
      reply.header('set-cookie', csrfCookie(maskSecret(secret)));
      return send(reply, 200, DETAIL_ALLOW, surveyPage(survey, auth.user, maskSecret(secret)), 'text/html; charset=utf-8');
    }
    return send(reply, 200, DETAIL_ALLOW, JSON.stringify(surveyJson(survey)));
  } catch (error) {
    return refuse(reply, DETAIL_ALLOW, error);
  }
});

fastify.put('/surveys/:id/', async (request, reply) => {
  try {
    const auth = authenticate(request);
    if (auth === null) throw NOT_AUTHENTICATED;
    // Unsafe requests over a session need Django's CSRF check, which no scenario exercises: refuse
    // rather than silently skip it.
    if (auth.via === 'session') throw new Refusal(403, { detail: 'CSRF Failed: not implemented by the baseline.' });
    const survey = surveyById.get(surveyId(request.params), auth.user.id);
    if (survey === undefined) throw NOT_FOUND;
    if (survey.creator_id !== auth.user.id) throw NOT_PERMITTED;
    const { title, status } = validateSurvey(request.body);
    const updated = updateSurvey.get(title, status ?? survey.status, survey.id)!;
    return send(reply, 200, DETAIL_ALLOW, JSON.stringify(surveyJson({ ...updated, creator: survey.creator })));
  } catch (error) {
    return refuse(reply, DETAIL_ALLOW, error);
  }
});

fastify.get('/surveys/', async (request, reply) => {
  try {
    const auth = authenticate(request);
    return send(reply, 200, LIST_ALLOW, JSON.stringify(visibleSurveys.all(auth?.user.id ?? null).map(surveyJson)));
  } catch (error) {
    return refuse(reply, LIST_ALLOW, error);
  }
});

/** The demo's ExampleView: IsAuthenticated, answering with the user and the token. */
fastify.get('/example/', async (request, reply) => {
  try {
    const auth = authenticate(request);
    if (auth === null) throw NOT_AUTHENTICATED;
    const token = auth.via === 'token' ? request.headers.authorization!.trim().split(/\s+/)[1]! : null;
    return send(reply, 200, VIEW_ALLOW, JSON.stringify({ user: auth.user.username, auth: token }));
  } catch (error) {
    return refuse(reply, VIEW_ALLOW, error);
  }
});

/** The demo's ScopedView: AllowAny, throttled by scope per client. */
fastify.get('/scoped/', async (request, reply) => {
  try {
    // Authentication runs first, as in DRF: it may refuse bad credentials, and a user is counted by id.
    const auth = authenticate(request);
    const wait = throttleWait(auth === null ? (request.socket.remoteAddress ?? '') : String(auth.user.id));
    if (wait !== null) {
      reply.header('retry-after', String(Math.ceil(wait)));
      throw new Refusal(429, { detail: `Request was throttled. Expected available in ${Math.ceil(wait)} seconds.` });
    }
    return send(reply, 200, VIEW_ALLOW, '{"ok":true}');
  } catch (error) {
    return refuse(reply, VIEW_ALLOW, error);
  }
});

await fastify.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = fastify.server.address();
const ready: ReadyMessage = { type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0, pids: [process.pid] };
if (process.send === undefined) console.log(JSON.stringify(ready));
else process.send(ready);

process.once('SIGTERM', () => {
  void fastify.close().then(() => {
    db.close();
    process.exit(0);
  });
});
