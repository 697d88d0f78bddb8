/**
 * Serving the document: `SchemaView` (the OpenAPI JSON), `SwaggerUIView` (a Swagger UI page over it)
 * and `DocsAssetView` (Swagger UI's files, from the installed package). `schemaUrls()` gives their
 * routes, to spread into an app's:
 *
 *   routes: [...router.urls, ...schemaUrls({ title: 'Notes API' })]    // /schema/, /docs/
 *
 * The schema is public by default, whatever the app's defaults: no authentication, AllowAny, no
 * throttles, so API clients (Postman, code generators) can fetch it. Pass `authenticationClasses`,
 * `permissionClasses` or `throttleClasses` to restrict it; the docs page and its files stay public
 * (they hold nothing about the API: the page fetches the schema with the browser's credentials).
 * None of the three appears in the document (`static schema = null`), as DRF leaves its schema view out.
 */
import { posix } from 'node:path';
import type { AuthenticationPolicy } from '../authentication/base.ts';
import { NotFound } from '../exceptions.ts';
import { AllowAny, type PermissionPolicy } from '../permissions.ts';
import { JSONRenderer } from '../renderers.ts';
import type { Request } from '../request.ts';
import { RawResponse, Response } from '../response.ts';
import type { Route } from '../routers.ts';
import type { ThrottlePolicy } from '../throttling/policy.ts';
import { APIView, type ViewClass } from '../views/api-view.ts';
import type { AppContext } from '../app-context.ts';
import { docsAssets, INIT_ASSET, type Asset } from './assets.ts';
import { generateOpenApi, type OpenApiOptions } from './generator.ts';
import type { OpenApiDocument } from './types.ts';

const PUBLIC = {
  authenticationClasses: [] as readonly AuthenticationPolicy[],
  permissionClasses: [AllowAny] as readonly PermissionPolicy[],
  throttleClasses: [] as readonly ThrottlePolicy[],
};

/** The docs views: public whatever the app's defaults, and left out of the document they describe. */
abstract class PublicView extends APIView {
  static override authenticationClasses = PUBLIC.authenticationClasses;
  static override permissionClasses = PUBLIC.permissionClasses;
  static override throttleClasses = PUBLIC.throttleClasses;
  static readonly schema = null;
}

/** Documents are built once per app and options (routes are fixed at start-up); `servers` per request. */
const documents = new WeakMap<AppContext, WeakMap<OpenApiOptions, Promise<OpenApiDocument>>>();

function documentFor(app: AppContext, options: OpenApiOptions): Promise<OpenApiDocument> {
  let byOptions = documents.get(app);
  if (byOptions === undefined) documents.set(app, (byOptions = new WeakMap()));
  let document = byOptions.get(options);
  if (document === undefined) {
    document = generateOpenApi(app, options);
    byOptions.set(options, document);
    document.catch(() => byOptions.delete(options));
  }
  return document;
}

/** GET: the app's OpenAPI 3.1 document as JSON, its server the origin it was requested from. */
export class SchemaView extends PublicView {
  static override rendererClasses = [new JSONRenderer()];
  static readonly description = 'The OpenAPI 3.1 document of this API.';

  /** Set from the route (`schemaUrls` options). */
  openApiOptions: OpenApiOptions = {};

  async get(request: Request): Promise<Response> {
    const document = await documentFor(request.app, this.openApiOptions);
    const servers = this.openApiOptions.servers ?? [{ url: `${request.isSecure ? 'https' : 'http'}://${request.host}` }];
    const { openapi, info, paths, components, tags } = document;
    return new Response({ openapi, info, servers, paths, components, tags });
  }
}

/** GET: the Swagger UI page, every file it loads served by this app (nothing from the internet). */
export class SwaggerUIView extends PublicView {

  /** Set from the route: the schema's URL relative to this page, and the page title. */
  schemaUrl = '../schema/';
  title = 'API';

  get(request: Request): RawResponse {
    const settings = request.app.settings;
    const assets = docsAssets();
    const href = (name: string) => escapeHtml(`assets/${name}?v=${(assets.get(name) as Asset).version}`);
    const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(this.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${href('swagger-ui.css')}">
</head>
<body>
<div id="swagger-ui" data-schema-url="${escapeHtml(this.schemaUrl)}" data-csrf-cookie="${escapeHtml(settings.csrfCookieName)}" data-csrf-header="${escapeHtml(settings.csrfHeaderName)}"></div>
<script src="${href('swagger-ui-bundle.js')}"></script>
<script src="${href('swagger-ui-standalone-preset.js')}"></script>
<script src="${href(INIT_ASSET)}"></script>
</body>
</html>
`;
    return new RawResponse(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      // Belt and braces: even a changed Swagger UI could not reach another origin from this page.
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'same-origin',
    }, html);
  }
}

/** GET: one of Swagger UI's files, by the route's `asset` name; cacheable for a year (the page versions its URLs). */
export class DocsAssetView extends PublicView {

  /** Set from the route. */
  asset = '';

  get(request: Request): RawResponse {
    const asset = docsAssets().get(this.asset);
    if (asset === undefined) throw new NotFound();
    const etag = `"${asset.version}"`;
    const headers = { 'content-type': asset.contentType, 'cache-control': 'public, max-age=31536000, immutable', etag };
    if (request.header('if-none-match') === etag) return new RawResponse(304, headers);
    return new RawResponse(200, headers, asset.body);
  }
}

export interface SchemaUrlsOptions extends OpenApiOptions {
  /** Where the document is served; default `/schema/`. */
  schemaPath?: string;
  /** Where the Swagger UI page is served, its files under `<docsPath>assets/`; default `/docs/`; null for no page. */
  docsPath?: string | null;
  /** The schema view's authentication classes; default none (the schema is public). */
  authenticationClasses?: readonly AuthenticationPolicy[];
  /** The schema view's permission classes; default [AllowAny]. */
  permissionClasses?: readonly PermissionPolicy[];
  /** The schema view's throttle classes; default none. */
  throttleClasses?: readonly ThrottlePolicy[];
}

/** The routes of the schema (`/schema/`), the docs page (`/docs/`) and its files. */
export function schemaUrls(options: SchemaUrlsOptions = {}): Route[] {
  const { schemaPath = '/schema/', docsPath = '/docs/', authenticationClasses, permissionClasses, throttleClasses, ...document } = options;
  const schema = slashed(schemaPath);
  let view: ViewClass = SchemaView;
  if (authenticationClasses || permissionClasses || throttleClasses) {
    view = class extends SchemaView {
      static override authenticationClasses = authenticationClasses ?? PUBLIC.authenticationClasses;
      static override permissionClasses = permissionClasses ?? PUBLIC.permissionClasses;
      static override throttleClasses = throttleClasses ?? PUBLIC.throttleClasses;
    };
    Object.defineProperty(view, 'name', { value: 'SchemaView' });
  }
  const routes: Route[] = [{ path: schema, view, initkwargs: { openApiOptions: document }, name: 'openapi-schema' }];
  if (docsPath === null) return routes;
  const docs = slashed(docsPath);
  const relative = posix.relative(docs, schema);
  routes.push({
    path: docs,
    view: SwaggerUIView,
    initkwargs: { schemaUrl: `${relative === '' ? '.' : relative}/`, title: document.title ?? 'API' },
    name: 'openapi-docs',
  });
  for (const name of docsAssets().keys()) {
    routes.push({ path: `${docs}assets/${name}`, view: DocsAssetView, initkwargs: { asset: name }, name: 'openapi-docs-asset' });
  }
  return routes;
}

function slashed(path: string): string {
  const withLeading = path.startsWith('/') ? path : `/${path}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
