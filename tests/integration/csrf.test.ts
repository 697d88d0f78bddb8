/**
 * Django's CSRF protection as DRF applies it (spec §2.3, §6, §11, §13, §14.6), through the whole stack
 * with `enforceCsrfChecks: true`: checked only when the session authenticated the user, before any
 * permission, with Django 3.2's tokens and reasons; plus Gatehouse's deliberate departure, Django
 * 4.0+'s Origin check (DESIGN.md departure 1), which `csrfCheckOrigin: false` turns off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gatehouse } from '../../src/index.ts';
import { APIClient, type TestResponse } from '../../src/testing/index.ts';
import { demoApp, PASSWORDS, TOKENS } from '../helpers.ts';
import { cookieValue, formTokenOf, setCookie, setCookies } from '../support/forms.ts';

// Django's masking (spec §6.2), written out here so the tests do not trust the code under test.
const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const FIXED_MASK = 'vFioG3XOLyGyGsPRFyB9iYUs341ufzIE';

function unmask(token: string): string {
  const mask = token.slice(0, 32);
  return Array.from(token.slice(32), (char, i) => CHARS[(((CHARS.indexOf(char) - CHARS.indexOf(mask[i]!)) % 62) + 62) % 62]).join('');
}

function mask(secret: string, maskChars = FIXED_MASK): string {
  return maskChars + Array.from(secret, (char, i) => CHARS[(CHARS.indexOf(char) + CHARS.indexOf(maskChars[i]!)) % 62]).join('');
}

const FAILED = (reason: string) => ({ detail: `CSRF Failed: ${reason}` });
const NO_COOKIE = FAILED('CSRF cookie not set.');
const BAD_TOKEN = FAILED('CSRF token missing or incorrect.');

function expectCsrfFailure(response: TestResponse, body: unknown): void {
  expect(response.data).toEqual(body);
  expect(response.status).toBe(403);
  expect(response.headers['www-authenticate']).toBeUndefined();
}

interface Browser {
  client: APIClient;
  /** The csrftoken cookie the client holds. */
  cookie: string;
  /** A csrfmiddlewaretoken from the login page's form. */
  formToken: string;
}

/** A client that enforces CSRF, logged in as `username` (unless null), holding a csrftoken cookie. */
async function browser(app: Gatehouse, opened: APIClient[], username: string | null = 'bob'): Promise<Browser> {
  const client = new APIClient(app, { enforceCsrfChecks: true });
  opened.push(client);
  if (username !== null) expect(await client.login({ username, password: PASSWORDS[username]! })).toBe(true);
  const page = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  const cookie = client.cookies.get('csrftoken');
  expect(cookie).toMatch(/^[A-Za-z0-9]{64}$/);
  return { client, cookie: cookie!, formToken: formTokenOf(page.text) };
}

describe('the masking helpers used by these tests (Django test vectors)', () => {
  it('unmask', () => {
    expect(unmask('1bcdefghij2bcdefghij3bcdefghij4bcdefghij5bcdefghij6bcdefghijABCD')).toBe('lcccccccX2kcccccccY2jcccccccssIC');
    expect(unmask('2JgchWvM1tpxT2lfz9aydoXW9yT1DN3NdLiejYxOOlzzV4nhBbYqmqZYbAV3V5Bf')).toBe('lcccccccX2kcccccccY2jcccccccssIC');
    expect(unmask('vFioG3XOLyGyGsPRFyB9iYUs341ufzIE'.repeat(2))).toBe('a'.repeat(32));
    expect(unmask('a'.repeat(32) + 'b'.repeat(32))).toBe('b'.repeat(32));
    expect(unmask(mask('lcccccccX2kcccccccY2jcccccccssIC'))).toBe('lcccccccX2kcccccccY2jcccccccssIC');
  });
});

describe('CSRF for session-authenticated requests (enforceCsrfChecks: true)', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  beforeAll(async () => {
    app = await demoApp({ csrfTrustedOrigins: ['https://trusted.example', 'https://*.corp.example'], debug: true });
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  it('logged in, no csrftoken cookie: "CSRF cookie not set.", with or without an X-CSRFToken header', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    expect(await client.login({ username: 'bob', password: PASSWORDS.bob! })).toBe(true);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }), NO_COOKIE);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': mask('a'.repeat(32)) } }), NO_COOKIE);
    expectCsrfFailure(await client.put('/life/1/', { answer: 1 }), NO_COOKIE);
    expectCsrfFailure(await client.delete('/life/1/'), NO_COOKIE);
  });

  it('the failure is explained by the debug header and leaves nothing changed', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    const response = await client.post('/life/', { answer: 1234 });
    expectCsrfFailure(response, NO_COOKIE);
    expect(response.decision).toContain('CSRF check failed: CSRF cookie not set.');
    const list = await client.get('/life/');
    expect((list.data as { answer: number }[]).some((row) => row.answer === 1234)).toBe(false);
  });

  it('cookie held, no token: "CSRF token missing or incorrect." (Django 3.2 reason)', async () => {
    const { client } = await browser(app, opened);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }), BAD_TOKEN);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { format: 'form' }), BAD_TOKEN);
    expectCsrfFailure(await client.put('/life/1/', { answer: 1 }), BAD_TOKEN);
    expectCsrfFailure(await client.patch('/life/1/', { answer: 1 }), BAD_TOKEN);
    expectCsrfFailure(await client.delete('/life/1/'), BAD_TOKEN);
  });

  it('wrong tokens: another secret, wrong length, invalid characters, empty', async () => {
    const { client } = await browser(app, opened);
    for (const token of ['x'.repeat(64), mask('b'.repeat(32)), 'b'.repeat(32), '*'.repeat(64), 'a'.repeat(16), '']) {
      expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': token } }), BAD_TOKEN);
    }
  });

  it('X-CSRFToken accepts the cookie value, a page form token, a fresh masking, or the 32-char secret', async () => {
    const { client, cookie, formToken } = await browser(app, opened);
    const secret = unmask(cookie);
    expect(formToken).not.toBe(cookie);
    expect(unmask(formToken)).toBe(secret);
    for (const token of [cookie, formToken, mask(secret), mask(secret, 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ'), secret]) {
      const response = await client.post('/life/', { answer: 7 }, { headers: { 'x-csrftoken': token } });
      expect(response.status, `token ${token}`).toBe(201);
    }
  });

  it('the header name is case-insensitive (X-CSRFToken, x-csrftoken)', async () => {
    const { client, cookie } = await browser(app, opened);
    expect((await client.post('/life/', { answer: 1 }, { headers: { 'X-CSRFToken': cookie } })).status).toBe(201);
    expect((await client.post('/life/', { answer: 1 }, { headers: { 'X-Csrftoken': cookie } })).status).toBe(201);
  });

  it('PUT, PATCH and DELETE pass with the header', async () => {
    const { client, cookie } = await browser(app, opened);
    const headers = { 'x-csrftoken': cookie };
    const created = await client.post('/life/', { answer: 1 }, { headers });
    expect(created.status).toBe(201);
    const id = (created.data as { id: number }).id;
    expect((await client.put(`/life/${id}/`, { answer: 2 }, { headers })).status).toBe(200);
    expect((await client.patch(`/life/${id}/`, { answer: 3 }, { headers })).status).toBe(200);
    expect((await client.delete(`/life/${id}/`, { headers })).status).toBe(204);
  });

  it('the csrfmiddlewaretoken form field works, urlencoded and multipart', async () => {
    const { client, cookie, formToken } = await browser(app, opened);
    for (const token of [cookie, formToken, unmask(cookie)]) {
      const urlencoded = await client.post('/life/', { answer: 5, csrfmiddlewaretoken: token }, { format: 'form' });
      expect(urlencoded.status).toBe(201);
      expect(urlencoded.data).toMatchObject({ answer: 5 });
      const multipart = await client.post('/life/', { answer: 6, csrfmiddlewaretoken: token }, { format: 'multipart' });
      expect(multipart.status).toBe(201);
    }
  });

  it('a non-empty form field wins over the header; an empty one falls back to the header', async () => {
    const { client, cookie } = await browser(app, opened);
    const wrongField = await client.post('/life/', { answer: 1, csrfmiddlewaretoken: 'x'.repeat(64) }, { format: 'form', headers: { 'x-csrftoken': cookie } });
    expectCsrfFailure(wrongField, BAD_TOKEN);
    const emptyField = await client.post('/life/', { answer: 1, csrfmiddlewaretoken: '' }, { format: 'form', headers: { 'x-csrftoken': cookie } });
    expect(emptyField.status).toBe(201);
  });

  it("a repeated form field: the last value counts (QueryDict.get)", async () => {
    const { client, cookie } = await browser(app, opened);
    const lastGood = await client.post('/composed/', { csrfmiddlewaretoken: ['x'.repeat(64), cookie] }, { format: 'form' });
    expect(lastGood.status).toBe(200);
    const lastBad = await client.post('/composed/', { csrfmiddlewaretoken: [cookie, 'x'.repeat(64)] }, { format: 'form' });
    expectCsrfFailure(lastBad, BAD_TOKEN);
  });

  it('the form field is read only from form bodies of POSTs (not JSON, not PUT)', async () => {
    const { client, cookie } = await browser(app, opened);
    expectCsrfFailure(await client.post('/life/', { answer: 1, csrfmiddlewaretoken: cookie }), BAD_TOKEN);
    expectCsrfFailure(await client.put('/life/1/', { answer: 1, csrfmiddlewaretoken: cookie }, { format: 'form' }), BAD_TOKEN);
  });

  it("a token matching another browser's cookie is rejected", async () => {
    const alice = await browser(app, opened, 'alice');
    const bob = await browser(app, opened, 'bob');
    expect(unmask(alice.cookie)).not.toBe(unmask(bob.cookie));
    expectCsrfFailure(await alice.client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': bob.cookie } }), BAD_TOKEN);
    expectCsrfFailure(await alice.client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': bob.formToken } }), BAD_TOKEN);
    expectCsrfFailure(await alice.client.post('/life/', { answer: 1, csrfmiddlewaretoken: bob.cookie }, { format: 'form' }), BAD_TOKEN);
  });

  it('a malformed csrftoken cookie never matches (Django 3.2 replaces it silently)', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    for (const bad of ['x'.repeat(10), '*'.repeat(64), 'a'.repeat(65)]) {
      client.cookies.set('csrftoken', bad);
      expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': bad } }), BAD_TOKEN);
    }
  });

  it('a 32-character cookie is a bare secret: masked and unmasked tokens of it are accepted', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    const secret = 'lcccccccX2kcccccccY2jcccccccssIC';
    client.cookies.set('csrftoken', secret);
    expect((await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': secret } })).status).toBe(201);
    expect((await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': mask(secret) } })).status).toBe(201);
    expect((await client.post('/life/', { answer: 1, csrfmiddlewaretoken: mask(secret) }, { format: 'form' })).status).toBe(201);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': mask('a'.repeat(32)) } }), BAD_TOKEN);
  });

  it('CSRF is checked even on AllowAny views and on the obtain-token view, once the session authenticated', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    // /life/ runs under the default AllowAny; /api-token-auth/ has no permissions at all.
    expectCsrfFailure(await client.post('/life/', { answer: 1 }), NO_COOKIE);
    expectCsrfFailure(await client.post('/api-token-auth/', { username: 'bob', password: PASSWORDS.bob }), NO_COOKIE);
  });

  it('anonymous unsafe requests are not CSRF-checked', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    expect((await client.post('/life/', { answer: 1 })).status).toBe(201);
    expect((await client.post('/life/', { answer: 1 }, { format: 'form' })).status).toBe(201);
    // A cookie naming no live session, and a malformed one, are anonymous too.
    for (const sessionid of ['abcdefghijklmnopqrstuvwxyz012345', 'not a session!']) {
      const response = await client.post('/life/', { answer: 1 }, { headers: { cookie: `sessionid=${encodeURIComponent(sessionid)}` } });
      expect(response.status).toBe(201);
    }
    // Nor is an evil Origin checked for anonymous requests.
    expect((await client.post('/life/', { answer: 1 }, { headers: { origin: 'http://evil.example' } })).status).toBe(201);
  });

  it('safe methods are never checked: GET, HEAD, OPTIONS pass; TRACE reaches the 405', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    expect((await client.get('/life/')).status).toBe(200);
    expect((await client.head('/life/')).status).toBe(200);
    expect((await client.options('/life/')).status).toBe(200);
    const who = await client.get('/example/');
    expect(who.data).toEqual({ user: 'bob', auth: null });
    const trace = await client.request('TRACE', '/life/');
    expect(trace.status).toBe(405);
    expect(trace.data).toEqual({ detail: 'Method "TRACE" not allowed.' });
  });

  it('Basic credentials on the same request as a session: Session comes first and CSRF applies', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    const basic = `Basic ${Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64')}`;
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { authorization: basic } }), NO_COOKIE);
    // Without the session cookie, Basic alone passes with no CSRF token.
    const fresh = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(fresh);
    expect((await fresh.post('/life/', { answer: 1 }, { headers: { authorization: basic } })).status).toBe(201);
  });

  // Checked against the reference DRF server: Django checks Origin/Referer and the cookie first,
  // then reads the POST body for csrfmiddlewaretoken, so body errors surface only past those steps.
  it('a session POST without the csrftoken cookie fails CSRF before its body is read', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    const bad = await client.post('/life/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
    expectCsrfFailure(bad, NO_COOKIE);
    const plain = await client.post('/life/', undefined, { body: 'hello', headers: { 'content-type': 'text/plain' } });
    expectCsrfFailure(plain, NO_COOKIE);
  });

  it('with the cookie, a malformed POST from a session user is a 400 (or 415) before the token verdict (DRF parity)', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(client);
    await client.login({ username: 'bob', password: PASSWORDS.bob! });
    await client.get('/life/', { headers: { accept: 'text/html' } });
    const response = await client.post('/life/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.data).toEqual({ detail: 'JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)' });
    const unsupported = await client.post('/life/', undefined, { body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(unsupported.status).toBe(415);
    expect(unsupported.data).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
    // PUT does not read the body for the CSRF check: the CSRF failure comes first.
    const put = await client.put('/life/1/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
    expectCsrfFailure(put, BAD_TOKEN);
  });
});

describe('the csrftoken cookie: HTML pages set it, JSON responses never do', () => {
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

  it("the login page sets a 64-character masked token with Django's attributes (52 weeks, Lax, readable by JS)", async () => {
    const response = await newClient().get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const header = setCookie(response, 'csrftoken');
    expect(header).toBeDefined();
    expect(cookieValue(header!)).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(header).toMatch(/;\s*Max-Age=31449600(;|$)/i);
    expect(header).toMatch(/;\s*Path=\/(;|$)/i);
    expect(header).toMatch(/;\s*SameSite=Lax(;|$)/i);
    expect(header).toMatch(/;\s*Expires=/i);
    expect(header).not.toMatch(/HttpOnly/i);
    expect(header).not.toMatch(/;\s*Secure/i);
    expect(String(response.headers.vary)).toMatch(/Cookie/);
  });

  it('the form token differs from the cookie and from the next one, but carries the same secret', async () => {
    const client = newClient();
    const first = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const second = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const cookie = client.cookies.get('csrftoken')!;
    const [a, b] = [formTokenOf(first.text), formTokenOf(second.text)];
    expect(a).not.toBe(b);
    expect(a).not.toBe(cookie);
    expect(unmask(a)).toBe(unmask(cookie));
    expect(unmask(b)).toBe(unmask(cookie));
  });

  it('a page re-sends the held cookie unchanged (renewing its expiry), not a new secret', async () => {
    const client = newClient();
    const first = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const second = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expect(cookieValue(setCookie(second, 'csrftoken')!)).toBe(cookieValue(setCookie(first, 'csrftoken')!));
  });

  it('a browsable API page sets the cookie; the same resource as JSON does not', async () => {
    const html = await newClient().get('/life/', { headers: { accept: 'text/html' } });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(setCookie(html, 'csrftoken')).toBeDefined();
    const json = await newClient().get('/life/');
    expect(json.headers['content-type']).toBe('application/json');
    expect(setCookies(json)).toEqual([]);
  });

  it('JSON responses of a logged-in session user never set csrftoken: reads, writes, errors', async () => {
    const { client, cookie } = await browser(app, opened);
    const read = await client.get('/example/');
    expect(read.status).toBe(200);
    expect(setCookie(read, 'csrftoken')).toBeUndefined();
    const write = await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': cookie } });
    expect(write.status).toBe(201);
    expect(setCookie(write, 'csrftoken')).toBeUndefined();
    const denied = await client.post('/life/', { answer: 1 });
    expect(denied.status).toBe(403);
    expect(setCookie(denied, 'csrftoken')).toBeUndefined();
  });

  it('a malformed cookie is replaced on the next page; a 32-character secret is masked', async () => {
    const client = newClient();
    client.cookies.set('csrftoken', 'bad!');
    const replaced = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expect(cookieValue(setCookie(replaced, 'csrftoken')!)).toMatch(/^[A-Za-z0-9]{64}$/);
    const secret = 'lcccccccX2kcccccccY2jcccccccssIC';
    client.cookies.set('csrftoken', secret);
    const masked = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const value = cookieValue(setCookie(masked, 'csrftoken')!);
    expect(value).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(unmask(value)).toBe(secret);
    expect(unmask(formTokenOf(masked.text))).toBe(secret);
  });

  it('a 100,000-character cookie on a GET is ignored and replaced, never a 500', async () => {
    const client = newClient();
    const response = await client.get('/api-auth/login/', { headers: { accept: 'text/html', cookie: `csrftoken=${'a'.repeat(100_000)}` } });
    expect(response.status).toBeLessThan(500);
    if (response.status === 200) expect(cookieValue(setCookie(response, 'csrftoken')!)).toMatch(/^[A-Za-z0-9]{64}$/);
  });
});

describe('CSRF at login: the login form is protected and the token rotates', () => {
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

  function expectHtmlCsrfFailure(response: TestResponse): void {
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('<title>403 Forbidden</title>');
    expect(response.text).toContain('CSRF verification failed. Request aborted.');
    expect(setCookie(response, 'sessionid')).toBeUndefined();
  }

  it('POST login without a cookie or token: 403 HTML "CSRF verification failed", no session', async () => {
    const client = newClient();
    expectHtmlCsrfFailure(await client.post('/api-auth/login/', { username: 'alice', password: PASSWORDS.alice }, { format: 'form' }));
    expect(client.cookies.has('sessionid')).toBe(false);
  });

  it('POST login with the cookie but no token, or a wrong token: 403 HTML', async () => {
    const client = newClient();
    await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expectHtmlCsrfFailure(await client.post('/api-auth/login/', { username: 'alice', password: PASSWORDS.alice }, { format: 'form' }));
    expectHtmlCsrfFailure(
      await client.post('/api-auth/login/', { username: 'alice', password: PASSWORDS.alice, csrfmiddlewaretoken: 'x'.repeat(64) }, { format: 'form' }),
    );
  });

  it('POST login with a foreign Origin: 403 HTML (login CSRF)', async () => {
    const client = newClient();
    const page = await client.get('/api-auth/login/', { headers: { accept: 'text/html', host: 'testserver' } });
    const token = formTokenOf(page.text);
    const response = await client.post(
      '/api-auth/login/',
      { username: 'alice', password: PASSWORDS.alice, csrfmiddlewaretoken: token },
      { format: 'form', headers: { host: 'testserver', origin: 'http://evil.example' } },
    );
    expectHtmlCsrfFailure(response);
  });

  it('login rotates the token: the pre-login token fails afterwards, the new cookie works', async () => {
    const client = newClient();
    const page = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const before = client.cookies.get('csrftoken')!;
    const beforeForm = formTokenOf(page.text);
    const login = await client.post(
      '/api-auth/login/',
      { username: 'alice', password: PASSWORDS.alice, csrfmiddlewaretoken: beforeForm, next: '/example/' },
      { format: 'form' },
    );
    expect(login.status).toBe(302);
    expect(login.headers.location).toBe('/example/');
    const rotated = setCookie(login, 'csrftoken');
    expect(rotated).toBeDefined();
    const after = cookieValue(rotated!);
    expect(after).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(unmask(after)).not.toBe(unmask(before));
    expect(client.cookies.get('csrftoken')).toBe(after);
    expect(setCookie(login, 'sessionid')).toBeDefined();

    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': before } }), BAD_TOKEN);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': beforeForm } }), BAD_TOKEN);
    const ok = await client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': after } });
    expect(ok.status).toBe(201);
    const who = await client.get('/example/');
    expect(who.data).toEqual({ user: 'alice', auth: null });
  });

  it('the cookie value itself is accepted as the login form token', async () => {
    const client = newClient();
    await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    const login = await client.post(
      '/api-auth/login/',
      { username: 'bob', password: PASSWORDS.bob, csrfmiddlewaretoken: client.cookies.get('csrftoken')! },
      { format: 'form' },
    );
    expect(login.status).toBe(302);
  });
});

describe('the Origin check (Django 4.0+; a deliberate departure from DRF 3.14 / Django 3.2)', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  let b: Browser;
  beforeAll(async () => {
    app = await demoApp({ csrfTrustedOrigins: ['https://trusted.example', 'https://*.corp.example'] });
    b = await browser(app, opened);
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  /** `token` null sends no X-CSRFToken header. */
  function post(origin: string | undefined, host = 'testserver', token: string | null = b.cookie): Promise<TestResponse> {
    const headers: Record<string, string> = { host };
    if (origin !== undefined) headers.origin = origin;
    if (token !== null) headers['x-csrftoken'] = token;
    return b.client.post('/life/', { answer: 1 }, { headers });
  }

  it('a foreign Origin is rejected, naming it, even with a valid token', async () => {
    expectCsrfFailure(await post('http://evil.example'), FAILED('Origin checking failed - http://evil.example does not match any trusted origins.'));
  });

  it('the Origin check comes before the cookie and token checks', async () => {
    const reason = FAILED('Origin checking failed - http://evil.example does not match any trusted origins.');
    expectCsrfFailure(await post('http://evil.example', 'testserver', null), reason);
    const sessionOnly = `sessionid=${b.client.cookies.get('sessionid')}`;
    const noCookie = await b.client.post('/life/', { answer: 1 }, { headers: { host: 'testserver', origin: 'http://evil.example', cookie: sessionOnly } });
    expectCsrfFailure(noCookie, reason);
  });

  it("the request's own origin passes (port included when the Host has one)", async () => {
    expect((await post('http://testserver')).status).toBe(201);
    expect((await post('http://testserver:8000', 'testserver:8000')).status).toBe(201);
    expectCsrfFailure(await post('http://testserver', 'testserver:8000'), FAILED('Origin checking failed - http://testserver does not match any trusted origins.'));
  });

  it('own origin with the wrong scheme, `null`, and an unparsable origin are rejected', async () => {
    expectCsrfFailure(await post('https://testserver'), FAILED('Origin checking failed - https://testserver does not match any trusted origins.'));
    expectCsrfFailure(await post('null'), FAILED('Origin checking failed - null does not match any trusted origins.'));
    expectCsrfFailure(await post('https://['), FAILED('Origin checking failed - https://[ does not match any trusted origins.'));
  });

  it('a trusted origin passes; a wildcard one matches subdomains of the same scheme only', async () => {
    expect((await post('https://trusted.example')).status).toBe(201);
    expect((await post('https://app.corp.example')).status).toBe(201);
    expect((await post('https://a.b.corp.example')).status).toBe(201);
    expectCsrfFailure(await post('http://trusted.example'), FAILED('Origin checking failed - http://trusted.example does not match any trusted origins.'));
    expectCsrfFailure(await post('http://app.corp.example'), FAILED('Origin checking failed - http://app.corp.example does not match any trusted origins.'));
    expectCsrfFailure(await post('https://evilcorp.example'), FAILED('Origin checking failed - https://evilcorp.example does not match any trusted origins.'));
  });

  it('a good Origin does not replace the token check', async () => {
    expectCsrfFailure(await post('http://testserver', 'testserver', null), BAD_TOKEN);
  });

  it('X-Forwarded-Proto is ignored without numProxies: the request stays http, no Referer needed', async () => {
    const response = await b.client.post('/life/', { answer: 1 }, { headers: { 'x-csrftoken': b.cookie, 'x-forwarded-proto': 'https' } });
    expect(response.status).toBe(201);
  });

  it('csrfTrustedOrigins entries need a scheme (start-up error otherwise)', async () => {
    await expect(demoApp({ csrfTrustedOrigins: ['trusted.example'] })).rejects.toThrow(/must start with a scheme/);
  });
});

describe('csrfCheckOrigin: false restores DRF 3.14 / Django 3.2 (no Origin check)', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  beforeAll(async () => {
    app = await demoApp({ csrfCheckOrigin: false, numProxies: 1 });
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  it('a foreign Origin passes with a valid token (observed on the reference)', async () => {
    const { client, cookie } = await browser(app, opened);
    const response = await client.post('/life/', { answer: 1 }, { headers: { origin: 'http://evil.example', 'x-csrftoken': cookie } });
    expect(response.status).toBe(201);
  });

  it('the token check still applies', async () => {
    const { client } = await browser(app, opened);
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers: { origin: 'http://evil.example' } }), BAD_TOKEN);
  });

  it('over HTTPS the Referer is checked whatever the Origin says', async () => {
    const { client, cookie } = await browser(app, opened);
    const headers = { host: 'testserver', 'x-forwarded-proto': 'https', 'x-csrftoken': cookie, origin: 'https://testserver' };
    expectCsrfFailure(await client.post('/life/', { answer: 1 }, { headers }), FAILED('Referer checking failed - no Referer.'));
    const ok = await client.post('/life/', { answer: 1 }, { headers: { ...headers, origin: 'https://evil.example', referer: 'https://testserver/life/' } });
    expect(ok.status).toBe(201);
  });
});

describe('HTTPS Referer checks (behind one proxy: numProxies 1, X-Forwarded-Proto: https)', () => {
  let app: Gatehouse;
  const opened: APIClient[] = [];
  let b: Browser;
  beforeAll(async () => {
    app = await demoApp({ numProxies: 1, csrfTrustedOrigins: ['https://trusted.example', 'https://*.corp.example'] });
    b = await browser(app, opened);
  });
  afterAll(async () => {
    for (const client of opened) await client.close();
    await app.close();
  });

  /** `token` null sends no X-CSRFToken header. */
  function post(extra: Record<string, string>, token: string | null = b.cookie): Promise<TestResponse> {
    const headers: Record<string, string> = { host: 'testserver', 'x-forwarded-proto': 'https', ...extra };
    if (token !== null) headers['x-csrftoken'] = token;
    return b.client.post('/life/', { answer: 1 }, { headers });
  }

  it('no Referer: "Referer checking failed - no Referer."', async () => {
    expectCsrfFailure(await post({}), FAILED('Referer checking failed - no Referer.'));
  });

  it('a foreign Referer is rejected, naming it', async () => {
    expectCsrfFailure(await post({ referer: 'https://evil.com/' }), FAILED('Referer checking failed - https://evil.com/ does not match any trusted origins.'));
    expectCsrfFailure(
      await post({ referer: 'https://www.evil.org/somepage' }),
      FAILED('Referer checking failed - https://www.evil.org/somepage does not match any trusted origins.'),
    );
  });

  it('an http Referer on an https request is insecure', async () => {
    expectCsrfFailure(await post({ referer: 'http://testserver/' }), FAILED('Referer checking failed - Referer is insecure while host is secure.'));
    expectCsrfFailure(await post({ referer: 'http://http://www.example.com/' }), FAILED('Referer checking failed - Referer is insecure while host is secure.'));
  });

  it('malformed Referers are rejected as malformed, never a 500', async () => {
    for (const referer of ['https://', '//testserver/', 'ØBöIß', 'https://[']) {
      expectCsrfFailure(await post({ referer }), FAILED('Referer checking failed - Referer is malformed.'));
    }
  });

  it('a same-host https Referer passes, with or without a path', async () => {
    expect((await post({ referer: 'https://testserver/life/' })).status).toBe(201);
    expect((await post({ referer: 'https://testserver' })).status).toBe(201);
  });

  it('a trusted origin (exact or wildcard) as Referer passes', async () => {
    expect((await post({ referer: 'https://trusted.example/page' })).status).toBe(201);
    expect((await post({ referer: 'https://x.corp.example/page' })).status).toBe(201);
  });

  it('a good Referer does not replace the token check', async () => {
    expectCsrfFailure(await post({ referer: 'https://testserver/' }, null), BAD_TOKEN);
  });

  it('with an Origin, the Origin check replaces the Referer check', async () => {
    expect((await post({ origin: 'https://testserver' })).status).toBe(201);
    expectCsrfFailure(
      await post({ origin: 'http://testserver', referer: 'https://testserver/' }),
      FAILED('Origin checking failed - http://testserver does not match any trusted origins.'),
    );
  });

  it('anonymous https requests are not checked', async () => {
    const anonymous = new APIClient(app, { enforceCsrfChecks: true });
    opened.push(anonymous);
    const response = await anonymous.post('/life/', { answer: 1 }, { headers: { host: 'testserver', 'x-forwarded-proto': 'https' } });
    expect(response.status).toBe(201);
  });
});

describe('the test client without enforceCsrfChecks skips CSRF, as DRF\'s APIClient does', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await demoApp();
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('logged in by session, POST and PUT without any token pass (test_post/put_form_session_auth_passing)', async () => {
    expect(await client.login({ username: 'bob', password: PASSWORDS.bob! })).toBe(true);
    const post = await client.post('/life/', { answer: 11 }, { format: 'form' });
    expect(post.data).toMatchObject({ answer: 11 });
    expect(post.status).toBe(201);
    const put = await client.put('/life/1/', { answer: 12 });
    expect(put.status).toBe(200);
  });

  it('the csrftoken cookie is still set by pages, as Django\'s client does', async () => {
    const page = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expect(setCookie(page, 'csrftoken')).toBeDefined();
  });

  it('a token request is unaffected', async () => {
    await client.logout();
    client.credentials({ authorization: `Basic ${Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64')}` });
    expect((await client.post('/life/', { answer: 1 })).status).toBe(201);
    client.credentials();
    expect(TOKENS.alice).toHaveLength(40);
  });
});
