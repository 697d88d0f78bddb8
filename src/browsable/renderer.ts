/**
 * BrowsableAPIRenderer: the HTML page served for `Accept: text/html` (DRF's BrowsableAPIRenderer).
 *
 * It shows the request and the response (status, headers, the body pretty-printed with its URLs as
 * links), breadcrumbs from the API root, the current user with login/logout (logout is a POST form with
 * the CSRF token), and on a 401/403/429 a panel saying which check refused the request and how to fix
 * it. Forms to POST, PUT and PATCH (an HTML form from the serializer's fields, and a raw tab), and the
 * DELETE and OPTIONS buttons, appear only when this user may send that method: the view allows it,
 * and its permissions (and object permissions, for the object on the page) pass on a copy of the
 * request with that method, DRF's `show_form_for_method` (see `mayRequest` in metadata.ts). A "send
 * a request" tool lets anyone send any method, to see what the API answers and why. A token pasted in
 * the page header is kept for the tab (sessionStorage) and sent instead of the session.
 *
 * As DRF's, rendering asks for a CSRF token, so every page sets the csrftoken cookie; a 204 is sent as
 * a 200 (by the app) so the page has content, and still says 204.
 *
 * Templates (override any of them by name: `addTemplateDir(dir)` with a file of the same name):
 *   api.eta          the page rendered for every response: `<% layout('base') %>`. Override it to
 *                    replace blocks of the layout and keep the rest, as DRF's api.html extends base.html:
 *                    `<% layout('base') %><% block('branding', () => { %>My API<% }) %>`
 *   base.eta         the layout, with the blocks `title`, `branding`, `userlinks`, `style` (extra CSS)
 *                    and `content` (everything under the breadcrumbs)
 *   style.eta, script.eta   the inline CSS and script (nothing is fetched from elsewhere)
 *   form-field.eta   one input of an HTML form (`it.field`, a FormField from forms.ts)
 *   login.eta, csrf-failure.eta   the login form and the CSRF failure page of /api-auth/
 *
 * The data every page template receives as `it` is `PageData` below. Every value is plain text for
 * `<%= %>`, which escapes it; `it.pageJson` alone is for raw output (`<%~ %>`), inside a
 * `<script type="application/json">`, and cannot end that element.
 */
import { STATUS_CODES } from 'node:http';
import type { RenderContext, Renderer } from '../renderers.ts';
import type { Request } from '../request.ts';
import type { Response } from '../response.ts';
import type { APIView } from '../views/api-view.ts';
import type { Field } from '../serializers/index.ts';
import { getToken } from '../csrf-token.ts';
import { explainSteps, type Explanation } from '../trace.ts';
import { describesFields, mayRequest, overrideMethod, type ObjectCheck } from '../metadata.ts';
import { TokenAuthentication } from '../authentication/token.ts';
import { renderTemplate } from './templates.ts';
import { buildForm, initialValues, writableFields, type HtmlForm } from './forms.ts';
import { prettyContent, scriptJson, type ContentPart } from './content.ts';
import { authLinks, breadcrumbs, type Crumb } from './site.ts';

/** The raw tab: a body typed as JSON (or form-encoded), sent with one of `methods`. */
export interface RawForm {
  methods: string[];
  /** The media types the view parses, multipart aside (a textarea cannot hold it). */
  contentTypes: string[];
  contentType: string;
  content: string;
}

export interface PageData {
  /** The view's name (`Survey Instance`): the title. */
  name: string;
  /** The view's description; blank on a 401/403, as DRF. */
  description: string;
  /** The request the page answers: its method, path, and path with query string. */
  method: string;
  path: string;
  url: string;
  /** The status the view answered (a 204 is shown as such, though the page is sent as 200). */
  status: number;
  statusText: string;
  /** Allow, the JSON Content-Type, Vary and the view's own headers (Location, Retry-After...), sorted. */
  headers: { name: string; value: string }[];
  /** The body, pretty-printed, in text and link parts. */
  content: ContentPart[];
  /** From the API root to this page. */
  breadcrumbs: Crumb[];
  /** The username, or null for an anonymous request. */
  user: string | null;
  /** The authentication class that authenticated the user (`SessionAuthentication`...), or null. */
  authenticatedBy: string | null;
  /** Null when the login/logout views are not mounted. */
  loginUrl: string | null;
  logoutUrl: string | null;
  csrfToken: string;
  csrfHeaderName: string;
  /** The keywords the view's TokenAuthentication classes accept (`Token`, `Bearer`...), for the token field. */
  tokenKeywords: string[];
  /** On a 401/403/429: every decision about the request, and the fix. */
  explanation: Explanation | null;
  /** What this page itself changed for the fix (it sets the missing csrftoken cookie), or null. */
  explanationNote: string | null;
  /** DRF's `display_edit_forms`: false on a 403. */
  displayEditForms: boolean;
  /** The HTML forms this user may submit: POST (a new object), PUT/PATCH (this object). */
  postForm: HtmlForm | null;
  putForm: HtmlForm | null;
  raw: RawForm | null;
  deleteAllowed: boolean;
  optionsAllowed: boolean;
  /** The "send a request" tool: any method, with this body to start from. */
  tool: { methods: string[]; contentTypes: string[]; content: string };
  /** Script-safe JSON for the page's script: the CSRF header and token, the user, whether an Authorization header came. */
  pageJson: string;
}

const WRITE_METHODS = ['POST', 'PUT', 'PATCH'] as const;
const TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/** What a generic view offers the forms: its serializer's bound fields and representation. */
interface FormSerializer {
  readonly fields: Readonly<Record<string, Field>>;
  readonly data: unknown;
}

export class BrowsableAPIRenderer implements Renderer {
  readonly mediaType = 'text/html';
  readonly format = 'api';
  readonly contentType = 'text/html; charset=utf-8';
  /** The page template; set it on an instance (or subclass) to render another. */
  template = 'api';

  async render(data: unknown, { request, response, view }: RenderContext): Promise<string> {
    const csrfToken = getToken(request);
    const status = response.status;
    const settings = request.app.settings;
    const user = request.user.isAuthenticated ? request.user.username : null;
    const links = authLinks(request.app, request.path);
    const edit = await this.editing(request, response, view);
    const page: PageData = {
      name: view?.getViewName() ?? STATUS_CODES[status] ?? 'Error',
      description: view === undefined || status === 401 || status === 403 ? '' : view.getViewDescription(),
      method: request.method,
      path: request.path,
      url: request.url,
      status,
      statusText: STATUS_CODES[status] ?? '',
      headers: responseHeaders(response, view),
      content: prettyContent(data),
      breadcrumbs: breadcrumbs(request.app, request.path),
      user,
      authenticatedBy: user === null ? null : (request.successfulAuthenticator?.name ?? null),
      loginUrl: links.login,
      logoutUrl: links.logout,
      csrfToken,
      csrfHeaderName: settings.csrfHeaderName,
      tokenKeywords: tokenKeywords(view),
      explanation: status === 401 || status === 403 || status === 429 ? explainSteps(request.trace, status) : null,
      explanationNote: request.trace.some((d) => d.step === 'csrf' && d.outcome === 'failed' && d.reason?.includes('cookie not set'))
        ? 'This page has just set a new csrftoken cookie: sending the request again from it passes the check.'
        : null,
      ...edit,
      pageJson: scriptJson({
        csrfHeaderName: settings.csrfHeaderName,
        csrfToken,
        user,
        // A page fetched without the tab's token is fetched again with it (see script.eta).
        authorizationSent: request.header('authorization') !== undefined,
      }),
    };
    return renderTemplate(this.template, page);
  }

  /**
   * The forms and buttons this user may use. Each method is probed under `overrideMethod` (a copy of
   * the request with that method, the matching viewset action); the forms are built there too, as
   * DRF's `get_rendered_html_form` builds them.
   */
  private async editing(request: Request, response: Response, view: APIView | undefined) {
    const displayEditForms = response.status !== 403;
    const parsers = view?.policies.parsers.map((p) => p.mediaType) ?? ['application/json'];
    const contentTypes = parsers.filter((t) => t !== 'multipart/form-data');
    const result = {
      displayEditForms,
      postForm: null as HtmlForm | null,
      putForm: null as HtmlForm | null,
      raw: null as RawForm | null,
      deleteAllowed: false,
      optionsAllowed: false,
      tool: { methods: TOOL_METHODS, contentTypes, content: '' },
    };
    if (view === undefined) return result;
    // The object the view fetched (GenericAPIView.object). After a 204 it is gone: DRF would still
    // offer PUT and DELETE for it (without an object to check); they could only be 404s, so they are left out.
    const fetched = (view as { object?: unknown }).object;
    const gone = fetched !== undefined && response.status === 204;
    const object = gone ? undefined : fetched;
    const check: ObjectCheck = object === undefined ? undefined : { object };
    const htmlForms = describesFields(view) && parsers.some((t) => t === 'application/x-www-form-urlencoded' || t === 'multipart/form-data');
    const submitted = submittedInput(request, response);
    const rawMethods: string[] = [];
    let rawValues: Record<string, unknown> | undefined;
    let toolValues: Record<string, unknown> | undefined;

    for (const method of view.allowedMethods) {
      if (!WRITE_METHODS.includes(method as (typeof WRITE_METHODS)[number]) && method !== 'DELETE' && method !== 'OPTIONS') continue;
      if (gone && method !== 'POST' && method !== 'OPTIONS') continue;
      await overrideMethod(view, request, method, async (probe) => {
        const allowed = displayEditForms && (await mayRequest(view, probe, check));
        if (method === 'DELETE' || method === 'OPTIONS') {
          if (method === 'DELETE') result.deleteAllowed = allowed;
          else result.optionsAllowed = allowed;
          return;
        }
        const isEdit = method !== 'POST';
        // Already built for PUT: PATCH only adds its button.
        if (isEdit && result.putForm !== null) {
          if (allowed) {
            result.putForm.methods.push(method);
            rawMethods.push(method);
          }
          return;
        }
        const serializer = describesFields(view) ? (view.getSerializer(isEdit && object !== undefined ? { instance: object } : {}) as unknown as FormSerializer) : null;
        const fields = serializer === null ? [] : writableFields(serializer.fields);
        const own = submitted !== null && (submitted.method === method || (isEdit && submitted.method !== 'POST'));
        const values = own ? submitted.values : isEdit && object !== undefined ? representation(response, serializer) : initialValues(fields);
        toolValues ??= serializer === null ? undefined : pick(values, fields);
        if (!allowed) return;
        rawMethods.push(method);
        rawValues ??= serializer === null ? undefined : pick(values, fields);
        if (!htmlForms || serializer === null) return;
        const form = buildForm(isEdit ? 'put-form' : 'post-form', [method], fields, values, own ? submitted.errors : null);
        if (isEdit) result.putForm = form;
        else result.postForm = form;
      });
    }
    result.tool.content = toolValues === undefined ? '' : JSON.stringify(toolValues, null, 4);
    if (rawMethods.length > 0) {
      const typed = submitted !== null && rawMethods.includes(submitted.method) && contentTypes.includes(submitted.contentType);
      result.raw = {
        methods: rawMethods,
        contentTypes,
        contentType: typed ? submitted.contentType : contentTypes.includes('application/json') ? 'application/json' : (contentTypes[0] ?? 'application/json'),
        content: typed ? submitted.body : rawValues === undefined ? '' : JSON.stringify(rawValues, null, 4),
      };
    }
    return result;
  }
}

/** After a 400 for a write, what was sent, so the forms show it again with its errors. */
function submittedInput(request: Request, response: Response) {
  if (response.status !== 400 || !WRITE_METHODS.includes(request.method as (typeof WRITE_METHODS)[number])) return null;
  let values: Record<string, unknown> = {};
  try {
    if (isRecord(request.data)) values = request.data;
  } catch {
    // The body did not parse: the forms start over.
  }
  return {
    method: request.method,
    values,
    errors: isRecord(response.data) ? response.data : null,
    contentType: request.contentType.split(';')[0]!.trim().toLowerCase(),
    body: request.body.toString('utf8'),
  };
}

/** The object's representation: the response body when it is one, else the serializer's. */
function representation(response: Response, serializer: FormSerializer | null): Record<string, unknown> {
  if (response.status < 300 && isRecord(response.data)) return response.data;
  const data = serializer?.data;
  return isRecord(data) ? data : {};
}

function pick(values: Readonly<Record<string, unknown>>, fields: readonly Field[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (values[field.fieldName] !== undefined) picked[field.fieldName] = values[field.fieldName];
  return picked;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function responseHeaders(response: Response, view: APIView | undefined): { name: string; value: string }[] {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (view !== undefined) {
    headers.Allow = view.compiled.allowHeader;
    if (view.compiled.vary) headers.Vary = view.compiled.vary;
  }
  for (const [name, value] of Object.entries(response.headers)) headers[name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase())] = value;
  return Object.keys(headers)
    .sort()
    .map((name) => ({ name, value: headers[name]! }));
}

function tokenKeywords(view: APIView | undefined): string[] {
  const keywords = (view?.policies.authenticators ?? []).filter((a) => a instanceof TokenAuthentication).map((a) => a.keyword);
  return keywords.length > 0 ? [...new Set(keywords)] : ['Token'];
}
