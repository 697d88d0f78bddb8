/**
 * The docs page's static files: Swagger UI from the installed `swagger-ui-dist` package, and the
 * small script that starts it. Only these names are served, each from its own route, so no request
 * path ever reaches the file system. Loaded once per process, when the docs routes are first built.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface Asset {
  readonly name: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** A digest of the body: the page asks for `name?v=<version>`, so it can be cached for a year. */
  readonly version: string;
}

/**
 * Starts Swagger UI on the page's `#swagger-ui` element, which names the schema URL and the CSRF
 * cookie and header. `validatorUrl: null` stops it sending the document to swagger.io; the request
 * interceptor lets "Try it out" pass the CSRF check when the session authenticates.
 */
const INIT_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  var config = root.dataset;
  function cookie(name) {
    var pairs = document.cookie ? document.cookie.split('; ') : [];
    for (var i = 0; i < pairs.length; i++) {
      var eq = pairs[i].indexOf('=');
      if (pairs[i].slice(0, eq) === name) return decodeURIComponent(pairs[i].slice(eq + 1));
    }
    return null;
  }
  window.ui = SwaggerUIBundle({
    url: new URL(config.schemaUrl, window.location.href).href,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    queryConfigEnabled: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
    requestInterceptor: function (request) {
      var unsafe = ['GET', 'HEAD', 'OPTIONS', 'TRACE'].indexOf(String(request.method || 'GET').toUpperCase()) === -1;
      var token = cookie(config.csrfCookie);
      if (unsafe && token && new URL(request.url, window.location.href).origin === window.location.origin) {
        request.headers[config.csrfHeader] = token;
      }
      return request;
    },
  });
});
`;

const FROM_PACKAGE: readonly [string, string][] = [
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui-standalone-preset.js', 'text/javascript; charset=utf-8'],
];

export const INIT_ASSET = 'swagger-ui-init.js';

let loaded: ReadonlyMap<string, Asset> | undefined;

/** The served files by name. */
export function docsAssets(): ReadonlyMap<string, Asset> {
  if (loaded === undefined) {
    const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    const assets = new Map<string, Asset>();
    for (const [name, contentType] of FROM_PACKAGE) {
      // The source-map comment would send browsers with developer tools open after a file we do not serve.
      const text = readFileSync(join(dist, name), 'utf8').replace(/\n?(\/\/# sourceMappingURL=\S+|\/\*# sourceMappingURL=\S+ ?\*\/)\s*$/, '\n');
      assets.set(name, asset(name, contentType, Buffer.from(text)));
    }
    assets.set(INIT_ASSET, asset(INIT_ASSET, 'text/javascript; charset=utf-8', Buffer.from(INIT_SCRIPT)));
    loaded = assets;
  }
  return loaded;
}

function asset(name: string, contentType: string, body: Buffer): Asset {
  return { name, contentType, body, version: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
}
