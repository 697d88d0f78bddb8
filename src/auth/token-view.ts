/**
 * The obtain-token endpoint (DRF's `obtain_auth_token`): POST a username and password, get the user's
 * token, `{"token": "..."}`, 200 whether it was created or already existed. Bad credentials and inactive
 * users alike get 400 `Unable to log in with provided credentials.`. As in DRF, the default
 * authentication classes still run first, so a browser logged in by session needs a CSRF token here.
 */
import { APIView } from '../views/api-view.ts';
import { Response } from '../response.ts';
import { ValidationError } from '../exceptions.ts';
import type { Request } from '../request.ts';
import { CharField } from '../serializers/fields.ts';
import { Serializer, type Attrs } from '../serializers/serializer.ts';
import { FormParser, JSONParser, MultiPartParser } from '../parsers.ts';
import { JSONRenderer } from '../renderers.ts';
import type { User } from './user.ts';
import { LoginRateThrottle } from '../throttling/throttles.ts';
import { IsAuthenticated } from '../permissions.ts';

export class AuthTokenSerializer extends Serializer {
  static override declaredFields = {
    username: new CharField({ label: 'Username', writeOnly: true }),
    password: new CharField({ label: 'Password', trimWhitespace: false, writeOnly: true }),
    token: new CharField({ label: 'Token', readOnly: true }),
  };

  override async validate(attrs: Attrs): Promise<Attrs> {
    const { username, password } = attrs as { username?: string; password?: string };
    if (!username || !password) throw new ValidationError('Must include "username" and "password".', 'authorization');
    const request = this.context.request as Request;
    const user = await request.app.accounts.authenticate(username, password);
    if (user === null) throw new ValidationError('Unable to log in with provided credentials.', 'authorization');
    return { ...attrs, user };
  }
}

export class ObtainAuthToken extends APIView {
  static override permissionClasses = [];
  static override throttleClasses = [LoginRateThrottle];
  static override throttleFailurePolicy = 'closed' as const;
  static override parserClasses = [new FormParser(), new MultiPartParser(), new JSONParser()];
  static override rendererClasses = [new JSONRenderer()];

  /** DRF 3.14's ObtainAuthToken has one too, so OPTIONS describes the fields. */
  getSerializer(options: { data?: unknown } = {}): AuthTokenSerializer {
    return new AuthTokenSerializer({ ...options, context: { request: this.request, db: this.request.app.db } });
  }

  async post(request: Request): Promise<Response> {
    const serializer = this.getSerializer({ data: request.data });
    await serializer.isValid({ raiseException: true });
    const user = serializer.validatedData.user as User;
    const { key } = await request.app.accounts.getOrCreateToken(user.id);
    // A credential: no cache may keep it.
    return new Response({ token: key }, 200, { 'cache-control': 'no-store' });
  }
}

export const obtainAuthToken = ObtainAuthToken;

/**
 * POST with the token (or any authentication) to delete the user's token: every process refuses it
 * from the next request on. A new one comes from the obtain-token view. Not in DRF (knox's logout).
 */
export class RevokeAuthToken extends APIView {
  static override permissionClasses = [IsAuthenticated];
  static override rendererClasses = [new JSONRenderer()];

  async post(request: Request): Promise<Response> {
    await request.app.accounts.revokeToken(request.user.pk as number);
    return new Response(null, 204);
  }
}
