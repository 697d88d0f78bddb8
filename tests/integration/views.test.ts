/**
 * Views over HTTP, as DRF 3.14 answers (spec §1, §8, §9, §13): dispatch order (authentication,
 * permissions and throttles before the 405), Allow headers, HEAD, OPTIONS metadata, content
 * negotiation, parse errors and lazy `request.data`, routers, the concrete generic views, pagination,
 * the demo's surveys (creator set on create, drafts private), and DESIGN departure 4 (input that does
 * not fit its column is a 400 field error, never a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AllowAny,
  APIView,
  apiView,
  createApp,
  DefaultRouter,
  defineModel,
  fields as m,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  ListCreateAPIView,
  ModelSerializer,
  path,
  ReadOnlyModelViewSet,
  Response,
  RetrieveUpdateDestroyAPIView,
  SessionAuthentication,
  TokenAuthentication,
  type Gatehouse,
  type Request,
} from '../../src/index.ts';
import { APIClient, type TestResponse } from '../../src/testing/index.ts';
import { demoApp, TOKENS } from '../helpers.ts';

const HOST = { host: 'testserver' };
const LIST_ALLOW = 'GET, POST, HEAD, OPTIONS';
const DETAIL_ALLOW = 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS';
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const NOT_FOUND = { detail: 'Not found.' };

function allowSet(response: TestResponse): string[] {
  return String(response.headers.allow ?? '')
    .split(',')
    .map((s) => s.trim())
    .sort();
}

// ------------------------------------------------------------------------------------------ the demo

describe('the demo (token first, then session; IsAuthenticatedOrReadOnly)', () => {
  let app: Gatehouse;
  let client: APIClient;

  beforeAll(async () => {
    app = await demoApp({
      defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication],
      defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
    });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  const as = (who: keyof typeof TOKENS | null) => client.credentials(who === null ? {} : { authorization: `Token ${TOKENS[who]}` });

  describe('dispatch order: authentication, permissions, throttles, then the method', () => {
    it('anonymous DELETE on an IsAuthenticated APIView without delete is 401, not 405', async () => {
      as(null);
      const response = await client.delete('/example/');
      expect(response.status).toBe(401);
      expect(response.data).toEqual(NOT_PROVIDED);
      expect(response.headers['www-authenticate']).toBe('Token');
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    });

    it('the same DELETE, authenticated, is 405 with Allow', async () => {
      as('alice');
      const response = await client.delete('/example/');
      expect(response.status).toBe(405);
      expect(response.data).toEqual({ detail: 'Method "DELETE" not allowed.' });
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    });

    it('anonymous DELETE on a viewset list route is 401, not 405 (the write permission runs first)', async () => {
      as(null);
      const response = await client.delete('/life/');
      expect(response.status).toBe(401);
      expect(response.headers.allow).toBe(LIST_ALLOW);
    });

    it('authenticated PUT on a list route is 405 with the list Allow', async () => {
      as('alice');
      const response = await client.put('/life/', {});
      expect(response.status).toBe(405);
      expect(response.data).toEqual({ detail: 'Method "PUT" not allowed.' });
      expect(response.headers.allow).toBe(LIST_ALLOW);
    });

    it('TRACE is 405 for an authenticated user, 401 for anonymous', async () => {
      as('alice');
      const response = await client.request('TRACE', '/example/');
      expect(response.status).toBe(405);
      expect(response.data).toEqual({ detail: 'Method "TRACE" not allowed.' });
      as(null);
      expect((await client.request('TRACE', '/example/')).status).toBe(401);
    });
  });

  describe('Allow headers', () => {
    it('APIView: the methods it defines, HEAD with GET, OPTIONS always, in http_method_names order', async () => {
      as('alice');
      expect((await client.get('/example/')).headers.allow).toBe('GET, HEAD, OPTIONS');
      expect((await client.get('/composed/')).headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    });

    it('viewset list and detail routes', async () => {
      as(null);
      expect((await client.get('/life/')).headers.allow).toBe(LIST_ALLOW);
      expect((await client.get('/life/1/')).headers.allow).toBe(DETAIL_ALLOW);
    });

    it('Allow is on error responses too (401, 404)', async () => {
      as(null);
      expect((await client.post('/life/', { answer: 1 })).headers.allow).toBe(LIST_ALLOW);
      expect((await client.get('/life/999/')).headers.allow).toBe(DETAIL_ALLOW);
    });

    it('function view: only the listed methods and OPTIONS (compared as a set); no HEAD', async () => {
      as('alice');
      const response = await client.get('/example-fn/');
      expect(response.status).toBe(200);
      expect(allowSet(response)).toEqual(['GET', 'OPTIONS']);
    });

    it('function view: HEAD is 405 "Method \\"HEAD\\" not allowed."', async () => {
      as('alice');
      const response = await client.head('/example-fn/');
      expect(response.status).toBe(405);
      expect(allowSet(response)).toEqual(['GET', 'OPTIONS']);
      // HEAD has no body on the wire; the 405 is what matters.
      expect(response.text).toBe('');
    });
  });

  describe('HEAD mirrors GET', () => {
    it('same status and headers, no body', async () => {
      as(null);
      const get = await client.get('/life/1/');
      const head = await client.head('/life/1/');
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      for (const header of ['content-type', 'allow', 'vary', 'content-length']) {
        expect([header, head.headers[header]]).toEqual([header, get.headers[header]]);
      }
      expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(get.text));
    });

    it('on a list and an APIView too', async () => {
      as('alice');
      for (const url of ['/life/', '/example/']) {
        const get = await client.get(url);
        const head = await client.head(url);
        expect(head.status).toBe(get.status);
        expect(head.headers['content-length']).toBe(get.headers['content-length']);
        expect(head.text).toBe('');
      }
    });

    it('HEAD needs what GET needs', async () => {
      as(null);
      expect((await client.head('/example/')).status).toBe(401);
    });
  });

  describe('OPTIONS metadata', () => {
    it('name, description, renders, parses; actions.POST for a user who may POST', async () => {
      as('alice');
      const response = await client.options('/life/');
      expect(response.status).toBe(200);
      expect(response.headers.allow).toBe(LIST_ALLOW);
      const data = response.data as Record<string, unknown>;
      expect(Object.keys(data).sort()).toEqual(['actions', 'description', 'name', 'parses', 'renders']);
      expect(data.name).toBe('Life List');
      expect(data.description).toBe('');
      expect(data.renders).toEqual(['application/json', 'text/html']);
      expect(data.parses).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
      const actions = data.actions as Record<string, Record<string, Record<string, unknown>>>;
      expect(Object.keys(actions)).toEqual(['POST']);
      expect(actions.POST!.id).toMatchObject({ type: 'integer', required: false, read_only: true, label: 'ID' });
      expect(actions.POST!.answer).toMatchObject({ type: 'integer', required: false, read_only: false, label: 'Answer' });
    });

    it('anonymous: no actions (may not write)', async () => {
      as(null);
      const response = await client.options('/life/1/');
      expect(response.status).toBe(200);
      expect(Object.keys(response.data as object).sort()).toEqual(['description', 'name', 'parses', 'renders']);
      expect((response.data as { name: string }).name).toBe('Life Instance');
    });

    it('detail: actions.PUT only when the object permission allows it', async () => {
      as('alice');
      const own = await client.options('/surveys/19/');
      expect(Object.keys((own.data as { actions: object }).actions)).toEqual(['PUT']);
      const others = await client.options('/surveys/21/');
      expect(others.status).toBe(200);
      expect(others.data).not.toHaveProperty('actions');
    });

    it('detail of an object the user cannot see: no actions (the 404 of the probe is swallowed)', async () => {
      as('bob');
      const response = await client.options('/surveys/20/');
      expect(response.status).toBe(200);
      expect(response.data).not.toHaveProperty('actions');
    });

    it('an APIView without a serializer has no actions', async () => {
      as('alice');
      const response = await client.options('/composed/');
      expect(response.status).toBe(200);
      expect(Object.keys(response.data as object).sort()).toEqual(['description', 'name', 'parses', 'renders']);
      expect((response.data as { name: string }).name).toBe('Composed');
    });

    it('OPTIONS needs what the permission requires (anonymous on IsAuthenticated: 401)', async () => {
      as(null);
      expect((await client.options('/example/')).status).toBe(401);
    });
  });

  describe('content negotiation', () => {
    it('no Accept header: JSON without charset', async () => {
      as(null);
      const response = await client.get('/life/1/');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.text).toBe('{"id":1,"answer":42}');
      // SessionAuthentication (second here) looked at the session, so, as in Django, the response varies by Cookie.
      expect(response.headers.vary).toBe('Accept, Cookie');
    });

    it('*/* gives JSON', async () => {
      const response = await client.get('/life/1/', { headers: { accept: '*/*' } });
      expect(response.headers['content-type']).toBe('application/json');
    });

    it('q-values are ignored: application/json;q=0.1, text/html gives JSON', async () => {
      const response = await client.get('/life/1/', { headers: { accept: 'application/json;q=0.1, text/html' } });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
    });

    it('text/html (and a browser Accept) gives the browsable API', async () => {
      const html = await client.get('/life/1/', { headers: { accept: 'text/html' } });
      expect(html.status).toBe(200);
      expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
      const browser = await client.get('/life/1/', {
        headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
      });
      expect(browser.headers['content-type']).toBe('text/html; charset=utf-8');
    });

    it('?format=json overrides the Accept wildcard; with Accept text/html it is 406 (as recorded)', async () => {
      const json = await client.get('/life/1/?format=json', { headers: { accept: '*/*' } });
      expect(json.status).toBe(200);
      expect(json.headers['content-type']).toBe('application/json');
      const conflict = await client.get('/life/1/?format=json', { headers: { accept: 'text/html' } });
      expect(conflict.status).toBe(406);
      expect(conflict.data).toEqual({ detail: 'Could not satisfy the request Accept header.' });
    });

    it('?format=api gives HTML', async () => {
      const response = await client.get('/life/1/?format=api');
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    });

    it('the .json suffix on list, detail and root', async () => {
      const detail = await client.get('/life/1.json');
      expect(detail.status).toBe(200);
      expect(detail.data).toEqual({ id: 1, answer: 42 });
      expect(detail.headers.allow).toBe(DETAIL_ALLOW);
      const list = await client.get('/life.json');
      expect(list.status).toBe(200);
      expect(list.data).toEqual([
        { id: 1, answer: 42 },
        { id: 2, answer: 7 },
      ]);
      expect((await client.get('/life.api')).headers['content-type']).toBe('text/html; charset=utf-8');
    });

    it('an unknown format is 404 {"detail":"Not found."}', async () => {
      const query = await client.get('/life/1/?format=xyz');
      expect(query.status).toBe(404);
      expect(query.data).toEqual(NOT_FOUND);
      expect(query.headers.vary).toBe('Accept');
      const suffix = await client.get('/life/1.xml');
      expect(suffix.status).toBe(404);
    });

    it('application/json; indent=4 pretty-prints with Content-Type application/json', async () => {
      const response = await client.get('/life/1/', { headers: { accept: 'application/json; indent=4' } });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.text).toBe('{\n    "id": 1,\n    "answer": 42\n}');
    });

    it('no acceptable renderer: 406 with Vary: Accept, before authentication', async () => {
      client.credentials({ authorization: 'Token nope' });
      const response = await client.get('/life/1/', { headers: { accept: 'application/xml' } });
      expect(response.status).toBe(406);
      expect(response.data).toEqual({ detail: 'Could not satisfy the request Accept header.' });
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers.vary).toBe('Accept');
    });
  });

  describe('parsing: 415, 400 and the laziness of request.data', () => {
    it('415 names the full media type, parameters included', async () => {
      as('alice');
      const plain = await client.post('/life/', undefined, { body: 'answer=1', headers: { 'content-type': 'text/plain' } });
      expect(plain.status).toBe(415);
      expect(plain.data).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
      const charset = await client.post('/life/', undefined, {
        body: 'answer=1',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
      expect(charset.status).toBe(415);
      expect(charset.data).toEqual({ detail: 'Unsupported media type "text/plain; charset=utf-8" in request.' });
    });

    it('malformed JSON is 400 "JSON parse error - ..."', async () => {
      as('alice');
      const response = await client.post('/life/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
      expect(response.status).toBe(400);
      expect(Object.keys(response.data as object)).toEqual(['detail']);
      expect((response.data as { detail: string }).detail).toMatch(/^JSON parse error - /);
    });

    it('a list body is a non-field error', async () => {
      as('alice');
      const response = await client.post('/life/', [1, 2]);
      expect(response.status).toBe(400);
      expect(response.data).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    });

    it('an empty body is not parsed: defaults apply', async () => {
      as('alice');
      const response = await client.post('/life/', undefined, { headers: { 'content-type': 'text/plain' } });
      expect(response.status).toBe(201);
      expect((response.data as { answer: number }).answer).toBe(42);
      await client.delete(`/life/${(response.data as { id: number }).id}/`);
    });

    it('a GET that never reads request.data ignores a malformed or unsupported body', async () => {
      as(null);
      const bad = await client.request('GET', '/life/1/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(200);
      const odd = await client.request('GET', '/life/1/', undefined, { body: '<x/>', headers: { 'content-type': 'application/xml' } });
      expect(odd.status).toBe(200);
    });

    it('401 wins over 400 and 415: anonymous writes are refused before the body is read', async () => {
      as(null);
      const bad = await client.post('/life/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(401);
      expect(bad.data).toEqual(NOT_PROVIDED);
      const odd = await client.post('/life/', undefined, { body: 'x', headers: { 'content-type': 'text/plain' } });
      expect(odd.status).toBe(401);
    });

    it('403 from an object permission wins over 415 (getObject runs before the body is read)', async () => {
      as('alice');
      const response = await client.put('/surveys/21/', undefined, { body: 'x', headers: { 'content-type': 'text/plain' } });
      expect(response.status).toBe(403);
    });
  });

  describe('router', () => {
    it('the API root lists each prefix with an absolute URL', async () => {
      as(null);
      const response = await client.get('/', { headers: HOST });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ life: 'http://testserver/life/', surveys: 'http://testserver/surveys/' });
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    });

    it('the API root with the .json suffix links the .json variants', async () => {
      const response = await client.get('/.json', { headers: HOST });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ life: 'http://testserver/life.json', surveys: 'http://testserver/surveys.json' });
      expect((await client.get('/.json/', { headers: HOST })).status).toBe(200);
    });

    it('a path without its trailing slash is redirected (301) to the slashed path, query kept', async () => {
      const list = await client.get('/life');
      expect(list.status).toBe(301);
      expect(list.headers.location).toBe('/life/');
      const query = await client.get('/example?x=1');
      expect(query.status).toBe(301);
      expect(query.headers.location).toBe('/example/?x=1');
    });

    it('the redirect also applies to routes with parameters (Django resolves /life/1/)', async () => {
      const detail = await client.get('/life/1?format=json');
      expect(detail.status).toBe(301);
      expect(detail.headers.location).toBe('/life/1/?format=json');
    });

    // A documented departure: Django answers 301, after which clients re-send a POST as a GET and
    // lose its body; 308 makes them repeat the method and body at the right URL.
    it('POST and DELETE without the slash are 308 (method and body kept), not Django\'s 301', async () => {
      as('alice');
      const post = await client.post('/life', { answer: 1 });
      expect(post.status).toBe(308);
      expect(post.headers.location).toBe('/life/');
      const del = await client.delete('/example');
      expect(del.status).toBe(308);
      expect(del.headers.location).toBe('/example/');
    });

    it('a path that exists in neither form is a JSON 404', async () => {
      const response = await client.get('/nowhere');
      expect(response.status).toBe(404);
    });

    it('detail lookups that cannot be a pk are 404, never 500', async () => {
      for (const url of ['/life/abc/', '/life/1.5/', '/life/999/', '/life/-1/', '/life/99999999999999999999999/']) {
        const response = await client.get(url);
        expect([url, response.status]).toEqual([url, 404]);
        expect(response.data).toEqual(NOT_FOUND);
      }
    });
  });

  describe('departure 4: input that does not fit the column is a 400 field error', () => {
    it('an integer past the 32-bit range, as a number or a string', async () => {
      as('alice');
      const tooBig = { answer: ['Ensure this value is less than or equal to 2147483647.'] };
      const number = await client.post('/life/', { answer: 2147483648 });
      expect(number.status).toBe(400);
      expect(number.data).toEqual(tooBig);
      const string = await client.post('/life/', { answer: '99999999999999999999' });
      expect(string.status).toBe(400);
      expect(string.data).toEqual(tooBig);
      const literal = await client.post('/life/', undefined, {
        body: '{"answer": 99999999999999999999}',
        headers: { 'content-type': 'application/json' },
      });
      expect(literal.status).toBe(400);
      expect(literal.data).toEqual(tooBig);
      const small = await client.patch('/life/1/', { answer: -2147483649 });
      expect(small.status).toBe(400);
      expect(small.data).toEqual({ answer: ['Ensure this value is greater than or equal to -2147483648.'] });
    });

    it('the edges of the range are accepted', async () => {
      as('alice');
      const response = await client.post('/life/', { answer: 2147483647 });
      expect(response.status).toBe(201);
      await client.delete(`/life/${(response.data as { id: number }).id}/`);
    });

    it('a string past max length', async () => {
      as('alice');
      const response = await client.post('/surveys/', { title: 'x'.repeat(201) });
      expect(response.status).toBe(400);
      expect(response.data).toEqual({ title: ['Ensure this field has no more than 200 characters.'] });
    });

    it('a form-encoded integer past the range', async () => {
      as('alice');
      const response = await client.post('/life/', { answer: '2147483648' }, { format: 'form' });
      expect(response.status).toBe(400);
      expect(response.data).toEqual({ answer: ['Ensure this value is less than or equal to 2147483647.'] });
    });
  });

  describe('surveys: perform_create and per-user querysets', () => {
    it('create sets the creator from the request; a creator in the body is ignored', async () => {
      as('bob');
      const response = await client.post('/surveys/', { title: 'Standup', creator: 'alice' });
      expect(response.status).toBe(201);
      expect(response.data).toEqual({ id: expect.any(Number), title: 'Standup', status: 'draft', creator: 'bob' });
      expect(response.headers.location).toBeUndefined();
      const id = (response.data as { id: number }).id;
      expect((await client.delete(`/surveys/${id}/`)).status).toBe(204);
    });

    it('drafts are listed only for their creator', async () => {
      const ids = async () => ((await client.get('/surveys/')).data as { id: number }[]).map((s) => s.id);
      as(null);
      expect(await ids()).toEqual([19, 21]);
      as('alice');
      expect(await ids()).toEqual([19, 20, 21]);
      as('bob');
      expect(await ids()).toEqual([19, 21]);
    });

    it("another user's draft is 404 (outside the queryset), before any object permission", async () => {
      as('bob');
      expect((await client.get('/surveys/20/')).status).toBe(404);
      expect((await client.delete('/surveys/20/')).status).toBe(404);
      as(null);
      expect((await client.get('/surveys/20/')).status).toBe(404);
      as('alice');
      const own = await client.get('/surveys/20/');
      expect(own.status).toBe(200);
      expect(own.data).toEqual({ id: 20, title: 'Secret plans', status: 'draft', creator: 'alice' });
    });

    it('the creator stays read-only on update', async () => {
      as('alice');
      const response = await client.patch('/surveys/19/', { creator: 'bob', title: 'Team lunch' });
      expect(response.status).toBe(200);
      expect(response.data).toMatchObject({ id: 19, creator: 'alice' });
    });

    it('an invalid choice is a field error', async () => {
      as('alice');
      const response = await client.patch('/surveys/19/', { status: 'archived' });
      expect(response.status).toBe(400);
      expect(response.data).toEqual({ status: ['"archived" is not a valid choice.'] });
    });
  });
});

describe('the demo with the default authentication (session, basic)', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await demoApp({ defaultPermissionClasses: [IsAuthenticated] });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('anonymous DELETE on a list route is 403 (no challenge), not 405', async () => {
    const response = await client.delete('/life/');
    expect(response.status).toBe(403);
    expect(response.data).toEqual(NOT_PROVIDED);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.headers.allow).toBe(LIST_ALLOW);
  });

  it('under IsAuthenticated the API root itself needs authentication', async () => {
    expect((await client.get('/')).status).toBe(403);
  });
});

describe('pagination (pageSize set)', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await demoApp({ pageSize: 1 });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('the first page: {count, next, previous, results}', async () => {
    const response = await client.get('/life/', { headers: HOST });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      count: 2,
      next: 'http://testserver/life/?page=2',
      previous: null,
      results: [{ id: 1, answer: 42 }],
    });
  });

  it('the last page links back to the bare URL (page 1 has no page parameter); other params are kept', async () => {
    const response = await client.get('/life/?page=2&format=json', { headers: HOST });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      count: 2,
      next: null,
      previous: 'http://testserver/life/?format=json',
      results: [{ id: 2, answer: 7 }],
    });
    expect(((await client.get('/life/?page=last')).data as { results: unknown[] }).results).toEqual([{ id: 2, answer: 7 }]);
  });

  it('an invalid page is 404 "Invalid page."', async () => {
    for (const page of ['3', '0', 'abc', '-1', '1.5']) {
      const response = await client.get(`/life/?page=${page}`);
      expect([page, response.status]).toEqual([page, 404]);
      expect(response.data).toEqual({ detail: 'Invalid page.' });
    }
  });

  it('detail routes are not paginated', async () => {
    expect((await client.get('/life/1/')).data).toEqual({ id: 1, answer: 42 });
  });
});

// ------------------------------------------------------------------------------------------ own views

const Book = defineModel(
  'view_book',
  {
    title: m.char({ maxLength: 50, unique: true }),
    pages: m.integer(),
    copies: m.bigInteger({ default: 0 }),
    note: m.char({ maxLength: 20, default: 'n/a' }),
  },
  { ordering: ['id'], verboseName: 'book' },
);

class BookSerializer extends ModelSerializer {
  static override meta = { model: Book, fields: ['id', 'title', 'pages', 'copies', 'note'], readOnlyFields: ['note'] };
}

class BookList extends ListCreateAPIView {
  static override queryset = Book.objects.orderBy('id');
  static override serializerClass = BookSerializer;
}

class BookDetail extends RetrieveUpdateDestroyAPIView {
  static override queryset = Book.objects.orderBy('id');
  static override serializerClass = BookSerializer;
}

class BookReadOnlyViewSet extends ReadOnlyModelViewSet {
  static override queryset = Book.objects.orderBy('id');
  static override serializerClass = BookSerializer;
}

let dataReads = 0;

class EchoView extends APIView {
  static override permissionClasses = [AllowAny];
  get(): Response {
    return new Response({ ok: true });
  }
  post(request: Request): Response {
    dataReads++;
    return new Response({ received: request.data });
  }
  delete(): Response {
    return new Response(null, 204);
  }
}

class GuardedEchoView extends APIView {
  static override permissionClasses = [IsAuthenticated];
  post(request: Request): Response {
    dataReads++;
    return new Response({ received: request.data });
  }
}

const methodView = apiView(['GET', 'POST', 'DELETE'], function methodView(request) {
  return new Response({ method: request.method });
});

describe('concrete generic views, viewsets and plain views', () => {
  let app: Gatehouse;
  let client: APIClient;

  beforeAll(async () => {
    const router = new DefaultRouter();
    router.register('robooks', BookReadOnlyViewSet);
    app = await createApp({
      settings: {
        secretKey: 'views-test',
        databaseUrl: 'sqlite::memory:',
        defaultAuthenticationClasses: [TokenAuthentication],
      },
      routes: [
        path('/books/', BookList),
        path('/books/:pk/', BookDetail),
        path('/echo/', EchoView),
        path('/guarded/', GuardedEchoView),
        path('/fn/', methodView),
        ...router.urls,
      ],
      models: [Book],
    });
    await app.migrate();
    const user = await app.accounts.createUser({ username: 'reader', passwordHash: '!x' });
    const token = await app.accounts.setToken(user.id);
    await Book.create(app.db, { id: 1, title: 'Dune', pages: 412 });
    client = new APIClient(app);
    client.credentials({ authorization: `Token ${token}` });
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('ListCreateAPIView: GET 200 (array), POST 201; Allow without HEAD-less surprises', async () => {
    const list = await client.get('/books/');
    expect(list.status).toBe(200);
    expect(list.data).toEqual([{ id: 1, title: 'Dune', pages: 412, copies: 0, note: 'n/a' }]);
    expect(list.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    const created = await client.post('/books/', { title: 'Emma', pages: 300 });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({ id: 2, title: 'Emma', pages: 300, copies: 0, note: 'n/a' });
    expect(created.headers.location).toBeUndefined();
  });

  it('read-only fields and unknown keys in the input are ignored', async () => {
    const created = await client.post('/books/', { id: 99, title: 'Ulysses', pages: 730, note: 'hacked', extra: 1 });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ title: 'Ulysses', note: 'n/a' });
    expect((created.data as { id: number }).id).not.toBe(99);
  });

  it('a unique field is a 400 field error', async () => {
    const response = await client.post('/books/', { title: 'Dune', pages: 1 });
    expect(response.status).toBe(400);
    expect(response.data).toEqual({ title: ['book with this title already exists.'] });
  });

  it('updating a row with its own unique value is fine', async () => {
    const response = await client.put('/books/1/', { title: 'Dune', pages: 413 });
    expect(response.status).toBe(200);
    expect(response.data).toMatchObject({ id: 1, title: 'Dune', pages: 413 });
  });

  it('RetrieveUpdateDestroyAPIView: GET 200, PUT is full validation, PATCH partial, DELETE 204', async () => {
    const created = await client.post('/books/', { title: 'Middlemarch', pages: 800 });
    const id = (created.data as { id: number }).id;
    const url = `/books/${id}/`;
    const got = await client.get(url);
    expect(got.status).toBe(200);
    expect(got.headers.allow).toBe(DETAIL_ALLOW);

    const incomplete = await client.put(url, { pages: 801 });
    expect(incomplete.status).toBe(400);
    expect(incomplete.data).toEqual({ title: ['This field is required.'] });

    const patched = await client.patch(url, { pages: 801 });
    expect(patched.status).toBe(200);
    expect(patched.data).toMatchObject({ title: 'Middlemarch', pages: 801 });

    const replaced = await client.put(url, { title: 'Middlemarch', pages: 802 });
    expect(replaced.status).toBe(200);

    const deleted = await client.delete(url);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers['content-type']).toBeUndefined();
    expect(deleted.headers.allow).toBe(DETAIL_ALLOW);
    expect((await client.get(url)).status).toBe(404);
  });

  it('the wrong type and null are field errors', async () => {
    const wrong = await client.patch('/books/1/', { pages: 'many' });
    expect(wrong.status).toBe(400);
    expect(wrong.data).toEqual({ pages: ['A valid integer is required.'] });
    const nulled = await client.put('/books/1/', { title: 'Dune', pages: null });
    expect(nulled.status).toBe(400);
    expect(nulled.data).toEqual({ pages: ['This field may not be null.'] });
  });

  it('departure 4 on a 64-bit column and a short char column', async () => {
    const big = await client.patch('/books/1/', { copies: '9223372036854775808' });
    expect(big.status).toBe(400);
    expect(big.data).toEqual({ copies: ['Ensure this value is less than or equal to 9223372036854775807.'] });
    const long = await client.patch('/books/1/', { title: 'x'.repeat(51) });
    expect(long.status).toBe(400);
    expect(long.data).toEqual({ title: ['Ensure this field has no more than 50 characters.'] });
  });

  it('detail lookups that are not integers are 404', async () => {
    for (const url of ['/books/abc/', '/books/1.5/', '/books/999/']) {
      const response = await client.get(url);
      expect([url, response.status]).toEqual([url, 404]);
    }
  });

  it('ReadOnlyModelViewSet: PUT on detail and POST on list are 405 with Allow: GET, HEAD, OPTIONS', async () => {
    const put = await client.put('/robooks/1/', { title: 'x', pages: 1 });
    expect(put.status).toBe(405);
    expect(put.data).toEqual({ detail: 'Method "PUT" not allowed.' });
    expect(put.headers.allow).toBe('GET, HEAD, OPTIONS');
    const post = await client.post('/robooks/', { title: 'x', pages: 1 });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
    const get = await client.get('/robooks/1/');
    expect(get.status).toBe(200);
    // No POST or PUT route: no actions in OPTIONS.
    expect((await client.options('/robooks/')).data).not.toHaveProperty('actions');
  });

  it('APIView Allow lists exactly its handlers; an unmapped method is 405', async () => {
    const response = await client.get('/echo/');
    expect(response.headers.allow).toBe('GET, POST, DELETE, HEAD, OPTIONS');
    const patch = await client.patch('/echo/', {});
    expect(patch.status).toBe(405);
    expect(patch.data).toEqual({ detail: 'Method "PATCH" not allowed.' });
  });

  it('function view: Allow is the listed methods plus OPTIONS, no HEAD; HEAD is 405', async () => {
    const response = await client.get('/fn/');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ method: 'GET' });
    expect(allowSet(response)).toEqual(['DELETE', 'GET', 'OPTIONS', 'POST']);
    expect((await client.head('/fn/')).status).toBe(405);
    expect((await client.put('/fn/', {})).status).toBe(405);
    const options = await client.options('/fn/');
    expect(options.status).toBe(200);
    expect((options.data as { name: string }).name).toBe('Method');
  });

  it('request.data is lazy: a view that does not read it ignores a malformed body', async () => {
    const get = await client.request('GET', '/echo/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
    expect(get.status).toBe(200);
    const del = await client.request('DELETE', '/echo/', undefined, { body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(del.status).toBe(204);
  });

  it('a view that reads request.data: 400 and 415 surface there', async () => {
    const bad = await client.post('/echo/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    const odd = await client.post('/echo/', undefined, { body: 'x', headers: { 'content-type': 'text/csv' } });
    expect(odd.status).toBe(415);
    expect(odd.data).toEqual({ detail: 'Unsupported media type "text/csv" in request.' });
    const form = await client.post('/echo/', { a: '1', b: ['2', '3'] }, { format: 'form' });
    // As DRF renders a QueryDict: the last value of a repeated field (checked against the reference server).
    expect(form.data).toEqual({ received: { a: '1', b: '3' } });
  });

  it('401 wins over 400/415: the handler never runs for an anonymous caller', async () => {
    const anonymous = new APIClient(app);
    try {
      dataReads = 0;
      const bad = await anonymous.post('/guarded/', undefined, { body: '{bad', headers: { 'content-type': 'application/json' } });
      expect(bad.status).toBe(401);
      expect(bad.data).toEqual(NOT_PROVIDED);
      const odd = await anonymous.post('/guarded/', undefined, { body: 'x', headers: { 'content-type': 'text/plain' } });
      expect(odd.status).toBe(401);
      expect(dataReads).toBe(0);
    } finally {
      await anonymous.close();
    }
  });
});

describe("view names, as DRF's get_view_name", () => {
  it('strips View/ViewSet, splits camel case and title-cases, then adds the suffix', async () => {
    const { APIView } = await import('../../src/index.ts');
    const name = (cls: new () => InstanceType<typeof APIView>, suffix?: string) => {
      const view = new cls();
      if (suffix) (view as { suffix?: string }).suffix = suffix;
      return view.getViewName();
    };
    class APIRootView extends APIView {}
    class LifeViewSet extends APIView {}
    class ExampleView extends APIView {}
    class HTTPStatusCodeView extends APIView {}
    expect(name(APIRootView)).toBe('Api Root');
    expect(name(LifeViewSet, 'Instance')).toBe('Life Instance');
    expect(name(ExampleView)).toBe('Example');
    expect(name(HTTPStatusCodeView)).toBe('Http Status Code');
  });
});

describe('form data, as Django\'s QueryDict', () => {
  it('a repeated field reads (and renders) as its last value; getList gives every value', async () => {
    const { apiView, AllowAny, Response, getList, createApp, path } = await import('../../src/index.ts');
    const { APIClient } = await import('../../src/testing/index.ts');
    const echo = apiView(['POST'], (request) => new Response({ data: request.data, all: getList(request.data, 'a') }), {
      authenticationClasses: [],
      permissionClasses: [AllowAny],
    });
    const app = await createApp({ settings: { secretKey: 'x', databaseUrl: 'sqlite::memory:' }, routes: [path('/echo/', echo)] });
    const client = new APIClient(app);
    for (const format of ['form', 'multipart'] as const) {
      const response = await client.post('/echo/', { a: ['1', '2'], b: '3' }, { format });
      expect([format, response.data]).toEqual([format, { data: { a: '2', b: '3' }, all: ['1', '2'] }]);
    }
    expect((await client.post('/echo/', { a: 1 })).data).toEqual({ data: { a: 1 }, all: [] });
    await client.close();
    await app.close();
  });
});

describe('OPTIONS on the obtain-token view', () => {
  it('describes its fields as DRF 3.14 does (checked against the reference server)', async () => {
    const { demoApp } = await import('../helpers.ts');
    const { APIClient } = await import('../../src/testing/index.ts');
    const app = await demoApp();
    const client = new APIClient(app);
    const response = await client.options('/api-token-auth/');
    expect(response.status).toBe(200);
    expect(response.data).toEqual({
      name: 'Obtain Auth Token',
      description: '',
      renders: ['application/json'],
      parses: ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
      actions: {
        POST: {
          username: { type: 'string', required: true, read_only: false, label: 'Username' },
          password: { type: 'string', required: true, read_only: false, label: 'Password' },
          token: { type: 'string', required: false, read_only: true, label: 'Token' },
        },
      },
    });
    await client.close();
    await app.close();
  });
});
