/**
 * The authentication contract, DRF's `BaseAuthentication`: `authenticate` returns null when the request
 * carries none of this scheme's credentials (the next scheme is tried), a `[user, auth]` pair on
 * success, or throws AuthenticationFailed when credentials are present but wrong (which stops the
 * chain). `authenticateHeader` gives the WWW-Authenticate challenge; the FIRST authenticator's decides
 * whether an unauthenticated request gets 401 (it has one) or 403 (it has none).
 */
import type { Request } from '../request.ts';
import type { User } from '../auth/user.ts';

export type AuthResult = readonly [user: User, auth: unknown];

export abstract class BaseAuthentication {
  abstract authenticate(request: Request): AuthResult | null | Promise<AuthResult | null>;

  authenticateHeader(_request: Request): string | null {
    return null;
  }

  /** The name shown in decision traces and OpenAPI. */
  get name(): string {
    return this.constructor.name;
  }
}

/** A policy entry: an authentication class (constructed once at start-up) or a configured instance. */
export type AuthenticationPolicy = BaseAuthentication | (new () => BaseAuthentication);

/**
 * Splits an Authorization header on runs of ASCII whitespace, as Python's `bytes.split()`: other
 * characters JavaScript calls whitespace (a latin-1 no-break space) stay part of the parts.
 */
export function authorizationParts(request: Request): string[] {
  const header = request.header('authorization');
  if (!header) return [];
  const trimmed = header.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
  return trimmed === '' ? [] : trimmed.split(/[ \t\n\r\v\f]+/);
}
