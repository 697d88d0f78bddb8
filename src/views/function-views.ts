/**
 * Function views, DRF's `@api_view`: `apiView(['GET'], handler, { permissionClasses: [...] })` wraps a
 * function in an APIView that answers only the listed methods and OPTIONS. As in DRF, HEAD is not
 * implied by GET here.
 */
import { APIView, HTTP_METHOD_NAMES, type HttpMethodName, type ViewClass } from './api-view.ts';
import type { Request } from '../request.ts';
import type { AuthenticationPolicy } from '../authentication/base.ts';
import type { PermissionPolicy } from '../permissions.ts';
import type { ThrottlePolicy } from '../throttling/policy.ts';
import type { Parser } from '../parsers.ts';
import type { Renderer } from '../renderers.ts';
import { ImproperlyConfigured } from '../exceptions.ts';

export interface FunctionViewPolicies {
  authenticationClasses?: readonly AuthenticationPolicy[];
  permissionClasses?: readonly PermissionPolicy[];
  throttleClasses?: readonly ThrottlePolicy[];
  throttleScope?: string;
  parserClasses?: readonly Parser[];
  rendererClasses?: readonly Renderer[];
}

export type FunctionViewHandler = (this: APIView, request: Request) => unknown;

export function apiView(
  methods: readonly Uppercase<Exclude<HttpMethodName, 'options'>>[],
  handler: FunctionViewHandler,
  policies: FunctionViewPolicies = {},
): ViewClass {
  const wanted = new Set(methods.map((m) => String(m).toLowerCase()));
  for (const m of wanted) {
    if (!(HTTP_METHOD_NAMES as readonly string[]).includes(m)) {
      throw new ImproperlyConfigured(`apiView(${handler.name || 'handler'}): "${m.toUpperCase()}" is not an HTTP method.`);
    }
  }
  const names = HTTP_METHOD_NAMES.filter((n) => n === 'options' || wanted.has(n));
  const view = class extends APIView {};
  Object.defineProperty(view, 'name', { value: pascalCase(handler.name) || 'WrappedAPIView' });
  Object.assign(view, policies, { httpMethodNames: names });
  for (const name of names) {
    if (name === 'options') continue;
    Object.defineProperty(view.prototype, name, {
      value(this: APIView, request: Request) {
        return handler.call(this, request);
      },
    });
  }
  return view;
}

function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
