/**
 * The browsable API (spec §10) without a browser: every page sets the csrftoken cookie, a 204 is sent
 * as a 200, forms and buttons appear exactly when DRF's `show_form_for_method` would allow them (and
 * agree with OPTIONS, which shares the probe), user data stays inert everywhere in the page, denials
 * explain themselves, and users can override the templates.
 *
 * Elements are found by their stable ids; a hidden form is asserted absent, so showing one to a user
 * who may not use it fails these tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  addTemplateDir,
  AllowAny,
  BasicAuthentication,
  createApp,
  DefaultRouter,
  defineModel,
  fields as m,
  ModelSerializer,
  ModelViewSet,
  ModelPermissions,
  SessionAuthentication,
  TokenAuthentication,
  type Gatehouse,
  type SettingsInput,
} from '../../src/index.ts';
import { APIClient, type TestResponse } from '../../src/testing/index.ts';
import { SurveyViewSet } from '../../examples/demo/views.ts';
import { demoApp, PASSWORDS, TOKENS } from '../helpers.ts';
import { setCookies } from '../support/forms.ts';

const HTML = { accept: 'text/html' };
const XSS = '<script>alert(1)</script>';

/** Element ids that are forms or buttons gated by permission. */
const GATED = ['edit-forms', 'post-form', 'put-form', 'raw-form', 'raw-post', 'raw-put', 'raw-patch', 'put-form-put', 'put-form-patch', 'delete-button'];

function has(page: TestResponse, id: string): boolean {
  return page.text.includes(` id="${id}"`);
}

function present(page: TestResponse): string[] {
  return GATED.filter((id) => has(page, id));
}

/** The text of the element with this id (up to its closing tag), or undefined. */
function element(page: TestResponse, id: string, tag: string): string | undefined {
  const start = page.text.indexOf(` id="${id}"`);
  if (start === -1) return undefined;
  const end = page.text.indexOf(`</${tag}>`, start);
  return page.text.slice(start, end);
}

function embeddedJson(page: TestResponse): { raw: string; data: Record<string, unknown> } {
  const match = /<script type="application\/json" id="drf_csrf">([\s\S]*?)<\/script>/.exec(page.text);
  expect(match, 'the page embeds its JSON').not.toBeNull();
  return { raw: match![1]!, data: JSON.parse(match![1]!) as Record<string, unknown> };
}

describe('the browsable API', () => {
  let app: Gatehouse;
  const clients: APIClient[] = [];

  /** A client, logged in through a real session when a username is given (reused: logins hash passwords). */
  async function client(username?: string, options: { enforceCsrfChecks?: boolean } = {}, on: Gatehouse = app): Promise<APIClient> {
    const key = `${username}:${options.enforceCsrfChecks === true}`;
    const reusable = username !== undefined && !options.enforceCsrfChecks;
    const cached = reusable ? sessions.get(on)?.get(key) : undefined;
    if (cached !== undefined) return cached;
    const c = new APIClient(on, options);
    clients.push(c);
    if (username !== undefined) expect(await c.login({ username, password: PASSWORDS[username]! })).toBe(true);
    if (reusable) {
      if (!sessions.has(on)) sessions.set(on, new Map());
      sessions.get(on)!.set(key, c);
    }
    return c;
  }
  const sessions = new Map<Gatehouse, Map<string, APIClient>>();

  async function appWith(settings: SettingsInput): Promise<Gatehouse> {
    const other = await demoApp(settings);
    opened.push(other);
    return other;
  }
  const opened: Gatehouse[] = [];

  beforeAll(async () => {
    app = await demoApp();
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    for (const other of opened) await other.close();
    await app.close();
  });

  describe('every page', () => {
    it('sets the csrftoken cookie, whatever the status (200, 401, 403, 404, 405), as DRF does', async () => {
      const anonymous = await client();
      const bob = await client('bob');
      const pages: [APIClient, string, string, number][] = [
        [anonymous, 'GET', '/', 200],
        [anonymous, 'GET', '/life/', 200],
        [anonymous, 'GET', '/life/1/', 200],
        [anonymous, 'GET', '/surveys/19/', 200],
        [anonymous, 'GET', '/example/', 403],
        [anonymous, 'GET', '/life/999/', 404],
        [anonymous, 'DELETE', '/life/', 405],
        [bob, 'PUT', '/surveys/19/', 403],
      ];
      for (const [c, method, path, status] of pages) {
        const response = await c.request(method, path, method === 'PUT' ? { title: 'x' } : undefined, { headers: HTML });
        expect(response.status, `${method} ${path}`).toBe(status);
        expect(response.headers['content-type'], `${method} ${path}`).toBe('text/html; charset=utf-8');
        expect(setCookies(response).some((c) => c.startsWith('csrftoken=')), `${method} ${path} sets csrftoken`).toBe(true);
        expect(response.text).toContain(`HTTP ${status} `);
      }
    });

    it('JSON responses of the same resources set no cookie', async () => {
      const response = await (await client()).get('/surveys/19/');
      expect(response.headers['content-type']).toBe('application/json');
      expect(setCookies(response)).toEqual([]);
    });

    it('shows the request, status, Allow and other headers, and the pretty-printed body', async () => {
      const page = await (await client()).get('/life/1/', { headers: HTML });
      expect(page.text).toContain('<b>GET</b> /life/1/');
      expect(page.text).toContain('HTTP 200 OK');
      expect(page.text).toContain('<b>Allow:</b> GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
      expect(page.text).toContain('<b>Content-Type:</b> application/json');
      expect(page.text).toContain('<b>Vary:</b> Accept');
      expect(page.text).toContain('{\n    &quot;id&quot;: 1,\n    &quot;answer&quot;: 42\n}');
    });

    it('makes URLs in the body links (escaped), and only http(s) URLs', async () => {
      const root = await (await client()).get('/', { headers: HTML });
      expect(root.text).toMatch(/<a href="http:\/\/localhost(:80)?\/life\/" rel="nofollow">http:\/\/localhost(:80)?\/life\/<\/a>/);
      expect(root.text).toMatch(/<a href="http:\/\/localhost(:80)?\/surveys\/" rel="nofollow">/);

      const alice = await client('alice');
      const created = await alice.post('/surveys/', { title: 'https://example.com/<b>x</b>?a=1&b=2', status: 'published' });
      const tricky = await alice.post('/surveys/', { title: 'javascript:alert(1)', status: 'published' });
      expect([created.status, tricky.status]).toEqual([201, 201]);
      const page = await alice.get(`/surveys/${(created.data as { id: number }).id}/`, { headers: HTML });
      expect(page.text).toContain(
        '<a href="https://example.com/&lt;b&gt;x&lt;/b&gt;?a=1&amp;b=2" rel="nofollow">https://example.com/&lt;b&gt;x&lt;/b&gt;?a=1&amp;b=2</a>',
      );
      const other = await alice.get(`/surveys/${(tricky.data as { id: number }).id}/`, { headers: HTML });
      expect(other.text).not.toContain('href="javascript:');
    });

    it('has breadcrumbs from the API root', async () => {
      const page = await (await client()).get('/surveys/19/', { headers: HTML });
      expect(page.text).toMatch(/<nav class="breadcrumbs"[^>]*><a href="\/">[^<]+<\/a><span class="sep">›<\/span><a href="\/surveys\/">Survey List<\/a><span class="sep">›<\/span><span class="active">Survey Instance<\/span><\/nav>/);
    });

    it('anonymous: a login link back to the page; logged in: the username and a POST logout form with the CSRF token', async () => {
      const anonymous = await (await client()).get('/surveys/', { headers: HTML });
      expect(anonymous.text).toContain('<a id="login-link" href="/api-auth/login/?next=%2Fsurveys%2F"');
      expect(has(anonymous, 'logoutForm')).toBe(false);

      const page = await (await client('alice')).get('/surveys/', { headers: HTML });
      expect(page.text).toContain('<span class="username" id="username">alice</span>');
      expect(has(page, 'login-link')).toBe(false);
      const logout = element(page, 'logoutForm', 'form')!;
      expect(logout).toContain('method="post" action="/api-auth/logout/?next=%2Fsurveys%2F"');
      expect(logout).toMatch(/name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"/);
    });

    it('embeds the CSRF header name and a token for the script', async () => {
      const page = await (await client('alice')).get('/surveys/', { headers: HTML });
      const { data } = embeddedJson(page);
      expect(data).toMatchObject({ csrfHeaderName: 'X-CSRFToken', user: 'alice', authorizationSent: false });
      expect(data.csrfToken).toMatch(/^[A-Za-z0-9]{64}$/);
    });

    it('a 204 is sent as 200 and still says 204; the deleted object gets no PUT form or DELETE button', async () => {
      const alice = await client('alice');
      const created = await alice.post('/surveys/', { title: 'to delete' });
      const page = await alice.delete(`/surveys/${(created.data as { id: number }).id}/`, { headers: HTML });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.text).toContain('HTTP 204 No Content');
      expect(present(page)).toEqual([]);
      expect(has(page, 'options-button')).toBe(true);
    });

    it('the inline script and styles are the only assets: nothing is fetched from elsewhere', async () => {
      const page = await (await client('alice')).get('/surveys/19/', { headers: HTML });
      expect(page.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/);
      expect(page.text.match(/<script/g)).toHaveLength(2);
    });
  });

  describe('forms are shown only to users who may send them (DRF show_form_for_method)', () => {
    it("alice on her survey 19: the PUT/PATCH form filled with its values, the raw tab, DELETE and OPTIONS", async () => {
      const page = await (await client('alice')).get('/surveys/19/', { headers: HTML });
      expect(present(page)).toEqual(['edit-forms', 'put-form', 'raw-form', 'raw-put', 'raw-patch', 'put-form-put', 'put-form-patch', 'delete-button']);
      expect(has(page, 'options-button')).toBe(true);
      const form = element(page, 'put-form', 'form')!;
      expect(form).toContain('<input type="text" id="put-form-title" name="title" value="Team lunch" maxlength="200" required>');
      expect(form).toContain('<option value="published" selected>published</option>');
      // Read-only fields (id, creator) have no input.
      expect(form).not.toMatch(/name="(id|creator)"/);
      expect(form).toContain('<abbr class="required" title="required">*</abbr>');
      const raw = element(page, 'raw-content', 'textarea')!;
      expect(raw).toContain('{\n    &quot;title&quot;: &quot;Team lunch&quot;,\n    &quot;status&quot;: &quot;published&quot;\n}');
    });

    it("bob on alice's survey 19: no edit form, no raw tab, no DELETE (object permission); OPTIONS and the request tool remain", async () => {
      const page = await (await client('bob')).get('/surveys/19/', { headers: HTML });
      expect(page.status).toBe(200);
      expect(present(page)).toEqual([]);
      expect(has(page, 'options-button')).toBe(true);
      expect(has(page, 'request-tool')).toBe(true);
    });

    it('bob on his own survey 21 sees its forms', async () => {
      const page = await (await client('bob')).get('/surveys/21/', { headers: HTML });
      expect(present(page)).toContain('put-form');
      expect(present(page)).toContain('delete-button');
    });

    it('anonymous on /surveys/ (IsAuthenticatedOrReadOnly): no POST form, no raw tab', async () => {
      const page = await (await client()).get('/surveys/', { headers: HTML });
      expect(page.status).toBe(200);
      expect(present(page)).toEqual([]);
    });

    it('alice on /surveys/: the POST form (empty, required marked) and the raw tab', async () => {
      const page = await (await client('alice')).get('/surveys/', { headers: HTML });
      expect(present(page)).toEqual(['edit-forms', 'post-form', 'raw-form', 'raw-post']);
      const form = element(page, 'post-form', 'form')!;
      expect(form).toContain('method="post"');
      expect(form).toMatch(/name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"/);
      expect(form).toContain('<input type="text" id="post-form-title" name="title" value="" maxlength="200" required>');
      expect(form).toContain('<select id="post-form-status" name="status"><option value="" selected>---------</option>');
      expect(element(page, 'raw-content', 'textarea')).toContain('&quot;title&quot;: &quot;&quot;');
    });

    it('a 403 page shows no edit forms (display_edit_forms), even to a user allowed elsewhere', async () => {
      const page = await (await client('bob')).put('/surveys/19/', { title: 'mine now' }, { headers: HTML });
      expect(page.status).toBe(403);
      expect(present(page)).toEqual([]);
      expect(has(page, 'options-button')).toBe(false);
    });

    it('the probes agree with OPTIONS metadata, which shares them', async () => {
      const alice = await (await client('alice')).options('/surveys/19/');
      const bob = await (await client('bob')).options('/surveys/19/');
      expect(Object.keys((alice.data as { actions?: object }).actions ?? {})).toEqual(['PUT']);
      expect((bob.data as { actions?: object }).actions).toBeUndefined();
    });

    it('the object the view fetched is reused: one getObject() per detail page', async () => {
      const spy = vi.spyOn(SurveyViewSet.prototype, 'getObject');
      try {
        await (await client('alice')).get('/surveys/19/', { headers: HTML });
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
      }
    });

    it('a probe leaves no trace in the explanation of the real request', async () => {
      const page = await (await client('bob')).put('/surveys/19/', { title: 'x' }, { headers: HTML });
      const panel = element(page, 'explanation', 'section')!;
      // The real request's decisions only: view permissions, then object permissions, once each.
      expect(panel.match(/data-step="permission"/g)).toHaveLength(4);
    });

    describe('with ModelPermissions as the default', () => {
      let modelApp: Gatehouse;
      beforeAll(async () => {
        modelApp = await appWith({ defaultPermissionClasses: [ModelPermissions] });
      });

      it('bob (editors: add/change/delete life) sees the POST form on /life/; alice (staff, no permissions) does not', async () => {
        const bob = await (await client('bob', {}, modelApp)).get('/life/', { headers: HTML });
        expect(bob.status).toBe(200);
        expect(present(bob)).toEqual(['edit-forms', 'post-form', 'raw-form', 'raw-post']);
        const alice = await (await client('alice', {}, modelApp)).get('/life/', { headers: HTML });
        expect(alice.status).toBe(200);
        expect(present(alice)).toEqual([]);
      });

      it('on /life/1/: bob gets PUT, PATCH and DELETE, alice none', async () => {
        const bob = await (await client('bob', {}, modelApp)).get('/life/1/', { headers: HTML });
        expect(present(bob)).toEqual(['edit-forms', 'put-form', 'raw-form', 'raw-put', 'raw-patch', 'put-form-put', 'put-form-patch', 'delete-button']);
        expect(element(bob, 'put-form', 'form')).toContain('<input type="number" id="put-form-answer" name="answer" value="42"');
        const alice = await (await client('alice', {}, modelApp)).get('/life/1/', { headers: HTML });
        expect(present(alice)).toEqual([]);
      });
    });
  });

  describe('user data is inert', () => {
    let id: number;
    let alice: APIClient;
    beforeAll(async () => {
      alice = await client('alice');
      const created = await alice.post('/surveys/', { title: XSS, status: 'published' });
      expect(created.status).toBe(201);
      id = (created.data as { id: number }).id;
    });

    it('a title holding <script> is escaped in the body, the form value, the raw tab and the request tool', async () => {
      const page = await alice.get(`/surveys/${id}/`, { headers: HTML });
      expect(page.text).not.toContain(XSS);
      expect(page.text).not.toContain('<script>alert');
      const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
      expect(element(page, 'response-content', 'code')).toContain(`&quot;title&quot;: &quot;${escaped}&quot;`);
      expect(element(page, 'put-form', 'form')).toContain(`name="title" value="${escaped}"`);
      expect(element(page, 'raw-content', 'textarea')).toContain(escaped);
      expect(element(page, 'request-body', 'textarea')).toContain(escaped);
      expect(page.text.match(/<script/g)).toHaveLength(2);
    });

    it('also in the list, for a user who may not edit it, and on its 403', async () => {
      const bob = await client('bob');
      for (const page of [await bob.get('/surveys/', { headers: HTML }), await bob.put(`/surveys/${id}/`, { title: 'x' }, { headers: HTML })]) {
        expect(page.text).not.toContain('<script>alert');
        expect(page.text.match(/<script/g)).toHaveLength(2);
      }
    });

    it('input echoed by a 400 (a bad choice) is escaped in the error and in the form it fills again', async () => {
      const bad = '"><img src=x onerror=alert(1)>';
      const page = await alice.post('/surveys/', { title: bad, status: bad }, { headers: HTML, format: 'form' });
      expect(page.status).toBe(400);
      expect(page.text).not.toContain('<img');
      const form = element(page, 'post-form', 'form')!;
      expect(form).toContain('name="title" value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
      expect(form).toContain('<small class="error">&quot;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&quot; is not a valid choice.</small>');
    });

    it('the raw tab gives back what was typed after a 400', async () => {
      const body = `{"title": "", "note": "${'</textarea><b>'.replace(/"/g, '')}"}`;
      const page = await alice.post('/surveys/', undefined, { headers: { ...HTML, 'content-type': 'application/json' }, body });
      expect(page.status).toBe(400);
      const raw = element(page, 'raw-content', 'textarea')!;
      expect(raw).toContain('&lt;/textarea&gt;&lt;b&gt;');
      expect(page.text).not.toContain('</textarea><b>');
      expect(element(page, 'post-form', 'form')).toContain('<small class="error">This field may not be blank.</small>');
    });

    it('the embedded JSON cannot close its <script>: a username holding </script> stays inside it', async () => {
      const name = '</script><script>alert(1)</script>';
      const user = await app.accounts.createUser({ username: name, passwordHash: '!unusable' });
      const c = await client();
      c.forceAuthenticate(user);
      const page = await c.get('/surveys/', { headers: HTML });
      expect(page.status).toBe(200);
      const { raw, data } = embeddedJson(page);
      expect(raw).not.toContain('<');
      expect(raw).toContain('\\u003c/script\\u003e');
      expect(data.user).toBe(name);
      expect(page.text).toContain('<span class="username" id="username">&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</span>');
      expect(page.text.match(/<script/g)).toHaveLength(2);
    });
  });

  describe('denials explain themselves', () => {
    it('401: no credentials, and how to send them', async () => {
      const basicFirst = await appWith({ defaultAuthenticationClasses: [BasicAuthentication, SessionAuthentication] });
      const page = await (await client(undefined, {}, basicFirst)).get('/example/', { headers: HTML });
      expect(page.status).toBe(401);
      const panel = element(page, 'explanation', 'section')!;
      expect(panel).toContain('HTTP 401 Unauthorized');
      expect(panel).toContain('BasicAuthentication: no credentials in this request.');
      expect(panel).toContain('SessionAuthentication: no credentials in this request.');
      expect(panel).toMatch(/<li class="step refused" data-step="permission"><span class="badge">refused<\/span> IsAuthenticated denied the request.<\/li>/);
      expect(panel).toContain('Fix: send credentials one of BasicAuthentication, SessionAuthentication accepts');
      expect(page.text).toContain('<b>Www-Authenticate:</b> Basic realm=&quot;api&quot;');
    });

    it('401: rejected credentials say which authenticator rejected it and why', async () => {
      const basicFirst = await appWith({ defaultAuthenticationClasses: [BasicAuthentication, SessionAuthentication] });
      const c = await client(undefined, {}, basicFirst);
      c.credentials({ authorization: 'Basic bm9ib2R5Om5vcGU=' });
      const page = await c.get('/example/', { headers: HTML });
      expect(page.status).toBe(401);
      expect(element(page, 'explanation', 'section')).toContain('BasicAuthentication: rejected the credentials: Invalid username/password.');
    });

    it('403: the object permission that refused, after the ones that granted', async () => {
      const page = await (await client('bob')).delete('/surveys/19/', { headers: HTML });
      expect(page.status).toBe(403);
      const panel = element(page, 'explanation', 'section')!;
      const steps = [...panel.matchAll(/<li class="step (\w+)" data-step="(\w+)"><span class="badge">(\w+)<\/span> ([^<]*)<\/li>/g)].map((m) => m.slice(1).join(' | '));
      expect(steps).toEqual([
        'passed | authentication | authenticated | SessionAuthentication: authenticated as &quot;bob&quot;.',
        'passed | permission | granted | IsAuthenticatedOrReadOnly granted the request.',
        'passed | permission | granted | IsCreatorOrReadOnly granted the request.',
        'passed | permission | granted | IsAuthenticatedOrReadOnly granted the request for this object.',
        'refused | permission | refused | IsCreatorOrReadOnly denied the request for this object.',
      ]);
      expect(panel).toContain('Fix: the user is authenticated but lacks permission');
    });

    it('403: CSRF cookie not set, and the fix', async () => {
      const c = await client('alice', { enforceCsrfChecks: true });
      const page = await c.post('/surveys/', { title: 'x' }, { headers: HTML });
      expect(page.status).toBe(403);
      expect(page.text).toContain('&quot;detail&quot;: &quot;CSRF Failed: CSRF cookie not set.&quot;');
      const panel = element(page, 'explanation', 'section')!;
      expect(panel).toContain('CSRF check failed: CSRF cookie not set.');
      expect(panel).toContain('Fix: fetch any HTML page (e.g. the login form) first to receive the csrftoken cookie');
      // The page itself sets the cookie the fix asks for.
      expect(setCookies(page).some((h) => h.startsWith('csrftoken='))).toBe(true);
    });

    it('429: the throttle and the wait', async () => {
      const throttled = await appWith({ defaultThrottleRates: { scoped: '1/min' } });
      const c = await client(undefined, {}, throttled);
      expect((await c.get('/scoped/', { headers: HTML })).status).toBe(200);
      const page = await c.get('/scoped/', { headers: HTML });
      expect(page.status).toBe(429);
      const panel = element(page, 'explanation', 'section')!;
      expect(panel).toContain('HTTP 429 Too Many Requests');
      expect(panel).toMatch(/ScopedRateThrottle throttled the request; retry in \d+ s\./);
      expect(page.text).toMatch(/<b>Retry-After:<\/b> \d+/);
    });

    it('no panel on success', async () => {
      const page = await (await client('alice')).get('/surveys/19/', { headers: HTML });
      expect(has(page, 'explanation')).toBe(false);
    });
  });

  describe('tokens', () => {
    it("a page fetched with a token is the token user's, and tells the script the header was sent", async () => {
      const tokenApp = await appWith({ defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication] });
      const c = await client(undefined, {}, tokenApp);
      c.credentials({ authorization: `Token ${TOKENS.alice}` });
      const page = await c.get('/surveys/', { headers: HTML });
      expect(embeddedJson(page).data).toMatchObject({ authorizationSent: true, user: 'alice' });
      expect(page.text).toContain('<span class="username" id="username">alice</span> <span class="via">(TokenAuthentication');
      expect(page.text).toContain('<select id="token-keyword" aria-label="Authorization scheme"><option>Token</option></select>');
      expect(present(page)).toContain('post-form');
    });

    it("the keyword selector offers the view's TokenAuthentication keywords", async () => {
      const tokenApp = await appWith({ defaultAuthenticationClasses: [SessionAuthentication, new TokenAuthentication({ keyword: 'Bearer' })] });
      const page = await (await client(undefined, {}, tokenApp)).get('/surveys/', { headers: HTML });
      expect(page.text).toContain('<select id="token-keyword" aria-label="Authorization scheme"><option>Bearer</option></select>');
    });
  });

  describe('inputs by field type', () => {
    const Gadget = defineModel('gadget', {
      name: m.char({ maxLength: 50 }),
      notes: m.text({ blank: true }),
      price: m.float(),
      count: m.integer({ default: 1 }),
      active: m.boolean({ default: false }),
      contact: m.email({ blank: true }),
      released: m.dateTime({ null: true }),
      kind: m.char({ maxLength: 1, choices: ['a', 'b'] }),
    });
    class GadgetSerializer extends ModelSerializer {
      static override meta = { model: Gadget, fields: ['id', 'name', 'notes', 'price', 'count', 'active', 'contact', 'released', 'kind'] };
    }
    class GadgetViewSet extends ModelViewSet {
      static override queryset = Gadget.objects.orderBy('id');
      static override serializerClass = GadgetSerializer;
      static override permissionClasses = [AllowAny];
    }
    let gadgets: Gatehouse;
    let c: APIClient;
    beforeAll(async () => {
      const router = new DefaultRouter().register('gadgets', GadgetViewSet);
      gadgets = await createApp({ settings: { secretKey: 'browsable-test', databaseUrl: 'sqlite::memory:' }, routes: router.urls, models: [Gadget] });
      opened.push(gadgets);
      await gadgets.migrate();
      c = await client(undefined, {}, gadgets);
      const created = await c.post('/gadgets/', {
        name: 'Lamp', notes: 'Bright', price: 9.5, count: 3, active: true, contact: 'a@example.com', released: '2024-05-01T10:00:00.250000Z', kind: 'b',
      });
      expect(created.status).toBe(201);
    });

    it('text, textarea, number (integer and float), checkbox, email, datetime-local and select, filled with the values', async () => {
      const form = element(await c.get('/gadgets/1/', { headers: HTML }), 'put-form', 'form')!;
      expect(form).not.toContain('name="id"');
      expect(form).toContain('<input type="text" id="put-form-name" name="name" value="Lamp" maxlength="50" required>');
      expect(form).toContain('<textarea id="put-form-notes" name="notes" rows="4">Bright</textarea>');
      expect(form).toContain('<input type="number" id="put-form-price" name="price" value="9.5" step="any" required>');
      expect(form).toMatch(/<input type="number" id="put-form-count" name="count" value="3" min="-2147483648" max="2147483647" step="1">/);
      expect(form).toContain('<input type="checkbox" id="put-form-active" name="active" value="true" checked>');
      expect(form).toContain('<input type="email" id="put-form-contact" name="contact" value="a@example.com" maxlength="254">');
      expect(form).toContain('<input type="datetime-local" id="put-form-released" name="released" value="2024-05-01T10:00:00" step="1">');
      expect(form).toContain('<select id="put-form-kind" name="kind" required><option value="a">a</option><option value="b" selected>b</option></select>');
    });

    it('what the form sends is accepted: an unchecked box is false, a datetime-local value is UTC', async () => {
      const sent = { name: 'Lamp 2', notes: '', price: '10', count: '4', contact: '', released: '2024-06-01T08:30', kind: 'a' };
      const response = await c.put('/gadgets/1/', sent, { format: 'form' });
      expect(response.status).toBe(200);
      expect(response.data).toMatchObject({ name: 'Lamp 2', price: 10, count: 4, active: false, released: '2024-06-01T08:30:00Z', kind: 'a' });
    });
  });

  describe('templates can be overridden, as DRF api.html', () => {
    let dir: string;
    let remove: () => void = () => {};
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gatehouse-templates-'));
    });
    afterAll(() => {
      remove();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an api.eta replacing a block of the layout keeps the rest of the page, and escaping', async () => {
      writeFileSync(join(dir, 'api.eta'), "<% layout('base') %><% block('branding', () => { %>Acme API for <%= it.user ?? 'guests' %><% }) %>");
      remove = addTemplateDir(dir);
      const page = await (await client('alice')).get('/surveys/19/', { headers: HTML });
      expect(page.text).toContain('<a class="brand" href="/">Acme API for alice</a>');
      expect(has(page, 'put-form')).toBe(true);

      const user = await app.accounts.createUser({ username: '<i>x</i>', passwordHash: '!unusable' });
      const c = await client();
      c.forceAuthenticate(user);
      expect((await c.get('/surveys/', { headers: HTML })).text).toContain('Acme API for &lt;i&gt;x&lt;/i&gt;');
    });

    it('a part of the page (one form field) can be overridden alone', async () => {
      writeFileSync(join(dir, 'form-field.eta'), '<p class="custom-field"><%= it.field.name %></p>');
      remove();
      remove = addTemplateDir(dir);
      const page = await (await client('alice')).get('/surveys/19/', { headers: HTML });
      expect(page.text).toContain('<p class="custom-field">title</p><p class="custom-field">status</p>'.replace('</p><p', '</p>\n<p'));
    });

    it('removing the folder restores the built-in templates', async () => {
      remove();
      const page = await (await client('alice')).get('/surveys/19/', { headers: HTML });
      expect(page.text).toContain('<a class="brand" href="/">Gatehouse</a>');
    });
  });
});
