/**
 * RemoteUserAuthentication: trusts a header set by a front-end server that already authenticated the
 * user (e.g. a proxy doing SSO). The header must be configured explicitly, because any client could
 * send it: only use it when the proxy strips the header from incoming requests. Never raises; an
 * unknown user is created when `createUnknownUser` is on (Django's RemoteUserBackend default).
 */
import { ImproperlyConfigured, ValidationError } from '../exceptions.ts';
import type { Request } from '../request.ts';
import { BaseAuthentication, type AuthResult } from './base.ts';

export class RemoteUserAuthentication extends BaseAuthentication {
  readonly header: string;
  readonly createUnknownUser: boolean;

  constructor(options: { header: string; createUnknownUser?: boolean }) {
    super();
    if (!options?.header) {
      throw new ImproperlyConfigured(
        'RemoteUserAuthentication needs the trusted header, e.g. new RemoteUserAuthentication({ header: "x-remote-user" }); ' +
          'list an instance, not the class, and make sure the proxy in front strips that header from clients.',
      );
    }
    this.header = options.header.toLowerCase();
    this.createUnknownUser = options.createUnknownUser ?? true;
  }

  override async authenticate(request: Request): Promise<AuthResult | null> {
    const username = request.header(this.header)?.trim();
    // Like DRF's class, never raise: a name no user could have is simply not authenticated.
    if (!username || username.length > 150) return null;
    const accounts = request.app.accounts;
    let user = await accounts.getUserByUsername(username);
    if (user === null && this.createUnknownUser) {
      try {
        user = await accounts.createUser({ username, password: null });
      } catch (error) {
        // A concurrent first request created the user.
        if (!(error instanceof ValidationError)) throw error;
        user = await accounts.getUserByUsername(username);
      }
    }
    return user !== null && user.isActive ? [user, null] : null;
  }
}
