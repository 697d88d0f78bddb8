/**
 * Gatehouse: Django REST Framework's request authorization, and the batteries around it, for
 * TypeScript on Node. Names follow DRF's, in TypeScript casing.
 */
export { createApp, Gatehouse, type AppOptions, type Rendered } from './app.ts';
export { createServer, gatehouse } from './http/fastify.ts';
export { serve, type Serving } from './http/serve.ts';
export type { Settings, SettingsInput } from './settings.ts';
export * from './exceptions.ts';
export { Request } from './request.ts';
export { Response, RawResponse } from './response.ts';

export { BaseAuthentication, type AuthResult, type AuthenticationPolicy } from './authentication/base.ts';
export { SessionAuthentication } from './authentication/session.ts';
export { TokenAuthentication } from './authentication/token.ts';
export { BasicAuthentication } from './authentication/basic.ts';
export { RemoteUserAuthentication } from './authentication/remote-user.ts';
export {
  AllowAny,
  BasePermission,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  DjangoModelPermissions,
  DjangoModelPermissionsOrAnonReadOnly,
  ModelPermissions,
  ModelPermissionsOrAnonReadOnly,
  ReadOnly,
  SAFE_METHODS,
  type PermissionPolicy,
} from './permissions.ts';
export {
  AnonRateThrottle,
  BaseThrottle,
  ScopedRateThrottle,
  SimpleRateThrottle,
  UserRateThrottle,
  LoginRateThrottle,
  MemoryThrottleStore,
  RedisThrottleStore,
  type ThrottleStore,
} from './throttling/index.ts';

export { APIView } from './views/api-view.ts';
export { apiView } from './views/function-views.ts';
export { GenericAPIView } from './views/generics.ts';
export * from './views/concrete.ts';
export { CreateModelMixin, DestroyModelMixin, ListModelMixin, RetrieveModelMixin, UpdateModelMixin } from './views/mixins.ts';
export { GenericViewSet, ModelViewSet, ReadOnlyModelViewSet, ViewSet } from './views/viewsets.ts';
export { DefaultRouter, SimpleRouter, include, path, type Route } from './routers.ts';
export { JSONParser, FormParser, MultiPartParser, getList, type FormData, type Parser } from './parsers.ts';
export { JSONRenderer, type Renderer } from './renderers.ts';
export { BrowsableAPIRenderer } from './browsable/index.ts';
export { addTemplateDir } from './browsable/templates.ts';

export { User, AnonymousUser } from './auth/user.ts';
export { Token } from './auth/accounts.ts';
export { UserModel } from './auth/models.ts';
export { authUrls, LoginView, LogoutView } from './auth/views.ts';
export { ObtainAuthToken, obtainAuthToken, RevokeAuthToken } from './auth/token-view.ts';
export { getToken } from './csrf-token.ts';

export * from './models/index.ts';
export * from './serializers/index.ts';
export * from './openapi/index.ts';
