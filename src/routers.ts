/**
 * URL routing: `path()` for single views and `DefaultRouter` for viewsets (DRF's `routers.py`). The
 * router maps a viewset's actions to `/{prefix}/` and `/{prefix}/:pk/` (only the actions the viewset
 * has), adds the API root at `/`, and a `.json`-style format suffix variant of every route.
 */
import { APIView, type ViewClass } from './views/api-view.ts';
import { LIST_ACTIONS, DETAIL_ACTIONS, isViewSet } from './views/viewsets.ts';
import { Response } from './response.ts';
import { ImproperlyConfigured } from './exceptions.ts';
import type { Request } from './request.ts';
import type { GenericViewClass } from './views/generics.ts';

export interface Route {
  /** A Fastify-style path: `/life/:pk/`. */
  readonly path: string;
  readonly view: ViewClass;
  /** Viewsets: HTTP method (lowercase) to action name. */
  readonly actions?: Readonly<Record<string, string>>;
  /** Properties set on each view instance (e.g. `suffix`, `basename`, `detail`). */
  readonly initkwargs?: Readonly<Record<string, unknown>>;
  /** For reversing URLs, e.g. `life-list`. */
  readonly name?: string;
  /** The route also captures a `format` parameter (`/life/1.json`). */
  readonly formatSuffix?: boolean;
  /** A router's lookup parameter (`pk`): as DRF's `[^/.]+`, its value may hold no `.` or `/`. */
  readonly lookup?: string;
}

/** A route for one view: `path('/example/', ExampleView)`. */
export function path(pattern: string, view: ViewClass, options: { name?: string } = {}): Route {
  if (isViewSet(view)) {
    throw new ImproperlyConfigured(
      `path("${pattern}", ${view.name}): ${view.name} is a viewset; register it with a router (router.register("prefix", ${view.name})) so its actions are mapped to methods.`,
    );
  }
  return { path: normalise(pattern), view, ...(options.name ? { name: options.name } : {}) };
}

/** Mounts routes under a prefix: `include('/api-auth/', authUrls)`. */
export function include(prefix: string, routes: readonly Route[]): Route[] {
  const base = normalise(prefix).replace(/\/$/, '');
  return routes.map((r) => ({ ...r, path: base + r.path }));
}

function normalise(pattern: string): string {
  return pattern.startsWith('/') ? pattern : `/${pattern}`;
}

interface Registration {
  prefix: string;
  viewset: GenericViewClass;
  basename: string;
}

export class SimpleRouter {
  protected readonly registry: Registration[] = [];
  readonly trailingSlash: string;

  constructor(options: { trailingSlash?: boolean } = {}) {
    this.trailingSlash = options.trailingSlash === false ? '' : '/';
  }

  /** Registers a viewset under a URL prefix. The basename defaults to the queryset's model name. */
  register(prefix: string, viewset: ViewClass, basename?: string): this {
    if (!isViewSet(viewset)) {
      throw new ImproperlyConfigured(`router.register("${prefix}", ${viewset.name}): ${viewset.name} is not a viewset; use path() for plain views.`);
    }
    const cls = viewset as GenericViewClass;
    const name = basename ?? cls.queryset?.model.name;
    if (!name) {
      throw new ImproperlyConfigured(
        `router.register("${prefix}", ${viewset.name}): "basename" argument not specified, and could not automatically determine the name from the viewset, as it does not have a "queryset". Pass a basename.`,
      );
    }
    if (this.registry.some((r) => r.basename === name)) {
      throw new ImproperlyConfigured(`Router with basename "${name}" is already registered. Please provide a unique basename for viewset "${viewset.name}".`);
    }
    this.registry.push({ prefix: prefix.replace(/^\/|\/$/g, ''), viewset: cls, basename: name });
    return this;
  }

  get urls(): Route[] {
    const routes: Route[] = [];
    for (const { prefix, viewset, basename } of this.registry) {
      const lookup = `:${viewset.lookupUrlKwarg ?? 'pk'}`;
      const list = boundActions(viewset, LIST_ACTIONS);
      const detail = boundActions(viewset, DETAIL_ACTIONS);
      if (list) routes.push(...this.withSuffix(`/${prefix}`, viewset, list, { suffix: 'List', basename, detail: false }, `${basename}-list`));
      if (detail) {
        const detailRoutes = this.withSuffix(`/${prefix}/${lookup}`, viewset, detail, { suffix: 'Instance', basename, detail: true }, `${basename}-detail`);
        routes.push(...detailRoutes.map((r) => ({ ...r, lookup: lookup.slice(1) })));
      }
    }
    return routes;
  }

  protected withSuffix(
    base: string,
    view: ViewClass,
    actions: Record<string, string> | undefined,
    initkwargs: Record<string, unknown>,
    name: string,
  ): Route[] {
    return [{ path: base + this.trailingSlash, view, ...(actions ? { actions } : {}), initkwargs, name }];
  }
}

/** The actions of a route that the viewset implements, or undefined when it implements none. */
function boundActions(viewset: ViewClass, mapping: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const proto = viewset.prototype as unknown as Record<string, unknown>;
  const bound: Record<string, string> = {};
  for (const [method, action] of Object.entries(mapping)) {
    if (typeof proto[action] === 'function') bound[method] = action;
  }
  return Object.keys(bound).length > 0 ? bound : undefined;
}

/**
 * DefaultRouter: SimpleRouter plus the browsable API root at `/` listing every registered prefix, and
 * format suffixes (`/life.json`, `/life/1.json`, `/.json`).
 */
export class DefaultRouter extends SimpleRouter {
  override get urls(): Route[] {
    const view = this.rootView();
    const root = { view, name: 'api-root', initkwargs: { ignoreModelPermissions: true } };
    return [
      ...super.urls,
      { path: '/', ...root },
      { path: '/.:format', ...root, formatSuffix: true },
      { path: '/.:format/', ...root, formatSuffix: true },
    ];
  }

  protected override withSuffix(
    base: string,
    view: ViewClass,
    actions: Record<string, string> | undefined,
    initkwargs: Record<string, unknown>,
    name: string,
  ): Route[] {
    const plain = super.withSuffix(base, view, actions, initkwargs, name);
    const shared = { view, ...(actions ? { actions } : {}), initkwargs, name, formatSuffix: true };
    return [...plain, { path: `${base}.:format`, ...shared }, { path: `${base}.:format/`, ...shared }];
  }

  /** The API root view: `{prefix: absolute URL}` for every registered viewset with a list route. */
  protected rootView(): ViewClass {
    const prefixes = this.registry.filter((r) => boundActions(r.viewset, LIST_ACTIONS)).map((r) => r.prefix);
    const slash = this.trailingSlash;
    return class APIRootView extends APIView {
      static description = 'The default basic root view for DefaultRouter';

      get(request: Request): Response {
        const origin = `${request.isSecure ? 'https' : 'http'}://${request.host}`;
        const suffix = this.format ? `.${this.format}` : slash;
        return new Response(Object.fromEntries(prefixes.map((p) => [p, `${origin}/${p}${suffix}`])));
      }
    };
  }
}
