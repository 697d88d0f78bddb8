import { AuthenticationFailed, BaseAuthentication, TokenAuthentication, type AuthResult, type Request } from '../../src/index.ts';

/** The custom scheme from DRF's authentication guide: trusts an X-Username header (a demo, not a pattern to copy). */
export class UsernameHeaderAuthentication extends BaseAuthentication {
  override async authenticate(request: Request): Promise<AuthResult | null> {
    const username = request.header('x-username');
    if (!username) return null;
    const user = await request.app.accounts.getUserByUsername(username);
    if (user === null) throw new AuthenticationFailed('No such user');
    return [user, null];
  }
}

/** TokenAuthentication with the keyword `Bearer`. */
export class BearerTokenAuthentication extends TokenAuthentication {
  override keyword = 'Bearer';
}
