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
export function authorizationParts(request: Request): readonly string[] {
  const header = request.header('authorization');
  if (!header) return NO_PARTS;
  // What clients send, `Scheme credentials` with one space, is split without regular expressions.
  const space = header.indexOf(' ');
  if (space > 0 && space < header.length - 1 && !ASCII_WHITESPACE.test(header) && header.indexOf(' ', space + 1) === -1) {
    return [header.slice(0, space), header.slice(space + 1)];
  }
  const trimmed = header.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
  return trimmed === '' ? NO_PARTS : trimmed.split(/[ \t\n\r\v\f]+/);
}

/** Whitespace other than a plain space, which only the general split handles. */
const ASCII_WHITESPACE = /[\t\n\r\v\f]/;
const NO_PARTS: readonly string[] = [];
