/**
 * APIClient for users' tests (DRF's `rest_framework.test.APIClient`): sends requests in-process
 * through the whole stack (routing, authentication, permissions, rendering) and keeps cookies like a
 * browser. As in DRF, CSRF checks are off unless `enforceCsrfChecks` is set; `login()` creates a real
 * session; `forceAuthenticate()` bypasses authentication; `credentials()` sets headers for every request.
 */
import type { FastifyInstance } from 'fastify';
import { parse as parseSetCookie } from './set-cookie.ts';
import type { Gatehouse, HandleOptions } from '../app.ts';
import { createServer } from '../http/fastify.ts';
import type { User } from '../auth/user.ts';
import type { Decision } from '../trace.ts';

export type RequestFormat = 'json' | 'form' | 'multipart';

export interface RequestOptions {
  headers?: Record<string, string>;
  /** How to encode `data` (default `json`). */
  format?: RequestFormat;
  /** Sent as the body verbatim (with the headers' Content-Type), instead of encoding `data`. */
  body?: string | Buffer;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body. */
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  data: unknown;
  /** The decision trace explanation (with `debug` on), or undefined. */
  decision: string | undefined;
}

export class APIClient {
  readonly app: Gatehouse;
  readonly server: FastifyInstance;
  /** Cookies held, as a browser would. */
  readonly cookies = new Map<string, string>();
  #headers: Record<string, string> = {};
  #options: HandleOptions;

  constructor(app: Gatehouse, options: { enforceCsrfChecks?: boolean } = {}) {
    this.app = app;
    // Each client has its own server, so its controls reach every request it sends.
    this.server = createServer(app, { testOptions: () => this.#options });
    this.#options = { enforceCsrfChecks: options.enforceCsrfChecks === true };
  }

  /** Headers sent with every later request, replacing earlier ones (e.g. `{ authorization: 'Token abc' }`). */
  credentials(headers: Record<string, string> = {}): void {
    this.#headers = { ...headers };
  }

  /** Authenticates every later request as `user` (and `token` as `request.auth`); none logs out. */
  forceAuthenticate(user: User | null = null, token: unknown = null): void {
    const { forceUser: _u, forceToken: _t, ...rest } = this.#options;
    this.#options = user === null && token === null ? rest : { ...rest, forceUser: user, forceToken: token };
  }

  /** Logs in through a real session (as Django's `Client.login`); false when the credentials are wrong. */
  async login(credentials: { username: string; password: string }): Promise<boolean> {
    const user = await this.app.accounts.authenticate(credentials.username, credentials.password);
    if (user === null) return false;
    const session = await this.app.accounts.createSessionFor(user);
    this.cookies.set(this.app.settings.sessionCookieName, session);
    return true;
  }

  /** Clears credentials and forced authentication, and ends the session. */
  async logout(): Promise<void> {
    this.#headers = {};
    this.forceAuthenticate(null);
    const key = this.cookies.get(this.app.settings.sessionCookieName);
    if (key !== undefined) await this.app.accounts.deleteSession(key);
    this.cookies.delete(this.app.settings.sessionCookieName);
  }

  get(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request('GET', path, undefined, options);
  }
  head(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request('HEAD', path, undefined, options);
  }
  options(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request('OPTIONS', path, undefined, options);
  }
  post(path: string, data?: unknown, options?: RequestOptions): Promise<TestResponse> {
    return this.request('POST', path, data, options);
  }
  put(path: string, data?: unknown, options?: RequestOptions): Promise<TestResponse> {
    return this.request('PUT', path, data, options);
  }
  patch(path: string, data?: unknown, options?: RequestOptions): Promise<TestResponse> {
    return this.request('PATCH', path, data, options);
  }
  delete(path: string, options?: RequestOptions): Promise<TestResponse> {
    return this.request('DELETE', path, undefined, options);
  }

  async request(method: string, path: string, data?: unknown, options: RequestOptions = {}): Promise<TestResponse> {
    const headers: Record<string, string> = { ...this.#headers, ...lowerKeys(options.headers ?? {}) };
    let payload: string | Buffer | undefined = options.body;
    if (payload === undefined && data !== undefined) {
      const encoded = encode(data, options.format ?? 'json');
      payload = encoded.body;
      headers['content-type'] ??= encoded.contentType;
    }
    if (this.cookies.size > 0 && headers.cookie === undefined) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    const response = await this.server.inject({ method: method as 'GET', url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    const setCookie = response.headers['set-cookie'];
    for (const header of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const { name, value, expired } = parseSetCookie(header);
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const contentType = String(response.headers['content-type'] ?? '');
    let parsed: unknown;
    if (contentType.startsWith('application/json') && response.body !== '') parsed = JSON.parse(response.body);
    const decision = response.headers['gatehouse-decision'];
    return {
      status: response.statusCode,
      headers: response.headers as Record<string, string | string[] | undefined>,
      text: response.body,
      data: parsed,
      decision: typeof decision === 'string' ? decision : undefined,
    };
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function encode(data: unknown, format: RequestFormat): { body: string | Buffer; contentType: string } {
  if (format === 'json') return { body: JSON.stringify(data), contentType: 'application/json' };
  const entries = Object.entries(data as Record<string, unknown>).flatMap(([k, v]) =>
    (Array.isArray(v) ? v : [v]).map((item) => [k, String(item)] as [string, string]),
  );
  if (format === 'form') return { body: new URLSearchParams(entries).toString(), contentType: 'application/x-www-form-urlencoded' };
  const boundary = `----gatehouse${Math.random().toString(16).slice(2)}`;
  const parts = entries.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}

export type { Decision };

export { freshPostgresSchema, deleteRedisKeys } from './isolation.ts';
