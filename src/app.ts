/**
 * The application: settings, database, services and compiled routes, and `handle()`, the path of one
 * request through Gatehouse independent of the HTTP library:
 *
 *   IncomingRequest -> Request -> view.dispatch() -> Response -> finalize (headers, cookies) -> render
 *
 * `createApp` resolves and checks everything at start-up, so mistakes fail there with a message that
 * names the view and the fix, and the per-request path only reads what was prepared.
 */
import { serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { Migrator, sql } from 'kysely';
import { resolveSettings, type Settings, type SettingsInput } from './settings.ts';
import { openDatabase, redactUrl, type Database } from './db/database.ts';
import { Accounts } from './auth/accounts.ts';
import { coreMigrations } from './auth/migrations.ts';
import { MemoryThrottleStore } from './throttling/memory-store.ts';
import type { ThrottleStore } from './throttling/store.ts';
import { Request, type IncomingRequest } from './request.ts';
import { Response, RawResponse } from './response.ts';
import { APIException, ImproperlyConfigured, NotFound, ServiceUnavailable } from './exceptions.ts';
import { openRedis, redisReady, type Redis } from './db/redis.ts';
import { RedisThrottleStore } from './throttling/redis-store.ts';
import { outageOf } from './outages.ts';
import { actionFor, type APIView, type CompiledView } from './views/api-view.ts';
import { compileView } from './views/compile.ts';
import type { Route } from './routers.ts';
import type { AppContext } from './app-context.ts';
import { silentLogger, warnAtMostEvery, type Logger } from './logging.ts';
import { explain } from './trace.ts';
import type { Model } from './models/index.ts';
import type { User } from './auth/user.ts';
import { JSONRenderer, type Renderer } from './renderers.ts';
import { parseMediaType } from './media-types.ts';
import { ForcedAuthentication } from './authentication/forced.ts';
import { iriToUri } from './util/iri.ts';
import type { MaybePromise } from './util/types.ts';

export interface AppOptions {
  settings?: SettingsInput;
  routes: readonly Route[];
  /** The app's models: `migrate` creates their tables and their add/change/delete/view permissions. */
  models?: readonly Model[];
  /** An open database to use instead of opening `settings.databaseUrl`. */
  database?: Database;
  throttleStore?: ThrottleStore;
  logger?: Logger;
}

/** A rendered response, ready for any HTTP library. */
export interface Rendered {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Buffer;
}

/** Test-client controls (DRF's APIClient): never reachable from the network. */
export interface HandleOptions {
  forceUser?: User | null;
  forceToken?: unknown;
  enforceCsrfChecks?: boolean;
}

export interface CompiledRoute {
  readonly route: Route;
  readonly view: CompiledView;
}

const json = new JSONRenderer();
const OUTAGE_LOG_INTERVAL_MS = 10_000;
const JSON_MEDIA = parseMediaType('application/json');
/** What Node refuses in a header value (it would throw ERR_INVALID_CHAR while sending). */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export class Gatehouse implements AppContext {
  readonly settings: Settings;
  readonly db: Database;
  readonly accounts: Accounts;
  readonly throttleStore: ThrottleStore;
  /** Where errors and denials are logged; createServer points it at Fastify's logger when given one. */
  logger: Logger;
  readonly models: readonly Model[];
  readonly routes: readonly CompiledRoute[];

  /** The Redis connection when `redisUrl` is set: throttles count there, and sessions may live there. */
  readonly redis: Redis | null;
  readonly logOutage = warnAtMostEvery(OUTAGE_LOG_INTERVAL_MS, () => this.logger);

  constructor(options: AppOptions) {
    this.settings = resolveSettings(options.settings);
    this.logger = options.logger ?? silentLogger;
    this.db = options.database ?? openDatabase(this.settings.databaseUrl);
    const redisUrl = this.settings.redisUrl;
    this.redis = redisUrl === null ? null : openRedis(redisUrl, (err) => this.logOutage({ err, redis: redactUrl(redisUrl) }, 'Redis connection error'));
    this.accounts = new Accounts(this.db, this.settings, this.redis);
    this.throttleStore =
      options.throttleStore ?? (this.redis === null ? new MemoryThrottleStore() : new RedisThrottleStore(this.redis, this.settings.redisKeyPrefix));
    this.models = options.models ?? [];
    const seen = new Map<string, string>();
    this.routes = options.routes.map((route) => {
      const other = seen.get(route.path);
      if (other !== undefined) {
        throw new ImproperlyConfigured(`Two routes have the path "${route.path}" (${other} and ${route.view.name}); route each path once.`);
      }
      seen.set(route.path, route.view.name);
      return {
        route,
        view: compileView(route.view, this, {
          ...(route.actions ? { actions: { ...route.actions } } : {}),
          ...(route.initkwargs ? { initkwargs: { ...route.initkwargs } } : {}),
          name: route.view.name,
        }),
      };
    });
  }

  /**
   * Creates the framework's tables (versioned migrations), then the models' tables and their
   * permissions. Safe to run repeatedly.
   */
  async migrate(): Promise<void> {
    const { error } = await new Migrator({
      db: this.db.kysely,
      provider: coreMigrations(this.db.dialect),
      migrationTableName: 'gatehouse_migrations',
      // Kysely looks for its tables in every schema unless told one: another app's schema in the same
      // PostgreSQL database would pass for ours. Ours is the first on the search_path.
      ...(this.db.dialect === 'postgres' ? { migrationTableSchema: await currentSchema(this.db) } : {}),
    }).migrateToLatest();
    if (error) throw error;
    for (const model of this.models) {
      await model.createTable(this.db);
      await this.accounts.ensureModelPermissions(model.name);
    }
  }

  async close(): Promise<void> {
    this.redis?.disconnect();
    await this.db.close();
  }

  /**
   * One request through the pipeline; never throws (nor rejects). Synchronous when every step is, as a
   * read on SQLite is: the HTTP adapter then answers within the socket's read, with no promise.
   */
  handle(compiled: CompiledRoute, incoming: IncomingRequest, params: Record<string, string>, options?: HandleOptions): MaybePromise<Rendered> {
    const request = new Request(incoming, this);
    let view: APIView | undefined;
    let response: MaybePromise<Response | RawResponse>;
    try {
      const format = params.format;
      // A copy only when there is a format suffix to take out: most routes have none.
      const kwargs = format === undefined ? params : withoutFormat(params);
      if (!validParams(kwargs, format, compiled.route)) throw new NotFound();
      if (options) applyTestOptions(request, options);
      view = new compiled.view.viewClass();
      view.compiled = compiled.view;
      view.kwargs = kwargs;
      request.kwargs = kwargs;
      view.format = format;
      Object.assign(view, compiled.view.initkwargs);
      view.action = actionFor(compiled.view, request.method);
      response = view.dispatch(request);
    } catch (error) {
      response = this.#errorResponse(error, request);
    }
    if (response instanceof Promise) {
      return response.then(
        (done) => this.finalize(request, done, view),
        (error: unknown) => this.finalize(request, this.#errorResponse(error, request), view),
      );
    }
    return this.finalize(request, response, view);
  }

  /** Answers a request no route matched, or that the HTTP layer rejected, with a DRF-style JSON error. */
  async handleError(incoming: IncomingRequest, error: APIException): Promise<Rendered> {
    const request = new Request(incoming, this);
    return this.finalize(request, this.#errorResponse(error, request), undefined);
  }

  #errorResponse(error: unknown, request: Request): Response {
    if (error instanceof APIException) {
      const response = new Response(error.body(), error.status, { ...error.headers });
      response.exception = true;
      return response;
    }
    const backend = outageOf(error);
    if (backend !== null) {
      this.logOutage({ err: error, backend, method: request.method, path: request.path }, `${backend} unavailable`);
      return this.#errorResponse(new ServiceUnavailable(), request);
    }
    this.logger.error({ err: error, method: request.method, path: request.path }, 'unhandled error');
    const response = new Response({ detail: 'A server error occurred.' }, 500);
    response.exception = true;
    return response;
  }

  /**
   * DRF's `finalize_response` and Django's middleware on the way out: Allow and Vary on every view
   * response, the session saved and its cookie sent or deleted, the csrftoken cookie when a page used
   * it, then the negotiated renderer.
   */
  finalize(request: Request, response: Response | RawResponse, view: APIView | undefined): MaybePromise<Rendered> {
    // nosniff: a browser must never reinterpret a JSON body (which may echo user input) as HTML.
    const headers: Record<string, string | string[]> = { 'x-content-type-options': 'nosniff' };
    if (view !== undefined) {
      headers.allow = view.compiled.allowHeader;
      if (view.compiled.vary) headers.vary = view.compiled.vary;
    }
    Object.assign(headers, response.headers);
    if (this.settings.debug && response.status >= 400 && response.status !== 404 && request.trace.length > 0) {
      const explanation = explain(request.trace, response.status);
      headers['gatehouse-decision'] = explanation.replace(/[^\x20-\x7e]/g, '?');
      this.logger.warn({ method: request.method, path: request.path, status: response.status, decision: explanation }, 'request denied');
    }
    const own = response.headers;
    if (response instanceof RawResponse) return this.#withCookies(request, { status: response.status, headers, body: response.body }, own);
    // Synchronous unless rendering or saving the session is not: most responses cost no promise here.
    const result = this.#render(request, response, view, headers);
    return result instanceof Promise ? result.then((done) => this.#withCookies(request, done, own)) : this.#withCookies(request, result, own);
  }

  /**
   * After rendering, since a page rendered with a CSRF token must send the csrftoken cookie. `own`:
   * the headers the view set, the only ones that can hold what HTTP cannot carry (see #checkHeaders).
   */
  #withCookies(request: Request, rendered: Rendered, own: Readonly<Record<string, string>>): MaybePromise<Rendered> {
    let pending;
    try {
      pending = this.#cookies(request, rendered.status);
    } catch (error) {
      return this.finalize(request, this.#errorResponse(error, request), undefined);
    }
    if (pending instanceof Promise) {
      return pending.then(
        (cookies) => this.#sendCookies(request, rendered, cookies, own),
        (error: unknown) => this.finalize(request, this.#errorResponse(error, request), undefined),
      );
    }
    return this.#sendCookies(request, rendered, pending, own);
  }

  #sendCookies(request: Request, rendered: Rendered, cookies: string[] | undefined, own: Readonly<Record<string, string>>): Rendered {
    const headers = rendered.headers;
    if (cookies !== undefined) headers['set-cookie'] = cookies;
    // Django's middleware: a response that read the session or set a cookie varies by Cookie.
    if (cookies !== undefined || request.session !== null) headers.vary = headers.vary ? `${headers.vary}, Cookie` : 'Cookie';
    return this.#checkHeaders(request, rendered, own);
  }

  /**
   * Header values a view built from data (a Location from a `url` field) may hold what HTTP cannot
   * carry: non-ASCII in a Location is percent-encoded as Django does; a control character is a
   * server error, logged, never a response split or a crash. Only the view's own headers are
   * checked: the rest are the framework's constants, cookies the cookie library has validated, and
   * the decision trace, already reduced to printable ASCII.
   */
  #checkHeaders(request: Request, rendered: Rendered, own: Readonly<Record<string, string>>): Rendered {
    for (const name in own) {
      const value = rendered.headers[name];
      if (typeof value === 'string' && !this.#validHeader(request, rendered, name, value)) {
        return { status: 500, headers: { 'content-type': 'application/json' }, body: '{"detail":"A server error occurred."}' };
      }
    }
    return rendered;
  }

  /** True when the value can be sent, a Location after percent-encoding it; false (logged) when not. */
  #validHeader(request: Request, rendered: Rendered, name: string, value: string): boolean {
    if (!INVALID_HEADER_VALUE.test(value)) return true;
    if (name === 'location' && !/[\x00-\x1f\x7f]/.test(value)) {
      rendered.headers.location = iriToUri(value);
      return true;
    }
    this.logger.error({ method: request.method, path: request.path, header: name }, 'invalid response header value');
    return false;
  }

  #render(request: Request, response: Response, view: APIView | undefined, headers: Record<string, string | string[]>): Rendered | Promise<Rendered> {
    const negotiated = view?.negotiated;
    const renderer = negotiated?.renderer ?? view?.policies.renderers[0] ?? json;
    let body: string | Promise<string>;
    try {
      body = renderer.render(response.data, { request, response, view, accepted: negotiated?.accepted ?? JSON_MEDIA });
    } catch (error) {
      return this.#renderFailed(request, headers, error);
    }
    // Closures only for the asynchronous case (a template): the per-request path allocates none.
    if (typeof body === 'string') return rendered(renderer, response, headers, body);
    return body.then(
      (text) => rendered(renderer, response, headers, text),
      (error: unknown) => this.#renderFailed(request, headers, error),
    );
  }

  #renderFailed(request: Request, headers: Record<string, string | string[]>, error: unknown): Rendered {
    this.logger.error({ err: error, path: request.path }, 'render failed');
    return { status: 500, headers: { ...headers, 'content-type': 'application/json' }, body: '{"detail":"A server error occurred."}' };
  }

  /** The Set-Cookie values; asynchronous only when a modified session must be saved first. */
  #cookies(request: Request, status: number): MaybePromise<string[] | undefined> {
    const session = request.session;
    if (session !== null && status < 500 && session.modified && !session.flushed) {
      return this.accounts.saveSession(session).then(() => this.#cookieHeaders(request, status));
    }
    return this.#cookieHeaders(request, status);
  }

  #cookieHeaders(request: Request, status: number): string[] | undefined {
    const settings = this.settings;
    const session = request.session;
    let cookies: string[] | undefined;
    if (session !== null && status < 500) {
      if (session.key !== null && session.key !== session.receivedKey) {
        cookies = [cookie(settings.sessionCookieName, session.key, settings.sessionCookieAge, settings.sessionCookieSecure, settings.sessionCookieSameSite, true)];
      } else if (session.flushed && session.key === null && request.cookies[settings.sessionCookieName] !== undefined) {
        cookies = [cookie(settings.sessionCookieName, '', 0, settings.sessionCookieSecure, settings.sessionCookieSameSite, true)];
      }
    }
    if (request.csrfCookieUsed && request.csrfCookie !== undefined) {
      (cookies ??= []).push(cookie(settings.csrfCookieName, request.csrfCookie, settings.csrfCookieAge, settings.csrfCookieSecure, settings.csrfCookieSameSite, false));
    }
    return cookies;
  }
}

function withoutFormat(params: Record<string, string>): Record<string, string> {
  const { format: _format, ...kwargs } = params;
  return kwargs;
}

function rendered(renderer: Renderer, response: Response, headers: Record<string, string | string[]>, body: string): Rendered {
  if (body !== '') headers['content-type'] = renderer.contentType;
  return { status: renderer.mediaType === 'text/html' && response.status === 204 ? 200 : response.status, headers, body };
}

function cookie(name: string, value: string, maxAge: number, secure: boolean, sameSite: Settings['sessionCookieSameSite'], httpOnly: boolean): string {
  const options: SerializeOptions = {
    expires: maxAge === 0 ? new Date(0) : new Date(Date.now() + maxAge * 1000),
    maxAge,
    path: '/',
    httpOnly,
    secure,
  };
  if (sameSite) options.sameSite = sameSite.toLowerCase() as 'lax' | 'strict' | 'none';
  return serializeCookie(name, value, options);
}

/** DRF's URL patterns: a router lookup without `/` or `.`, a format of lowercase letters and digits. */
function validParams(kwargs: Record<string, string>, format: string | undefined, route: Route): boolean {
  if (format !== undefined && (!route.formatSuffix || !/^[a-z0-9]+$/.test(format))) return false;
  for (const key in kwargs) if (kwargs[key] === '') return false;
  if (route.lookup === undefined) return true;
  const value = kwargs[route.lookup] ?? '';
  return !value.includes('.') && !value.includes('/');
}

function applyTestOptions(request: Request, options: HandleOptions): void {
  if (!options.enforceCsrfChecks) request.dontEnforceCsrfChecks = true;
  if (options.forceUser != null || options.forceToken != null) {
    request.authenticators = [new ForcedAuthentication(options.forceUser ?? null, options.forceToken ?? null)];
  }
}

/**
 * Builds an app. With Redis configured it waits (up to two seconds) for the connection: requests then
 * find it ready. An unreachable Redis is logged, not fatal: throttles follow their failure policy and
 * the client keeps reconnecting, so a process restarted during an outage still serves.
 */
export async function createApp(options: AppOptions): Promise<Gatehouse> {
  const app = new Gatehouse(options);
  if (app.redis !== null) {
    const error = await redisReady(app.redis);
    if (error !== null) app.logger.warn({ err: error, redis: redactUrl(app.settings.redisUrl!) }, 'Redis is not reachable yet; retrying in the background');
  }
  return app;
}

async function currentSchema(db: Database): Promise<string> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db.kysely);
  return rows[0]!.schema;
}
