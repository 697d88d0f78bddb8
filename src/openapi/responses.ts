/**
 * The error responses an operation can give, with DRF's exact bodies as examples: 400 for bodies,
 * 401/403 as the authentication and permission rules decide them, 404 for objects, 415, 429.
 */
import { REASON_BAD_TOKEN } from '../authentication/csrf.ts';
import { failureMessage, usesSession, type Access } from './access.ts';
import type { JsonSchema, MediaTypeObject, ResponseObject } from './types.ts';

export const ERROR_SCHEMAS: Record<string, JsonSchema> = {
  Error: {
    type: 'object',
    description: 'An error with a message, as every non-validation error response carries.',
    properties: { detail: { type: 'string' } },
    required: ['detail'],
  },
  ValidationError: {
    type: 'object',
    description: 'Invalid input: the messages for each field, and `non_field_errors` for the input as a whole.',
    additionalProperties: { type: 'array', items: { type: 'string' } },
  },
};

const ERROR = { $ref: '#/components/schemas/Error' };
const VALIDATION_ERROR = { $ref: '#/components/schemas/ValidationError' };

type Examples = NonNullable<MediaTypeObject['examples']>;

function json(schema: JsonSchema, examples: Examples): Record<string, MediaTypeObject> {
  return { 'application/json': { schema, examples } };
}

function detail(summary: string, message: string): { summary: string; value: { detail: string } } {
  return { summary, value: { detail: message } };
}

export interface ErrorContext {
  readonly access: Access;
  readonly method: string;
  /** The operation reads a request body. */
  readonly hasBody: boolean;
  /** A field error this operation's serializer would give, for the 400 example. */
  readonly fieldError: Record<string, string[]> | null;
  /** The route looks an object up (a path parameter). */
  readonly detail: boolean;
  /** The list is paginated (`?page=` out of range is a 404). */
  readonly paginated: boolean;
}

export function errorResponses(context: ErrorContext): Record<string, ResponseObject> {
  const { access, method } = context;
  const responses: Record<string, ResponseObject> = {};
  const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);

  if (context.hasBody) {
    const examples: Examples = {};
    if (context.fieldError) examples.invalid = { summary: 'Invalid input', value: context.fieldError };
    examples.malformed = detail('Malformed JSON', 'JSON parse error - Expecting value: line 1 column 1 (char 0)');
    responses['400'] = {
      description: 'Bad Request: invalid input (field errors) or a body that does not parse.',
      content: json({ anyOf: [VALIDATION_ERROR, ERROR] }, examples),
    };
  }

  // Credentials present but wrong: every authenticator that checks them raises AuthenticationFailed.
  const failures = [...new Set(access.authenticators.map(failureMessage).filter((m): m is string => m !== null))];
  const unauthenticated: Examples = {};
  if (!access.anonymous) unauthenticated.notAuthenticated = detail('No credentials', 'Authentication credentials were not provided.');
  for (const message of failures) unauthenticated[exampleKey(message)] = detail('Wrong credentials', message);
  const unauthenticatedPossible = access.authenticators.length > 0 && Object.keys(unauthenticated).length > 0;

  if (access.challenge !== null && unauthenticatedPossible) {
    responses['401'] = {
      description: 'Unauthorized: no credentials or wrong ones. The challenge is the first authentication scheme\'s.',
      headers: { 'WWW-Authenticate': { description: 'The authentication challenge.', schema: { type: 'string' }, example: access.challenge } },
      content: json(ERROR, unauthenticated),
    };
  }

  const forbidden: Examples = {};
  const reasons: string[] = [];
  // Without a challenge, DRF answers unauthenticated requests with 403 and the same bodies.
  if (access.challenge === null && unauthenticatedPossible) {
    Object.assign(forbidden, unauthenticated);
    reasons.push('no credentials or wrong ones (the first authentication scheme has no challenge, so not 401)');
  }
  const refusesAnonymousWithoutAuthenticators = access.authenticators.length === 0 && !access.anonymous;
  if (access.mayDenyUsers || refusesAnonymousWithoutAuthenticators) {
    const messages = access.denialMessages.length > 0 ? access.denialMessages : ['You do not have permission to perform this action.'];
    messages.forEach((message, i) => (forbidden[i === 0 ? 'permissionDenied' : `permissionDenied${i + 1}`] = detail('Permission denied', message)));
    reasons.push('a permission refused the request');
  }
  if (unsafe && usesSession(access)) {
    forbidden.csrfFailed = detail('Session without a CSRF token', `CSRF Failed: ${REASON_BAD_TOKEN}`);
    reasons.push('the CSRF check failed (a request authenticated by the session cookie)');
  }
  if (reasons.length > 0) {
    responses['403'] = { description: `Forbidden: ${reasons.join('; or ')}.`, content: json(ERROR, forbidden) };
  }

  if (context.detail || context.paginated) {
    const examples: Examples = {};
    if (context.detail) examples.notFound = detail('No such object', 'Not found.');
    if (context.paginated) examples.invalidPage = detail('Page out of range', 'Invalid page.');
    responses['404'] = { description: 'Not Found.', content: json(ERROR, examples) };
  }

  if (context.hasBody) {
    responses['415'] = {
      description: 'Unsupported Media Type: the body\'s Content-Type is not one the view parses.',
      content: json(ERROR, { unsupported: detail('Unsupported Content-Type', 'Unsupported media type "text/plain" in request.') }),
    };
  }

  if (access.throttled) {
    responses['429'] = {
      description: 'Too Many Requests: a throttle refused the request.',
      headers: { 'Retry-After': { description: 'Seconds until the request would be allowed.', schema: { type: 'integer' }, example: 60 } },
      content: json(ERROR, { throttled: detail('Throttled', 'Request was throttled. Expected available in 60 seconds.') }),
    };
  }
  return responses;
}

function exampleKey(message: string): string {
  return message === 'Invalid token.' ? 'invalidToken' : message === 'Invalid username/password.' ? 'invalidCredentials' : 'authenticationFailed';
}
