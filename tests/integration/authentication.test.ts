/**
 * Every authentication class through the whole stack, with DRF 3.14's exact bodies, statuses and
 * WWW-Authenticate challenges (spec §1.4–1.8, §2, §3, §13, §14.1): the first authentication class
 * decides between 401 + challenge and 403, failed credentials stop the chain, successful Token/Basic
 * requests are never CSRF-checked, and no token or password is ever stored in plaintext.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIView,
  AuthenticationFailed,
  BaseAuthentication,
  BasePermission,
  BasicAuthentication,
  createApp,
  createServer,
  ImproperlyConfigured,
  IsAuthenticated,
  path,
  RemoteUserAuthentication,
  Response,
  SessionAuthentication,
  TokenAuthentication,
  type AuthenticationPolicy,
  type Gatehouse,
  type Request,
  type Route,
  type SettingsInput,
} from '../../src/index.ts';
import { APIClient, type TestResponse } from '../../src/testing/index.ts';
import { makePassword } from '../../src/auth/hashers.ts';
import { demoRoutes } from '../../examples/demo/app.ts';
import { Life, Survey } from '../../examples/demo/models.ts';
import { loadFixture } from '../../examples/demo/fixture.ts';
import { BearerTokenAuthentication, UsernameHeaderAuthentication } from '../../examples/demo/authentication.ts';
import { demoApp, PASSWORDS, SEED, TOKENS } from '../helpers.ts';

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const BASIC_CHALLENGE = 'Basic realm="api"';

const b64 = (text: string, encoding: BufferEncoding = 'utf8') => Buffer.from(text, encoding).toString('base64');
const basic = (username: string, password: string) => `Basic ${b64(`${username}:${password}`)}`;

/** Sends one request with exactly these headers (no credentials from earlier calls). */
function send(client: APIClient, method: string, url: string, headers: Record<string, string> = {}, data?: unknown): Promise<TestResponse> {
  client.credentials();
  return client.request(method, url, data, { headers });
}

function expectDenied(response: TestResponse, status: 401 | 403, body: unknown, challenge?: string): void {
  expect(response.data).toEqual(body);
  expect(response.status).toBe(status);
  if (challenge === undefined) expect(response.headers['www-authenticate']).toBeUndefined();
  else expect(response.headers['www-authenticate']).toBe(challenge);
}

// ------------------------------------------------------------------------------------------------
// An app with the demo routes plus test-only views (custom permission messages, failing and custom
// authenticators, remote-user), over the same seed as `demoApp`.

class CustomDeny extends BasePermission {
  override message = 'Custom deny';
  override hasPermission(): boolean {
    return false;
  }
}

class WhoAmI extends APIView {
  static override permissionClasses = [IsAuthenticated];
  get(request: Request): Response {
    return new Response({ user: String(request.user), auth: request.auth === null ? null : String(request.auth) });
  }
}

class CustomDenyView extends APIView {
  static override permissionClasses = [CustomDeny];
  get(): Response {
    return new Response('never');
  }
}

class CustomDenyNoAuthView extends CustomDenyView {
  static override authenticationClasses = [];
}

class IsAuthenticatedNoAuthView extends WhoAmI {
  static override authenticationClasses = [];
}

class FailingAuthentication extends BaseAuthentication {
  override authenticate(): never {
    throw new AuthenticationFailed('Bad credentials');
  }
}

/** DRF's IncorrectCredentialsTests: an authenticator that always fails, no permissions at all. */
class FailingAuthView extends APIView {
  static override authenticationClasses = [FailingAuthentication];
  static override permissionClasses = [];
  get(): Response {
    return new Response('never');
  }
}

class HeaderFirstView extends WhoAmI {
  static override authenticationClasses = [UsernameHeaderAuthentication, TokenAuthentication];
}

class HeaderSecondView extends WhoAmI {
  static override authenticationClasses = [TokenAuthentication, UsernameHeaderAuthentication];
}

class RemoteUserView extends WhoAmI {
  // Mixed case on purpose: header names are case-insensitive.
  static override authenticationClasses = [new RemoteUserAuthentication({ header: 'X-Remote-User' })];
}

class RemoteUserNoCreateView extends WhoAmI {
  static override authenticationClasses = [new RemoteUserAuthentication({ header: 'x-remote-user', createUnknownUser: false })];
}

class RemoteThenTokenView extends WhoAmI {
  static override authenticationClasses = [new RemoteUserAuthentication({ header: 'x-remote-user' }), TokenAuthentication];
}

const EXTRA_ROUTES: Route[] = [
  path('/custom-deny/', CustomDenyView),
  path('/custom-deny-noauth/', CustomDenyNoAuthView),
  path('/authenticated-noauth/', IsAuthenticatedNoAuthView),
  path('/failing-auth/', FailingAuthView),
  path('/header-first/', HeaderFirstView),
  path('/header-second/', HeaderSecondView),
  path('/remote/', RemoteUserView),
  path('/remote-no-create/', RemoteUserNoCreateView),
  path('/remote-then-token/', RemoteThenTokenView),
];

let seedHashes: Promise<Map<string, string>> | undefined;
function hashedSeedUsers() {
  seedHashes ??= Promise.all((SEED.users ?? []).map(async (u) => [u.username, await makePassword(u.password)] as const)).then(
    (pairs) => new Map(pairs),
  );
  return seedHashes;
}

async function appWithExtraRoutes(settings: SettingsInput): Promise<Gatehouse> {
  const app = await createApp({
    settings: {
      secretKey: 'test-secret-key',
      databaseUrl: 'sqlite::memory:',
      defaultThrottleRates: { anon: null, user: null, scoped: null },
      ...settings,
    },
    routes: [...demoRoutes(), ...EXTRA_ROUTES],
    models: [Life, Survey],
  });
  await app.migrate();
  const hashes = await hashedSeedUsers();
  await loadFixture(app, { ...SEED, users: (SEED.users ?? []).map((u) => ({ ...u, passwordHash: hashes.get(u.username)! })) });
  return app;
}

// ------------------------------------------------------------------------------------------------

describe('TokenAuthentication (Token first: [Token, Session])', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication] });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('a valid token authenticates, and request.auth renders as the key', async () => {
    const response = await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice}` });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'alice', auth: TOKENS.alice });
  });

  it('no Authorization header: anonymous, 401 with the Token challenge', async () => {
    expectDenied(await send(client, 'GET', '/example/'), 401, NOT_PROVIDED, 'Token');
  });

  it('an empty or whitespace-only Authorization header is no credentials', async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: '' }), 401, NOT_PROVIDED, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: '   ' }), 401, NOT_PROVIDED, 'Token');
  });

  it('another keyword (Bearer, Basic, a bare key) is not this scheme: anonymous', async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Bearer ${TOKENS.alice}` }), 401, NOT_PROVIDED, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: TOKENS.alice }), 401, NOT_PROVIDED, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Tokens ${TOKENS.alice}` }), 401, NOT_PROVIDED, 'Token');
  });

  it('the keyword is case-insensitive', async () => {
    for (const keyword of ['token', 'TOKEN', 'tOkEn']) {
      const response = await send(client, 'GET', '/example/', { authorization: `${keyword} ${TOKENS.bob}` });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ user: 'bob', auth: TOKENS.bob });
    }
  });

  it('runs of whitespace separate the parts, as bytes.split() does', async () => {
    for (const header of [`Token   ${TOKENS.alice}`, `  Token ${TOKENS.alice}  `, `Token\t${TOKENS.alice}`]) {
      const response = await send(client, 'GET', '/example/', { authorization: header });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ user: 'alice', auth: TOKENS.alice });
    }
  });

  it('only ASCII whitespace separates the parts: a latin-1 NBSP (0xA0) is part of the key or keyword', async () => {
    // bytes.split() splits on ASCII whitespace only; String.prototype.trim() would also strip U+00A0.
    const trailing = await client.server.inject({ method: 'GET', url: '/example/', headers: { authorization: `Token ${TOKENS.alice}\u00a0` } });
    expect(trailing.statusCode).toBe(401);
    expect(JSON.parse(trailing.body)).toEqual({ detail: 'Invalid token header. Token string should not contain invalid characters.' });
    // b"\xa0Token" is not the keyword: the request is simply unauthenticated.
    const leading = await client.server.inject({ method: 'GET', url: '/example/', headers: { authorization: `\u00a0Token ${TOKENS.alice}` } });
    expect(leading.statusCode).toBe(401);
    expect(JSON.parse(leading.body)).toEqual(NOT_PROVIDED);
  });

  it('`Token` alone: "No credentials provided."', async () => {
    const body = { detail: 'Invalid token header. No credentials provided.' };
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token' }), 401, body, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token    ' }), 401, body, 'Token');
  });

  it('a token with spaces: "Token string should not contain spaces."', async () => {
    const body = { detail: 'Invalid token header. Token string should not contain spaces.' };
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token foo bar' }), 401, body, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice} x` }), 401, body, 'Token');
  });

  it('a key that is not UTF-8 (latin-1 byte 0xB8): "Token string should not contain invalid characters."', async () => {
    const body = { detail: 'Invalid token header. Token string should not contain invalid characters.' };
    // Node hands header bytes to the app as latin-1 characters: 0xB8 arrives as U+00B8.
    const response = await client.server.inject({ method: 'GET', url: '/example/', headers: { authorization: 'Token abcd1234\u00b8' } });
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual(body);
    expect(response.headers['www-authenticate']).toBe('Token');
  });

  it('the raw byte 0xB8 over a real socket gives the same "invalid characters" 401', async () => {
    const server = createServer(app);
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            Buffer.concat([
              Buffer.from('GET /example/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token abcd1234'),
              Buffer.from([0xb8]),
              Buffer.from('\r\nConnection: close\r\n\r\n'),
            ]),
          );
        });
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 401 /);
      expect(raw).toMatch(/\r\nwww-authenticate: Token\r\n/i);
      expect(raw.endsWith('{"detail":"Invalid token header. Token string should not contain invalid characters."}')).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('latin-1 characters that happen to form valid UTF-8 decode, then fail as an unknown token', async () => {
    // "é" in UTF-8 is C3 A9, which arrives as the two latin-1 characters "Ã©".
    const response = await client.server.inject({ method: 'GET', url: '/example/', headers: { authorization: 'Token abc\u00c3\u00a9' } });
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toEqual({ detail: 'Invalid token.' });
  });

  it('an unknown key: "Invalid token."', async () => {
    const body = { detail: 'Invalid token.' };
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token nope' }), 401, body, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${'0'.repeat(40)}` }), 401, body, 'Token');
    // Keys are looked up verbatim: not case-folded, not trimmed of a suffix.
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice.toUpperCase()}` }), 401, body, 'Token');
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice}0` }), 401, body, 'Token');
  });

  it("an inactive user's token: \"User inactive or deleted.\"", async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.carol}` }), 401, { detail: 'User inactive or deleted.' }, 'Token');
  });

  it('a failed token stops the chain even where the view allows anyone (GET /life/ is AllowAny)', async () => {
    expectDenied(await send(client, 'GET', '/life/', { authorization: 'Token nope' }), 401, { detail: 'Invalid token.' }, 'Token');
    expect((await send(client, 'GET', '/life/')).status).toBe(200);
  });

  it('authentication runs before the 405 check', async () => {
    expectDenied(await send(client, 'DELETE', '/example/', { authorization: 'Token nope' }), 401, { detail: 'Invalid token.' }, 'Token');
    const allowed = await send(client, 'DELETE', '/example/', { authorization: `Token ${TOKENS.alice}` });
    expect(allowed.status).toBe(405);
    expect(allowed.data).toEqual({ detail: 'Method "DELETE" not allowed.' });
  });

  it('a successful token request before Session has `Vary: Accept` only', async () => {
    const response = await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice}` });
    expect(response.headers.vary).toBe('Accept');
    expect(response.headers['set-cookie']).toBeUndefined();
  });
});

describe('TokenAuthentication with another keyword (Bearer)', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [new TokenAuthentication({ keyword: 'Bearer' }), BearerTokenAuthentication] });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('a configured instance accepts `Bearer <key>`, case-insensitively', async () => {
    for (const keyword of ['Bearer', 'bearer']) {
      const response = await send(client, 'GET', '/example/', { authorization: `${keyword} ${TOKENS.alice}` });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ user: 'alice', auth: TOKENS.alice });
    }
  });

  it('the challenge is the keyword, and `Token <key>` is not this scheme', async () => {
    expectDenied(await send(client, 'GET', '/example/'), 401, NOT_PROVIDED, 'Bearer');
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice}` }), 401, NOT_PROVIDED, 'Bearer');
  });

  it("the keyword's messages are the token messages", async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Bearer' }), 401, { detail: 'Invalid token header. No credentials provided.' }, 'Bearer');
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Bearer a b' }), 401, { detail: 'Invalid token header. Token string should not contain spaces.' }, 'Bearer');
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Bearer nope' }), 401, { detail: 'Invalid token.' }, 'Bearer');
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Bearer ${TOKENS.carol}` }), 401, { detail: 'User inactive or deleted.' }, 'Bearer');
  });
});

describe('BasicAuthentication (Basic first: [Basic, Session, Token])', () => {
  let app: Gatehouse;
  let client: APIClient;
  let csrfClient: APIClient;
  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [BasicAuthentication, SessionAuthentication, TokenAuthentication] });
    await Promise.all([
      app.accounts.createUser({ username: 'john', password: 'password' }),
      app.accounts.createUser({ username: 'colonel', password: 'pa:ss:wo:rd' }),
      app.accounts.createUser({ username: 'walterwhité', password: 'pässwörd' }),
    ]);
    client = new APIClient(app);
    csrfClient = new APIClient(app, { enforceCsrfChecks: true });
  });
  afterAll(async () => {
    await client.close();
    await csrfClient.close();
    await app.close();
  });

  it('good credentials authenticate; request.auth is null', async () => {
    const response = await send(client, 'GET', '/example/', { authorization: basic('alice', PASSWORDS.alice!) });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'alice', auth: null });
  });

  it('no credentials: 401 with `WWW-Authenticate: Basic realm="api"`', async () => {
    expectDenied(await send(client, 'GET', '/example/'), 401, NOT_PROVIDED, BASIC_CHALLENGE);
    expectDenied(await send(client, 'POST', '/example/', {}, { a: 1 }), 401, NOT_PROVIDED, BASIC_CHALLENGE);
  });

  it('the scheme name is case-insensitive', async () => {
    for (const scheme of ['basic', 'BASIC']) {
      const response = await send(client, 'GET', '/example/', { authorization: `${scheme} ${b64(`bob:${PASSWORDS.bob}`)}` });
      expect(response.status).toBe(200);
    }
  });

  it('`Basic` alone: "No credentials provided."', async () => {
    const body = { detail: 'Invalid basic header. No credentials provided.' };
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Basic' }), 401, body, BASIC_CHALLENGE);
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Basic ' }), 401, body, BASIC_CHALLENGE);
  });

  it('spaces in the credentials: "Credentials string should not contain spaces."', async () => {
    const body = { detail: 'Invalid basic header. Credentials string should not contain spaces.' };
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Basic foo bar' }), 401, body, BASIC_CHALLENGE);
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Basic a b c' }), 401, body, BASIC_CHALLENGE);
  });

  it('bad base64 (`=a=`, `Y`, wrong padding): "Credentials not correctly base64 encoded."', async () => {
    const body = { detail: 'Invalid basic header. Credentials not correctly base64 encoded.' };
    for (const payload of ['=a=', 'Y', 'am9objpwYXNzd29yZA']) {
      expectDenied(await send(client, 'GET', '/example/', { authorization: `Basic ${payload}` }), 401, body, BASIC_CHALLENGE);
    }
  });

  it("Python's lenient base64: characters outside the alphabet are skipped, extra padding is accepted", async () => {
    // am9objpwYXNz!d29yZA== is "john:password" with a "!" in the middle.
    const lenient = await send(client, 'GET', '/example/', { authorization: 'Basic am9objpwYXNz!d29yZA==' });
    expect(lenient.status).toBe(200);
    expect(lenient.data).toEqual({ user: 'john', auth: null });
    // YWJjZA=== ("abcd", one "=" too many) decodes; it has no colon, so it is a bad username/password.
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Basic YWJjZA===' }), 401, { detail: 'Invalid username/password.' }, BASIC_CHALLENGE);
  });

  it('a payload of only non-alphabet characters decodes to nothing: "Invalid username/password."', async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Basic !!!!' }), 401, { detail: 'Invalid username/password.' }, BASIC_CHALLENGE);
  });

  it('a payload without a colon (DRF 3.14: username only, empty password): "Invalid username/password."', async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Basic ${b64('alice')}` }), 401, { detail: 'Invalid username/password.' }, BASIC_CHALLENGE);
  });

  it('wrong password, unknown user, wrong username case: "Invalid username/password."', async () => {
    const body = { detail: 'Invalid username/password.' };
    for (const header of [basic('alice', 'wrong'), basic('nobody', 'whatever'), basic('Alice', PASSWORDS.alice!), basic('alice', '')]) {
      expectDenied(await send(client, 'GET', '/example/', { authorization: header }), 401, body, BASIC_CHALLENGE);
    }
  });

  it("an inactive user's correct password: \"Invalid username/password.\" (ModelBackend refuses inactive users)", async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: basic('carol', PASSWORDS.carol!) }), 401, { detail: 'Invalid username/password.' }, BASIC_CHALLENGE);
  });

  it('only the first colon splits: a password may contain colons', async () => {
    const response = await send(client, 'GET', '/example/', { authorization: basic('colonel', 'pa:ss:wo:rd') });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'colonel', auth: null });
  });

  it('UTF-8 credentials decode (test_decoding_of_utf8_credentials), and latin-1 ones too', async () => {
    const utf8 = await send(client, 'GET', '/example/', { authorization: `Basic ${b64('walterwhité:pässwörd')}` });
    expect(utf8.status).toBe(200);
    expect(utf8.data).toEqual({ user: 'walterwhité', auth: null });
    const latin1 = await send(client, 'GET', '/example/', { authorization: `Basic ${b64('walterwhité:pässwörd', 'latin1')}` });
    expect(latin1.status).toBe(200);
  });

  it('Basic is never CSRF-checked: form and JSON POSTs pass with enforceCsrfChecks and no token', async () => {
    csrfClient.credentials({ authorization: basic('bob', PASSWORDS.bob!) });
    const json = await csrfClient.post('/life/', { answer: 3 });
    expect(json.status).toBe(201);
    const form = await csrfClient.post('/life/', { answer: 4 }, { format: 'form' });
    expect(form.status).toBe(201);
    const multipart = await csrfClient.post('/composed/', { a: '1' }, { format: 'multipart' });
    expect(multipart.status).toBe(200);
    expect(multipart.data).toEqual({ received: { a: '1' } });
    csrfClient.credentials();
  });

  it('a successful Basic response has `Vary: Accept` and sets no cookie', async () => {
    const response = await send(client, 'GET', '/example/', { authorization: basic('alice', PASSWORDS.alice!) });
    expect(response.headers.vary).toBe('Accept');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('a bad Token header when Basic is first: 401 "Invalid token." with the Basic challenge', async () => {
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token nope' }), 401, { detail: 'Invalid token.' }, BASIC_CHALLENGE);
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token' }), 401, { detail: 'Invalid token header. No credentials provided.' }, BASIC_CHALLENGE);
    expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token a b' }), 401, { detail: 'Invalid token header. Token string should not contain spaces.' }, BASIC_CHALLENGE);
    expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.carol}` }), 401, { detail: 'User inactive or deleted.' }, BASIC_CHALLENGE);
    const good = await send(client, 'GET', '/example/', { authorization: `token ${TOKENS.alice}` });
    expect(good.status).toBe(200);
  });
});

describe('the obtain-token endpoint (/api-token-auth/, Basic first)', () => {
  let app: Gatehouse;
  let client: APIClient;
  let daveToken: string;
  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [BasicAuthentication, SessionAuthentication, TokenAuthentication] });
    await app.accounts.createUser({ username: 'spacey', password: 'test pass ' });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it("JSON credentials return the user's existing token, 200", async () => {
    const response = await send(client, 'POST', '/api-token-auth/', {}, { username: 'alice', password: PASSWORDS.alice });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ token: TOKENS.alice });
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.allow).toBe('POST, OPTIONS');
  });

  it('form and multipart credentials work too', async () => {
    client.credentials();
    const form = await client.post('/api-token-auth/', { username: 'bob', password: PASSWORDS.bob }, { format: 'form' });
    expect(form.status).toBe(200);
    expect(form.data).toEqual({ token: TOKENS.bob });
    const multipart = await client.post('/api-token-auth/', { username: 'bob', password: PASSWORDS.bob }, { format: 'multipart' });
    expect(multipart.status).toBe(200);
    expect(multipart.data).toEqual({ token: TOKENS.bob });
  });

  it('a user without a token gets a new 40-hex-digit one (200), the same one next time, and it authenticates', async () => {
    const first = await send(client, 'POST', '/api-token-auth/', {}, { username: 'dave', password: PASSWORDS.dave });
    expect(first.status).toBe(200);
    daveToken = (first.data as { token: string }).token;
    expect(daveToken).toMatch(/^[0-9a-f]{40}$/);
    const again = await send(client, 'POST', '/api-token-auth/', {}, { username: 'dave', password: PASSWORDS.dave });
    expect(again.data).toEqual({ token: daveToken });
    const used = await send(client, 'GET', '/example/', { authorization: `Token ${daveToken}` });
    expect(used.status).toBe(200);
    expect(used.data).toEqual({ user: 'dave', auth: daveToken });
  });

  it('the username is trimmed, the password is not', async () => {
    const trimmed = await send(client, 'POST', '/api-token-auth/', {}, { username: '  bob ', password: PASSWORDS.bob });
    expect(trimmed.status).toBe(200);
    expect(trimmed.data).toEqual({ token: TOKENS.bob });
    const spaced = await send(client, 'POST', '/api-token-auth/', {}, { username: 'spacey', password: 'test pass ' });
    expect(spaced.status).toBe(200);
    const stripped = await send(client, 'POST', '/api-token-auth/', {}, { username: 'spacey', password: 'test pass' });
    expect(stripped.status).toBe(400);
  });

  it('bad password, unknown user and inactive user: 400 "Unable to log in with provided credentials."', async () => {
    const body = { non_field_errors: ['Unable to log in with provided credentials.'] };
    for (const credentials of [
      { username: 'alice', password: 'wrong' },
      { username: 'nobody', password: 'x' },
      { username: 'carol', password: PASSWORDS.carol },
    ]) {
      const response = await send(client, 'POST', '/api-token-auth/', {}, credentials);
      expect(response.status).toBe(400);
      expect(response.data).toEqual(body);
    }
  });

  it('missing and blank fields: 400 field errors', async () => {
    const missing = await send(client, 'POST', '/api-token-auth/', {}, { username: 'alice' });
    expect(missing.status).toBe(400);
    expect(missing.data).toEqual({ password: ['This field is required.'] });
    const none = await send(client, 'POST', '/api-token-auth/', {}, {});
    expect(none.data).toEqual({ username: ['This field is required.'], password: ['This field is required.'] });
    const blank = await send(client, 'POST', '/api-token-auth/', {}, { username: '', password: '' });
    expect(blank.status).toBe(400);
    expect(blank.data).toEqual({ username: ['This field may not be blank.'], password: ['This field may not be blank.'] });
  });

  it('GET: 405 with `Allow: POST, OPTIONS`', async () => {
    const response = await send(client, 'GET', '/api-token-auth/');
    expect(response.status).toBe(405);
    expect(response.data).toEqual({ detail: 'Method "GET" not allowed.' });
    expect(response.headers.allow).toBe('POST, OPTIONS');
  });

  it('`Accept: text/html` only: 406 (the view renders JSON only)', async () => {
    const response = await send(client, 'POST', '/api-token-auth/', { accept: 'text/html' }, { username: 'alice', password: PASSWORDS.alice });
    expect(response.status).toBe(406);
    expect(response.data).toEqual({ detail: 'Could not satisfy the request Accept header.' });
  });

  it('the default authentication still runs first: a bad Basic header is 401 before the serializer', async () => {
    const response = await send(client, 'POST', '/api-token-auth/', { authorization: basic('alice', 'wrong') }, { username: 'alice', password: PASSWORDS.alice });
    expectDenied(response, 401, { detail: 'Invalid username/password.' }, BASIC_CHALLENGE);
  });

  it('no token and no password is stored in plaintext, in any table (also after a new token and a login)', async () => {
    expect(daveToken).toMatch(/^[0-9a-f]{40}$/);
    // One session from the test client's login(), one from the login form.
    const viaClient = new APIClient(app);
    expect(await viaClient.login({ username: 'alice', password: PASSWORDS.alice! })).toBe(true);
    await viaClient.close();
    const viaForm = new APIClient(app, { enforceCsrfChecks: true });
    const page = await viaForm.get('/api-auth/login/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const csrf = viaForm.cookies.get('csrftoken')!;
    const login = await viaForm.post('/api-auth/login/', { username: 'bob', password: PASSWORDS.bob, csrfmiddlewaretoken: csrf }, { format: 'form' });
    expect(login.status).toBe(302);
    await viaForm.close();

    const secrets = [...Object.values(TOKENS), daveToken, ...Object.values(PASSWORDS), 'test pass '];
    const tables = await (app.db.dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`
    ).execute(app.db.kysely);
    const names = tables.rows.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['authtoken_token', 'auth_user', 'django_session']));
    let sessions = 0;
    for (const name of names) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(app.db.kysely);
      if (name === 'django_session') sessions = rows.rows.length;
      if (name === 'authtoken_token') expect(rows.rows.length).toBeGreaterThanOrEqual(4);
      const dump = JSON.stringify(rows.rows);
      for (const secret of secrets) expect(dump, `${name} holds a secret in plaintext`).not.toContain(secret);
    }
    expect(sessions).toBeGreaterThanOrEqual(2);
  });
});

describe('the 401-vs-403 rule: only the first authentication class decides', () => {
  let sessionFirst: Gatehouse;
  let sessionClient: APIClient;
  beforeAll(async () => {
    sessionFirst = await demoApp({ defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication] });
    sessionClient = new APIClient(sessionFirst);
  });
  afterAll(async () => {
    await sessionClient.close();
    await sessionFirst.close();
  });

  it('Session first: anonymous is 403 without a challenge, for every method', async () => {
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS']) {
      expectDenied(await send(sessionClient, method, '/example/'), 403, NOT_PROVIDED);
    }
  });

  it('Session first: a bad token is 403 "Invalid token.", an inactive one 403 "User inactive or deleted."', async () => {
    expectDenied(await send(sessionClient, 'GET', '/example/', { authorization: 'Token zzz' }), 403, { detail: 'Invalid token.' });
    expectDenied(await send(sessionClient, 'GET', '/example/', { authorization: `Token ${TOKENS.carol}` }), 403, { detail: 'User inactive or deleted.' });
    expectDenied(await send(sessionClient, 'GET', '/example/', { authorization: 'Token' }), 403, { detail: 'Invalid token header. No credentials provided.' });
  });

  it('Session first: a valid session wins, and a bad token header is never read', async () => {
    const client = new APIClient(sessionFirst);
    try {
      expect(await client.login({ username: 'dave', password: PASSWORDS.dave! })).toBe(true);
      const response = await client.get('/example/', { headers: { authorization: 'Token nope' } });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ user: 'dave', auth: null });
    } finally {
      await client.close();
    }
  });

  it('Session first: a good token still authenticates (the second class)', async () => {
    const response = await send(sessionClient, 'GET', '/example/', { authorization: `Token ${TOKENS.bob}` });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'bob', auth: TOKENS.bob });
  });

  it('Session only (the DRF default [Session, Basic] ignores Token headers): 403 not provided', async () => {
    const app = await demoApp();
    const client = new APIClient(app);
    try {
      expectDenied(await send(client, 'GET', '/example/', { authorization: `Token ${TOKENS.alice}` }), 403, NOT_PROVIDED);
      expectDenied(await send(client, 'GET', '/example/', { authorization: 'Token nope' }), 403, NOT_PROVIDED);
      // Basic second: a bad Basic header is 403 (Session, first, has no challenge).
      expectDenied(await send(client, 'GET', '/example/', { authorization: basic('alice', 'wrong') }), 403, { detail: 'Invalid username/password.' });
      const good = await send(client, 'GET', '/example/', { authorization: basic('alice', PASSWORDS.alice!) });
      expect(good.status).toBe(200);
    } finally {
      await client.close();
      await app.close();
    }
  });
});

describe('custom permissions, custom schemes, remote user, no authenticators', () => {
  let app: Gatehouse;
  let client: APIClient;
  beforeAll(async () => {
    app = await appWithExtraRoutes({ defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication], debug: true });
    client = new APIClient(app);
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  it('a custom permission message: anonymous gets NotAuthenticated (the message is dropped)', async () => {
    expectDenied(await send(client, 'GET', '/custom-deny/'), 401, NOT_PROVIDED, 'Token');
  });

  it('a custom permission message: an authenticated user gets 403 with it', async () => {
    expectDenied(await send(client, 'GET', '/custom-deny/', { authorization: `Token ${TOKENS.alice}` }), 403, { detail: 'Custom deny' });
  });

  it('no authentication classes: 403 with the custom message (test_permission_message_with_no_authentication_classes)', async () => {
    expectDenied(await send(client, 'GET', '/custom-deny-noauth/'), 403, { detail: 'Custom deny' });
    // The token is not even read: there is nothing to read it.
    expectDenied(await send(client, 'GET', '/custom-deny-noauth/', { authorization: 'Token nope' }), 403, { detail: 'Custom deny' });
  });

  it('no authentication classes + IsAuthenticated: 403 with the default PermissionDenied message', async () => {
    expectDenied(await send(client, 'GET', '/authenticated-noauth/'), 403, { detail: 'You do not have permission to perform this action.' });
  });

  it('an authenticator raising AuthenticationFailed, no challenge, no permissions: 403 "Bad credentials"', async () => {
    expectDenied(await send(client, 'GET', '/failing-auth/'), 403, { detail: 'Bad credentials' });
  });

  it('the debug header explains which authenticator rejected the credentials', async () => {
    const response = await send(client, 'GET', '/example/', { authorization: 'Token nope' });
    expect(response.status).toBe(401);
    expect(response.decision).toContain('Invalid token');
  });

  it('the X-Username scheme first: an unknown user is 403 "No such user" (it has no challenge)', async () => {
    expectDenied(await send(client, 'GET', '/header-first/', { 'x-username': 'nobody' }), 403, { detail: 'No such user' });
    expectDenied(await send(client, 'GET', '/header-first/'), 403, NOT_PROVIDED);
    const known = await send(client, 'GET', '/header-first/', { 'x-username': 'bob' });
    expect(known.status).toBe(200);
    expect(known.data).toEqual({ user: 'bob', auth: null });
  });

  it('the X-Username scheme first wins over a valid token; its failure stops the chain', async () => {
    expectDenied(await send(client, 'GET', '/header-first/', { 'x-username': 'nobody', authorization: `Token ${TOKENS.alice}` }), 403, { detail: 'No such user' });
    const token = await send(client, 'GET', '/header-first/', { authorization: `Token ${TOKENS.alice}` });
    expect(token.data).toEqual({ user: 'alice', auth: TOKENS.alice });
  });

  it('the X-Username scheme second: its failure is 401 with the Token challenge of the first class', async () => {
    expectDenied(await send(client, 'GET', '/header-second/', { 'x-username': 'nobody' }), 401, { detail: 'No such user' }, 'Token');
    const token = await send(client, 'GET', '/header-second/', { authorization: `Token ${TOKENS.alice}`, 'x-username': 'nobody' });
    expect(token.status).toBe(200);
    expect(token.data).toEqual({ user: 'alice', auth: TOKENS.alice });
  });

  it('remote user: the configured header authenticates an existing user (auth null)', async () => {
    const response = await send(client, 'GET', '/remote/', { 'x-remote-user': 'alice' });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'alice', auth: null });
  });

  it('remote user: an unknown user is created (RemoteUserBackend default), with an unusable password', async () => {
    expect(await app.accounts.getUserByUsername('newcomer')).toBeNull();
    const response = await send(client, 'GET', '/remote/', { 'x-remote-user': 'newcomer' });
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ user: 'newcomer', auth: null });
    const created = await app.accounts.getUserByUsername('newcomer');
    expect(created).not.toBeNull();
    expect(created!.passwordHash.startsWith('!')).toBe(true);
    expect(await app.accounts.authenticate('newcomer', '')).toBeNull();
    // Same user next time, not a second one.
    const again = await send(client, 'GET', '/remote/', { 'x-remote-user': 'newcomer' });
    expect(again.data).toEqual({ user: 'newcomer', auth: null });
  });

  it('remote user with createUnknownUser: false: an unknown user is anonymous, and is not created', async () => {
    expectDenied(await send(client, 'GET', '/remote-no-create/', { 'x-remote-user': 'stranger' }), 403, NOT_PROVIDED);
    expect(await app.accounts.getUserByUsername('stranger')).toBeNull();
  });

  it('remote user: absent or empty header is anonymous, 403 when it is the first class (no challenge)', async () => {
    expectDenied(await send(client, 'GET', '/remote/'), 403, NOT_PROVIDED);
    expectDenied(await send(client, 'GET', '/remote/', { 'x-remote-user': '' }), 403, NOT_PROVIDED);
    // REMOTE_USER is not an HTTP header: a client's `Remote-User` header is not the configured one.
    expectDenied(await send(client, 'GET', '/remote/', { 'remote-user': 'alice' }), 403, NOT_PROVIDED);
  });

  it('remote user: an inactive user is anonymous, and the next class is tried (it never raises)', async () => {
    expectDenied(await send(client, 'GET', '/remote/', { 'x-remote-user': 'carol' }), 403, NOT_PROVIDED);
    const next = await send(client, 'GET', '/remote-then-token/', { 'x-remote-user': 'carol', authorization: `Token ${TOKENS.bob}` });
    expect(next.status).toBe(200);
    expect(next.data).toEqual({ user: 'bob', auth: TOKENS.bob });
  });

  it('ForcedAuthentication: forceAuthenticate(user, token) bypasses every scheme and CSRF', async () => {
    const forced = new APIClient(app, { enforceCsrfChecks: true });
    try {
      const alice = await app.accounts.getUserByUsername('alice');
      forced.forceAuthenticate(alice, 'forced-token');
      const response = await forced.get('/example/');
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ user: 'alice', auth: 'forced-token' });
      // The configured authenticators are replaced: a bad token header is not even read.
      const withBadHeader = await forced.get('/example/', { headers: { authorization: 'Token nope' } });
      expect(withBadHeader.status).toBe(200);
      // Not CSRF-checked, though CSRF checks are enforced and there is no cookie.
      const created = await forced.post('/life/', { answer: 9 });
      expect(created.status).toBe(201);
      // The custom permission message reaches a forced user.
      expectDenied(await forced.get('/custom-deny/'), 403, { detail: 'Custom deny' });
      forced.forceAuthenticate(null);
      expectDenied(await forced.get('/example/'), 401, NOT_PROVIDED, 'Token');
    } finally {
      await forced.close();
    }
  });
});

describe('RemoteUserAuthentication configuration', () => {
  it('listing the class without options fails at createApp with ImproperlyConfigured naming the fix', async () => {
    const attempt = createApp({
      settings: { secretKey: 'test-secret-key', databaseUrl: 'sqlite::memory:', defaultAuthenticationClasses: [RemoteUserAuthentication as unknown as AuthenticationPolicy] },
      routes: [path('/who/', WhoAmI)],
    });
    await expect(attempt).rejects.toBeInstanceOf(ImproperlyConfigured);
    await expect(attempt).rejects.toThrow(/new RemoteUserAuthentication\(\{ header: /);
  });

  it('a view listing the class without options fails at createApp too', async () => {
    class BadRemoteView extends WhoAmI {
      static override authenticationClasses = [RemoteUserAuthentication as unknown as AuthenticationPolicy];
    }
    const attempt = createApp({ settings: { secretKey: 'test-secret-key', databaseUrl: 'sqlite::memory:' }, routes: [path('/who/', BadRemoteView)] });
    await expect(attempt).rejects.toBeInstanceOf(ImproperlyConfigured);
    await expect(attempt).rejects.toThrow(/header/);
  });

  it('as the default: a configured instance authenticates through the settings', async () => {
    const app = await demoApp({ defaultAuthenticationClasses: [new RemoteUserAuthentication({ header: 'x-remote-user' })] });
    const client = new APIClient(app);
    try {
      const response = await send(client, 'GET', '/example/', { 'x-remote-user': 'bob' });
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ user: 'bob', auth: null });
      expectDenied(await send(client, 'GET', '/example/'), 403, NOT_PROVIDED);
    } finally {
      await client.close();
      await app.close();
    }
  });
});

describe('successful Token requests are never CSRF-checked; Session first with a session is', () => {
  let app: Gatehouse;
  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [TokenAuthentication, SessionAuthentication] });
  });
  afterAll(async () => {
    await app.close();
  });

  it('Token first: a token POST passes without a CSRF token, even with a logged-in session cookie', async () => {
    const client = new APIClient(app, { enforceCsrfChecks: true });
    try {
      expect(await client.login({ username: 'bob', password: PASSWORDS.bob! })).toBe(true);
      client.credentials({ authorization: `Token ${TOKENS.alice}` });
      const json = await client.post('/life/', { answer: 1 });
      expect(json.status).toBe(201);
      const form = await client.post('/life/', { answer: 2 }, { format: 'form' });
      expect(form.status).toBe(201);
      const who = await client.get('/example/');
      expect(who.data).toEqual({ user: 'alice', auth: TOKENS.alice });
      // Without the token, the session authenticates bob and CSRF applies.
      client.credentials();
      const session = await client.post('/life/', { answer: 3 });
      expectDenied(session, 403, { detail: 'CSRF Failed: CSRF cookie not set.' });
    } finally {
      await client.close();
    }
  });

  it('Session first: a logged-in browser sending a token too is authenticated by the session, and CSRF-checked', async () => {
    const sessionFirst = await demoApp({ defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication] });
    const client = new APIClient(sessionFirst, { enforceCsrfChecks: true });
    try {
      expect(await client.login({ username: 'bob', password: PASSWORDS.bob! })).toBe(true);
      client.credentials({ authorization: `Token ${TOKENS.alice}` });
      expectDenied(await client.post('/life/', { answer: 1 }), 403, { detail: 'CSRF Failed: CSRF cookie not set.' });
      const who = await client.get('/example/');
      expect(who.data).toEqual({ user: 'bob', auth: null });
      // Without the session, the token alone passes without CSRF.
      await client.logout();
      client.credentials({ authorization: `Token ${TOKENS.alice}` });
      expect((await client.post('/life/', { answer: 1 })).status).toBe(201);
    } finally {
      await client.close();
      await sessionFirst.close();
    }
  });
});
