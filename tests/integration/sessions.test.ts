/**
 * Sessions, login and logout as Django's (spec §7, §13 "Session lifecycle"): the login form, the
 * session cookie and its attributes, a new session key at every login (fixation), safe `next`
 * redirects, logout deleting the session server-side, the session hash that logs out other sessions
 * after a password change, inactive users, expiry, garbage cookies, and Django pbkdf2 hashes upgraded
 * to scrypt at login. Clients enforce CSRF and do the cookie dance, as a browser would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gatehouse } from '../../src/index.ts';
import { APIClient, type TestResponse } from '../../src/testing/index.ts';
import { demoApp, PASSWORDS } from '../helpers.ts';
import { cookieValue, formLogin, formLogout, formTokenOf, setCookie, setCookies } from '../support/forms.ts';

const LOGIN_ERROR = 'Please enter a correct username and password. Note that both fields may be case-sensitive.';
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
// Django 3.2's PBKDF2PasswordHasher for "secret-pw-1" (260000 iterations, salt abcdefghijklmnopqrstuv), from
// python3 -c "import hashlib,base64; print('pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$' + base64.b64encode(
//   hashlib.pbkdf2_hmac('sha256', b'secret-pw-1', b'abcdefghijklmnopqrstuv', 260000, 32)).decode())"
const DJANGO_HASH = 'pbkdf2_sha256$260000$abcdefghijklmnopqrstuv$Mv6ytWKVGVk/GAAQw4SqI9EM6YqQjz707h8NhohonK8=';

function expectSessionDeleted(response: TestResponse): void {
  const header = setCookie(response, 'sessionid');
  expect(header, 'the sessionid cookie is deleted').toBeDefined();
  expect(cookieValue(header!)).toBe('');
  expect(header).toMatch(/;\s*Max-Age=0(;|$)/i);
  expect(header).toMatch(/;\s*Expires=Thu, 01 Jan 1970 00:00:00 GMT/i);
  expect(header).toMatch(/;\s*Path=\/(;|$)/i);
}

/** GET /example/ (IsAuthenticated) with exactly this sessionid cookie, from a fresh cookie jar. */
async function whoIs(app: Gatehouse, sessionid: string): Promise<TestResponse> {
  const client = new APIClient(app, { enforceCsrfChecks: true });
  try {
    return await client.get('/example/', { headers: { cookie: `sessionid=${sessionid}` } });
  } finally {
    await client.close();
  }
}

async function sessionRow(app: Gatehouse, key: string): Promise<Record<string, unknown> | undefined> {
  return app.db.kysely.selectFrom('django_session').selectAll().where('session_key', '=', key).executeTakeFirst();
}

describe('login through the form (/api-auth/login/)', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  beforeAll(async () => {
    app = await demoApp();
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  function newClient(): APIClient {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    return client;
  }

  it("the login page renders Django's form fields", async () => {
    const page = await newClient().get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('id="id_username"');
    expect(page.text).toContain('name="password"');
    expect(page.text).toContain('name="csrfmiddlewaretoken"');
  });

  it('success: 302 to `/` and a sessionid cookie (32 chars, HttpOnly, SameSite=Lax, Max-Age 1209600)', async () => {
    const client = newClient();
    const response = await formLogin(client, 'alice', PASSWORDS.alice!);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    const header = setCookie(response, 'sessionid');
    expect(header).toBeDefined();
    const key = cookieValue(header!);
    expect(key).toMatch(/^[a-z0-9]{32}$/);
    expect(header).toMatch(/;\s*HttpOnly(;|$)/i);
    expect(header).toMatch(/;\s*SameSite=Lax(;|$)/i);
    expect(header).toMatch(/;\s*Max-Age=1209600(;|$)/i);
    expect(header).toMatch(/;\s*Path=\/(;|$)/i);
    expect(header).not.toMatch(/;\s*Secure/i);
    const expires = Date.parse(/Expires=([^;]+)/i.exec(header!)![1]!);
    expect(Math.abs(expires - (Date.now() + 1209600 * 1000))).toBeLessThan(3600 * 1000);
    expect(response.text).not.toContain(key);

    const who = await client.get('/example/');
    expect(who.status).toBe(200);
    expect(who.data).toEqual({ user: 'alice', auth: null });
  });

  it('the session lives server-side: the row names the user and holds no password', async () => {
    const client = newClient();
    const response = await formLogin(client, 'bob', PASSWORDS.bob!);
    const key = cookieValue(setCookie(response, 'sessionid')!);
    const bob = (await app.accounts.getUserByUsername('bob'))!;
    const row = await sessionRow(app, key);
    expect(row).toBeDefined();
    expect(Number(row!.user_id)).toBe(bob.id);
    const data = JSON.parse(String(row!.session_data)) as Record<string, unknown>;
    expect(data._auth_user_id).toBe(String(bob.id));
    expect(String(row!.session_data)).not.toContain(PASSWORDS.bob!);
    expect(String(row!.session_data)).not.toContain(bob.passwordHash);
  });

  it('an authenticated request does not re-send the session cookie (not saved on every request)', async () => {
    const client = newClient();
    await formLogin(client, 'alice', PASSWORDS.alice!);
    const response = await client.get('/example/');
    expect(response.status).toBe(200);
    expect(setCookie(response, 'sessionid')).toBeUndefined();
  });

  it('every login issues a new session key', async () => {
    const client = newClient();
    const keys = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const response = await formLogin(client, 'alice', PASSWORDS.alice!);
      expect(response.status).toBe(302);
      keys.add(cookieValue(setCookie(response, 'sessionid')!));
    }
    expect(keys.size).toBe(3);
    // Only the last one is alive: each login replaced the previous session.
    const [first, second, third] = [...keys];
    expectDenied(await whoIs(app, first!));
    expectDenied(await whoIs(app, second!));
    expect((await whoIs(app, third!)).status).toBe(200);
  });

  it('session fixation: an attacker-planted sessionid is not adopted at login', async () => {
    const client = newClient();
    const planted = 'attackerchosenkey0123456789abcde';
    client.cookies.set('sessionid', planted);
    const response = await formLogin(client, 'alice', PASSWORDS.alice!);
    expect(response.status).toBe(302);
    const key = cookieValue(setCookie(response, 'sessionid')!);
    expect(key).not.toBe(planted);
    expectDenied(await whoIs(app, planted));
    expect(await sessionRow(app, planted)).toBeUndefined();
  });

  it("session fixation: another user's live session is replaced, and that old key is dead", async () => {
    const client = newClient();
    expect(await client.login({ username: 'bob', password: PASSWORDS.bob! })).toBe(true);
    const bobKey = client.cookies.get('sessionid')!;
    expect((await whoIs(app, bobKey)).data).toEqual({ user: 'bob', auth: null });
    const response = await formLogin(client, 'alice', PASSWORDS.alice!);
    const aliceKey = cookieValue(setCookie(response, 'sessionid')!);
    expect(aliceKey).not.toBe(bobKey);
    expect((await client.get('/example/')).data).toEqual({ user: 'alice', auth: null });
    expectDenied(await whoIs(app, bobKey));
  });

  it('session keys are 32 lowercase letters and digits, all distinct', async () => {
    const keys = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const client = newClient();
        await client.login({ username: 'dave', password: PASSWORDS.dave! });
        return client.cookies.get('sessionid')!;
      }),
    );
    for (const key of keys) expect(key).toMatch(/^[a-z0-9]{32}$/);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a wrong password, an unknown user, a wrong-case username, an inactive user: the form again with Django's message", async () => {
    for (const [username, password] of [
      ['alice', 'wrong'],
      ['nobody', 'whatever'],
      ['Alice', PASSWORDS.alice!],
      ['carol', PASSWORDS.carol!],
      ['alice', `${PASSWORDS.alice!} `],
    ] as const) {
      const client = newClient();
      const response = await formLogin(client, username, password);
      expect(response.status, `${username}/${password}`).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain(LOGIN_ERROR);
      expect(setCookie(response, 'sessionid')).toBeUndefined();
      expect(client.cookies.has('sessionid')).toBe(false);
      // The form is usable again: it carries a token for the same cookie.
      expect(formTokenOf(response.text)).toMatch(/^[A-Za-z0-9]{64}$/);
    }
  });

  it('a blank password re-renders the form and logs no one in', async () => {
    const client = newClient();
    const response = await formLogin(client, 'alice', '');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(setCookie(response, 'sessionid')).toBeUndefined();
  });

  it("the username is stripped of surrounding whitespace, as Django's form field does", async () => {
    const client = newClient();
    const response = await formLogin(client, '  alice ', PASSWORDS.alice!);
    expect(response.status).toBe(302);
    expect((await client.get('/example/')).data).toEqual({ user: 'alice', auth: null });
  });

  it('the username is kept in the re-rendered form, HTML-escaped', async () => {
    const response = await formLogin(newClient(), '<b>mallory</b>', 'x');
    expect(response.status).toBe(200);
    expect(response.text).not.toContain('<b>mallory</b>');
    expect(response.text).toContain('&lt;b&gt;mallory&lt;/b&gt;');
  });

  it('`next`: a local path is followed; other hosts and schemes fall back to `/`', async () => {
    const cases: [string, string][] = [
      ['/example/', '/example/'],
      ['/life/?page=2', '/life/?page=2'],
      ['//evil.com', '/'],
      ['https://evil.com', '/'],
      ['http://evil.com/path', '/'],
      ['/\\evil.com', '/'],
      ['javascript:alert(1)', '/'],
      ['', '/'],
    ];
    for (const [next, location] of cases) {
      const response = await formLogin(newClient(), 'dave', PASSWORDS.dave!, next);
      expect(response.status, `next=${next}`).toBe(302);
      expect(response.headers.location, `next=${next}`).toBe(location);
    }
  });

  it('`next` in the query string of the page lands in the form only when it is safe', async () => {
    const client = newClient();
    const safe = await client.get('/api-auth/login/?next=/example/', { headers: { accept: 'text/html' } });
    expect(safe.text).toMatch(/name="next" value="\/example\/"/);
    const unsafe = await client.get('/api-auth/login/?next=//evil.com', { headers: { accept: 'text/html' } });
    expect(unsafe.text).not.toContain('evil.com');
  });

  it("the test client's login() refuses a wrong password and an inactive user", async () => {
    const client = newClient();
    expect(await client.login({ username: 'alice', password: 'wrong' })).toBe(false);
    expect(await client.login({ username: 'carol', password: PASSWORDS.carol! })).toBe(false);
    expect(client.cookies.has('sessionid')).toBe(false);
  });

  it('an anonymous request creates no session and sets no cookie', async () => {
    const before = await app.db.kysely.selectFrom('django_session').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    const response = await newClient().get('/life/');
    expect(response.status).toBe(200);
    expect(setCookies(response)).toEqual([]);
    const after = await app.db.kysely.selectFrom('django_session').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    expect(Number(after!.n)).toBe(Number(before!.n));
  });

  it('a response that depended on the session cookie carries `Vary: Cookie` (authenticated)', async () => {
    const client = newClient();
    await client.login({ username: 'alice', password: PASSWORDS.alice! });
    const response = await client.get('/example/');
    expect(response.status).toBe(200);
    expect(String(response.headers.vary ?? '')).toMatch(/\bCookie\b/);
  });

  it('a response that depended on the session cookie carries `Vary: Accept, Cookie` (anonymous, spec §13)', async () => {
    const response = await newClient().get('/example/');
    expect(response.status).toBe(403);
    expect(response.headers.vary).toBe('Accept, Cookie');
  });
});

function expectDenied(response: TestResponse): void {
  expect(response.data).toEqual(NOT_PROVIDED);
  expect(response.status).toBe(403);
}

describe('logout (/api-auth/logout/)', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  beforeAll(async () => {
    app = await demoApp();
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  async function loggedIn(username = 'alice'): Promise<{ client: APIClient; key: string }> {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    const response = await formLogin(client, username, PASSWORDS[username]!);
    expect(response.status).toBe(302);
    return { client, key: client.cookies.get('sessionid')! };
  }

  it('POST with the CSRF token: 302 to `/`, the cookie deleted, the session row deleted', async () => {
    const { client, key } = await loggedIn();
    expect(await sessionRow(app, key)).toBeDefined();
    const response = await formLogout(client);
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/');
    expectSessionDeleted(response);
    expect(await sessionRow(app, key)).toBeUndefined();
    expect(client.cookies.has('sessionid')).toBe(false);
    expectDenied(await client.get('/example/'));
  });

  it('replaying the old sessionid cookie after logout is anonymous', async () => {
    const { client, key } = await loggedIn();
    await formLogout(client);
    const replay = await whoIs(app, key);
    expectDenied(replay);
    // Anonymous, so an unsafe request with the dead cookie is not CSRF-checked either.
    const write = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(write);
    const created = await write.post('/life/', { answer: 1 }, { headers: { cookie: `sessionid=${key}` } });
    expect(created.status).toBe(201);
  });

  it('logout is CSRF-protected: without the token, 403 HTML and the session survives', async () => {
    const { client, key } = await loggedIn();
    const response = await client.post('/api-auth/logout/', {}, { format: 'form' });
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('CSRF verification failed. Request aborted.');
    expect(setCookie(response, 'sessionid')).toBeUndefined();
    expect(await sessionRow(app, key)).toBeDefined();
    expect((await client.get('/example/')).status).toBe(200);
  });

  it('GET logout: 405, and the session survives (no logout by link or image)', async () => {
    const { client, key } = await loggedIn();
    const response = await client.get('/api-auth/logout/');
    expect(response.status).toBe(405);
    expect(response.data).toEqual({ detail: 'Method "GET" not allowed.' });
    expect(setCookie(response, 'sessionid')).toBeUndefined();
    expect(await sessionRow(app, key)).toBeDefined();
    expect((await client.get('/example/')).data).toEqual({ user: 'alice', auth: null });
  });

  it('`next` on logout: followed when local (form field or query), ignored otherwise', async () => {
    const a = await loggedIn();
    expect((await formLogout(a.client, '/life/')).headers.location).toBe('/life/');
    const b = await loggedIn();
    expect((await formLogout(b.client, '//evil.com')).headers.location).toBe('/');
    const c = await loggedIn();
    const viaQuery = await c.client.post('/api-auth/logout/?next=/example/', {}, { format: 'form', headers: { 'x-csrftoken': c.client.cookies.get('csrftoken')! } });
    expect(viaQuery.status).toBe(302);
    expect(viaQuery.headers.location).toBe('/example/');
  });

  it('logout without a session: 302, no session cookie touched', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const response = await formLogout(client);
    expect(response.status).toBe(302);
    expect(setCookie(response, 'sessionid')).toBeUndefined();
  });

  it("logging out one browser leaves the user's other sessions alone", async () => {
    const first = await loggedIn('bob');
    const second = await loggedIn('bob');
    await formLogout(first.client);
    expectDenied(await whoIs(app, first.key));
    expect((await whoIs(app, second.key)).data).toEqual({ user: 'bob', auth: null });
  });

  it("the test client's logout() deletes the session server-side", async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'dave', password: PASSWORDS.dave! });
    const key = client.cookies.get('sessionid')!;
    expect((await whoIs(app, key)).status).toBe(200);
    await client.logout();
    expect(await sessionRow(app, key)).toBeUndefined();
    expectDenied(await whoIs(app, key));
  });
});

describe('when a session stops authenticating', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  let erinId: number;
  let frankId: number;
  beforeAll(async () => {
    app = await demoApp();
    const [erin, frank] = await Promise.all([
      app.accounts.createUser({ username: 'erin', password: 'erin-password-1' }),
      app.accounts.createUser({ username: 'frank', password: 'frank-password-1' }),
    ]);
    erinId = erin.id;
    frankId = frank.id;
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  async function sessionFor(username: string, password: string): Promise<{ client: APIClient; key: string }> {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    expect(await client.login({ username, password })).toBe(true);
    return { client, key: client.cookies.get('sessionid')! };
  }

  it('a password change logs out every existing session, and their cookies are deleted', async () => {
    const a = await sessionFor('erin', 'erin-password-1');
    const b = await sessionFor('erin', 'erin-password-1');
    expect((await a.client.get('/example/')).data).toEqual({ user: 'erin', auth: null });
    await app.accounts.setPassword(erinId, 'erin-password-2');
    const first = await a.client.get('/example/');
    expectDenied(first);
    expectSessionDeleted(first);
    expectDenied(await whoIs(app, b.key));
    // The stale session is gone for good, not just refused.
    expect(await sessionRow(app, a.key)).toBeUndefined();
    // The new password logs in.
    const fresh = await sessionFor('erin', 'erin-password-2');
    expect((await fresh.client.get('/example/')).data).toEqual({ user: 'erin', auth: null });
  });

  it("an inactive user's session is anonymous, and not CSRF-checked", async () => {
    const { client, key } = await sessionFor('frank', 'frank-password-1');
    expect((await client.get('/example/')).status).toBe(200);
    await app.db.kysely.updateTable('auth_user').set({ is_active: 0 }).where('id', '=', frankId).execute();
    try {
      expectDenied(await client.get('/example/'));
      expectDenied(await whoIs(app, key));
      // Anonymous: /life/ (AllowAny) takes a POST without any CSRF token.
      expect((await client.post('/life/', { answer: 1 })).status).toBe(201);
    } finally {
      await app.db.kysely.updateTable('auth_user').set({ is_active: 1 }).where('id', '=', frankId).execute();
    }
  });

  it('an expired session is anonymous', async () => {
    const { client, key } = await sessionFor('dave', PASSWORDS.dave!);
    expect((await client.get('/example/')).status).toBe(200);
    await app.db.kysely.updateTable('django_session').set({ expire_date: Date.now() - 1000 }).where('session_key', '=', key).execute();
    expectDenied(await client.get('/example/'));
    expect(await app.accounts.clearExpiredSessions()).toBeGreaterThanOrEqual(1);
    expect(await sessionRow(app, key)).toBeUndefined();
  });

  it('a deleted user takes their sessions with them', async () => {
    const user = await app.accounts.createUser({ username: 'gone', password: 'gone-password-1' });
    const { key } = await sessionFor('gone', 'gone-password-1');
    expect((await whoIs(app, key)).status).toBe(200);
    await app.db.kysely.deleteFrom('auth_user').where('id', '=', user.id).execute();
    expectDenied(await whoIs(app, key));
  });

  it('garbage sessionid cookies are anonymous, never a 500', async () => {
    const values = [
      'a'.repeat(41),
      'a'.repeat(5000),
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345',
      'short',
      'abc!def',
      "'%20OR%201=1%20--",
      '%00',
      '%ff%fe',
      encodeURIComponent('ümlaut-ключ-鍵'),
      '..%2F..%2Fetc%2Fpasswd',
      '"quoted"',
      '',
      'abcdefghijklmnopqrstuvwxyz012345',
    ];
    for (const value of values) {
      const response = await whoIs(app, value);
      expect(response.status, `sessionid=${value.slice(0, 40)}`).toBe(403);
      expect(response.data).toEqual(NOT_PROVIDED);
      const list = new APIClient(app, { enforceCsrfChecks: true });
      opened.push(list);
      expect((await list.get('/life/', { headers: { cookie: `sessionid=${value}` } })).status).toBe(200);
    }
  });

  it('raw non-ASCII bytes in the sessionid cookie are anonymous, never a 500', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    for (const cookie of ['sessionid=\u00fcml\u00e4ut', 'sessionid=\u00c3\u00bc', 'sessionid=a\u00ffb; csrftoken=\u00b8']) {
      const response = await client.server.inject({ method: 'GET', url: '/example/', headers: { cookie } });
      expect(response.statusCode, cookie).toBe(403);
      expect(JSON.parse(response.body)).toEqual(NOT_PROVIDED);
      const post = await client.server.inject({ method: 'POST', url: '/life/', headers: { cookie, 'content-type': 'application/json' }, payload: '{"answer":1}' });
      expect(post.statusCode, cookie).toBe(201);
    }
  });
});

describe('Django password hashes at login', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  let userId: number;
  beforeAll(async () => {
    app = await demoApp();
    userId = (await app.accounts.createUser({ username: 'djangonaut', passwordHash: DJANGO_HASH })).id;
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  async function storedHash(): Promise<string> {
    const row = await app.db.kysely.selectFrom('auth_user').select('password').where('id', '=', userId).executeTakeFirstOrThrow();
    return String(row.password);
  }

  it('a wrong password is refused and leaves the Django hash as it was', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    const response = await formLogin(client, 'djangonaut', 'secret-pw-2');
    expect(response.status).toBe(200);
    expect(response.text).toContain(LOGIN_ERROR);
    expect(await storedHash()).toBe(DJANGO_HASH);
  });

  it('the right password logs in, the hash is upgraded to scrypt, and the session stays valid', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    const response = await formLogin(client, 'djangonaut', 'secret-pw-1');
    expect(response.status).toBe(302);
    expect(setCookie(response, 'sessionid')).toBeDefined();
    const upgraded = await storedHash();
    expect(upgraded.startsWith('scrypt$')).toBe(true);
    expect(upgraded).not.toContain('secret-pw-1');
    // The session's hash was taken from the upgraded password: the next request is still logged in.
    const who = await client.get('/example/');
    expect(who.status).toBe(200);
    expect(who.data).toEqual({ user: 'djangonaut', auth: null });
  });

  it('after the upgrade the same password still works, and the hash is not rewritten again', async () => {
    const before = await storedHash();
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    const response = await formLogin(client, 'djangonaut', 'secret-pw-1');
    expect(response.status).toBe(302);
    expect(await storedHash()).toBe(before);
    const basic = await client.get('/example/', { headers: { authorization: `Basic ${Buffer.from('djangonaut:secret-pw-1').toString('base64')}` } });
    expect(basic.status).toBe(200);
  });
});
