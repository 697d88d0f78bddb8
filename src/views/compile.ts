/**
 * Start-up compilation of a view: its policies resolved against the settings (authenticators,
 * permissions, throttles, parsers, renderers), its allowed methods, and every configuration mistake
 * turned into an ImproperlyConfigured that names the view and the fix — so none surfaces later as a
 * mysterious 403 or 500.
 */
import { APIView, HTTP_METHOD_NAMES, type CompiledPolicies, type CompiledView, type ViewClass } from './api-view.ts';
import { ImproperlyConfigured } from '../exceptions.ts';
import { BaseAuthentication } from '../authentication/base.ts';
import { AND, BasePermission, ModelPermissions, NOT, OR } from '../permissions.ts';
import { DEFAULT_PARSERS } from '../parsers.ts';
import type { Renderer } from '../renderers.ts';
import { ContentNegotiator } from '../negotiation.ts';
import type { AppContext } from '../app-context.ts';
import { defaultRenderers } from '../browsable/index.ts';
import { buildThrottles } from '../throttling/policy.ts';
import { SimpleMetadata } from '../metadata.ts';

/**
 * An entry of a policy list as an instance of `base`: a subclass is constructed, an instance kept.
 * Anything else (a plain function, an object, a class of another kind) is a start-up error naming
 * where the list came from.
 */
function resolvePolicy<T extends object>(policy: unknown, base: abstract new (...args: never[]) => T, where: string, fix: string): T {
  if (typeof policy === 'function' && (policy.prototype instanceof base || policy === base)) {
    return new (policy as new () => T)();
  }
  if (policy instanceof base) return policy;
  throw new ImproperlyConfigured(`${where} contains ${describe(policy)}, which is not ${fix}`);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return value.name ? `"${value.name}"` : 'an anonymous function';
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `the ${typeof value} ${JSON.stringify(value)}`;
}

/** Where a view's policy list comes from, for messages: its own property, or the default setting. */
function source(own: unknown, property: string, setting: string, view: string): string {
  return own !== undefined ? `${view}.${property}` : `The ${setting} setting (used by ${view})`;
}

function usesModelPermissions(permission: BasePermission): boolean {
  if (permission instanceof ModelPermissions) return true;
  if (permission instanceof AND || permission instanceof OR) {
    return usesModelPermissions(permission.op1) || usesModelPermissions(permission.op2);
  }
  return permission instanceof NOT && usesModelPermissions(permission.op1);
}

const negotiators = new WeakMap<readonly Renderer[], ContentNegotiator>();

/**
 * Resolves a view's policies against the settings and checks them. Every mistake is an
 * ImproperlyConfigured naming the view and the fix, thrown at start-up.
 */
export function compileView(
  viewClass: ViewClass,
  context: AppContext,
  options: { actions?: Record<string, string>; initkwargs?: Record<string, unknown>; name?: string } = {},
): CompiledView {
  const settings = context.settings;
  const label = options.name ?? viewClass.name;
  if (!(viewClass.prototype instanceof APIView) && viewClass !== (APIView as ViewClass)) {
    throw new ImproperlyConfigured(`${label} is not an APIView subclass; routes take view classes (or apiView(...) functions).`);
  }
  const authSource = source(viewClass.authenticationClasses, 'authenticationClasses', 'defaultAuthenticationClasses', label);
  const authenticators = (viewClass.authenticationClasses ?? settings.defaultAuthenticationClasses).map((p) =>
    resolvePolicy(p, BaseAuthentication, authSource, 'an authentication class. Use classes extending BaseAuthentication, e.g. [SessionAuthentication, TokenAuthentication].'),
  );
  const permissionSource = source(viewClass.permissionClasses, 'permissionClasses', 'defaultPermissionClasses', label);
  const permissionPolicies = viewClass.permissionClasses ?? settings.defaultPermissionClasses;
  const permissions = permissionPolicies.map((p) =>
    resolvePolicy(p, BasePermission, permissionSource, 'a permission. Use classes extending BasePermission, e.g. [IsAuthenticated], or compositions like IsAuthenticated.or(ReadOnly).'),
  );
  const permissionFactories = permissionPolicies.map((policy, i) =>
    typeof policy === 'function' ? () => new policy() : () => permissions[i]!,
  );
  const throttles = buildThrottles(
    viewClass.throttleClasses ?? settings.defaultThrottleClasses,
    viewClass.throttleScope,
    context,
    label,
    source(viewClass.throttleClasses, 'throttleClasses', 'defaultThrottleClasses', label),
  );
  const renderers = viewClass.rendererClasses ?? defaultRenderers();
  let negotiator = negotiators.get(renderers);
  if (negotiator === undefined) {
    negotiator = new ContentNegotiator(renderers);
    negotiators.set(renderers, negotiator);
  }
  const policies: CompiledPolicies = {
    authenticators,
    permissions: permissionFactories,
    throttles,
    throttleFailurePolicy: viewClass.throttleFailurePolicy ?? settings.throttleFailurePolicy,
    parsers: viewClass.parserClasses ?? DEFAULT_PARSERS,
    renderers,
    negotiator,
    metadata: viewClass.metadataClass === undefined ? new SimpleMetadata() : viewClass.metadataClass,
  };
  const allowedMethods = allowedMethodsOf(viewClass, options.actions);
  if (permissions.some(usesModelPermissions) && viewClass.prototype.getQueryset === APIView.prototype.getQueryset && !options.initkwargs?.ignoreModelPermissions) {
    throw new ImproperlyConfigured(
      `${label} uses ModelPermissions but has no queryset to take the model from. Set "static queryset" (use GenericAPIView or a viewset), or choose another permission class.`,
    );
  }
  viewClass.check?.({ view: viewClass, policies, actions: options.actions });
  const actionByMethod = actionTable(options.actions);
  return {
    viewClass,
    policies,
    actions: options.actions,
    initkwargs: options.initkwargs ?? {},
    allowedMethods,
    actionByMethod,
    handlerByMethod: new Map(
      allowedMethods.map((method) => [
        method,
        options.actions !== undefined && method !== 'OPTIONS' ? actionByMethod.get(method)! : method === 'HEAD' ? 'get' : method.toLowerCase(),
      ]),
    ),
    allowHeader: allowedMethods.join(', '),
    vary: renderers.length > 1 ? 'Accept' : undefined,
  };
}

/**
 * DRF's `view.action` for each HTTP method a viewset's route maps, worked out once: the per-request
 * path looks the method up instead of lowercasing it. HEAD falls back to GET's action; OPTIONS is
 * `metadata`. A plain view (no actions) has none.
 */
function actionTable(actions: Readonly<Record<string, string>> | undefined): ReadonlyMap<string, string> {
  const table = new Map<string, string>();
  if (actions === undefined) return table;
  for (const [method, action] of Object.entries(actions)) table.set(method.toUpperCase(), action);
  if (!table.has('HEAD') && actions.get !== undefined) table.set('HEAD', actions.get);
  table.set('OPTIONS', 'metadata');
  return table;
}

/** DRF's `allowed_methods`: the methods with a handler, in `http_method_names` order; OPTIONS always. */
function allowedMethodsOf(viewClass: ViewClass, actions: Record<string, string> | undefined): string[] {
  const proto = viewClass.prototype as unknown as Record<string, unknown>;
  const names = viewClass.httpMethodNames ?? HTTP_METHOD_NAMES;
  const allowed: string[] = [];
  for (const name of names) {
    let answers: boolean;
    if (name === 'options') answers = true;
    else if (actions !== undefined) answers = name in actions || (name === 'head' && 'get' in actions);
    else answers = typeof proto[name === 'head' ? 'get' : name] === 'function';
    if (answers) allowed.push(name.toUpperCase());
  }
  return allowed;
}
