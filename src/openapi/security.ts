/**
 * Security schemes from the authentication classes a view actually uses. The built-in schemes are
 * described here; a custom class describes itself with `openApiSecurityScheme()` (see
 * DescribesSecurityScheme) or is left to the operation's description.
 *
 * DRF's `Authorization: Token <key>` is not a registered HTTP scheme, so it is an API key in the
 * Authorization header whose value carries the keyword; only the keyword `Bearer` is `http bearer`.
 */
import type { BaseAuthentication } from '../authentication/base.ts';
import { BasicAuthentication } from '../authentication/basic.ts';
import { RemoteUserAuthentication } from '../authentication/remote-user.ts';
import { SessionAuthentication } from '../authentication/session.ts';
import { TokenAuthentication } from '../authentication/token.ts';
import type { Settings } from '../settings.ts';
import type { DescribedSecurityScheme, DescribesSecurityScheme, SecuritySchemeObject } from './types.ts';

/** Where clients get credentials, when the app routes the views that hand them out. */
export interface CredentialEndpoints {
  readonly login: string | undefined;
  readonly token: string | undefined;
}

/** The scheme an authenticator documents, or null when it describes none. */
export function describeAuthenticator(
  authenticator: BaseAuthentication,
  settings: Settings,
  endpoints: CredentialEndpoints,
): DescribedSecurityScheme | null {
  const own = selfDescription(authenticator);
  if (own !== undefined) return own;
  if (authenticator instanceof TokenAuthentication) return tokenScheme(authenticator.keyword, endpoints);
  if (authenticator instanceof BasicAuthentication) {
    return {
      id: 'basicAuth',
      scheme: {
        type: 'http',
        scheme: 'basic',
        description: `HTTP Basic authentication with a username and password (realm "${authenticator.wwwAuthenticateRealm}").`,
      },
    };
  }
  if (authenticator instanceof SessionAuthentication) {
    const login = endpoints.login ? ` set by logging in at ${endpoints.login}` : '';
    return {
      id: 'cookieAuth',
      scheme: {
        type: 'apiKey',
        in: 'cookie',
        name: settings.sessionCookieName,
        description:
          `The session cookie${login}. Unsafe methods (POST, PUT, PATCH, DELETE) authenticated by the session ` +
          `must also send the ${settings.csrfHeaderName} header with the value of the ${settings.csrfCookieName} ` +
          'cookie (CSRF protection), else they get 403 "CSRF Failed: ...".',
      },
    };
  }
  if (authenticator instanceof RemoteUserAuthentication) {
    return {
      id: 'remoteUserAuth',
      scheme: {
        type: 'apiKey',
        in: 'header',
        name: authenticator.header,
        description: 'The username, set by the trusted front-end proxy that authenticated the user (clients cannot set it).',
      },
    };
  }
  return null;
}

/** A custom class's own description (instance method first, then static), or undefined when it has none. */
function selfDescription(authenticator: BaseAuthentication): DescribedSecurityScheme | null | undefined {
  const instance = authenticator as Partial<DescribesSecurityScheme>;
  if (typeof instance.openApiSecurityScheme === 'function') return instance.openApiSecurityScheme();
  const cls = authenticator.constructor as Partial<DescribesSecurityScheme>;
  if (typeof cls.openApiSecurityScheme === 'function') return cls.openApiSecurityScheme();
  return undefined;
}

function tokenScheme(keyword: string, endpoints: CredentialEndpoints): DescribedSecurityScheme {
  const obtain = endpoints.token ? ` Obtain a key by POSTing a username and password to ${endpoints.token}.` : '';
  if (keyword.toLowerCase() === 'bearer') {
    return {
      id: 'bearerAuth',
      scheme: { type: 'http', scheme: 'bearer', description: `Token authentication: \`Authorization: Bearer <key>\`.${obtain}` },
    };
  }
  const id = keyword === 'Token' ? 'tokenAuth' : `${lowerCamel(keyword)}Auth`;
  const scheme: SecuritySchemeObject = {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: `Token authentication: the Authorization header's value is \`${keyword} <key>\` (the keyword, a space, then the key).${obtain}`,
  };
  return { id, scheme };
}

function lowerCamel(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w, i) => (i === 0 ? w.toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
  return joined || 'token';
}

/**
 * The document's security schemes: each distinct scheme once, under its id; a different scheme
 * asking for a taken id gets a numbered one (`tokenAuth2`).
 */
export class SecuritySchemes {
  readonly schemes: Record<string, SecuritySchemeObject> = {};
  readonly #ids = new Map<string, string>();

  add(described: DescribedSecurityScheme): string {
    const key = JSON.stringify(described.scheme);
    const known = this.#ids.get(key);
    if (known !== undefined) return known;
    let id = described.id;
    for (let n = 2; id in this.schemes; n++) id = `${described.id}${n}`;
    this.schemes[id] = described.scheme;
    this.#ids.set(key, id);
    return id;
  }
}
