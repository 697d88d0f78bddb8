/**
 * Permissions decide whether a request may proceed (DRF's `permissions.py`). `hasPermission` runs for
 * every request after authentication; `hasObjectPermission` runs when a view fetches its object. A
 * denial becomes 401/403 in the view: NotAuthenticated when the request has authenticators and none
 * succeeded, otherwise PermissionDenied with the permission's `message`/`code`.
 *
 * Compose with `IsAuthenticated.or(ReadOnly)`, `A.and(B)`, `A.not()` (DRF's `|`, `&`, `~`), with DRF
 * 3.14's semantics: short-circuit, and `or` on objects requires an operand to pass both checks.
 */
import type { Request } from './request.ts';
import type { APIView } from './views/api-view.ts';
import { MethodNotAllowed } from './exceptions.ts';

import type { MaybePromise } from './util/types.ts';

export type { MaybePromise };

export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

type PermissionClass = new () => BasePermission;
/** A policy entry: a permission class (constructed once at start-up) or an instance (e.g. a composition). */
export type PermissionPolicy = BasePermission | PermissionClass;

export function toPermission(policy: PermissionPolicy): BasePermission {
  return typeof policy === 'function' ? new policy() : policy;
}

function then<T, R>(value: MaybePromise<T>, next: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export class BasePermission {
  /** The denial message for authenticated users; DRF's default when absent. */
  message?: string;
  code?: string;

  hasPermission(_request: Request, _view: APIView): MaybePromise<boolean> {
    return true;
  }

  hasObjectPermission(_request: Request, _view: APIView, _obj: unknown): MaybePromise<boolean> {
    return true;
  }

  get name(): string {
    return this.constructor.name;
  }

  and(other: PermissionPolicy): BasePermission {
    return new AND(this, toPermission(other));
  }

  or(other: PermissionPolicy): BasePermission {
    return new OR(this, toPermission(other));
  }

  not(): BasePermission {
    return new NOT(this);
  }

  static and<T extends BasePermission>(this: new () => T, other: PermissionPolicy): BasePermission {
    return new this().and(other);
  }

  static or<T extends BasePermission>(this: new () => T, other: PermissionPolicy): BasePermission {
    return new this().or(other);
  }

  static not<T extends BasePermission>(this: new () => T): BasePermission {
    return new this().not();
  }
}

/** Composite permissions carry no message of their own: a failed composite uses the default, as in DRF. */
export class AND extends BasePermission {
  constructor(readonly op1: BasePermission, readonly op2: BasePermission) {
    super();
  }
  override hasPermission(request: Request, view: APIView): MaybePromise<boolean> {
    return then(this.op1.hasPermission(request, view), (a) => a && this.op2.hasPermission(request, view));
  }
  override hasObjectPermission(request: Request, view: APIView, obj: unknown): MaybePromise<boolean> {
    return then(this.op1.hasObjectPermission(request, view, obj), (a) => a && this.op2.hasObjectPermission(request, view, obj));
  }
  override get name(): string {
    return `(${this.op1.name} & ${this.op2.name})`;
  }
}

export class OR extends BasePermission {
  constructor(readonly op1: BasePermission, readonly op2: BasePermission) {
    super();
  }
  override hasPermission(request: Request, view: APIView): MaybePromise<boolean> {
    return then(this.op1.hasPermission(request, view), (a) => a || this.op2.hasPermission(request, view));
  }
  /** DRF #7522: an operand that fails `hasPermission` cannot grant object access through the default `true`. */
  override hasObjectPermission(request: Request, view: APIView, obj: unknown): MaybePromise<boolean> {
    const both = (p: BasePermission) =>
      then(p.hasPermission(request, view), (ok) => ok && p.hasObjectPermission(request, view, obj));
    return then(both(this.op1), (a) => a || both(this.op2));
  }
  override get name(): string {
    return `(${this.op1.name} | ${this.op2.name})`;
  }
}

export class NOT extends BasePermission {
  constructor(readonly op1: BasePermission) {
    super();
  }
  override hasPermission(request: Request, view: APIView): MaybePromise<boolean> {
    return then(this.op1.hasPermission(request, view), (a) => !a);
  }
  override hasObjectPermission(request: Request, view: APIView, obj: unknown): MaybePromise<boolean> {
    return then(this.op1.hasObjectPermission(request, view, obj), (a) => !a);
  }
  override get name(): string {
    return `~${this.op1.name}`;
  }
}

/** Allows every request. DRF's default permission. */
export class AllowAny extends BasePermission {}

/** Allows authenticated users only. */
export class IsAuthenticated extends BasePermission {
  override hasPermission(request: Request): boolean {
    return request.user.isAuthenticated;
  }
}

/** Allows staff users only (`isStaff`, not superuser: a superuser without staff is denied, as in DRF). */
export class IsAdminUser extends BasePermission {
  override hasPermission(request: Request): boolean {
    return request.user.isStaff;
  }
}

/** Allows anyone to read (GET, HEAD, OPTIONS) and authenticated users to write. */
export class IsAuthenticatedOrReadOnly extends BasePermission {
  override hasPermission(request: Request): boolean {
    return SAFE_METHODS.has(request.method) || request.user.isAuthenticated;
  }
}

/** Allows safe methods only. */
export class ReadOnly extends BasePermission {
  override hasPermission(request: Request): boolean {
    return SAFE_METHODS.has(request.method);
  }
}

/**
 * DRF's DjangoModelPermissions: reads are open to authenticated users; POST needs `add_<model>`,
 * PUT/PATCH `change_<model>`, DELETE `delete_<model>` (directly or through a group). A method not in
 * the map is 405. The view must have a queryset (checked at start-up).
 */
export class ModelPermissions extends BasePermission {
  protected authenticatedUsersOnly = true;
  readonly permsMap: Readonly<Record<string, readonly string[]>> = {
    GET: [],
    OPTIONS: [],
    HEAD: [],
    POST: ['add_%(model)s'],
    PUT: ['change_%(model)s'],
    PATCH: ['change_%(model)s'],
    DELETE: ['delete_%(model)s'],
  };

  override hasPermission(request: Request, view: APIView): MaybePromise<boolean> {
    // DRF 3.14 consults this before authentication, which leaves the router's API root open.
    if (view.ignoreModelPermissions) return true;
    if (!request.user.isAuthenticated && this.authenticatedUsersOnly) return false;
    const model = view.getQueryset().model;
    return request.user.hasPerms(this.requiredPermissions(request.method, model.name));
  }

  requiredPermissions(method: string, modelName: string): string[] {
    const templates = this.permsMap[method];
    if (templates === undefined) throw new MethodNotAllowed(method);
    return templates.map((t) => t.replace('%(model)s', modelName));
  }
}

/** ModelPermissions that also lets anonymous users read. */
export class ModelPermissionsOrAnonReadOnly extends ModelPermissions {
  protected override authenticatedUsersOnly = false;
}

/** DRF's names, for readers coming from DRF. */
export { ModelPermissions as DjangoModelPermissions, ModelPermissionsOrAnonReadOnly as DjangoModelPermissionsOrAnonReadOnly };
