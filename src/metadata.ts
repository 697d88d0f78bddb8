/**
 * "Would this user be allowed to send METHOD here?", asked on a copy of the request, and the OPTIONS
 * metadata built on it.
 *
 * `overrideMethod` and `mayRequest` are DRF's `override_method` and `show_form_for_method`: the one
 * place both the browsable API (which forms and buttons to show) and OPTIONS (which `actions` to
 * describe) decide write permission. The view's permissions run on `request.withMethod(method)`, with
 * `view.action` set as the router maps that method, and, when there is an object, its object
 * permissions too. Any API exception (401, 403, 404) means no.
 *
 * `SimpleMetadata` is DRF's: the view's name, description, renderers and parsers, and under `actions`
 * the fields for PUT and POST, only for the methods this user may send (for PUT, the object is looked
 * up as the view would, so a missing or forbidden object hides it).
 */
import { APIException } from './exceptions.ts';
import type { Request } from './request.ts';
import { actionFor, type APIView } from './views/api-view.ts';
import type { MaybePromise } from './util/types.ts';

export interface Metadata {
  determineMetadata(request: Request, view: APIView): Promise<Record<string, unknown>>;
}

/**
 * Which object `mayRequest` checks object permissions against: none (a list, a POST), the object the
 * page shows, or `'lookup'`: the view's own `getObject()` (404, then object permissions), as
 * SimpleMetadata does for PUT.
 */
export type ObjectCheck = undefined | { readonly object: unknown } | 'lookup';

/** The part of a generic view that forms and metadata need: its serializer, and its object lookup. */
export interface DescribesFields {
  getSerializer(options?: object): { fieldInfo(): Record<string, unknown> };
  getObject(): MaybePromise<unknown>;
}

export function describesFields(view: APIView): view is APIView & DescribesFields {
  return typeof (view as Partial<DescribesFields>).getSerializer === 'function';
}

/**
 * Runs `fn` while the view sees a copy of the request with `method` (and the action a viewset maps it
 * to), then restores the view. The copy keeps the user and credentials but has a trace of its own, so
 * a probe never shows up in the real request's explanation.
 */
export async function overrideMethod<T>(view: APIView, request: Request, method: string, fn: (probe: Request) => Promise<T>): Promise<T> {
  const { request: original, action } = view;
  const probe = request.withMethod(method);
  view.request = probe;
  view.action = actionFor(view.compiled, method);
  try {
    return await fn(probe);
  } finally {
    view.request = original;
    view.action = action;
  }
}

/**
 * DRF's `show_form_for_method`: the method is one the view answers, its permissions pass on the
 * probe request, and so do the object permissions when there is an object. Call it inside
 * `overrideMethod` with the probe it gives.
 */
export async function mayRequest(view: APIView, probe: Request, object: ObjectCheck): Promise<boolean> {
  if (!view.allowedMethods.includes(probe.method)) return false;
  try {
    await view.checkPermissions(probe);
    if (object === 'lookup') {
      if (describesFields(view)) await view.getObject();
    } else if (object !== undefined) {
      await view.checkObjectPermissions(probe, object.object);
    }
    return true;
  } catch (error) {
    if (error instanceof APIException) return false;
    throw error;
  }
}

export class SimpleMetadata implements Metadata {
  async determineMetadata(request: Request, view: APIView): Promise<Record<string, unknown>> {
    const metadata: Record<string, unknown> = {
      name: view.getViewName(),
      description: view.getViewDescription(),
      renders: view.policies.renderers.map((r) => r.mediaType),
      parses: view.policies.parsers.map((p) => p.mediaType),
    };
    if (describesFields(view)) {
      const actions = await this.determineActions(request, view);
      if (Object.keys(actions).length > 0) metadata.actions = actions;
    }
    return metadata;
  }

  async determineActions(request: Request, view: APIView & DescribesFields): Promise<Record<string, unknown>> {
    const actions: Record<string, unknown> = {};
    for (const method of ['POST', 'PUT']) {
      if (!view.allowedMethods.includes(method)) continue;
      const allowed = await overrideMethod(view, request, method, (probe) => mayRequest(view, probe, method === 'PUT' ? 'lookup' : undefined));
      if (allowed) actions[method] = view.getSerializer().fieldInfo();
    }
    return actions;
  }
}
