/**
 * The exceptions a view, an authenticator, a permission or a parser raises to end a request with an
 * error response. Each carries DRF's status, default message and code, so bodies match DRF's exactly:
 * `{"detail": "..."}` for a message, the structure itself for field errors.
 */

/** A validation error body: a message list, or field names mapped to message lists (nested for nested serializers). */
export type ErrorDetail = string | string[] | { [field: string]: ErrorDetail };

/**
 * Not built by Error's constructor, which records a stack trace even when told to keep no frames:
 * an APIException is an answer to the client, not a bug, nothing reads its stack, and constructing
 * Errors was the largest single cost of an anonymous 403. Its prototype chain still reaches
 * Error.prototype, so `instanceof Error` holds, and `name` and `message` are what loggers show.
 */
export class APIException {
  static status = 500;
  static defaultDetail = 'A server error occurred.';
  static defaultCode = 'error';

  name: string;
  message: string;
  readonly status: number;
  readonly detail: ErrorDetail;
  readonly code: string;
  /** Extra response headers (WWW-Authenticate, Retry-After, Allow). */
  headers: Record<string, string> | undefined;

  constructor(detail?: ErrorDetail, code?: string) {
    const ctor = new.target as typeof APIException;
    const resolved = detail ?? ctor.defaultDetail;
    this.name = ctor.name;
    this.message = typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
    this.status = ctor.status;
    this.detail = resolved;
    this.code = code ?? ctor.defaultCode;
  }

  /** The JSON body DRF renders: lists and dicts as they are, a message wrapped in `detail`. */
  body(): unknown {
    return typeof this.detail === 'string' ? { detail: this.detail } : this.detail;
  }
}
Object.setPrototypeOf(APIException.prototype, Error.prototype);
/** Typed as the Error it is at run time (see the class). */
export interface APIException extends Error {}

/** 400: invalid input. A string becomes a one-element list, as DRF does. */
export class ValidationError extends APIException {
  static override status = 400;
  static override defaultDetail = 'Invalid input.';
  static override defaultCode = 'invalid';

  constructor(detail?: ErrorDetail, code?: string) {
    super(typeof detail === 'string' ? [detail] : detail ?? [ValidationError.defaultDetail], code);
  }
}

export class ParseError extends APIException {
  static override status = 400;
  static override defaultDetail = 'Malformed request.';
  static override defaultCode = 'parse_error';
}

export class AuthenticationFailed extends APIException {
  static override status = 401;
  static override defaultDetail = 'Incorrect authentication credentials.';
  static override defaultCode = 'authentication_failed';
}

export class NotAuthenticated extends APIException {
  static override status = 401;
  static override defaultDetail = 'Authentication credentials were not provided.';
  static override defaultCode = 'not_authenticated';
}

export class PermissionDenied extends APIException {
  static override status = 403;
  static override defaultDetail = 'You do not have permission to perform this action.';
  static override defaultCode = 'permission_denied';
}

export class NotFound extends APIException {
  static override status = 404;
  static override defaultDetail = 'Not found.';
  static override defaultCode = 'not_found';
}

export class MethodNotAllowed extends APIException {
  static override status = 405;
  static override defaultCode = 'method_not_allowed';

  constructor(method: string, detail?: string) {
    super(detail ?? `Method "${method}" not allowed.`);
  }
}

export class NotAcceptable extends APIException {
  static override status = 406;
  static override defaultDetail = 'Could not satisfy the request Accept header.';
  static override defaultCode = 'not_acceptable';
}

export class PayloadTooLarge extends APIException {
  static override status = 413;
  static override defaultDetail = 'Request body is too large.';
  static override defaultCode = 'payload_too_large';
}

export class UnsupportedMediaType extends APIException {
  static override status = 415;
  static override defaultCode = 'unsupported_media_type';

  constructor(mediaType: string, detail?: string) {
    super(detail ?? `Unsupported media type "${mediaType}" in request.`);
  }
}

export class Throttled extends APIException {
  static override status = 429;
  static override defaultDetail = 'Request was throttled.';
  static override defaultCode = 'throttled';

  /** Whole seconds until the request would be allowed, rounded up as DRF does; undefined when unknown. */
  readonly wait: number | undefined;

  constructor(wait?: number, detail?: string) {
    const seconds = wait === undefined ? undefined : Math.ceil(wait);
    const base = detail ?? Throttled.defaultDetail;
    super(
      seconds === undefined
        ? base
        : `${base} Expected available in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
    );
    this.wait = seconds;
    // DRF sends Retry-After only for a truthy wait.
    if (seconds) this.headers = { 'retry-after': String(seconds) };
  }
}

/** 503: a backing service (database, cache) is unavailable; the client may retry. */
export class ServiceUnavailable extends APIException {
  static override status = 503;
  static override defaultDetail = 'Service temporarily unavailable, try again later.';
  static override defaultCode = 'service_unavailable';

  /** `retryAfter`: seconds the client should wait, sent as Retry-After. */
  constructor(detail?: string, retryAfter = 5) {
    super(detail);
    this.headers = { 'retry-after': String(retryAfter) };
  }
}

/**
 * A configuration mistake found at start-up. The message names what is wrong and how to fix it, so
 * it never surfaces later as a mysterious 403 or 500.
 */
export class ImproperlyConfigured extends Error {
  override name = 'ImproperlyConfigured';
}
