/**
 * APIView: DRF's class-based view. A request goes through `dispatch`, in DRF's exact order:
 *
 *   negotiate the renderer (406)  ->  authenticate  ->  check permissions (401/403)
 *   ->  check throttles (429)  ->  the handler for the method, or 405
 *
 * and any exception becomes an error response in `handleException`, where an unauthenticated failure
 * is a 401 with the first authenticator's WWW-Authenticate challenge, or a 403 when it has none.
 *
 * Policies are class properties, as in DRF (`static permissionClasses = [IsAuthenticated]`). They are
 * resolved once at start-up by `compileView` (views/compile.ts), which also rejects configuration mistakes with a message
 * naming the view and the fix.
 */
import type { Request } from '../request.ts';
import { Response, RawResponse } from '../response.ts';
import {
  APIException,
  AuthenticationFailed,
  ImproperlyConfigured,
  MethodNotAllowed,
  NotAuthenticated,
  PermissionDenied,
  ServiceUnavailable,
} from '../exceptions.ts';
import type { AuthenticationPolicy, BaseAuthentication } from '../authentication/base.ts';
import type { BasePermission, PermissionPolicy } from '../permissions.ts';
import type { Parser } from '../parsers.ts';
import type { Renderer } from '../renderers.ts';
import { ContentNegotiator, type Negotiated } from '../negotiation.ts';
import { ANONYMOUS } from '../auth/user.ts';
import type { QuerySet } from '../models/index.ts';
import { checkThrottles, type BaseThrottle, type ThrottlePolicy } from '../throttling/policy.ts';
import type { ThrottleDecision } from '../throttling/throttles.ts';
import type { Metadata } from '../metadata.ts';
import type { MaybePromise } from '../util/types.ts';

export const HTTP_METHOD_NAMES = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'] as const;
export type HttpMethodName = (typeof HTTP_METHOD_NAMES)[number];

export type Handler = (request: Request) => unknown;

const ADMITTED: ThrottleDecision = Object.freeze({ allowed: true, wait: null });

/** The policies of one view, resolved at start-up: the per-request path only reads them. */
export interface CompiledPolicies {
  readonly authenticators: readonly BaseAuthentication[];
  /**
   * Builds the view's permissions for one request. Permission classes get a fresh instance per
   * request, as in DRF, because a permission may set `this.message` while deciding; a configured
   * instance (e.g. a composition) is shared.
   */
  readonly permissions: readonly (() => BasePermission)[];
  readonly throttles: readonly BaseThrottle[];
  /** What the throttles do when their store fails: the view's `throttleFailurePolicy`, else the setting. */
  readonly throttleFailurePolicy: 'open' | 'closed';
  readonly parsers: readonly Parser[];
  readonly renderers: readonly Renderer[];
  readonly negotiator: ContentNegotiator;
  readonly metadata: Metadata | null;
}

/** The static side of APIView: what `compileView` reads. */
export interface ViewClass<V extends APIView = APIView> {
  new (): V;
  readonly name: string;
  authenticationClasses?: readonly AuthenticationPolicy[];
  permissionClasses?: readonly PermissionPolicy[];
  throttleClasses?: readonly ThrottlePolicy[];
  throttleScope?: string;
  throttleFailurePolicy?: 'open' | 'closed';
  parserClasses?: readonly Parser[];
  rendererClasses?: readonly Renderer[];
  metadataClass?: Metadata | null;
  /** Method names this view answers, lowercased (function views set it). */
  httpMethodNames?: readonly HttpMethodName[];
  /** Called by compileView for checks that depend on the concrete class (e.g. a viewset's serializer). */
  check?(context: CheckContext): void;
}

export interface CheckContext {
  readonly view: ViewClass;
  readonly policies: CompiledPolicies;
  readonly actions: Readonly<Record<string, string>> | undefined;
}

/** Everything one route needs per request, built once. */
export interface CompiledView {
  readonly viewClass: ViewClass;
  readonly policies: CompiledPolicies;
  /** For viewsets: HTTP method (lowercase) to action name. */
  readonly actions: Readonly<Record<string, string>> | undefined;
  /** Extra properties set on each instance (a router's `suffix`, `basename`, `detail`...). */
  readonly initkwargs: Readonly<Record<string, unknown>>;
  readonly allowedMethods: readonly string[];
  /** DRF's `view.action` by HTTP method (uppercase): the viewset's mapping, `metadata` for OPTIONS. */
  readonly actionByMethod: ReadonlyMap<string, string>;
  /** The name of the method that handles each allowed HTTP method (uppercase): an action, or `get` for HEAD. */
  readonly handlerByMethod: ReadonlyMap<string, string>;
  readonly allowHeader: string;
  readonly vary: string | undefined;
}

export class APIView {
  static authenticationClasses?: readonly AuthenticationPolicy[];
  static permissionClasses?: readonly PermissionPolicy[];
  static throttleClasses?: readonly ThrottlePolicy[];
  static throttleScope?: string;
  /** Overrides the `throttleFailurePolicy` setting for this view (the credential views use 'closed'). */
  static throttleFailurePolicy?: 'open' | 'closed';
  static parserClasses?: readonly Parser[];
  static rendererClasses?: readonly Renderer[];
  static metadataClass?: Metadata | null;

  /** Set per request by the pipeline. */
  request!: Request;
  kwargs: Record<string, string> = {};
  /** The URL format suffix (`/life/1.json`), if any. */
  format: string | undefined;
  compiled!: CompiledView;
  /** The negotiated renderer; JSON when negotiation itself failed. */
  negotiated: Negotiated | undefined;
  /** Viewsets: the action being run (`list`, `retrieve`...), `metadata` for OPTIONS; undefined otherwise. */
  action: string | undefined;
  /** The router's API root sets this: ModelPermissions then lets it through (DRF 3.14). */
  ignoreModelPermissions = false;
  #permissions: readonly BasePermission[] | undefined;

  get policies(): CompiledPolicies {
    return this.compiled.policies;
  }

  get allowedMethods(): readonly string[] {
    return this.compiled.allowedMethods;
  }

  /** The view's name for the browsable API and OPTIONS: the class name without View/ViewSet, spaced. */
  /** DRF's `get_view_name`: `APIRootView` is "Api Root", `LifeViewSet` with its suffix "Life Instance". */
  getViewName(): string {
    const suffix = (this as { suffix?: string }).suffix;
    const words = this.constructor.name
      .replace(/View$/, '')
      .replace(/ViewSet$/, '')
      .replace(/((?<=[a-z])[A-Z]|[A-Z](?![A-Z]|$))/g, ' $1')
      .trim()
      .split(/[_ ]+/)
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
      .join(' ');
    return suffix ? `${words} ${suffix}` : words;
  }

  getViewDescription(): string {
    return (this.constructor as { description?: string }).description ?? '';
  }

  // Overridable like DRF's get_authenticators() / get_permissions() / get_throttles(), e.g. per action.
  getAuthenticators(): readonly BaseAuthentication[] {
    return this.policies.authenticators;
  }

  getPermissions(): readonly BasePermission[] {
    return (this.#permissions ??= this.policies.permissions.map((make) => make()));
  }

  getThrottles(): readonly BaseThrottle[] {
    return this.policies.throttles;
  }

  get throttleScope(): string | undefined {
    return (this.constructor as ViewClass).throttleScope;
  }

  /** Views with a queryset override this (GenericAPIView); ModelPermissions needs it. */
  getQueryset(): QuerySet {
    throw new ImproperlyConfigured(
      `${this.constructor.name} has no queryset. Set "static queryset" or override getQueryset().`,
    );
  }

  /** The handler for an HTTP method, or undefined when the view does not answer it. */
  handlerFor(method: string): Handler | undefined {
    const name = this.compiled.handlerByMethod.get(method);
    return name === undefined ? undefined : (this as unknown as Record<string, Handler | undefined>)[name];
  }

  /**
   * Synchronous until a step answers with a promise (a lookup on PostgreSQL, an async handler): on
   * SQLite a whole request costs no promise and no turn of the event loop.
   */
  dispatch(request: Request): MaybePromise<Response | RawResponse> {
    this.request = request;
    let result;
    try {
      this.negotiated = this.policies.negotiator.select(request.header('accept'), this.format ?? formatParam(request));
      request.parsers = this.policies.parsers;
      const authenticating = this.performAuthentication(request);
      result = authenticating ? authenticating.then(() => this.#checkedHandler(request)) : this.#checkedHandler(request);
    } catch (error) {
      return this.handleException(error);
    }
    if (result instanceof Promise) return result.then((value) => this.#answer(value), (error: unknown) => this.handleException(error));
    return this.#answer(result);
  }

  /** What the handler returned, or the permissions' Denial, as a response. */
  #answer(result: unknown): Response | RawResponse {
    return result instanceof Denial ? this.handleException(result.exception) : asResponse(result);
  }

  /**
   * DRF's `initial()` after authentication (permissions, then throttles), then the method's handler.
   * A view that keeps DRF's `checkPermissions` gets its denial back as a Denial, not a throw: every
   * throw costs V8 a walk of the stack to locate it, the largest part of an anonymous 403's work.
   */
  #checkedHandler(request: Request): unknown {
    const permitting =
      this.checkPermissions === APIView.prototype.checkPermissions
        ? this.#checkFrom(request, this.getPermissions(), 0, NO_OBJECT, false)
        : this.checkPermissions(request);
    if (permitting instanceof Promise) return permitting.then(() => this.#throttledHandler(request));
    if (permitting instanceof Denial) return permitting;
    return this.#throttledHandler(request);
  }

  #throttledHandler(request: Request): unknown {
    const throttling = this.checkThrottles(request);
    if (throttling) return throttling.then(() => this.#handler(request));
    return this.#handler(request);
  }

  #handler(request: Request): unknown {
    const handler = this.handlerFor(request.method);
    if (handler === undefined) throw new MethodNotAllowed(request.method);
    return handler.call(this, request);
  }

  /**
   * Tries each authenticator in order: the first result wins; an exception stops the chain and leaves
   * the request anonymous; no result at all leaves it anonymous. Synchronous until an authenticator
   * answers with a promise: a request without credentials costs no microtask.
   */
  performAuthentication(request: Request): MaybePromise<void> {
    if (request.authenticators.length === 0) request.authenticators = this.getAuthenticators();
    return this.#authenticateFrom(request, 0);
  }

  /** Tries the authenticators from `index` on, synchronously until one answers with a promise. */
  #authenticateFrom(request: Request, index: number): MaybePromise<void> {
    const authenticators = request.authenticators;
    for (let i = index; i < authenticators.length; i++) {
      const authenticator = authenticators[i]!;
      let result;
      try {
        result = authenticator.authenticate(request);
      } catch (error) {
        authenticationFailed(request, authenticator, error);
      }
      if (result instanceof Promise) {
        return result.then(
          (value) => (authenticated(request, authenticator, value) ? undefined : this.#authenticateFrom(request, i + 1)),
          (error: unknown) => authenticationFailed(request, authenticator, error),
        );
      }
      if (authenticated(request, authenticator, result)) return;
    }
  }

  /** Every permission's `hasPermission`; the first denial ends the request. Synchronous unless a permission is not. */
  checkPermissions(request: Request): MaybePromise<void> {
    return this.#checkFrom(request, this.getPermissions(), 0, NO_OBJECT, true) as MaybePromise<void>;
  }

  /** Every permission's `hasObjectPermission`, run by `getObject()` once the object is found. */
  checkObjectPermissions(request: Request, obj: unknown): MaybePromise<void> {
    return this.#checkFrom(request, this.getPermissions(), 0, obj, true) as MaybePromise<void>;
  }

  /**
   * Checks `permissions` from `index` on, synchronously until one answers with a promise. A denial is
   * thrown (and rejects a promise), except on the synchronous path with `raise` false, where it is
   * returned as a Denial.
   */
  #checkFrom(request: Request, permissions: readonly BasePermission[], index: number, obj: unknown, raise: boolean): MaybePromise<void | Denial> {
    for (let i = index; i < permissions.length; i++) {
      const permission = permissions[i]!;
      const allowed = obj === NO_OBJECT ? permission.hasPermission(request, this) : permission.hasObjectPermission(request, this, obj);
      if (allowed instanceof Promise) {
        return allowed.then((value) => {
          this.#permissionChecked(request, permission, value, obj, true);
          return this.#checkFrom(request, permissions, i + 1, obj, true) as MaybePromise<void>;
        });
      }
      const denial = this.#permissionChecked(request, permission, allowed, obj, raise);
      if (denial !== undefined) return denial;
    }
  }

  #permissionChecked(request: Request, permission: BasePermission, allowed: boolean, obj: unknown, raise: boolean): Denial | undefined {
    const outcome = allowed ? 'granted' : 'denied';
    request.record(obj === NO_OBJECT ? { step: 'permission', by: permission.name, outcome } : { step: 'permission', by: permission.name, outcome, object: true });
    if (allowed) return undefined;
    // An override of permissionDenied decides (and raises) itself.
    if (raise || this.permissionDenied !== APIView.prototype.permissionDenied) this.permissionDenied(request, permission.message, permission.code);
    return new Denial(denialOf(request, permission.message, permission.code));
  }

  /**
   * DRF's rule: a request that carries authenticators but authenticated with none gets
   * NotAuthenticated (its custom message dropped); otherwise PermissionDenied with the message.
   */
  permissionDenied(request: Request, message?: string, code?: string): never {
    throw denialOf(request, message, code);
  }

  checkThrottles(request: Request): MaybePromise<void> {
    const throttles = this.getThrottles();
    if (throttles.length === 0) return;
    return checkThrottles(throttles, request, this);
  }

  /** A throttle's store failed: the view's failure policy admits the request (and logs) or answers 503. */
  throttleStoreFailed(throttle: BaseThrottle, error: unknown): ThrottleDecision {
    const policy = this.policies.throttleFailurePolicy;
    this.request.app.logOutage({ err: error, throttle: throttle.name, view: this.constructor.name, policy }, `throttle store unavailable; failing ${policy}`);
    if (policy === 'closed') throw new ServiceUnavailable('The rate limiter is unavailable; try again shortly.');
    return ADMITTED;
  }

  /** DRF's `get_authenticate_header`: only the first of the view's authentication classes decides. */
  getAuthenticateHeader(request: Request): string | null {
    return this.getAuthenticators()[0]?.authenticateHeader(request) ?? null;
  }

  handleException(error: unknown): Response {
    if (!(error instanceof APIException)) throw error;
    let status = error.status;
    const headers: Record<string, string> = { ...error.headers };
    if (error instanceof NotAuthenticated || error instanceof AuthenticationFailed) {
      const challenge = this.getAuthenticateHeader(this.request);
      if (challenge) headers['www-authenticate'] = challenge;
      else status = 403;
    }
    const response = new Response(error.body(), status, headers);
    response.exception = true;
    return response;
  }

  /** OPTIONS: the view's metadata (DRF's SimpleMetadata), or 405 when the view has none. */
  async options(request: Request): Promise<Response> {
    const metadata = this.policies.metadata;
    if (metadata === null) throw new MethodNotAllowed(request.method);
    return new Response(await metadata.determineMetadata(request, this));
  }
}

/** DRF's `view.action`: `metadata` for OPTIONS, the mapped action, or undefined for an unmapped method (or a plain view). */
export function actionFor(view: CompiledView, method: string): string | undefined {
  return view.actionByMethod.get(method);
}

/** DRF's `permission_denied` rule (see `APIView.permissionDenied`), as the exception to raise. */
function denialOf(request: Request, message?: string, code?: string): APIException {
  if (request.authenticators.length > 0 && request.successfulAuthenticator === null) return new NotAuthenticated();
  return new PermissionDenied(message, code);
}

/** A permission's denial handed back to `dispatch` instead of thrown (see `#checkedHandler`). */
class Denial {
  constructor(readonly exception: APIException) {}
}

/** A RawResponse (a page, a file, a redirect) goes out as it is; anything else is data to render. */
function asResponse(result: unknown): Response | RawResponse {
  return result instanceof Response || result instanceof RawResponse ? result : new Response(result);
}

function formatParam(request: Request): string | undefined {
  // Parsing the query string costs; most requests have none or no `format`.
  if (!request.url.includes('format=')) return undefined;
  return request.queryParams.get('format') ?? undefined;
}

/** Stands for "no object" in the permission checks: `null` or `undefined` may be an object's value. */
const NO_OBJECT: unique symbol = Symbol('no object');

type AuthResult = Awaited<ReturnType<BaseAuthentication['authenticate']>>;

/** An authenticator raised: the request stays anonymous, a credentials failure is traced, and the error ends it. */
function authenticationFailed(request: Request, authenticator: BaseAuthentication, error: unknown): never {
  request.user = ANONYMOUS;
  request.auth = null;
  // CSRF records its own decision; a body error is not a verdict on the credentials.
  if (error instanceof AuthenticationFailed) {
    request.record({ step: 'authentication', by: authenticator.name, outcome: 'failed', detail: String(error.detail) });
  }
  throw error;
}

/** Records an authenticator's answer; true when it authenticated the request (the chain stops). */
function authenticated(request: Request, authenticator: BaseAuthentication, result: AuthResult): boolean {
  if (result) {
    request.successfulAuthenticator = authenticator;
    request.user = result[0];
    request.auth = result[1];
    request.record({ step: 'authentication', by: authenticator.name, outcome: 'authenticated', detail: `as "${result[0].username}"` });
    return true;
  }
  request.record({ step: 'authentication', by: authenticator.name, outcome: 'no-credentials' });
  return false;
}
