/**
 * SessionAuthentication: the user logged in through the login form, identified by the `sessionid`
 * cookie. Because browsers send cookies on cross-site requests too, an unsafe request authenticated
 * this way must prove it came from our own pages: Django's CSRF check (the `csrftoken` cookie echoed
 * in `X-CSRFToken` or the `csrfmiddlewaretoken` form field, and a same-origin `Origin`). The check
 * runs only when the session authenticated the user, and its failure is a 403 `CSRF Failed: <reason>`
 * raised during authentication, before any permission.
 */
import { PermissionDenied } from '../exceptions.ts';
import type { Request } from '../request.ts';
import type { User } from '../auth/user.ts';
import { BaseAuthentication, type AuthResult } from './base.ts';
import { checkCsrf } from './csrf.ts';

export class SessionAuthentication extends BaseAuthentication {
  /** Synchronous when the request has no session cookie: there is nothing to look up. */
  override authenticate(request: Request): AuthResult | null | Promise<AuthResult | null> {
    const loaded = request.app.accounts.loadSession(request);
    if (loaded instanceof Promise) return loaded.then(({ user }) => this.#authenticated(request, user));
    return this.#authenticated(request, loaded.user);
  }

  #authenticated(request: Request, user: User | null): AuthResult | null {
    if (user === null || !user.isActive) return null;
    this.enforceCsrf(request);
    return [user, null];
  }

  enforceCsrf(request: Request): void {
    if (request.dontEnforceCsrfChecks) return;
    const reason = csrfFailure(request);
    request.record({ step: 'csrf', outcome: reason === null ? 'passed' : 'failed', ...(reason === null ? {} : { reason }) });
    if (reason !== null) throw new PermissionDenied(`CSRF Failed: ${reason}`);
  }
}

/**
 * Django's CsrfViewMiddleware verdict for this request: null to accept, else the reason. Once the
 * Origin and cookie checks pass, reading a POST's form field parses the body, so a malformed POST
 * fails here with 400/415, as in DRF.
 */
export function csrfFailure(request: Request): string | null {
  const settings = request.app.settings;
  return checkCsrf({
    method: request.method,
    isSecure: request.isSecure,
    host: request.validatedHost(),
    origin: request.header('origin'),
    referer: request.header('referer'),
    cookieToken: request.cookies[settings.csrfCookieName],
    formToken: () => formToken(request),
    headerToken: request.header(settings.csrfHeaderName.toLowerCase()),
    trustedOrigins: settings.csrfTrustedOrigins,
    checkOrigin: settings.csrfCheckOrigin,
  });
}

/** Django's `request.POST.get('csrfmiddlewaretoken')`: parses any POST body, a field only from forms. */
function formToken(request: Request): string | undefined {
  const data = request.data;
  if (!request.isFormData) return undefined;
  const value = (data as Record<string, unknown>).csrfmiddlewaretoken;
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === 'string' ? last : undefined;
}
