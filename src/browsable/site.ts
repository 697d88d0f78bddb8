/**
 * What the browsable API knows about the app's URLs, worked out once per app: the routes a
 * breadcrumb can name (each path prefix that resolves to a view, DRF's `get_breadcrumbs`), and where
 * the login and logout views are mounted (the routes named `login` and `logout`, as
 * `include('/api-auth/', authUrls)` names them). Without them the page shows no login/logout links,
 * as DRF does when `rest_framework.urls` is not included.
 */
import type { AppContext } from '../app-context.ts';
import type { CompiledRoute } from '../app.ts';
import type { APIView } from '../views/api-view.ts';

export interface Crumb {
  name: string;
  url: string;
}

interface Site {
  readonly views: readonly { readonly pattern: RegExp; readonly name: string }[];
  readonly loginPath: string | null;
  readonly logoutPath: string | null;
}

const sites = new WeakMap<AppContext, Site>();

function siteOf(app: AppContext): Site {
  let site = sites.get(app);
  if (site === undefined) {
    const routes = app.routes;
    const views: { pattern: RegExp; name: string }[] = [];
    for (const { route, view } of routes) {
      if (route.formatSuffix || route.name === 'login' || route.name === 'logout') continue;
      const name = viewName(view);
      if (name === null) continue;
      const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_][A-Za-z0-9_]*/g, '[^/.]+');
      views.push({ pattern: new RegExp(`^${source}$`), name });
    }
    site = {
      views,
      loginPath: routes.find((r) => r.route.name === 'login')?.route.path ?? null,
      logoutPath: routes.find((r) => r.route.name === 'logout')?.route.path ?? null,
    };
    sites.set(app, site);
  }
  return site;
}

/** The name a view gives itself (with the router's suffix), or null when it cannot say without a request. */
function viewName(compiled: CompiledRoute['view']): string | null {
  try {
    const view = new compiled.viewClass() as APIView;
    view.compiled = compiled;
    Object.assign(view, compiled.initkwargs);
    return view.getViewName();
  } catch {
    return null;
  }
}

/** `/`, `/surveys/`, `/surveys/19/`: each prefix of the path that is a view, with its name. */
export function breadcrumbs(app: AppContext, path: string): Crumb[] {
  const { views } = siteOf(app);
  const prefixes: string[] = [];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) prefixes.push(path.slice(0, i + 1));
  if (!path.endsWith('/')) prefixes.push(path);
  const crumbs: Crumb[] = [];
  for (const prefix of prefixes) {
    const match = views.find((v) => v.pattern.test(prefix));
    if (match !== undefined && crumbs[crumbs.length - 1]?.name !== match.name) crumbs.push({ name: match.name, url: prefix });
  }
  return crumbs;
}

/** The login and logout URLs for a page at `path`, returning there; null when the views are not mounted. */
export function authLinks(app: AppContext, path: string): { login: string | null; logout: string | null } {
  const { loginPath, logoutPath } = siteOf(app);
  const next = `?next=${encodeURIComponent(path)}`;
  return { login: loginPath === null ? null : loginPath + next, logout: logoutPath === null ? null : logoutPath + next };
}
