/**
 * `getToken(request)`, Django's `get_token`: the CSRF token a page embeds in its forms. Calling it
 * marks the response to (re)send the `csrftoken` cookie, which is why HTML pages set the cookie and
 * JSON responses never do. Each call returns a freshly masked token of the same secret (BREACH).
 */
import type { Request } from './request.ts';
import { freshTokenFor, newMaskedToken, sanitizeCookieToken } from './authentication/csrf.ts';

export function getToken(request: Request): string {
  if (request.csrfCookie === undefined) {
    const received = request.cookies[request.app.settings.csrfCookieName];
    request.csrfCookie = received === undefined ? newMaskedToken() : sanitizeCookieToken(received).token;
  }
  request.csrfCookieUsed = true;
  return freshTokenFor(request.csrfCookie);
}
