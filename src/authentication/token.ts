/**
 * TokenAuthentication: `Authorization: Token <key>` (the keyword is configurable, e.g. `Bearer`, and
 * matched case-insensitively). A wrong header shape or an unknown or inactive token is a 401 with the
 * keyword as challenge, with DRF's exact messages. One indexed query per request; the key is looked up
 * by digest, never stored in plaintext.
 */
import { AuthenticationFailed } from '../exceptions.ts';
import type { Request } from '../request.ts';
import { BaseAuthentication, authorizationParts, type AuthResult } from './base.ts';

export class TokenAuthentication extends BaseAuthentication {
  keyword = 'Token';

  constructor(options: { keyword?: string } = {}) {
    super();
    if (options.keyword !== undefined) this.keyword = options.keyword;
  }

  /** Synchronous unless it has credentials to check asynchronously (a database other than SQLite). */
  override authenticate(request: Request): AuthResult | null | Promise<AuthResult> {
    const auth = authorizationParts(request);
    if (auth.length === 0 || auth[0]!.toLowerCase() !== this.keyword.toLowerCase()) return null;
    if (auth.length === 1) throw new AuthenticationFailed('Invalid token header. No credentials provided.');
    if (auth.length > 2) throw new AuthenticationFailed('Invalid token header. Token string should not contain spaces.');
    const key = auth[1]!;
    // Node hands header bytes over as latin-1; DRF decodes the key as UTF-8 and rejects what is not.
    if (!isUtf8Latin1(key)) {
      throw new AuthenticationFailed('Invalid token header. Token string should not contain invalid characters.');
    }
    return this.authenticateCredentials(request, key);
  }

  /** The token's user, or AuthenticationFailed; synchronous where the lookup is (SQLite). */
  authenticateCredentials(request: Request, key: string): AuthResult | Promise<AuthResult> {
    const found = request.app.accounts.tokenUser(key);
    return found instanceof Promise ? found.then(tokenVerdict) : tokenVerdict(found);
  }

  override authenticateHeader(): string {
    return this.keyword;
  }

  override get name(): string {
    return `${this.constructor.name}(${this.keyword})`;
  }
}

function tokenVerdict(found: AuthResult | null): AuthResult {
  if (found === null) throw new AuthenticationFailed('Invalid token.');
  if (!found[0].isActive) throw new AuthenticationFailed('User inactive or deleted.');
  return found;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether a header value (one char per byte) is valid UTF-8, as DRF's `auth[1].decode()` requires. */
function isUtf8Latin1(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return true;
  try {
    strictUtf8.decode(Buffer.from(value, 'latin1'));
    return true;
  } catch {
    return false;
  }
}
