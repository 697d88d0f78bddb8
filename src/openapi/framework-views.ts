/**
 * The framework's own views, described by hand where their serializers cannot say it all: the token
 * endpoint (username and password in, `{"token": ...}` out) and the login/logout forms, which answer
 * with HTML and redirects rather than JSON.
 */
import type { CompiledRoute } from '../app.ts';
import { LoginView, LogoutView } from '../auth/views.ts';
import { AuthTokenSerializer, ObtainAuthToken } from '../auth/token-view.ts';
import type { ViewClass } from '../views/api-view.ts';
import type { SchemaComponents } from './schemas.ts';
import type { CredentialEndpoints } from './security.ts';
import type { JsonSchema, RequestBodyObject, ResponseObject } from './types.ts';

export interface FrameworkOperation {
  /** The body's schema, in the media types the view parses. */
  requestSchema?: JsonSchema;
  /** The whole request body, when it is narrower than the view's parsers (HTML forms). */
  requestBody?: RequestBodyObject;
  /** The success responses (and, for form views, every response). */
  responses: Record<string, ResponseObject>;
  /** The 400 example. */
  fieldError?: Record<string, string[]>;
  /** False for views outside the API pipeline (no 401/403 from policies). */
  genericErrors?: boolean;
}

function is(view: ViewClass, base: ViewClass): boolean {
  return view === base || view.prototype instanceof base;
}

/** Where the login form and the token endpoint are routed, for the security schemes' descriptions. */
export function frameworkEndpoints(routes: readonly CompiledRoute[]): CredentialEndpoints {
  const find = (base: ViewClass) => routes.find((r) => !r.route.formatSuffix && is(r.route.view, base))?.route.path;
  return { login: find(LoginView), token: find(ObtainAuthToken) };
}

const HTML: Record<string, { schema: JsonSchema }> = { 'text/html': { schema: { type: 'string' } } };
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];
const REDIRECT: ResponseObject = {
  description: 'Found: redirects to `next` (a local path) or the configured redirect URL.',
  headers: { Location: { description: 'Where to go next.', schema: { type: 'string' } } },
};
const CSRF_FAILURE: ResponseObject = {
  description: 'Forbidden: the CSRF check failed (send the csrftoken cookie and the form\'s csrfmiddlewaretoken field).',
  content: HTML,
};

function form(properties: Record<string, JsonSchema>, required: string[]): RequestBodyObject {
  const schema: JsonSchema = { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
  return { required: required.length > 0, content: Object.fromEntries(FORM_TYPES.map((type) => [type, { schema }])) };
}

const NEXT = { type: 'string', description: 'A local path to redirect to afterwards.' };
const CSRF_FIELD = { type: 'string', description: 'The CSRF token (or send it in the X-CSRFToken header).' };

export function describeFrameworkView(view: ViewClass, method: string, components: SchemaComponents): FrameworkOperation | undefined {
  if (is(view, ObtainAuthToken) && method === 'POST') {
    const write = components.write(AuthTokenSerializer, false);
    const token = components.define('Token', {
      type: 'object',
      properties: { token: { type: 'string', readOnly: true, description: 'The key for token authentication (`Authorization: Token <key>`, or the configured keyword).' } },
      required: ['token'],
    });
    return {
      requestSchema: write,
      responses: { '200': { description: 'The user\'s token (created on first use).', content: { 'application/json': { schema: token } } } },
      fieldError: { non_field_errors: ['Unable to log in with provided credentials.'] },
    };
  }
  if (is(view, LoginView)) {
    if (method === 'GET') return { responses: { '200': { description: 'The login form.', content: HTML } }, genericErrors: false };
    return {
      requestBody: form(
        { username: { type: 'string' }, password: { type: 'string', format: 'password' }, next: NEXT, csrfmiddlewaretoken: CSRF_FIELD },
        ['username', 'password'],
      ),
      responses: {
        '200': { description: 'Wrong credentials: the form again, with the error.', content: HTML },
        '302': { ...REDIRECT, description: 'Logged in (the session cookie is set): redirects to `next` or the loginRedirectUrl setting.' },
        '403': CSRF_FAILURE,
      },
      genericErrors: false,
    };
  }
  if (is(view, LogoutView)) {
    return {
      requestBody: form({ next: NEXT, csrfmiddlewaretoken: CSRF_FIELD }, []),
      responses: {
        '302': { ...REDIRECT, description: 'Logged out (the session ended): redirects to `next` or the logoutRedirectUrl setting.' },
        '403': CSRF_FAILURE,
      },
      genericErrors: false,
    };
  }
  return undefined;
}
