/**
 * The request a view sees: DRF's `Request`. Authentication fills `user`/`auth`; `data` is parsed on
 * first read, so an authentication or permission failure (401/403) always wins over a body error
 * (400/415). Every decision made about the request is appended to `trace`, which the logs, the
 * browsable API, the test client and the debug header read to explain a denial.
 */
import { parse as parseCookieHeader } from 'cookie';
import type { IncomingHttpHeaders } from 'node:http';
import type { BaseAuthentication } from './authentication/base.ts';
import type { Parser } from './parsers.ts';
import type { Session } from './auth/sessions.ts';
import type { AppContext } from './app-context.ts';
import { ANONYMOUS, type AnyUser } from './auth/user.ts';
import type { Decision } from './trace.ts';
import { ParseError, UnsupportedMediaType } from './exceptions.ts';
import { parseMediaType } from './media-types.ts';

/** What the HTTP adapter hands over: transport facts only. */
export interface IncomingRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body; empty when there is none. */
  body: Buffer;
  /** The socket's peer address. */
  remoteAddress: string;
  /** Whether the connection (or a trusted proxy) used TLS. */
  isSecure: boolean;
}

const UNPARSED: unique symbol = Symbol('unparsed');

/** Django's host validation: a domain or bracketed IPv6 address, and an optional port. */
const HOST_PATTERN = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]{1,5})?$/i;

export class Request {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly isSecure: boolean;
  readonly app: AppContext;
  /** URL parameters captured by the route, e.g. `{ pk: '1' }`. */
  kwargs: Record<string, string> = {};

  user: AnyUser = ANONYMOUS;
  auth: unknown = null;
  /** The authenticator whose `authenticate` returned a result; null when none did. */
  successfulAuthenticator: BaseAuthentication | null = null;
  /** The authenticators that were (or will be) tried, in order. Forced authentication replaces them. */
  authenticators: readonly BaseAuthentication[] = [];
  parsers: readonly Parser[] = [];
  /** The session, once something loaded or created it. */
  session: Session | null = null;
  /** Every decision made about this request, in order. */
  readonly trace: Decision[] = [];

  /** Set by the test client unless it enforces CSRF checks (DRF's `_dont_enforce_csrf_checks`). */
  dontEnforceCsrfChecks = false;
  /** A template or view asked for a CSRF token: the response must (re)send the csrftoken cookie. */
  csrfCookieUsed = false;
  /** The csrftoken cookie value to send (masked), when it was created or rotated during the request. */
  csrfCookie: string | undefined;

  // TS-private rather than #private: `withMethod` clones copy them.
  private readonly remoteAddress: string;
  private parsedQuery: URLSearchParams | undefined;
  private parsedCookies: Record<string, string | undefined> | undefined;
  private parsedData: unknown = UNPARSED;

  constructor(incoming: IncomingRequest, app: AppContext) {
    this.method = incoming.method;
    this.url = incoming.url;
    const q = incoming.url.indexOf('?');
    this.path = q === -1 ? incoming.url : incoming.url.slice(0, q);
    this.headers = incoming.headers;
    this.body = incoming.body;
    this.isSecure = incoming.isSecure;
    this.remoteAddress = incoming.remoteAddress;
    this.app = app;
  }

  /** DRF's `query_params`. */
  get queryParams(): URLSearchParams {
    if (this.parsedQuery === undefined) {
      const q = this.url.indexOf('?');
      this.parsedQuery = new URLSearchParams(q === -1 ? '' : this.url.slice(q + 1));
    }
    return this.parsedQuery;
  }

  get cookies(): Record<string, string | undefined> {
    if (this.parsedCookies === undefined) {
      const header = this.headers.cookie;
      this.parsedCookies = header ? parseCookieHeader(header) : {};
    }
    return this.parsedCookies;
  }

  /** One header value (the first, for repeated headers). */
  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  get contentType(): string {
    return this.header('content-type') ?? '';
  }

  /**
   * Host and port as the client addressed them, for building absolute URLs (Django's `get_host`).
   * A malformed Host, or one outside `allowedHosts`, is a 400: it must never reach a URL or a check.
   */
  get host(): string {
    const host = this.validatedHost();
    if (host === null) throw new ParseError('Invalid Host header.');
    return host;
  }

  /** The Host header when well-formed and allowed, else null. */
  validatedHost(): string | null {
    const host = this.header('host');
    if (host === undefined || !HOST_PATTERN.test(host)) return null;
    const allowed = this.app.settings.allowedHosts;
    if (allowed.includes('*')) return host;
    const name = host.toLowerCase().replace(/:\d+$/, '');
    return allowed.some((pattern) => pattern === name || (pattern.startsWith('.') && (name.endsWith(pattern) || name === pattern.slice(1))))
      ? host
      : null;
  }

  /**
   * The client's address for throttling and logs. X-Forwarded-For counts only when the number of
   * trusted proxies is configured (`numProxies`); then the address that many hops from the right is used.
   */
  get clientAddress(): string {
    const proxies = this.app.settings.numProxies;
    if (!proxies) return this.remoteAddress;
    const xff = this.header('x-forwarded-for');
    if (!xff) return this.remoteAddress;
    const addresses = xff.split(',');
    return addresses[addresses.length - Math.min(proxies, addresses.length)]!.trim();
  }

  /**
   * The parsed body: a JSON value, or an object of form fields (a repeated key gives an array).
   * An empty body is `{}`. Throws UnsupportedMediaType (415) or ParseError (400) on first read.
   */
  get data(): unknown {
    if (this.parsedData === UNPARSED) this.parsedData = this.parse();
    return this.parsedData;
  }

  /** Whether the body is form-encoded (HTML forms send strings, which serializers treat differently). */
  get isFormData(): boolean {
    const type = parseMediaType(this.contentType).type;
    return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
  }

  private parse(): unknown {
    if (this.body.length === 0) return {};
    const contentType = this.contentType;
    const mediaType = parseMediaType(contentType);
    const parser = this.parsers.find((p) => p.mediaType === mediaType.type);
    if (parser === undefined) throw new UnsupportedMediaType(contentType);
    return parser.parse(this.body, mediaType.params);
  }

  /**
   * The same request as if sent with another method, for asking "would this user be allowed to PUT?"
   * (OPTIONS metadata, the browsable API's forms). Its decisions go to a trace of its own.
   */
  withMethod(method: string): Request {
    const clone = Object.assign(Object.create(Request.prototype) as Request, this);
    (clone as { method: string }).method = method;
    (clone as { trace: Decision[] }).trace = [];
    return clone;
  }

  record(decision: Decision): void {
    this.trace.push(decision);
  }
}
