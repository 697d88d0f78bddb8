import { BasePermission, SAFE_METHODS, type Request } from '../../src/index.ts';

/** Object-level permission: only the creator may edit or delete; anyone may read. */
export class IsCreatorOrReadOnly extends BasePermission {
  override hasObjectPermission(request: Request, _view: unknown, obj: { creator_id?: number }): boolean {
    if (SAFE_METHODS.has(request.method)) return true;
    return obj.creator_id === request.user.id;
  }
}
