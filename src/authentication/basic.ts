/**
 * BasicAuthentication: `Authorization: Basic base64(username:password)`, checked against the users
 * table. Every malformed header and wrong credential is a 401 with `WWW-Authenticate: Basic realm="api"`
 * and DRF's exact message. Not CSRF-checked: browsers do not attach it cross-site on their own.
 */
import { AuthenticationFailed } from '../exceptions.ts';
import type { Request } from '../request.ts';
import { b64decodeLenient } from '../util/python-base64.ts';
import { BaseAuthentication, authorizationParts, type AuthResult } from './base.ts';

export class BasicAuthentication extends BaseAuthentication {
  wwwAuthenticateRealm = 'api';

  /** Synchronous when the request carries no Basic credentials (checking a password is asynchronous). */
  override authenticate(request: Request): AuthResult | null | Promise<AuthResult> {
    const auth = authorizationParts(request);
    if (auth.length === 0 || auth[0]!.toLowerCase() !== 'basic') return null;
    if (auth.length === 1) throw new AuthenticationFailed('Invalid basic header. No credentials provided.');
    if (auth.length > 2) throw new AuthenticationFailed('Invalid basic header. Credentials string should not contain spaces.');
    // Python's lenient decoder, as DRF uses: it skips characters outside the alphabet.
    const bytes = b64decodeLenient(auth[1]!);
    if (bytes === null) throw new AuthenticationFailed('Invalid basic header. Credentials not correctly base64 encoded.');
    const decoded = decodeUtf8OrLatin1(bytes);
    const colon = decoded.indexOf(':');
    // DRF 3.14 partitions: without a colon the whole string is the username and the password is empty.
    const userid = colon === -1 ? decoded : decoded.slice(0, colon);
    const password = colon === -1 ? '' : decoded.slice(colon + 1);
    return this.authenticateCredentials(request, userid, password);
  }

  async authenticateCredentials(request: Request, userid: string, password: string): Promise<AuthResult> {
    const user = await request.app.accounts.authenticate(userid, password);
    if (user === null) throw new AuthenticationFailed('Invalid username/password.');
    if (!user.isActive) throw new AuthenticationFailed('User inactive or deleted.');
    return [user, null];
  }

  override authenticateHeader(): string {
    return `Basic realm="${this.wwwAuthenticateRealm}"`;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8OrLatin1(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}
