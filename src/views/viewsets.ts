/**
 * ViewSets: one class for a resource's routes, whose actions (`list`, `create`, `retrieve`, `update`,
 * `partialUpdate`, `destroy`) a router binds to HTTP methods (DRF's `viewsets.py`). HEAD follows GET;
 * OPTIONS is always there. `this.action` tells the running action, e.g. for per-action permissions.
 */
import { GenericAPIView } from './generics.ts';
import {
  CreateModelMixin,
  DestroyModelMixin,
  ListModelMixin,
  RetrieveModelMixin,
  UpdateModelMixin,
} from './mixins.ts';
import { APIView } from './api-view.ts';

/** A ViewSet without generic behaviour: write the actions yourself. */
export class ViewSet extends APIView {
  static readonly isViewSet = true;
}

export class GenericViewSet extends GenericAPIView {
  static readonly isViewSet = true;
}

export class ReadOnlyModelViewSet extends RetrieveModelMixin(ListModelMixin(GenericViewSet)) {}

export class ModelViewSet extends DestroyModelMixin(
  UpdateModelMixin(CreateModelMixin(RetrieveModelMixin(ListModelMixin(GenericViewSet)))),
) {}

/** The actions a router maps, in route order: collection, then detail. */
export const LIST_ACTIONS = { get: 'list', post: 'create' } as const;
export const DETAIL_ACTIONS = { get: 'retrieve', put: 'update', patch: 'partialUpdate', delete: 'destroy' } as const;

export function isViewSet(view: unknown): boolean {
  return typeof view === 'function' && (view as { isViewSet?: boolean }).isViewSet === true;
}
