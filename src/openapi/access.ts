/**
 * What an operation's policies let through, for its `security` and its error responses. The view's
 * own `getAuthenticators()`/`getPermissions()`/`getThrottles()` are asked (per action, as a request
 * would), and anonymous access is decided by running the permissions' `hasPermission` against an
 * anonymous request of that method: the real rule, not a table of known classes.
 */
import type { BaseAuthentication } from '../authentication/base.ts';
import { BasicAuthentication } from '../authentication/basic.ts';
import { SessionAuthentication } from '../authentication/session.ts';
import { TokenAuthentication } from '../authentication/token.ts';
import {
  AND,
  AllowAny,
  BasePermission,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  ModelPermissions,
  NOT,
  OR,
  ReadOnly,
  SAFE_METHODS,
} from '../permissions.ts';
import type { Request } from '../request.ts';
import type { Settings } from '../settings.ts';
import { ScopedRateThrottle, SimpleRateThrottle, type BaseThrottle } from '../throttling/throttles.ts';
import type { APIView } from '../views/api-view.ts';

export interface Access {
  readonly authenticators: readonly BaseAuthentication[];
  /** The first authenticator's WWW-Authenticate challenge: unauthenticated requests get 401 with it, else 403. */
  readonly challenge: string | null;
  /** A request without credentials passes the view's permissions. */
  readonly anonymous: boolean;
  /** Some permission may refuse an authenticated user (403 with its message). */
  readonly mayDenyUsers: boolean;
  /** The messages those permissions deny with (their own, or DRF's default). */
  readonly denialMessages: readonly string[];
  /** Some throttle has a rate for this view (429 with Retry-After). */
  readonly throttled: boolean;
}

export async function accessOf(view: APIView, probe: Request, settings: Settings): Promise<Access> {
  const authenticators = view.getAuthenticators();
  const permissions = view.getPermissions();
  const method = probe.method;
  const refusing = permissions.filter((p) => !grantsUsers(p, method, view));
  return {
    authenticators,
    challenge: authenticators[0]?.authenticateHeader(probe) ?? null,
    anonymous: await anonymousPasses(view, permissions, probe),
    mayDenyUsers: refusing.length > 0,
    denialMessages: [...new Set(refusing.map((p) => p.message ?? 'You do not have permission to perform this action.'))],
    throttled: view.getThrottles().some((t) => hasRate(t, view, settings)),
  };
}

/** The message of AuthenticationFailed an authenticator raises for bad credentials, when known. */
export function failureMessage(authenticator: BaseAuthentication): string | null {
  if (authenticator instanceof TokenAuthentication) return 'Invalid token.';
  if (authenticator instanceof BasicAuthentication) return 'Invalid username/password.';
  return null;
}

export function usesSession(access: Access): boolean {
  return access.authenticators.some((a) => a instanceof SessionAuthentication);
}

async function anonymousPasses(view: APIView, permissions: readonly BasePermission[], probe: Request): Promise<boolean> {
  view.request = probe;
  for (const permission of permissions) {
    try {
      let allowed = permission.hasPermission(probe, view);
      if (allowed instanceof Promise) allowed = await allowed;
      if (!allowed) return false;
    } catch {
      // A permission that throws on an anonymous request (405, or a bug) does not let it through.
      return false;
    }
  }
  return true;
}

/**
 * Whether a permission lets every authenticated user through for this method. Known classes are
 * answered exactly; a custom class only when it overrides neither check (else it may deny).
 */
function grantsUsers(permission: BasePermission, method: string, view: APIView): boolean {
  if (permission instanceof AND) return grantsUsers(permission.op1, method, view) && grantsUsers(permission.op2, method, view);
  if (permission instanceof OR) return grantsUsers(permission.op1, method, view) || grantsUsers(permission.op2, method, view);
  if (permission instanceof NOT) return false;
  const cls = permission.constructor;
  if (cls === AllowAny || cls === IsAuthenticated || cls === IsAuthenticatedOrReadOnly) return true;
  if (cls === ReadOnly) return SAFE_METHODS.has(method);
  if (permission instanceof ModelPermissions) return view.ignoreModelPermissions || permission.permsMap[method]?.length === 0;
  return (
    permission.hasPermission === BasePermission.prototype.hasPermission &&
    permission.hasObjectPermission === BasePermission.prototype.hasObjectPermission
  );
}

/** A throttle that can refuse requests to this view: one with a rate (null rates never throttle). */
function hasRate(throttle: BaseThrottle, view: APIView, settings: Settings): boolean {
  if (throttle instanceof ScopedRateThrottle) {
    const scope = view.throttleScope;
    return scope !== undefined && scope !== '' && settings.defaultThrottleRates[scope] != null;
  }
  if (throttle instanceof SimpleRateThrottle) return throttle.rate !== null;
  return true;
}
