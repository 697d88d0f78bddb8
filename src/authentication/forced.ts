/**
 * The test client's forced authentication (DRF's `ForcedAuthentication`): the request is authenticated
 * as the given user and token, bypassing every configured scheme and CSRF. Only the in-process test
 * client can install it; nothing on the network reaches it.
 */
import { ANONYMOUS, type User } from '../auth/user.ts';
import { BaseAuthentication, type AuthResult } from './base.ts';

export class ForcedAuthentication extends BaseAuthentication {
  constructor(
    readonly user: User | null,
    readonly token: unknown,
  ) {
    super();
  }

  override authenticate(): AuthResult {
    return [(this.user ?? ANONYMOUS) as User, this.token];
  }
}
