/**
 * Ready-made generic views, one per combination of actions (DRF's concrete `generics` classes):
 * set `queryset` and `serializerClass` and route them with a path.
 */
import type { Request } from '../request.ts';
import type { Response } from '../response.ts';
import type { MaybePromise } from '../util/types.ts';
import { GenericAPIView } from './generics.ts';
import { CreateModelMixin, DestroyModelMixin, ListModelMixin, RetrieveModelMixin, UpdateModelMixin } from './mixins.ts';

export class ListAPIView extends ListModelMixin(GenericAPIView) {
  get(request: Request): Promise<Response> {
    return this.list(request);
  }
}

export class CreateAPIView extends CreateModelMixin(GenericAPIView) {
  post(request: Request): Promise<Response> {
    return this.create(request);
  }
}

export class ListCreateAPIView extends CreateModelMixin(ListAPIView) {
  post(request: Request): Promise<Response> {
    return this.create(request);
  }
}

export class RetrieveAPIView extends RetrieveModelMixin(GenericAPIView) {
  get(request: Request): MaybePromise<Response> {
    return this.retrieve(request);
  }
}

export class RetrieveUpdateAPIView extends UpdateModelMixin(RetrieveAPIView) {
  put(request: Request): MaybePromise<Response> {
    return this.update(request);
  }
  patch(request: Request): MaybePromise<Response> {
    return this.partialUpdate(request);
  }
}

export class RetrieveDestroyAPIView extends DestroyModelMixin(RetrieveAPIView) {
  delete(request: Request): Promise<Response> {
    return this.destroy(request);
  }
}

export class RetrieveUpdateDestroyAPIView extends DestroyModelMixin(RetrieveUpdateAPIView) {
  delete(request: Request): Promise<Response> {
    return this.destroy(request);
  }
}
