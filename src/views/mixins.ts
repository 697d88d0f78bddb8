/**
 * The actions of generic views, as DRF's `mixins.py`: list (200), create (201), retrieve (200),
 * update and partial update (200), destroy (204). Compose them onto GenericAPIView or GenericViewSet.
 * `performCreate`/`performUpdate`/`performDestroy` are the hooks to override, e.g. to set the creator:
 * `performCreate(serializer) { return serializer.save({ creator: this.request.user }); }`.
 */
import { GenericAPIView } from './generics.ts';
import { Response } from '../response.ts';
import { NotFound } from '../exceptions.ts';
import type { Request } from '../request.ts';
import { Serializer, saveNow, validateNow } from '../serializers/serializer.ts';
import type { MaybePromise } from '../util/types.ts';

// TypeScript's mixin pattern requires a constructor type with `any[]` arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type GenericCtor = abstract new (...args: any[]) => GenericAPIView;

export function ListModelMixin<B extends GenericCtor>(Base: B) {
  abstract class ListModel extends Base {
    /** All rows of the queryset, or one page of them when `pageSize` is set (`?page=N`). */
    async list(request: Request): Promise<Response> {
      const db = request.app.db;
      const queryset = this.getQueryset();
      const pageSize = request.app.settings.pageSize;
      if (pageSize === null) {
        const rows = await queryset.all(db);
        return new Response(this.getSerializer({ instance: rows, many: true }).data);
      }
      const pageParam = request.url.includes('page=') ? request.queryParams.get('page') : null;
      const count = await queryset.count(db);
      const lastPage = Math.max(1, Math.ceil(count / pageSize));
      // Django's paginator takes digits only: "1e0" or "0x1" are invalid pages, not page 1.
      const number = pageParam === null ? 1 : pageParam === 'last' ? lastPage : /^\d{1,9}$/.test(pageParam) ? Number(pageParam) : NaN;
      if (!(number >= 1 && number <= lastPage)) throw new NotFound('Invalid page.');
      const rows = await queryset.limit(pageSize).offset((number - 1) * pageSize).all(db);
      const link = (n: number) => pageLink(request, n);
      return new Response({
        count,
        next: number < lastPage ? link(number + 1) : null,
        previous: number > 1 ? link(number - 1) : null,
        results: this.getSerializer({ instance: rows, many: true }).data,
      });
    }
  }
  return ListModel;
}

function pageLink(request: Request, page: number): string {
  const params = new URLSearchParams(request.queryParams);
  if (page === 1) params.delete('page');
  else params.set('page', String(page));
  const query = params.toString();
  return `${request.isSecure ? 'https' : 'http'}://${request.host}${request.path}${query ? `?${query}` : ''}`;
}

export function CreateModelMixin<B extends GenericCtor>(Base: B) {
  abstract class CreateModel extends Base {
    async create(request: Request): Promise<Response> {
      const serializer = this.getSerializer({ data: request.data, formData: request.isFormData });
      await serializer.isValid({ raiseException: true });
      await this.performCreate(serializer);
      const data = serializer.data as Record<string, unknown>;
      const headers: Record<string, string> = typeof data.url === 'string' ? { location: data.url } : {};
      return new Response(data, 201, headers);
    }

    async performCreate(serializer: Serializer): Promise<unknown> {
      return serializer.save();
    }
  }
  return CreateModel;
}

export function RetrieveModelMixin<B extends GenericCtor>(Base: B) {
  abstract class RetrieveModel extends Base {
    /** Synchronous when `getObject()` is. */
    retrieve(_request: Request): MaybePromise<Response> {
      const instance = this.getObject();
      return instance instanceof Promise ? instance.then((found) => this.#represent(found)) : this.#represent(instance);
    }

    #represent(instance: Record<string, unknown>): Response {
      return new Response(this.getSerializer({ instance }).data);
    }
  }
  return RetrieveModel;
}

export function UpdateModelMixin<B extends GenericCtor>(Base: B) {
  abstract class UpdateModel extends Base {
    /**
     * Synchronous when every step is (the lookup, validation and the write, on SQLite) and neither
     * `performUpdate` nor the serializer's `isValid`/`save` is overridden; `await` it either way.
     */
    update(request: Request, partial = false): MaybePromise<Response> {
      const instance = this.getObject();
      return instance instanceof Promise ? instance.then((found) => this.#update(request, found, partial)) : this.#update(request, instance, partial);
    }

    partialUpdate(request: Request): MaybePromise<Response> {
      return this.update(request, true);
    }

    async performUpdate(serializer: Serializer): Promise<unknown> {
      return serializer.save();
    }

    #update(request: Request, instance: Record<string, unknown>, partial: boolean): MaybePromise<Response> {
      const serializer = this.getSerializer({ instance, data: request.data, partial, formData: request.isFormData });
      const validating =
        serializer.isValid === Serializer.prototype.isValid ? serializer[validateNow](true) : serializer.isValid({ raiseException: true });
      return validating instanceof Promise ? validating.then(() => this.#save(serializer)) : this.#save(serializer);
    }

    #save(serializer: Serializer): MaybePromise<Response> {
      const saving =
        this.performUpdate !== UpdateModel.prototype.performUpdate
          ? this.performUpdate(serializer)
          : serializer.save === Serializer.prototype.save
            ? serializer[saveNow]()
            : serializer.save();
      return saving instanceof Promise ? saving.then(() => new Response(serializer.data)) : new Response(serializer.data);
    }
  }
  return UpdateModel;
}

export function DestroyModelMixin<B extends GenericCtor>(Base: B) {
  abstract class DestroyModel extends Base {
    async destroy(_request: Request): Promise<Response> {
      const instance = await this.getObject();
      await this.performDestroy(instance);
      return new Response(null, 204);
    }

    async performDestroy(instance: Record<string, unknown>): Promise<void> {
      await this.getQueryset().model.delete(this.request.app.db, instance.id as number);
    }
  }
  return DestroyModel;
}
