/**
 * The browsable API's login and logout (DRF's `rest_framework.urls`: Django's LoginView and
 * LogoutView), mounted at `/api-auth/`. These are HTML form views, so Django's CSRF middleware rules
 * apply to every POST, logged in or not; a CSRF failure is Django's 403 page, with the reason.
 */
import { APIView } from '../views/api-view.ts';
import { RawResponse } from '../response.ts';
import { APIException, MethodNotAllowed } from '../exceptions.ts';
import type { Request } from '../request.ts';
import { csrfFailure } from '../authentication/session.ts';
import { getToken } from '../csrf-token.ts';
import { renderTemplate } from '../browsable/templates.ts';
import { iriToUri } from '../util/iri.ts';
import { path, type Route } from '../routers.ts';
import { LoginRateThrottle } from '../throttling/throttles.ts';
import type { ThrottlePolicy } from '../throttling/policy.ts';

// Pages carry a CSRF token: no shared cache may keep them.
const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };

const LOGIN_ERROR = 'Please enter a correct username and password. Note that both fields may be case-sensitive.';

/**
 * Only a local path can be a redirect target: `//evil.com`, `/\\evil.com` or `https://evil.com` would
 * be open redirects. The target is percent-encoded like Django's `iri_to_uri`, so no byte a header
 * cannot carry (CR, LF, NUL, non-ASCII) reaches the Location header.
 */
function safeNext(value: unknown, fallback: string): string {
  const next = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\r\n\t]/.test(next)) {
    return fallback;
  }
  const uri = iriToUri(next);
  return uri.startsWith('//') || uri.startsWith('/\\') ? fallback : uri;
}


/** The submitted fields; a body that is not an object of fields (JSON `null`, a list) has none. */
function formFields(request: Request): Record<string, unknown> {
  const data = request.data;
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

abstract class FormView extends APIView {
  static override authenticationClasses = [];
  static override permissionClasses = [];
  static override throttleClasses: readonly ThrottlePolicy[] = [];

  /** Form views answer HTML whatever the Accept header says, so no negotiation and no API pipeline. */
  override async dispatch(request: Request): Promise<RawResponse> {
    this.request = request;
    request.parsers = this.policies.parsers;
    const handler = this.handlerFor(request.method);
    try {
      if (handler === undefined || request.method === 'OPTIONS') throw new MethodNotAllowed(request.method);
      // The test client opts out of CSRF checks, as Django's test client does for these views too.
      if (request.method === 'POST' && !request.dontEnforceCsrfChecks) {
        const reason = csrfFailure(request);
        if (reason !== null) {
          request.record({ step: 'csrf', outcome: 'failed', reason });
          return new RawResponse(403, HTML, renderTemplate('csrf-failure', { reason }));
        }
      }
      if (request.method === 'POST') await this.checkThrottles(request);
      return (await handler.call(this, request)) as RawResponse;
    } catch (error) {
      if (!(error instanceof APIException)) throw error;
      return new RawResponse(error.status, { ...error.headers, 'content-type': 'application/json' }, JSON.stringify(error.body()));
    }
  }
}

export class LoginView extends FormView {
  static override throttleClasses = [LoginRateThrottle];
  static override throttleFailurePolicy = 'closed' as const;

  get(request: Request): RawResponse {
    return this.page(request, safeNext(request.queryParams.get('next'), ''), '', '');
  }

  async post(request: Request): Promise<RawResponse> {
    const form = formFields(request);
    // Django's UsernameField strips surrounding whitespace; the password is taken as typed.
    const username = typeof form.username === 'string' ? form.username.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const next = safeNext(form.next, request.app.settings.loginRedirectUrl);
    const user = username && password ? await request.app.accounts.authenticate(username, password) : null;
    if (user === null) return this.page(request, next, username, LOGIN_ERROR);
    await request.app.accounts.login(request, user);
    return RawResponse.redirect(next);
  }

  private page(request: Request, next: string, username: string, error: string): RawResponse {
    return new RawResponse(200, HTML, renderTemplate('login', { action: request.path, csrfToken: getToken(request), next, username, error }));
  }
}

/** POST only: a GET logout link would let any site log users out (Django 5 made the same change). */
export class LogoutView extends FormView {
  async post(request: Request): Promise<RawResponse> {
    const form = formFields(request);
    await request.app.accounts.logout(request);
    return RawResponse.redirect(safeNext(form.next ?? request.queryParams.get('next'), request.app.settings.logoutRedirectUrl));
  }
}

/** Mount with `include('/api-auth/', authUrls)`. The names let the browsable API find them for its links. */
export const authUrls: Route[] = [path('/login/', LoginView, { name: 'login' }), path('/logout/', LogoutView, { name: 'logout' })];
