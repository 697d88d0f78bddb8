/**
 * GenericAPIView: an APIView over a queryset and a serializer (DRF's `generics.py`). `getObject()` is
 * where object permissions run: view permissions (401/403), then existence (404), then object
 * permissions (403), in that order.
 */
import { APIView, type CheckContext, type ViewClass } from './api-view.ts';
import { ImproperlyConfigured, NotFound } from '../exceptions.ts';
import type { QuerySet } from '../models/index.ts';
import { getNow } from '../models/queryset.ts';
import type { MaybePromise } from '../util/types.ts';
import type { SerializerClass, Serializer, SerializerOptions } from '../serializers/index.ts';

export interface GenericViewClass extends ViewClass {
  queryset?: QuerySet;
  serializerClass?: SerializerClass;
  lookupField?: string;
  lookupUrlKwarg?: string;
}

export class GenericAPIView extends APIView {
  static queryset?: QuerySet;
  static serializerClass?: SerializerClass;
  /** The model field an object is looked up by. */
  static lookupField = 'id';
  /** The URL parameter holding the lookup value. */
  static lookupUrlKwarg = 'pk';

  /** The object `getObject()` last returned: the browsable API checks its forms against it. */
  object: Record<string, unknown> | undefined;

  static check({ view, actions }: CheckContext): void {
    const cls = view as GenericViewClass;
    const overridesQueryset = view.prototype.getQueryset !== GenericAPIView.prototype.getQueryset;
    const overridesSerializer = view.prototype.getSerializerClass !== GenericAPIView.prototype.getSerializerClass;
    if (!cls.queryset && !overridesQueryset) {
      throw new ImproperlyConfigured(`${view.name} has no queryset. Set "static queryset = Model.objects" or override getQueryset().`);
    }
    const needsSerializer = actions === undefined || Object.keys(actions).length > 0;
    if (needsSerializer && !cls.serializerClass && !overridesSerializer) {
      throw new ImproperlyConfigured(
        `${view.name} has no serializer. Set "static serializerClass = ...Serializer" or override getSerializerClass().`,
      );
    }
    // Build the serializer's fields now, so a field the model lacks fails here rather than on a request.
    try {
      cls.serializerClass?.fieldMap();
    } catch (error) {
      if (error instanceof ImproperlyConfigured) throw new ImproperlyConfigured(`${view.name}: ${error.message}`);
      throw error;
    }
  }

  private get cls(): GenericViewClass {
    return this.constructor as GenericViewClass;
  }

  /** The rows this view works on; override to filter by the user, e.g. drafts visible to their creator. */
  override getQueryset(): QuerySet {
    return this.cls.queryset!;
  }

  getSerializerClass(): SerializerClass {
    return this.cls.serializerClass!;
  }

  getSerializerContext(): Record<string, unknown> {
    return { request: this.request, view: this, db: this.request.app.db, format: this.format };
  }

  getSerializer(options: Omit<SerializerOptions, 'context'> = {}): Serializer {
    const SerializerClass = this.getSerializerClass();
    // Options of one shape whatever the caller passed, so the serializer's constructor reads them cheaply.
    return new SerializerClass({
      data: options.data,
      instance: options.instance,
      partial: options.partial,
      many: options.many,
      formData: options.formData,
      context: this.getSerializerContext(),
    });
  }

  /**
   * The object named by the URL, or 404; then the object permissions. A malformed lookup value
   * (`/life/abc/`) is a 404 too, never an error. Synchronous when the lookup and the permissions are
   * (SQLite); `await` it either way.
   */
  getObject(): MaybePromise<Record<string, unknown>> {
    const value = this.kwargs[this.cls.lookupUrlKwarg ?? 'pk'];
    if (value === undefined) {
      throw new ImproperlyConfigured(
        `Expected view ${this.constructor.name} to be called with a URL parameter named "${this.cls.lookupUrlKwarg}".`,
      );
    }
    const queryset = this.getQueryset();
    const lookupField = this.cls.lookupField ?? 'id';
    const db = this.request.app.db;
    const found = lookupField === 'id' ? queryset[getNow](db, value) : queryset.where(lookupField, '=', value).first(db);
    return found instanceof Promise ? found.then((obj) => this.#permitted(obj)) : this.#permitted(found);
  }

  #permitted(obj: Record<string, unknown> | undefined): MaybePromise<Record<string, unknown>> {
    if (obj === undefined) throw new NotFound();
    const checking = this.checkObjectPermissions(this.request, obj);
    if (checking) return checking.then(() => (this.object = obj));
    return (this.object = obj);
  }

}
