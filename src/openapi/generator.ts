/**
 * The OpenAPI 3.1 document of an app, built from its compiled routes (DRF's `SchemaGenerator` and
 * `AutoSchema`): one path per route (format-suffix variants left out), one operation per allowed
 * method but HEAD and OPTIONS, with
 *
 * - operationIds `<basename>_<action>` for viewsets (`life_list`, `life_partial_update`) and
 *   `<path words>_<action>` for other views (`example_retrieve`), numbered if they would repeat;
 * - request and response bodies from the serializer (`components.schemas`), lists paginated when
 *   `pageSize` is set;
 * - `security` from the authenticators the view really uses, `{}` added when an anonymous request
 *   passes its permissions, and the 400/401/403/404/415/429 responses its policies can give, with
 *   DRF's exact bodies.
 *
 * A view class with `static schema = null` is left out, as DRF's `schema = None`.
 */
import type { AppContext } from '../app-context.ts';
import { Request } from '../request.ts';
import type { Route } from '../routers.ts';
import type { SerializerClass } from '../serializers/index.ts';
import { actionFor, type APIView, type CompiledView } from '../views/api-view.ts';
import { accessOf, type Access } from './access.ts';
import { describeFrameworkView, frameworkEndpoints } from './framework-views.ts';
import { ERROR_SCHEMAS, errorResponses } from './responses.ts';
import { SchemaComponents, type SchemaRef } from './schemas.ts';
import { SecuritySchemes, describeAuthenticator, type CredentialEndpoints } from './security.ts';
import type {
  HttpMethodKey,
  JsonSchema,
  MediaTypeObject,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  PathItem,
  RequestBodyObject,
  ResponseObject,
  ServerObject,
} from './types.ts';

export interface OpenApiOptions {
  /** `info.title`; default `API`. */
  title?: string;
  /** `info.version` (of your API, not of OpenAPI); default `1.0.0`. */
  version?: string;
  /** `info.description` (CommonMark). */
  description?: string;
  /** `servers`; the schema view defaults to the origin the document was requested from. */
  servers?: readonly ServerObject[];
}

const ACTION_STATUS: Record<string, string> = { create: '201', destroy: '204' };
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const EMPTY = Buffer.alloc(0);
const PAGE_PARAMETER: ParameterObject = {
  name: 'page',
  in: 'query',
  required: false,
  description: 'A page number within the paginated result set.',
  schema: { type: 'integer' },
};

export async function generateOpenApi(app: AppContext, options: OpenApiOptions = {}): Promise<OpenApiDocument> {
  const components = new SchemaComponents(ERROR_SCHEMAS);
  const schemes = new SecuritySchemes();
  const endpoints = frameworkEndpoints(app.routes);
  const operationIds = new Set<string>();
  const tags: string[] = [];
  const paths: Record<string, PathItem> = {};

  for (const { route, view: compiled } of app.routes) {
    if (route.formatSuffix || excluded(compiled)) continue;
    const template = openApiPath(route.path);
    const item: PathItem = {};
    const names = pathParameterNames(route.path);
    if (names.length > 0) item.parameters = names.map((name) => pathParameter(name, compiled));
    for (const method of compiled.allowedMethods) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      const operation = await buildOperation({ app, route, compiled, method, components, schemes, endpoints, detail: names.length > 0 });
      operation.operationId = unique(operation.operationId, operationIds);
      for (const tag of operation.tags) if (!tags.includes(tag)) tags.push(tag);
      item[method.toLowerCase() as HttpMethodKey] = operation;
    }
    if (Object.keys(item).some((key) => key !== 'parameters')) paths[template] = { ...paths[template], ...item };
  }

  const info: OpenApiDocument['info'] = { title: options.title ?? 'API', version: options.version ?? '1.0.0' };
  if (options.description) info.description = options.description;
  return {
    openapi: '3.1.0',
    info,
    ...(options.servers ? { servers: options.servers.map((s) => ({ ...s })) } : {}),
    paths,
    components: { schemas: components.schemas, securitySchemes: schemes.schemes },
    tags: tags.map((name) => ({ name })),
  };
}

function excluded(compiled: CompiledView): boolean {
  return (compiled.viewClass as { schema?: unknown }).schema === null;
}

/** `/life/:pk/` → `/life/{pk}/` (a parameter's regular expression, `:pk(^\\d+)`, dropped). */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_$][\w$]*)(\([^)]*\))?/g, '{$1}');
}

function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!);
}

/** A lookup by primary key is an integer with DRF's description; any other parameter a string. */
function pathParameter(name: string, compiled: CompiledView): ParameterObject {
  const cls = compiled.viewClass as { queryset?: { model: { name: string } }; lookupUrlKwarg?: string; lookupField?: string };
  if (cls.queryset !== undefined && (cls.lookupUrlKwarg ?? 'pk') === name && (cls.lookupField ?? 'id') === 'id') {
    return {
      name,
      in: 'path',
      required: true,
      description: `A unique integer value identifying this ${cls.queryset.model.name}.`,
      schema: { type: 'integer' },
    };
  }
  return { name, in: 'path', required: true, schema: { type: 'string' } };
}

interface OperationInput {
  app: AppContext;
  route: Route;
  compiled: CompiledView;
  method: string;
  components: SchemaComponents;
  schemes: SecuritySchemes;
  endpoints: CredentialEndpoints;
  detail: boolean;
}

async function buildOperation(input: OperationInput): Promise<OperationObject> {
  const { app, route, compiled, method, components } = input;
  const probe = new Request(
    { method, url: route.path, headers: { host: 'localhost' }, body: EMPTY, remoteAddress: '127.0.0.1', isSecure: false },
    app,
  );
  const view = instantiate(compiled, method, probe);
  const access = await accessOf(view, probe, app.settings);
  const action = actionOf(compiled, method, view, input.detail);
  const serializer = serializerOf(compiled, view);
  const paginated = action === 'list' && serializer !== undefined && app.settings.pageSize !== null;
  const framework = describeFrameworkView(compiled.viewClass, method, components);

  const { name, summary } = names(view, compiled, action);
  const { description, security } = describeAccess(view, access, input);

  let fieldError: Record<string, string[]> | null = framework?.fieldError ?? null;
  let body: RequestBodyObject | undefined;
  if (framework?.requestBody) body = framework.requestBody;
  else if (framework?.requestSchema) body = requestBody(framework.requestSchema, view, true);
  else if (BODY_METHODS.has(method)) {
    const partial = action === 'partialUpdate';
    body = requestBody(serializer ? components.write(serializer, partial) : {}, view, serializer !== undefined && !partial && hasRequired(serializer));
    if (serializer) fieldError = exampleFieldError(serializer, partial);
  }

  const success = framework?.responses ?? successResponses(action, method, serializer, paginated, view, components);
  const errors =
    framework?.genericErrors === false
      ? {}
      : errorResponses({ access, method, hasBody: body !== undefined, fieldError, detail: input.detail, paginated });
  // Keys in the order readers expect: what it is, what it takes, what it answers, who may call it.
  return {
    operationId: `${operationBase(route, compiled, view)}_${snake(action)}`,
    summary,
    ...(description ? { description } : {}),
    tags: [tagOf(route.path, name)],
    ...(paginated ? { parameters: [PAGE_PARAMETER] } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: sortByStatus({ ...success, ...errors }),
    security,
  };
}

/** A view instance as a request would see it, without running anything: for the per-action policy getters. */
function instantiate(compiled: CompiledView, method: string, request: Request): APIView {
  const view = new compiled.viewClass();
  view.compiled = compiled;
  view.kwargs = {};
  Object.assign(view, compiled.initkwargs);
  view.action = actionFor(compiled, method);
  view.request = request;
  return view;
}

/** The viewset's action, else the one DRF's schema generator infers from the method. */
function actionOf(compiled: CompiledView, method: string, view: APIView, detail: boolean): string {
  const mapped = actionFor(compiled, method);
  if (mapped !== undefined) return mapped;
  switch (method) {
    case 'GET':
      return !detail && typeof (view as { list?: unknown }).list === 'function' ? 'list' : 'retrieve';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'partialUpdate';
    case 'DELETE':
      return 'destroy';
    default:
      return method.toLowerCase();
  }
}

function serializerOf(compiled: CompiledView, view: APIView): SerializerClass | undefined {
  const declared = (compiled.viewClass as { serializerClass?: SerializerClass }).serializerClass;
  if (declared !== undefined) return declared;
  const getter = (view as { getSerializerClass?: () => SerializerClass | undefined }).getSerializerClass;
  if (typeof getter !== 'function') return undefined;
  try {
    return getter.call(view) ?? undefined;
  } catch {
    return undefined;
  }
}

function names(view: APIView, compiled: CompiledView, action: string): { name: string; summary: string } {
  const suffix = (view as { suffix?: string }).suffix;
  const full = view.getViewName();
  const name = suffix && full.endsWith(` ${suffix}`) ? full.slice(0, -suffix.length - 1) : full;
  const summary = compiled.actions !== undefined ? `${name} ${snake(action).replaceAll('_', ' ')}` : full;
  return { name, summary };
}

function operationBase(route: Route, compiled: CompiledView, view: APIView): string {
  const basename = (compiled.initkwargs as { basename?: unknown }).basename;
  if (compiled.actions !== undefined && typeof basename === 'string') return identifier(basename);
  const words = route.path
    .split('/')
    .filter((segment) => segment !== '' && !segment.startsWith(':'))
    .map(identifier)
    .filter(Boolean);
  if (words.length > 0) return words.join('_');
  return identifier(route.name ?? snake(view.constructor.name.replace(/View$/, '')));
}

function tagOf(path: string, fallback: string): string {
  const first = path.split('/').find((segment) => segment !== '' && !segment.startsWith(':'));
  return first ?? (identifier(fallback) || 'api');
}

/** The operation's description (the view's, plus what the document cannot say otherwise) and its `security`. */
function describeAccess(view: APIView, access: Access, input: OperationInput): { description: string; security: OperationObject['security'] } {
  const security: OperationObject['security'] = [];
  const lines: string[] = [];
  const own = view.getViewDescription();
  if (own) lines.push(own);
  const undescribed: string[] = [];
  for (const authenticator of access.authenticators) {
    const described = describeAuthenticator(authenticator, input.app.settings, input.endpoints);
    if (described === null) {
      undescribed.push(authenticator.name);
      continue;
    }
    const id = input.schemes.add(described);
    if (!security.some((entry) => id in entry)) security.push({ [id]: [] });
  }
  if (access.anonymous) security.push({});
  if (undescribed.length > 0) lines.push(`Also authenticates with: ${undescribed.join(', ')} (no security scheme described).`);
  const permissions = view.getPermissions().map((p) => p.name);
  if (permissions.length > 0) lines.push(`Permissions: ${permissions.join(', ')}.`);
  if (access.throttled) lines.push(`Throttles: ${view.getThrottles().map((t) => t.name).join(', ')}.`);
  return { description: lines.join('\n\n'), security };
}

function renderedTypes(view: APIView): string[] {
  const types = view.policies.renderers.map((r) => r.mediaType);
  const data = types.filter((t) => t !== 'text/html');
  return [...new Set(data.length > 0 ? data : types)];
}

function requestBody(schema: SchemaRef | JsonSchema, view: APIView, required: boolean): RequestBodyObject {
  const content: Record<string, MediaTypeObject> = {};
  for (const parser of view.policies.parsers) content[parser.mediaType] = { schema };
  return required ? { required: true, content } : { content };
}

function successResponses(
  action: string,
  method: string,
  serializer: SerializerClass | undefined,
  paginated: boolean,
  view: APIView,
  components: SchemaComponents,
): Record<string, ResponseObject> {
  if (serializer === undefined) {
    return { '200': { description: 'OK', content: contentOf(view, {}) } };
  }
  const status = ACTION_STATUS[action] ?? '200';
  if (status === '204') return { '204': { description: 'No Content' } };
  let schema: JsonSchema;
  if (action === 'list') schema = paginated ? components.paginated(serializer) : { type: 'array', items: components.read(serializer) };
  else schema = components.read(serializer);
  return { [status]: { description: status === '201' ? 'Created' : method === 'GET' ? 'OK' : 'Updated', content: contentOf(view, schema) } };
}

function contentOf(view: APIView, schema: JsonSchema): Record<string, MediaTypeObject> {
  return Object.fromEntries(renderedTypes(view).map((type) => [type, { schema }]));
}

function hasRequired(serializer: SerializerClass): boolean {
  const required = serializer.toJsonSchema('write').required;
  return Array.isArray(required) && required.length > 0;
}

/** A field error this serializer really gives, in DRF's words, for the 400 example. */
function exampleFieldError(serializer: SerializerClass, partial: boolean): Record<string, string[]> | null {
  const schema = serializer.toJsonSchema('write');
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = (schema.required ?? []) as string[];
  if (!partial && required.length > 0) return { [required[0]!]: ['This field is required.'] };
  for (const [name, property] of Object.entries(properties)) {
    const type = Array.isArray(property.type) ? property.type[0] : property.type;
    if (type === 'integer') return { [name]: ['A valid integer is required.'] };
    if (type === 'number') return { [name]: ['A valid number is required.'] };
    if (Array.isArray(property.enum)) return { [name]: ['"bogus" is not a valid choice.'] };
    if (type === 'string' && typeof property.maxLength === 'number') {
      return { [name]: [`Ensure this field has no more than ${property.maxLength} characters.`] };
    }
  }
  return { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] };
}

function sortByStatus(responses: Record<string, ResponseObject>): Record<string, ResponseObject> {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

function unique(id: string, taken: Set<string>): string {
  let candidate = id;
  for (let n = 2; taken.has(candidate); n++) candidate = `${id}_${n}`;
  taken.add(candidate);
  return candidate;
}

/** `partialUpdate` → `partial_update`, `APIRoot` → `api_root`. */
function snake(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function identifier(text: string): string {
  return snake(text).replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}
