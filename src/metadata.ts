/**
 * OPTIONS metadata, as DRF's `SimpleMetadata`: the view's name, description, renderers and parsers,
 * and under `actions` the fields for PUT and POST, but only for the methods this user may send
 * (permissions and, for PUT, object permissions are checked on a copy of the request).
 */
import { APIException, NotFound } from './exceptions.ts';
import type { Request } from './request.ts';
import type { APIView } from './views/api-view.ts';

export interface Metadata {
  determineMetadata(request: Request, view: APIView): Promise<Record<string, unknown>>;
}

/** The part of a generic view metadata needs: a serializer that describes its fields. */
interface DescribesFields {
  getSerializer(options?: object): { fieldInfo(): Record<string, unknown> };
  getObject(): Promise<unknown>;
}

function describesFields(view: APIView): view is APIView & DescribesFields {
  return typeof (view as Partial<DescribesFields>).getSerializer === 'function';
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
      const probe = request.withMethod(method);
      view.request = probe;
      try {
        await view.checkPermissions(probe);
        if (method === 'PUT') await view.getObject();
      } catch (error) {
        if (error instanceof APIException || error instanceof NotFound) continue;
        throw error;
      } finally {
        view.request = request;
      }
      actions[method] = view.getSerializer().fieldInfo();
    }
    return actions;
  }
}
