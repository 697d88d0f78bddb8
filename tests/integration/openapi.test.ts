/**
 * OpenAPI: the demo's document is valid OpenAPI 3.1, lists every route and method with the security
 * its policies really give, its 401/403 follow DRF's rules (401 only when the first authenticator has
 * a challenge) with DRF's exact bodies (checked against the live server), its schemas match the
 * serializers; the schema view is public whatever the defaults; the docs page loads only local files,
 * and its file routes serve nothing but their allow-list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import {
  AllowAny,
  AnonRateThrottle,
  BaseAuthentication,
  BasicAuthentication,
  createApp,
  generateOpenApi,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  path,
  RemoteUserAuthentication,
  schemaUrls,
  SessionAuthentication,
  TokenAuthentication,
  type AuthResult,
  type DescribedSecurityScheme,
  type Gatehouse,
  type OpenApiDocument,
  type OperationObject,
  type SettingsInput,
} from '../../src/index.ts';
import { APIClient } from '../../src/testing/index.ts';
import { BearerTokenAuthentication, UsernameHeaderAuthentication } from '../../examples/demo/authentication.ts';
import { ComposedView } from '../../examples/demo/views.ts';
import { demoApp, PASSWORDS, TOKENS } from '../helpers.ts';

const HOST = { host: 'testserver' };
const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const NO_PERMISSION = { detail: 'You do not have permission to perform this action.' };
/** The demo as `npm start` configures it. */
const DEMO: SettingsInput = {
  defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication, BasicAuthentication],
  defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
};
const TOKEN_FIRST: SettingsInput = {
  defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication],
  defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
};

type Operations = [path: string, method: string, operation: OperationObject][];

function operations(doc: OpenApiDocument): Operations {
  const found: Operations = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method !== 'parameters') found.push([path, method.toUpperCase(), operation as OperationObject]);
    }
  }
  return found;
}

function op(doc: OpenApiDocument, path: string, method: string): OperationObject {
  const operation = (doc.paths[path] as Record<string, OperationObject> | undefined)?.[method.toLowerCase()];
  if (!operation) throw new Error(`no ${method} ${path} in the document`);
  return operation;
}

function example(operation: OperationObject, status: string, name: string): unknown {
  return operation.responses[status]?.content?.['application/json']?.examples?.[name]?.value;
}

async function documentOf(settings: SettingsInput): Promise<{ app: Gatehouse; doc: OpenApiDocument }> {
  const app = await demoApp(settings);
  return { app, doc: await generateOpenApi(app) };
}

// ------------------------------------------------------------------------------ the demo's document

describe('the demo document', () => {
  let app: Gatehouse;
  let client: APIClient;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    app = await demoApp(DEMO);
    client = new APIClient(app);
    const response = await client.get('/schema/', { headers: HOST });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    doc = response.data as OpenApiDocument;
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.info).toEqual({ title: 'Gatehouse demo API', version: '0.1.0', description: expect.any(String) });
  });

  it('names the server the request addressed', async () => {
    expect(doc.servers).toEqual([{ url: 'http://testserver' }]);
    const other = await client.get('/schema/?format=json', { headers: { host: 'api.example.com:8443' } });
    expect(other.status).toBe(200);
    expect((other.data as OpenApiDocument).servers).toEqual([{ url: 'http://api.example.com:8443' }]);
  });

  it('lists every route with every allowed method but HEAD and OPTIONS, each with its security', () => {
    const routes = app.routes.filter((r) => !r.route.formatSuffix);
    const documented = routes.filter((r) => (r.view.viewClass as { schema?: unknown }).schema !== null);
    // Only the schema, the docs page and its files are left out.
    expect(routes.filter((r) => !documented.includes(r)).map((r) => r.route.path)).toEqual([
      '/schema/',
      '/docs/',
      '/docs/assets/swagger-ui.css',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui-standalone-preset.js',
      '/docs/assets/swagger-ui-init.js',
    ]);
    const expected = documented.map((r) => [
      r.route.path.replace(/:(\w+)/g, '{$1}'),
      r.view.allowedMethods.filter((m) => m !== 'HEAD' && m !== 'OPTIONS'),
    ]);
    const actual = Object.entries(doc.paths).map(([path, item]) => [
      path,
      Object.keys(item).filter((k) => k !== 'parameters').map((m) => m.toUpperCase()),
    ]);
    expect(actual).toEqual(expected);
    expect(Object.keys(doc.paths)).toContain('/life/{pk}/');
    for (const [, , operation] of operations(doc)) expect(Array.isArray(operation.security)).toBe(true);
    const ids = operations(doc).map(([, , o]) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'life_list', 'life_create', 'life_retrieve', 'life_update', 'life_partial_update', 'life_destroy',
        'survey_list', 'survey_create', 'survey_retrieve', 'survey_update', 'survey_partial_update', 'survey_destroy',
        'example_retrieve', 'example_fn_retrieve', 'composed_retrieve', 'composed_create', 'api_token_auth_create',
      ]),
    );
    expect(doc.paths['/life/{pk}/']!.parameters).toEqual([
      { name: 'pk', in: 'path', required: true, description: 'A unique integer value identifying this life.', schema: { type: 'integer' } },
    ]);
  });

  it('gives each operation its authenticators as alternatives, and {} where anonymous requests pass', () => {
    const all = [{ cookieAuth: [] }, { tokenAuth: [] }, { basicAuth: [] }];
    expect(op(doc, '/life/', 'GET').security).toEqual([...all, {}]);
    expect(op(doc, '/life/', 'POST').security).toEqual(all);
    expect(op(doc, '/surveys/{pk}/', 'DELETE').security).toEqual(all);
    expect(op(doc, '/example/', 'GET').security).toEqual(all); // IsAuthenticated
    expect(op(doc, '/composed/', 'GET').security).toEqual([...all, {}]); // IsAuthenticated | ReadOnly
    expect(op(doc, '/composed/', 'POST').security).toEqual(all);
    expect(op(doc, '/api-auth/login/', 'POST').security).toEqual([{}]); // no authenticators
    expect(doc.components.securitySchemes).toEqual({
      cookieAuth: { type: 'apiKey', in: 'cookie', name: 'sessionid', description: expect.stringContaining('X-CSRFToken') },
      tokenAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: expect.stringContaining('`Token <key>`') },
      basicAuth: { type: 'http', scheme: 'basic', description: expect.any(String) },
    });
  });

  it('documents the Life and Survey serializers', () => {
    const schemas = doc.components.schemas;
    const answer = { type: 'integer', minimum: -2147483648, maximum: 2147483647, title: 'Answer' };
    expect(schemas.Life).toEqual({
      type: 'object',
      properties: { id: { type: 'integer', title: 'ID', readOnly: true }, answer },
      required: ['id', 'answer'],
    });
    expect(schemas.LifeRequest).toEqual({ type: 'object', properties: { answer } });
    const status = { type: 'string', enum: ['draft', 'published'], title: 'Status' };
    const title = { type: 'string', minLength: 1, maxLength: 200, title: 'Title' };
    expect(schemas.Survey).toEqual({
      type: 'object',
      properties: { id: { type: 'integer', title: 'ID', readOnly: true }, title, status, creator: { title: 'Creator', readOnly: true } },
      required: ['id', 'title', 'status', 'creator'],
    });
    expect(schemas.SurveyRequest).toEqual({ type: 'object', properties: { title, status }, required: ['title'] });
    expect(schemas.PatchedSurveyRequest).toEqual({ type: 'object', properties: { title, status } });

    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const bodyTypes = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];
    const create = op(doc, '/surveys/', 'POST');
    expect(Object.keys(create.requestBody!.content)).toEqual(bodyTypes);
    expect(create.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: ref('SurveyRequest') } } });
    expect(create.responses['201']!.content!['application/json']!.schema).toEqual(ref('Survey'));
    const patch = op(doc, '/surveys/{pk}/', 'PATCH');
    expect(patch.requestBody!.required).toBeUndefined();
    expect(patch.requestBody!.content['application/json']!.schema).toEqual(ref('PatchedSurveyRequest'));
    expect(op(doc, '/life/{pk}/', 'PUT').requestBody!.content['multipart/form-data']!.schema).toEqual(ref('LifeRequest'));
    expect(op(doc, '/life/', 'GET').responses['200']!.content!['application/json']!.schema).toEqual({ type: 'array', items: ref('Life') });
    expect(op(doc, '/life/{pk}/', 'DELETE').responses['204']).toEqual({ description: 'No Content' });
  });

  it('describes what the server really sends', async () => {
    const life = await client.get('/life/1/', { headers: HOST });
    expect(Object.keys(life.data as object)).toEqual(Object.keys(doc.components.schemas.Life!.properties as object));
    const survey = await client.get('/surveys/19/', { headers: HOST });
    expect(Object.keys(survey.data as object)).toEqual(Object.keys(doc.components.schemas.Survey!.properties as object));

    // Session first: no challenge, so an anonymous write is a 403 with DRF's body, and never a 401.
    const anonymous = await client.post('/life/', { answer: 1 }, { headers: HOST });
    expect(anonymous.status).toBe(403);
    expect(anonymous.data).toEqual(NOT_PROVIDED);
    expect(example(op(doc, '/life/', 'POST'), '403', 'notAuthenticated')).toEqual(NOT_PROVIDED);
    for (const [, , operation] of operations(doc)) expect(operation.responses['401']).toBeUndefined();

    const bad = await client.post('/life/', { answer: 'x' }, { headers: { ...HOST, authorization: `Token ${TOKENS.bob}` } });
    expect(bad.status).toBe(400);
    expect(bad.data).toEqual(example(op(doc, '/life/', 'POST'), '400', 'invalid'));
    const malformed = await client.post('/life/', undefined, {
      headers: { ...HOST, authorization: `Token ${TOKENS.bob}`, 'content-type': 'application/json' },
      body: 'x',
    });
    expect(malformed.data).toEqual(example(op(doc, '/life/', 'POST'), '400', 'malformed'));
    const unsupported = await client.post('/life/', undefined, {
      headers: { ...HOST, authorization: `Token ${TOKENS.bob}`, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(unsupported.status).toBe(415);
    expect(unsupported.data).toEqual(example(op(doc, '/life/', 'POST'), '415', 'unsupported'));
    const missing = await client.post('/surveys/', {}, { headers: { ...HOST, authorization: `Token ${TOKENS.bob}` } });
    expect(missing.data).toEqual(example(op(doc, '/surveys/', 'POST'), '400', 'invalid'));

    // Bob may not edit Alice's survey (IsCreatorOrReadOnly).
    const denied = await client.put('/surveys/19/', { title: 't' }, { headers: { ...HOST, authorization: `Token ${TOKENS.bob}` } });
    expect(denied.status).toBe(403);
    expect(denied.data).toEqual(NO_PERMISSION);
    expect(example(op(doc, '/surveys/{pk}/', 'PUT'), '403', 'permissionDenied')).toEqual(NO_PERMISSION);

    const wrongToken = await client.get('/life/', { headers: { ...HOST, authorization: 'Token nope' } });
    expect(wrongToken.data).toEqual(example(op(doc, '/life/', 'GET'), '403', 'invalidToken'));
    const notFound = await client.get('/life/999/', { headers: HOST });
    expect(notFound.data).toEqual(example(op(doc, '/life/{pk}/', 'GET'), '404', 'notFound'));

    // A session user's write without the CSRF header (the csrftoken cookie set by a browsable page).
    const browser = new APIClient(app, { enforceCsrfChecks: true });
    await browser.login({ username: 'bob', password: PASSWORDS.bob! });
    await browser.get('/life/', { headers: { ...HOST, accept: 'text/html' } });
    expect(browser.cookies.has('csrftoken')).toBe(true);
    const csrf = await browser.post('/life/', { answer: 1 }, { headers: HOST });
    await browser.close();
    expect(csrf.status).toBe(403);
    expect(csrf.data).toEqual(example(op(doc, '/life/', 'POST'), '403', 'csrfFailed'));

    const token = await client.post('/api-token-auth/', { username: 'dave', password: 'nope' }, { headers: HOST });
    expect(token.status).toBe(400);
    expect(token.data).toEqual(example(op(doc, '/api-token-auth/', 'POST'), '400', 'invalid'));
  });
});

// ------------------------------------------------------------------ configurations and their schemes

describe('security schemes follow the configured authenticators', () => {
  const apps: Gatehouse[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  async function documentFor(settings: SettingsInput): Promise<OpenApiDocument> {
    const { app, doc } = await documentOf(settings);
    apps.push(app);
    expect((await new Validator().validate(structuredClone(doc) as never)).valid).toBe(true);
    return doc;
  }

  it('the default demo (session, basic; AllowAny): no 401, wrong credentials are 403', async () => {
    const doc = await documentFor({});
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['cookieAuth', 'basicAuth']);
    for (const [path, method, operation] of operations(doc)) {
      expect(operation.responses['401'], `${method} ${path}`).toBeUndefined();
      // AllowAny by default (the surveys have their own permissions).
      if (path.startsWith('/life/')) expect(operation.security, `${method} ${path}`).toContainEqual({});
    }
    expect(example(op(doc, '/life/', 'GET'), '403', 'invalidCredentials')).toEqual({ detail: 'Invalid username/password.' });
    expect(example(op(doc, '/life/', 'GET'), '403', 'notAuthenticated')).toBeUndefined();
  });

  it('token first: 401 with the Token challenge, and the live 401 matches it', async () => {
    const doc = await documentFor(TOKEN_FIRST);
    expect(doc.components.securitySchemes).toEqual({
      tokenAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: expect.stringContaining('`Token <key>`') },
      cookieAuth: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: 'sessionid' }),
    });
    const create = op(doc, '/life/', 'POST');
    expect(create.security).toEqual([{ tokenAuth: [] }, { cookieAuth: [] }]);
    expect(create.responses['401']!.headers!['WWW-Authenticate']!.example).toBe('Token');
    expect(example(create, '401', 'notAuthenticated')).toEqual(NOT_PROVIDED);
    expect(example(create, '401', 'invalidToken')).toEqual({ detail: 'Invalid token.' });
    expect(example(create, '403', 'notAuthenticated')).toBeUndefined();
    // Reads are open, but a wrong token is still a 401.
    const list = op(doc, '/life/', 'GET');
    expect(list.security).toEqual([{ tokenAuth: [] }, { cookieAuth: [] }, {}]);
    expect(example(list, '401', 'notAuthenticated')).toBeUndefined();
    expect(example(list, '401', 'invalidToken')).toEqual({ detail: 'Invalid token.' });

    const app = apps.at(-1)!;
    const client = new APIClient(app);
    const live = await client.post('/life/', { answer: 1 }, { headers: HOST });
    await client.close();
    expect(live.status).toBe(401);
    expect(live.headers['www-authenticate']).toBe('Token');
    expect(live.data).toEqual(example(create, '401', 'notAuthenticated'));
  });

  it('a Bearer keyword is http bearer', async () => {
    for (const bearer of [BearerTokenAuthentication, new TokenAuthentication({ keyword: 'Bearer' })]) {
      const doc = await documentFor({ defaultAuthenticationClasses: [bearer], defaultPermissionClasses: [IsAuthenticated] });
      expect(doc.components.securitySchemes).toEqual({ bearerAuth: { type: 'http', scheme: 'bearer', description: expect.any(String) } });
      const retrieve = op(doc, '/life/{pk}/', 'GET');
      expect(retrieve.security).toEqual([{ bearerAuth: [] }]);
      expect(retrieve.responses['401']!.headers!['WWW-Authenticate']!.example).toBe('Bearer');
    }
    const custom = await documentFor({ defaultAuthenticationClasses: [new TokenAuthentication({ keyword: 'Api-Key' })] });
    expect(custom.components.securitySchemes).toEqual({
      apiKeyAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: expect.stringContaining('`Api-Key <key>`') },
    });
  });

  it('basic only, IsAuthenticated: 401 with the realm everywhere, no anonymous access', async () => {
    const doc = await documentFor({ defaultAuthenticationClasses: [BasicAuthentication], defaultPermissionClasses: [IsAuthenticated] });
    expect(doc.components.securitySchemes).toEqual({ basicAuth: { type: 'http', scheme: 'basic', description: expect.any(String) } });
    for (const [path, method, operation] of operations(doc)) {
      // Views with permissions of their own.
      if (path.startsWith('/api-auth/') || path.startsWith('/surveys/') || ['/api-token-auth/', '/scoped/', '/composed/'].includes(path)) continue;
      expect(operation.security, `${method} ${path}`).toEqual([{ basicAuth: [] }]);
      expect(operation.responses['401']!.headers!['WWW-Authenticate']!.example).toBe('Basic realm="api"');
      expect(example(operation, '401', 'notAuthenticated')).toEqual(NOT_PROVIDED);
    }
  });

  it('remote-user and custom classes: a described one is a scheme, an undescribed one is named in the description', async () => {
    class ApiKeyHeader extends BaseAuthentication {
      override authenticate(): AuthResult | null {
        return null;
      }
      static openApiSecurityScheme(): DescribedSecurityScheme {
        return { id: 'apiKeyHeader', scheme: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } };
      }
    }
    const doc = await documentFor({
      defaultAuthenticationClasses: [new RemoteUserAuthentication({ header: 'X-Remote-User' }), ApiKeyHeader, UsernameHeaderAuthentication],
      defaultPermissionClasses: [IsAdminUser],
    });
    expect(doc.components.securitySchemes).toEqual({
      remoteUserAuth: { type: 'apiKey', in: 'header', name: 'x-remote-user', description: expect.any(String) },
      apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    });
    const list = op(doc, '/life/', 'GET');
    expect(list.security).toEqual([{ remoteUserAuth: [] }, { apiKeyHeader: [] }]);
    expect(list.description).toContain('UsernameHeaderAuthentication');
    // None of them has a challenge: 403, with DRF's bodies for both cases.
    expect(list.responses['401']).toBeUndefined();
    expect(example(list, '403', 'notAuthenticated')).toEqual(NOT_PROVIDED);
    expect(example(list, '403', 'permissionDenied')).toEqual(NO_PERMISSION);
  });

  it('401 appears only where the first authenticator has a challenge', async () => {
    const configurations: SettingsInput[] = [
      DEMO,
      TOKEN_FIRST,
      { defaultAuthenticationClasses: [BasicAuthentication, SessionAuthentication], defaultPermissionClasses: [IsAuthenticatedOrReadOnly] },
      { defaultAuthenticationClasses: [SessionAuthentication], defaultPermissionClasses: [IsAuthenticated] },
    ];
    for (const settings of configurations) {
      const doc = await documentFor(settings);
      const first = settings.defaultAuthenticationClasses![0];
      const challenge = first === TokenAuthentication ? 'Token' : first === BasicAuthentication ? 'Basic realm="api"' : null;
      for (const [path, method, operation] of operations(doc)) {
        const has401 = operation.responses['401'] !== undefined;
        // The token endpoint, login and logout have their own (empty) authentication classes... or none at all.
        if (path.startsWith('/api-auth/')) expect(has401).toBe(false);
        else if (challenge === null) expect(has401, `${method} ${path}`).toBe(false);
        else {
          expect(has401, `${method} ${path}`).toBe(true);
          expect(operation.responses['401']!.headers!['WWW-Authenticate']!.example).toBe(challenge);
        }
      }
    }
  });

  it('documents throttles with Retry-After only where a rate applies, and paginated lists', async () => {
    const doc = await documentFor({
      defaultThrottleClasses: [AnonRateThrottle],
      defaultThrottleRates: { anon: '100/day', scoped: '5/minute' },
      pageSize: 2,
    });
    const list = op(doc, '/life/', 'GET');
    expect(list.responses['429']!.headers!['Retry-After']!.schema).toEqual({ type: 'integer' });
    expect(example(list, '429', 'throttled')).toEqual({ detail: 'Request was throttled. Expected available in 60 seconds.' });
    expect(op(doc, '/scoped/', 'GET').responses['429']).toBeDefined();
    expect(op(doc, '/api-token-auth/', 'POST').responses['429']).toBeUndefined(); // throttleClasses = []
    expect(list.parameters).toEqual([expect.objectContaining({ name: 'page', in: 'query' })]);
    expect(list.responses['200']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/PaginatedLifeList' });
    expect(doc.components.schemas.PaginatedLifeList).toMatchObject({
      required: ['count', 'next', 'previous', 'results'],
      properties: { results: { type: 'array', items: { $ref: '#/components/schemas/Life' } } },
    });
    expect(example(list, '404', 'invalidPage')).toEqual({ detail: 'Invalid page.' });

    const unthrottled = await documentFor({});
    expect(op(unthrottled, '/scoped/', 'GET').responses['429']).toBeUndefined(); // scope rate null
  });
});

// --------------------------------------------------------------------- the schema view and docs page

describe('the schema view and the docs page', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    // As locked down as it gets: admins only, one anonymous request a day.
    app = await demoApp({
      defaultAuthenticationClasses: [TokenAuthentication],
      defaultPermissionClasses: [IsAdminUser],
      defaultThrottleClasses: [AnonRateThrottle],
      defaultThrottleRates: { anon: '1/day' },
    });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('are public whatever the defaults: no authentication, AllowAny, no throttle', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await client.get('/schema/', { headers: HOST })).status).toBe(200);
      expect((await client.get('/docs/', { headers: HOST })).status).toBe(200);
    }
    // A wrong token cannot break it either: no authenticator runs.
    expect((await client.get('/schema/', { headers: { ...HOST, authorization: 'Token nope' } })).status).toBe(200);
    expect((await client.get('/life/', { headers: HOST })).status).toBe(401);
  });

  it('answers JSON, also for ?format=json', async () => {
    const response = await client.get('/schema/?format=json', { headers: { ...HOST, accept: 'text/html,*/*;q=0.8' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect((response.data as OpenApiDocument).openapi).toBe('3.1.0');
  });

  it('can be restricted', async () => {
    const restricted = await createApp({
      settings: { secretKey: 'k', databaseUrl: 'sqlite::memory:' },
      routes: [
        path('/composed/', ComposedView),
        ...schemaUrls({ authenticationClasses: [TokenAuthentication], permissionClasses: [IsAuthenticated], schemaPath: '/openapi.json', docsPath: null }),
      ],
    });
    const c = new APIClient(restricted);
    const response = await c.get('/openapi.json/', { headers: HOST });
    expect(response.status).toBe(401);
    expect(response.data).toEqual(NOT_PROVIDED);
    expect((await c.get('/docs/', { headers: HOST })).status).toBe(404);
    await c.close();
    await restricted.close();
  });

  it('serves a page that loads only this server\'s files, and those files', async () => {
    const page = await client.get('/docs/', { headers: HOST });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const urls = [...page.text.matchAll(/\b(?:src|href|data-schema-url)="([^"]*)"/g)].map((m) => m[1]!);
    expect(urls.length).toBe(6);
    const base = 'http://testserver/docs/';
    for (const url of urls) {
      expect(url).not.toMatch(/^[a-z][a-z0-9+.-]*:\/\/|^\/\//i);
      const resolved = new URL(url.replaceAll('&#38;', '&'), base);
      if (resolved.protocol === 'data:') continue; // the empty favicon: no request
      expect(resolved.origin).toBe('http://testserver');
    }
    expect(page.text).toContain('data-schema-url="../schema/"');
    const assets = urls.filter((u) => u.startsWith('assets/'));
    expect(assets.map((u) => u.replace(/\?.*/, ''))).toEqual([
      'assets/swagger-ui.css',
      'assets/swagger-ui-bundle.js',
      'assets/swagger-ui-standalone-preset.js',
      'assets/swagger-ui-init.js',
    ]);
    for (const url of assets) {
      const asset = await client.get(new URL(url, base).pathname + new URL(url, base).search, { headers: HOST });
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toBe(url.includes('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8');
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(asset.text).not.toContain('sourceMappingURL');
      const again = await client.get(new URL(url, base).pathname, { headers: { ...HOST, 'if-none-match': String(asset.headers.etag) } });
      expect(again.status).toBe(304);
    }
    const init = await client.get('/docs/assets/swagger-ui-init.js', { headers: HOST });
    expect(init.text).toContain('validatorUrl: null');
  });

  it('serves no other file: unknown names and traversal attempts are 404 JSON', async () => {
    const attempts = [
      '/docs/assets/nope.js',
      '/docs/assets/index.html',
      '/docs/assets/swagger-ui.css.map',
      '/docs/assets/',
      '/docs/assets/../../package.json',
      '/docs/assets/..%2F..%2Fpackage.json',
      '/docs/assets/..%2f..%2fpackage.json',
      '/docs/assets/%2e%2e/%2e%2e/package.json',
      '/docs/assets/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/docs/assets/swagger-ui.css/../../../package.json',
      '/docs/assets/swagger-ui.css%2F..%2F..%2F..%2Fpackage.json',
      '/docs/assets/%252e%252e%252fpackage.json',
      '/docs/assets/..\\..\\package.json',
      '/docs/assets/swagger-ui.css%00.js',
    ];
    for (const url of attempts) {
      const response = await client.get(url, { headers: HOST });
      expect(response.status, url).toBe(404);
      expect(response.headers['content-type'], url).toBe('application/json');
      expect(response.data, url).toEqual({ detail: 'Not found.' });
    }
  });
});

describe('generateOpenApi on an app of its own', () => {
  it('works without the schema routes and takes info and servers from its options', async () => {
    const app = await createApp({
      settings: { secretKey: 'k', databaseUrl: 'sqlite::memory:', defaultPermissionClasses: [AllowAny], defaultAuthenticationClasses: [] },
      routes: [path('/composed/', ComposedView)],
    });
    const doc = await generateOpenApi(app, { title: 'T', version: '2', servers: [{ url: 'https://api.example.com' }] });
    expect(doc.info).toEqual({ title: 'T', version: '2' });
    expect(doc.servers).toEqual([{ url: 'https://api.example.com' }]);
    expect(op(doc, '/composed/', 'GET').security).toEqual([{}]);
    expect(op(doc, '/composed/', 'GET').responses['403']).toBeUndefined();
    // IsAuthenticated | ReadOnly without authenticators: nobody may write, and DRF says 403 PermissionDenied.
    expect(op(doc, '/composed/', 'POST').security).toEqual([]);
    expect(example(op(doc, '/composed/', 'POST'), '403', 'permissionDenied')).toEqual(NO_PERMISSION);
    const client = new APIClient(app);
    const live = await client.post('/composed/', {}, { headers: HOST });
    await client.close();
    expect([live.status, live.data]).toEqual([403, NO_PERMISSION]);
    expect(doc.components.securitySchemes).toEqual({});
    expect((await new Validator().validate(structuredClone(doc) as never)).valid).toBe(true);
    await app.close();
  });
});
