/**
 * Django's CSRF protection as pure functions: token masking, cookie sanitizing and the
 * `CsrfViewMiddleware.process_view` verdict, with Django's reason strings. Tokens and cookie
 * handling follow Django 3.2, the reference (the cookie holds a 64-character masked token, every
 * token problem is "CSRF token missing or incorrect."); the Origin check, and the Referer check
 * against scheme-qualified trusted origins, follow Django 4.0+.
 */
import { constantTimeEqual, randomString } from '../util/random.ts';

export const CSRF_SECRET_LENGTH = 32;
export const CSRF_TOKEN_LENGTH = 64;
export const CSRF_ALLOWED_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

// Django's templates: `%s` is the URL or origin at fault.
export const REASON_NO_REFERER = 'Referer checking failed - no Referer.';
export const REASON_BAD_REFERER = 'Referer checking failed - %s does not match any trusted origins.';
export const REASON_NO_CSRF_COOKIE = 'CSRF cookie not set.';
export const REASON_BAD_TOKEN = 'CSRF token missing or incorrect.';
export const REASON_MALFORMED_REFERER = 'Referer checking failed - Referer is malformed.';
export const REASON_INSECURE_REFERER = 'Referer checking failed - Referer is insecure while host is secure.';
export const REASON_BAD_ORIGIN = 'Origin checking failed - %s does not match any trusted origins.';

// RFC 7231's safe methods: Django never checks them.
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const TOKEN_CHARS = /^[a-zA-Z0-9]*$/;

/** Returns a new random 32-character secret (unbiased, from node:crypto). */
export function newCsrfSecret(): string {
  return randomString(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS);
}

/**
 * Masks a 32-character secret with a fresh random mask; returns mask + cipher (64 characters), so
 * no two tokens served for one secret look alike (BREACH). Throws RangeError for a malformed secret.
 */
export function maskCipherSecret(secret: string): string {
  const mask = newCsrfSecret();
  const secretIndexes = charIndexes(secret, CSRF_SECRET_LENGTH);
  const maskIndexes = charIndexes(mask, CSRF_SECRET_LENGTH);
  const cipher = secretIndexes.map((value, i) => charAt(value + (maskIndexes[i] ?? 0))).join('');
  return mask + cipher;
}

/** Returns the secret a 64-character masked token carries. Throws RangeError for a malformed token. */
export function unmaskCipherToken(token: string): string {
  const indexes = charIndexes(token, CSRF_TOKEN_LENGTH);
  const mask = indexes.slice(0, CSRF_SECRET_LENGTH);
  return indexes
    .slice(CSRF_SECRET_LENGTH)
    .map((value, i) => charAt(value - (mask[i] ?? 0)))
    .join('');
}

/** Returns a masked token of a new secret: the value for a new (or rotated) CSRF cookie. */
export function newMaskedToken(): string {
  return maskCipherSecret(newCsrfSecret());
}

/**
 * Django 3.2's `_sanitize_token` for an incoming cookie: returns the masked token to use, and
 * whether it differs from the cookie (which must then be re-sent). A 64-character alphanumeric
 * value is kept; a 32-character one is a bare secret from older Django and is masked; anything
 * else, absence included, gets a new token.
 */
export function sanitizeCookieToken(value: string | undefined): { token: string; replaced: boolean } {
  if (value !== undefined && TOKEN_CHARS.test(value)) {
    if (value.length === CSRF_TOKEN_LENGTH) return { token: value, replaced: false };
    if (value.length === CSRF_SECRET_LENGTH) return { token: maskCipherSecret(value), replaced: true };
  }
  return { token: newMaskedToken(), replaced: true };
}

/**
 * Django's `get_token` for a sanitized cookie token: returns a freshly masked token of the same
 * secret, for a form field or a page. Throws RangeError if the cookie token is not 32 or 64
 * alphanumeric characters (sanitize it first).
 */
export function freshTokenFor(cookieToken: string): string {
  const secret = secretOf(cookieToken);
  if (secret === null) throw new RangeError('freshTokenFor() needs a sanitized CSRF cookie token');
  return maskCipherSecret(secret);
}

/**
 * Decides whether a request's token carries the cookie's secret. Either may be a 64-character
 * masked token or a 32-character bare secret; any other value never matches. The secrets are
 * compared in constant time.
 */
export function tokensMatch(requestToken: string, cookieToken: string): boolean {
  const requestSecret = secretOf(requestToken);
  const cookieSecret = secretOf(cookieToken);
  if (requestSecret === null || cookieSecret === null) return false;
  return constantTimeEqual(requestSecret, cookieSecret);
}

/** What `checkCsrf` looks at: the request's method, security, headers, cookie and token. */
export interface CsrfCheckInput {
  method: string;
  /** Whether the request came over HTTPS (directly or through a trusted proxy). */
  isSecure: boolean;
  /** Django's `request.get_host()`: the validated Host, with a non-default port; null if disallowed. */
  host: string | null;
  origin?: string | undefined;
  referer?: string | undefined;
  /** The csrftoken cookie as received; absent when the request has none. */
  cookieToken?: string | undefined;
  /**
   * `csrfmiddlewaretoken` from a POST form body (its last value, as Django's `QueryDict.get`). A
   * function is called only at Django's step, after the Origin and cookie checks, so the body is not
   * parsed (or its parse error raised) for a request those checks already reject.
   */
  formToken?: string | (() => string | undefined) | undefined;
  /** The X-CSRFToken header. */
  headerToken?: string | undefined;
  /** CSRF_TRUSTED_ORIGINS in Django 4 form: `https://example.com`, `https://*.example.com`. */
  trustedOrigins: readonly string[];
  /** Check the Origin header as Django 4.0+ does (Django 3.2 has no Origin check). */
  checkOrigin: boolean;
}

/**
 * Django's CSRF verdict for one request: returns null to accept, or the reason to reject.
 * Safe methods pass. Then, with `checkOrigin`, a present Origin must be the request's own origin
 * or a trusted one; otherwise an HTTPS request needs a matching https Referer. Last, a cookie must
 * be present and the token (the form field on POST, else the header) must carry its secret.
 */
export function checkCsrf(input: CsrfCheckInput): string | null {
  const method = input.method.toUpperCase();
  if (SAFE_METHODS.has(method)) return null;

  if (input.checkOrigin && input.origin !== undefined) {
    if (!originVerified(input.origin, input)) return format(REASON_BAD_ORIGIN, input.origin);
  } else if (input.isSecure) {
    const reason = refererRejection(input.referer, input);
    if (reason !== null) return reason;
  }

  if (input.cookieToken === undefined) return REASON_NO_CSRF_COOKIE;
  const given = method === 'POST' ? input.formToken : undefined;
  const formToken = (typeof given === 'function' ? given() : given) ?? '';
  const requestToken = formToken !== '' ? formToken : (input.headerToken ?? '');
  return tokensMatch(requestToken, input.cookieToken) ? null : REASON_BAD_TOKEN;
}

// Django's `_origin_verified`: the exact own origin, an exact trusted origin, or a subdomain of a
// wildcard trusted origin with the same scheme. `Origin: null` fails all three (unless trusted verbatim).
function originVerified(origin: string, input: CsrfCheckInput): boolean {
  if (input.host !== null && origin === `${input.isSecure ? 'https' : 'http'}://${input.host}`) return true;
  if (input.trustedOrigins.some((trusted) => !trusted.includes('*') && trusted === origin)) return true;
  const parsed = urlsplit(origin);
  if (parsed === null) return false;
  return input.trustedOrigins.some((trusted) => {
    if (!trusted.includes('*')) return false;
    const allowed = urlsplit(trusted);
    if (allowed === null || allowed.scheme !== parsed.scheme) return false;
    return isSameDomain(parsed.netloc, stripStars(allowed.netloc));
  });
}

// Django 4.0+'s `_check_referer`, without CSRF_COOKIE_DOMAIN: trusted origins match by host alone
// (any scheme), then the request's own host.
function refererRejection(referer: string | undefined, input: CsrfCheckInput): string | null {
  if (referer === undefined) return REASON_NO_REFERER;
  const parsed = urlsplit(referer);
  if (parsed === null || parsed.scheme === '' || parsed.netloc === '') return REASON_MALFORMED_REFERER;
  if (parsed.scheme !== 'https') return REASON_INSECURE_REFERER;
  const trustedHosts = input.trustedOrigins.map((trusted) => stripStars(urlsplit(trusted)?.netloc ?? ''));
  if (trustedHosts.some((host) => isSameDomain(parsed.netloc, host))) return null;
  if (input.host !== null && isSameDomain(parsed.netloc, input.host)) return null;
  return format(REASON_BAD_REFERER, geturl(parsed));
}

// Django's `is_same_domain`: only the pattern is lowercased; a leading dot matches the domain and
// its subdomains.
function isSameDomain(host: string, pattern: string): boolean {
  if (pattern === '') return false;
  const lowered = pattern.toLowerCase();
  if (lowered.startsWith('.') && (host.endsWith(lowered) || host === lowered.slice(1))) return true;
  return lowered === host;
}

function stripStars(netloc: string): string {
  return netloc.replace(/^\*+/, '');
}

function format(template: string, value: string): string {
  // A function replacement keeps `$&` and friends in the value literal.
  return template.replace('%s', () => value);
}

function secretOf(token: string): string | null {
  if (!TOKEN_CHARS.test(token)) return null;
  if (token.length === CSRF_TOKEN_LENGTH) return unmaskCipherToken(token);
  return token.length === CSRF_SECRET_LENGTH ? token : null;
}

function charIndexes(value: string, length: number): number[] {
  if (value.length !== length || !TOKEN_CHARS.test(value)) {
    throw new RangeError(`expected ${length} characters from CSRF_ALLOWED_CHARS`);
  }
  return Array.from(value, (char) => CSRF_ALLOWED_CHARS.indexOf(char));
}

// Python indexes a string modulo its length when the index is negative; so does this.
function charAt(index: number): string {
  const size = CSRF_ALLOWED_CHARS.length;
  return CSRF_ALLOWED_CHARS.charAt(((index % size) + size) % size);
}

// ---------------------------------------------------------------------------------------------
// Python's `urllib.parse.urlsplit`, as far as Django's checks see it: which Origin and Referer
// values raise ValueError (null here), what scheme and netloc the rest have, and `geturl()` for
// the reason text. Matches CPython 3.11 with its 2023–2024 security fixes (Debian's 3.11.2).

interface SplitUrl {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+\-.]*$/;

function urlsplit(raw: string): SplitUrl | null {
  let rest = raw.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  const colon = rest.indexOf(':');
  if (colon > 0 && SCHEME.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const delimiter = rest.slice(2).search(/[/?#]/);
    const end = delimiter < 0 ? rest.length : delimiter + 2;
    netloc = rest.slice(2, end);
    rest = rest.slice(end);
    if (netloc.includes('[') !== netloc.includes(']')) return null;
    if (netloc.includes('[') && !bracketedNetlocValid(netloc)) return null;
  }
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) [rest, fragment] = [rest.slice(0, hash), rest.slice(hash + 1)];
  let query = '';
  const question = rest.indexOf('?');
  if (question >= 0) [rest, query] = [rest.slice(0, question), rest.slice(question + 1)];
  if (!netlocSurvivesNfkc(netloc)) return null;
  return { scheme, netloc, path: rest, query, fragment };
}

// `urlparse(url).geturl()` for a URL with a scheme that takes `;params` and a netloc: empty
// components lose their delimiter, and so do empty params on the last path segment.
function geturl({ scheme, netloc, path, query, fragment }: SplitUrl): string {
  const semicolon = path.indexOf(';', path.lastIndexOf('/'));
  const kept = semicolon >= 0 && semicolon === path.length - 1 ? path.slice(0, -1) : path;
  return `${scheme}://${netloc}${kept}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
}

// `_check_bracketed_netloc`: brackets must hold the whole host, an IPv6 address or an IPvFuture.
function bracketedNetlocValid(netloc: string): boolean {
  const hostAndPort = netloc.slice(netloc.lastIndexOf('@') + 1);
  const open = hostAndPort.indexOf('[');
  let hostname: string;
  if (open >= 0) {
    if (open > 0) return false;
    const bracketed = hostAndPort.slice(1);
    const close = bracketed.indexOf(']');
    hostname = close < 0 ? bracketed : bracketed.slice(0, close);
    const port = close < 0 ? '' : bracketed.slice(close + 1);
    if (port !== '' && !port.startsWith(':')) return false;
  } else {
    const portColon = hostAndPort.indexOf(':');
    hostname = portColon < 0 ? hostAndPort : hostAndPort.slice(0, portColon);
  }
  if (hostname.startsWith('v')) return /^v[a-fA-F0-9]+\.[^\n]+$/.test(hostname);
  return isPythonIPv6(hostname);
}

// `ipaddress.IPv6Address`, scope id included.
function isPythonIPv6(address: string): boolean {
  const percent = address.indexOf('%');
  const scope = percent < 0 ? null : address.slice(percent + 1);
  if (address.includes('/') || scope === '' || scope?.includes('%')) return false;
  const parts = (percent < 0 ? address : address.slice(0, percent)).split(':');
  if (parts.length < 3) return false;
  const last = parts[parts.length - 1] ?? '';
  if (last.includes('.')) {
    if (!isPythonIPv4(last)) return false;
    parts.splice(-1, 1, '0', '0');
  }
  if (parts.length > 9) return false;
  const skips = parts.flatMap((part, i) => (part === '' && i > 0 && i < parts.length - 1 ? [i] : []));
  let high = parts.length;
  let low = 0;
  if (skips.length > 1) return false;
  if (skips.length === 1) {
    const skip = skips[0] ?? 0;
    high = skip - (parts[0] === '' ? 1 : 0);
    low = parts.length - skip - 1 - (parts[parts.length - 1] === '' ? 1 : 0);
    // A leading or trailing empty part must be half of `::`.
    if ((parts[0] === '' && high !== 0) || (parts[parts.length - 1] === '' && low !== 0)) return false;
    if (high + low > 7) return false;
  } else if (parts.length !== 8) {
    return false;
  }
  const hextets = [...parts.slice(0, high), ...parts.slice(parts.length - low)];
  return hextets.every((hextet) => /^[0-9a-fA-F]{1,4}$/.test(hextet));
}

// `ipaddress.IPv4Address`: four decimal octets, no leading zeros.
function isPythonIPv4(address: string): boolean {
  const octets = address.split('.');
  return octets.length === 4 && octets.every((octet) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/.test(octet));
}

// `_checknetloc`: a non-ASCII netloc must not grow URL delimiters under NFKC (CVE-2019-9636).
function netlocSurvivesNfkc(netloc: string): boolean {
  if (/^[\x00-\x7f]*$/.test(netloc)) return true;
  const stripped = netloc.replace(/[@:#?]/g, '');
  const normalized = stripped.normalize('NFKC');
  return stripped === normalized || !/[/?#@:]/.test(normalized);
}
