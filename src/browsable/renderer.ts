/**
 * BrowsableAPIRenderer: the HTML page served for `Accept: text/html`. It shows the response (status,
 * headers, pretty-printed body), the current user with login/logout links, and on a 401/403/429 which
 * check decided and how to fix it. Rendering it asks for a CSRF token, so the page sets the csrftoken
 * cookie, exactly as DRF's does; a 204 is shown as a 200 so the page has content.
 */
import type { RenderContext, Renderer } from '../renderers.ts';
import { getToken } from '../csrf-token.ts';
import { explain } from '../trace.ts';
import { renderTemplate } from './templates.ts';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export class BrowsableAPIRenderer implements Renderer {
  readonly mediaType = 'text/html';
  readonly format = 'api';
  readonly contentType = 'text/html; charset=utf-8';
  template = 'api';

  render(data: unknown, { request, response, view }: RenderContext): string {
    const csrfToken = getToken(request);
    const status = response.status;
    const denied = status === 401 || status === 403 || status === 429;
    return renderTemplate(this.template, {
      name: view?.getViewName() ?? 'Error',
      description: view?.getViewDescription() ?? '',
      method: request.method,
      path: request.path,
      status,
      statusText: STATUS_TEXT[status] ?? '',
      allow: view?.compiled.allowHeader,
      content: data === null || data === undefined ? '' : JSON.stringify(data, null, 4),
      user: request.user.isAuthenticated ? request.user.username : null,
      loginUrl: `/api-auth/login/?next=${encodeURIComponent(request.path)}`,
      logoutUrl: `/api-auth/logout/?next=${encodeURIComponent(request.path)}`,
      csrfToken,
      csrfHeaderName: request.app.settings.csrfHeaderName,
      explanation: denied ? explain(request.trace, status) : '',
    });
  }
}
