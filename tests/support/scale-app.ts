/**
 * The demo app as a separate server process for the multi-process, fault and shutdown tests, run with
 * `gatehouse serve --app tests/support/scale-app.ts`. Its settings come from GATEHOUSE_TEST_SETTINGS
 * (JSON: databaseUrl, redisUrl, rates...), and it adds `/slow/?ms=N`, which answers after N ms, so a
 * test can have requests in flight when it stops the server.
 */
import { APIView, AllowAny, path, Response, SessionAuthentication, TokenAuthentication, createApp, type Request, type SettingsInput } from '../../src/index.ts';
import { demoRoutes } from '../../examples/demo/app.ts';
import { Life, Survey } from '../../examples/demo/models.ts';

class SlowView extends APIView {
  static override permissionClasses = [AllowAny];

  async get(request: Request): Promise<Response> {
    const ms = Math.min(Number(request.queryParams.get('ms') ?? 0) || 0, 30_000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return new Response({ slept: ms, pid: process.pid });
  }
}

export default function () {
  const settings = JSON.parse(process.env.GATEHOUSE_TEST_SETTINGS ?? '{}') as SettingsInput;
  return createApp({
    settings: {
      secretKey: 'scale-test-secret',
      defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication],
      ...settings,
      defaultThrottleRates: { anon: null, user: null, scoped: null, ...settings.defaultThrottleRates },
    },
    routes: [...demoRoutes(), path('/slow/', SlowView)],
    models: [Life, Survey],
  });
}
