/**
 * The demo API: the seeds' resources and example views, as the reference DRF project defines them.
 * `createDemoApp(settings)` builds it; the default export (for `gatehouse --app`) uses the environment.
 */
import {
  authUrls,
  BasicAuthentication,
  createApp,
  DefaultRouter,
  include,
  IsAuthenticatedOrReadOnly,
  obtainAuthToken,
  RevokeAuthToken,
  path,
  schemaUrls,
  SessionAuthentication,
  TokenAuthentication,
  type Gatehouse,
  type SettingsInput,
} from '../../src/index.ts';
import { Life, Survey } from './models.ts';
import { ComposedView, ExampleView, LifeViewSet, ScopedView, SurveyViewSet, exampleView } from './views.ts';

export function demoRoutes() {
  const router = new DefaultRouter();
  router.register('life', LifeViewSet);
  router.register('surveys', SurveyViewSet);
  return [
    ...router.urls,
    path('/example/', ExampleView),
    path('/example-fn/', exampleView),
    path('/composed/', ComposedView),
    path('/scoped/', ScopedView),
    path('/api-token-auth/', obtainAuthToken),
    path('/api-token-revoke/', RevokeAuthToken),
    ...include('/api-auth/', authUrls),
    // The OpenAPI document at /schema/ (public) and Swagger UI at /docs/.
    ...schemaUrls({ title: 'Gatehouse demo API', version: '0.1.0', description: 'The demo resources (Life, Survey) and example views.' }),
  ];
}

export function createDemoApp(settings: SettingsInput = {}): Promise<Gatehouse> {
  return createApp({
    settings: {
      // The scoped view's rate; null (unlimited) unless a profile sets one.
      defaultThrottleRates: { anon: null, user: null, scoped: null, ...settings.defaultThrottleRates },
      ...withoutRates(settings),
    },
    routes: demoRoutes(),
    models: [Life, Survey],
  });
}

function withoutRates(settings: SettingsInput): SettingsInput {
  const { defaultThrottleRates: _rates, ...rest } = settings;
  return rest;
}

/** How `npm start` and `gatehouse --app examples/demo/app.ts` run the demo: a development setup. */
export function demoSettings(): SettingsInput {
  return {
    debug: process.env.GATEHOUSE_DEBUG !== '0',
    secretKey: process.env.GATEHOUSE_SECRET_KEY ?? 'demo-only-secret-key-change-me',
    databaseUrl: process.env.DATABASE_URL ?? 'sqlite:demo.sqlite3',
    // With Redis, throttles count across every process; SESSION_STORE=redis keeps sessions there too.
    redisUrl: process.env.REDIS_URL ?? null,
    sessionStore: process.env.SESSION_STORE === 'redis' ? 'redis' : 'database',
    defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication, BasicAuthentication],
    defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
  };
}

export default function (): Promise<Gatehouse> {
  return createDemoApp(demoSettings());
}
