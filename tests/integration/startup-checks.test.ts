/**
 * DESIGN departure 5: configuration mistakes fail at start-up. `createApp` (or building the routes)
 * throws ImproperlyConfigured with a message that names the offending view or setting and says how to
 * fix it, instead of the mistake surfacing later as a 403 or a 500.
 */
import { describe, expect, it } from 'vitest';
import {
  AllowAny,
  AnonRateThrottle,
  APIView,
  apiView,
  createApp,
  DefaultRouter,
  defineModel,
  fields as m,
  GenericAPIView,
  ImproperlyConfigured,
  IsAuthenticated,
  ModelPermissions,
  ModelSerializer,
  ModelViewSet,
  path,
  ReadOnlyModelViewSet,
  Response,
  ScopedRateThrottle,
  SimpleRateThrottle,
  TokenAuthentication,
  UserRateThrottle,
  ViewSet,
  type AppOptions,
  type Route,
  type SettingsInput,
} from '../../src/index.ts';
import { ImproperlyConfigured as ImproperlyConfiguredDirect } from '../../src/exceptions.ts';

const Thing = defineModel('startup_thing', { name: m.char({ maxLength: 20 }) });

class ThingSerializer extends ModelSerializer {
  static override meta = { model: Thing, fields: ['id', 'name'] };
}

class ThingViewSet extends ModelViewSet {
  static override queryset = Thing.objects;
  static override serializerClass = ThingSerializer;
}

class HelloView extends APIView {
  get(): Response {
    return new Response('hello');
  }
}

const BASE: SettingsInput = { secretKey: 'startup-test', databaseUrl: 'sqlite::memory:' };

/** Builds the app and returns the start-up error, failing the test if there is none. */
async function startupError(options: Partial<AppOptions> & { settings?: SettingsInput }): Promise<ImproperlyConfigured> {
  let error: unknown;
  try {
    const app = await createApp({ routes: [], models: [Thing], ...options, settings: { ...BASE, ...options.settings } });
    await app.close();
  } catch (e) {
    error = e;
  }
  expect(error, 'createApp should have thrown').toBeInstanceOf(ImproperlyConfigured);
  return error as ImproperlyConfigured;
}

/** Runs a synchronous set-up step (router.register, path) and returns its error. */
function setupError(step: () => unknown): ImproperlyConfigured {
  let error: unknown;
  try {
    step();
  } catch (e) {
    error = e;
  }
  expect(error, 'the set-up step should have thrown').toBeInstanceOf(ImproperlyConfigured);
  return error as ImproperlyConfigured;
}

function viewsetRoutes(prefix: string, viewset: Parameters<DefaultRouter['register']>[1], basename?: string): Route[] {
  return new DefaultRouter().register(prefix, viewset, basename).urls;
}

describe('the error class', () => {
  it('is the one exported from src/exceptions.ts and the package root', () => {
    expect(ImproperlyConfigured).toBe(ImproperlyConfiguredDirect);
    expect(new ImproperlyConfigured('x').name).toBe('ImproperlyConfigured');
  });

  it('a correct configuration starts', async () => {
    const app = await createApp({ settings: BASE, routes: [...viewsetRoutes('things', ThingViewSet), path('/hello/', HelloView)], models: [Thing] });
    await app.close();
  });
});

describe('views and viewsets', () => {
  it('a viewset without serializerClass', async () => {
    class NoSerializerViewSet extends ModelViewSet {
      static override queryset = Thing.objects;
    }
    const error = await startupError({ routes: viewsetRoutes('things', NoSerializerViewSet) });
    expect(error.message).toContain('NoSerializerViewSet');
    expect(error.message).toMatch(/serializerClass/);
    expect(error.message).toMatch(/getSerializerClass\(\)/);
  });

  it('a read-only viewset without serializerClass', async () => {
    class NoSerializerReadOnly extends ReadOnlyModelViewSet {
      static override queryset = Thing.objects;
    }
    const error = await startupError({ routes: viewsetRoutes('things', NoSerializerReadOnly) });
    expect(error.message).toContain('NoSerializerReadOnly');
    expect(error.message).toMatch(/serializerClass/);
  });

  it('a generic view without a queryset', async () => {
    class NoQuerysetViewSet extends ModelViewSet {
      static override serializerClass = ThingSerializer;
    }
    const error = await startupError({ routes: viewsetRoutes('things', NoQuerysetViewSet, 'things') });
    expect(error.message).toContain('NoQuerysetViewSet');
    expect(error.message).toMatch(/queryset/);
    expect(error.message).toMatch(/getQueryset\(\)/);
  });

  it('a concrete generic view without a queryset', async () => {
    class NoQuerysetView extends GenericAPIView {
      static override serializerClass = ThingSerializer;
      get(): Response {
        return new Response(null);
      }
    }
    const error = await startupError({ routes: [path('/x/', NoQuerysetView)] });
    expect(error.message).toContain('NoQuerysetView');
    expect(error.message).toMatch(/queryset/);
  });

  it('a serializer naming a field the model does not have (found at start-up, not on the first request)', async () => {
    class TypoSerializer extends ModelSerializer {
      static override meta = { model: Thing, fields: ['id', 'nmae'] };
    }
    class TypoViewSet extends ModelViewSet {
      static override queryset = Thing.objects;
      static override serializerClass = TypoSerializer;
    }
    const error = await startupError({ routes: viewsetRoutes('things', TypoViewSet) });
    expect(error.message).toContain('nmae');
    expect(error.message).toContain('TypoSerializer');
  });

  it('a view with ModelPermissions and no queryset', async () => {
    class ModelPermsView extends APIView {
      static override permissionClasses = [ModelPermissions];
      get(): Response {
        return new Response(null);
      }
    }
    const error = await startupError({ routes: [path('/mp/', ModelPermsView)] });
    expect(error.message).toContain('ModelPermsView');
    expect(error.message).toContain('ModelPermissions');
    expect(error.message).toMatch(/queryset/);
  });

  it('ModelPermissions inside a composition, without a queryset', async () => {
    class ComposedModelPermsView extends APIView {
      static override permissionClasses = [IsAuthenticated.and(ModelPermissions)];
      get(): Response {
        return new Response(null);
      }
    }
    const error = await startupError({ routes: [path('/mp/', ComposedModelPermsView)] });
    expect(error.message).toContain('ComposedModelPermsView');
    expect(error.message).toContain('ModelPermissions');
  });

  it('ModelPermissions as the default setting, on a view without a queryset', async () => {
    const error = await startupError({
      settings: { defaultPermissionClasses: [ModelPermissions] },
      routes: [path('/hello/', HelloView)],
    });
    expect(error.message).toContain('HelloView');
    expect(error.message).toContain('ModelPermissions');
  });

  it('ModelPermissions as the default does not trip on the router\'s API root (it is exempt, as in DRF 3.14)', async () => {
    const app = await createApp({
      settings: { ...BASE, defaultPermissionClasses: [ModelPermissions] },
      routes: viewsetRoutes('things', ThingViewSet),
      models: [Thing],
    });
    await app.close();
  });
});

describe('policies that are not what they claim', () => {
  it('permissionClasses: [{}] is not a permission', async () => {
    class ObjectPermView extends HelloView {
      static override permissionClasses = [{}] as never;
    }
    const error = await startupError({ routes: [path('/p/', ObjectPermView)] });
    expect(error.message).toContain('ObjectPermView');
    expect(error.message).toMatch(/not a permission/);
    expect(error.message).toMatch(/BasePermission/);
  });

  it('permissionClasses: [() => true] (a function, not a permission class) is a start-up error, not a TypeError', async () => {
    class ArrowPermView extends HelloView {
      static override permissionClasses = [() => true] as never;
    }
    const error = await startupError({ routes: [path('/p/', ArrowPermView)] });
    expect(error.message).toContain('ArrowPermView');
    expect(error.message).toMatch(/not a permission/);
    expect(error.message).toMatch(/BasePermission/);
  });

  it('permissionClasses: [function () { return true }] is not a permission', async () => {
    class FunctionPermView extends HelloView {
      static override permissionClasses = [function allowEverything() {
        return true;
      }] as never;
    }
    const error = await startupError({ routes: [path('/p/', FunctionPermView)] });
    expect(error.message).toContain('FunctionPermView');
    expect(error.message).toContain('allowEverything');
  });

  it('a permission where an authentication class belongs', async () => {
    class MixedUpView extends HelloView {
      static override authenticationClasses = [IsAuthenticated] as never;
    }
    const error = await startupError({ routes: [path('/a/', MixedUpView)] });
    expect(error.message).toContain('MixedUpView');
    expect(error.message).toMatch(/authenticationClasses/);
    expect(error.message).toContain('IsAuthenticated');
    expect(error.message).toMatch(/BaseAuthentication/);
  });

  it('an authentication class where a permission belongs', async () => {
    class SwappedView extends HelloView {
      static override permissionClasses = [TokenAuthentication] as never;
    }
    const error = await startupError({ routes: [path('/a/', SwappedView)] });
    expect(error.message).toContain('SwappedView');
    expect(error.message).toContain('TokenAuthentication');
  });

  it('throttleClasses containing a permission', async () => {
    class WrongThrottleView extends HelloView {
      static override throttleClasses = [AllowAny] as never;
    }
    const error = await startupError({ routes: [path('/t/', WrongThrottleView)] });
    expect(error.message).toContain('WrongThrottleView');
    expect(error.message).toMatch(/throttleClasses/);
    expect(error.message).toMatch(/BaseThrottle/);
  });

  it('a function view with a bad permission names the function view', async () => {
    const badFn = apiView(['GET'], function badFunctionView() {
      return new Response(null);
    }, { permissionClasses: [{}] as never });
    const error = await startupError({ routes: [path('/f/', badFn)] });
    expect(error.message).toContain('BadFunctionView');
  });

  it('a bad entry in defaultPermissionClasses names the setting, not only the first view', async () => {
    const error = await startupError({
      settings: { defaultPermissionClasses: [{}] as never },
      routes: [path('/hello/', HelloView)],
    });
    expect(error.message).toContain('defaultPermissionClasses');
  });
});

describe('settings', () => {
  it('an unknown setting suggests the closest known one', async () => {
    const error = await startupError({ settings: { defaultPermisionClasses: [AllowAny] } as SettingsInput });
    expect(error.message).toContain('"defaultPermisionClasses"');
    expect(error.message).toContain('Did you mean "defaultPermissionClasses"?');
  });

  it('an unknown setting far from any known one lists the known settings', async () => {
    const error = await startupError({ settings: { colourScheme: 'dark' } as SettingsInput });
    expect(error.message).toContain('"colourScheme"');
    expect(error.message).not.toContain('Did you mean');
    expect(error.message).toContain('defaultThrottleRates');
  });

  it('a DRF-style (snake case) name suggests the camel-case setting', async () => {
    const error = await startupError({ settings: { num_proxies: 1 } as SettingsInput });
    expect(error.message).toContain('Did you mean "numProxies"?');
  });

  it('numProxies: -1', async () => {
    const error = await startupError({ settings: { numProxies: -1 } });
    expect(error.message).toContain('numProxies');
    expect(error.message).toMatch(/null or a non-negative integer/);
    expect(error.message).toContain('-1');
  });

  it('numProxies: 1.5', async () => {
    const error = await startupError({ settings: { numProxies: 1.5 } });
    expect(error.message).toContain('numProxies');
  });

  it("csrfTrustedOrigins: ['example.com'] (no scheme)", async () => {
    const error = await startupError({ settings: { csrfTrustedOrigins: ['https://ok.example', 'example.com'] } });
    expect(error.message).toContain('csrfTrustedOrigins');
    expect(error.message).toContain('"example.com"');
    expect(error.message).toMatch(/https?:\/\//);
  });

  it('an empty secretKey with debug off', async () => {
    const error = await startupError({ settings: { secretKey: '' } });
    expect(error.message).toContain('secretKey');
    expect(error.message).toMatch(/environment|debug/);
  });

  it('an empty secretKey is allowed with debug on (development)', async () => {
    const app = await createApp({ settings: { ...BASE, secretKey: '', debug: true }, routes: [] });
    expect(app.settings.secretKey).not.toBe('');
    await app.close();
  });

  it('pageSize: 0', async () => {
    const error = await startupError({ settings: { pageSize: 0 } });
    expect(error.message).toContain('pageSize');
  });

  it("sessionStore: 'redis' without redisUrl", async () => {
    const error = await startupError({ settings: { sessionStore: 'redis' } });
    expect(error.message).toContain('redisUrl');
    expect(error.message).toContain('REDIS_URL');
  });

  it("redisUrl: '127.0.0.1:6379' (no scheme)", async () => {
    const error = await startupError({ settings: { redisUrl: '127.0.0.1:6379' } });
    expect(error.message).toContain('redis://');
  });

  it("sessionStore: 'cache' and throttleFailurePolicy: 'ignore' are not choices", async () => {
    expect((await startupError({ settings: { sessionStore: 'cache' as 'redis' } })).message).toMatch(/'database' or 'redis'/);
    expect((await startupError({ settings: { throttleFailurePolicy: 'ignore' as 'open' } })).message).toMatch(/'open' or 'closed'/);
  });
});

describe('throttles', () => {
  class ScopedView extends HelloView {
    static override throttleClasses = [ScopedRateThrottle];
    static override throttleScope = 'uploads';
  }

  it('a view scope missing from defaultThrottleRates names the view, the scope and the setting', async () => {
    const error = await startupError({
      settings: { defaultThrottleRates: { anon: null, user: null } },
      routes: [path('/s/', ScopedView)],
    });
    expect(error.message).toContain('ScopedView');
    expect(error.message).toContain("'uploads'");
    expect(error.message).toContain('defaultThrottleRates');
    expect(error.message).toContain("uploads: '100/day'");
  });

  it("a default throttle whose scope has no rate (AnonRateThrottle without 'anon')", async () => {
    const error = await startupError({
      settings: { defaultThrottleClasses: [AnonRateThrottle, UserRateThrottle], defaultThrottleRates: { user: '5/min' } },
      routes: [path('/hello/', HelloView)],
    });
    expect(error.message).toContain('HelloView');
    expect(error.message).toContain("'anon'");
    expect(error.message).toContain('defaultThrottleRates');
  });

  it('an invalid rate string', async () => {
    const error = await startupError({
      settings: { defaultThrottleClasses: [AnonRateThrottle], defaultThrottleRates: { anon: 'three per minute' } },
      routes: [path('/hello/', HelloView)],
    });
    expect(error.message).toContain('HelloView');
    expect(error.message).toContain('"three per minute"');
    expect(error.message).toMatch(/'100\/day'/);
  });

  it('an invalid rate for a scoped view', async () => {
    const error = await startupError({
      settings: { defaultThrottleRates: { uploads: '10/fortnight' } },
      routes: [path('/s/', ScopedView)],
    });
    expect(error.message).toContain('ScopedView');
    expect(error.message).toContain('"10/fortnight"');
  });

  it('a throttle class with neither scope nor rate', async () => {
    class NamelessThrottle extends SimpleRateThrottle {
      getCacheKey(): string {
        return 'x';
      }
    }
    class NamelessView extends HelloView {
      static override throttleClasses = [NamelessThrottle];
    }
    const error = await startupError({ routes: [path('/n/', NamelessView)] });
    expect(error.message).toContain('NamelessView');
    expect(error.message).toContain('NamelessThrottle');
    expect(error.message).toMatch(/static scope|static rate/);
  });

  it('rates with DRF\'s period spellings start fine', async () => {
    const app = await createApp({
      settings: { ...BASE, defaultThrottleClasses: [AnonRateThrottle], defaultThrottleRates: { anon: '3/mango', uploads: '1/s' } },
      routes: [path('/hello/', HelloView), path('/s/', ScopedView)],
    });
    await app.close();
  });
});

describe('routing', () => {
  it('registering a plain APIView on a router', () => {
    const error = setupError(() => new DefaultRouter().register('hello', HelloView));
    expect(error.message).toContain('HelloView');
    expect(error.message).toMatch(/not a viewset/);
    expect(error.message).toContain('path()');
  });

  it('routing a viewset with path()', () => {
    const error = setupError(() => path('/things/', ThingViewSet));
    expect(error.message).toContain('ThingViewSet');
    expect(error.message).toMatch(/router\.register/);
  });

  it('routing a plain ViewSet with path()', () => {
    class HandWritten extends ViewSet {
      list(): Response {
        return new Response([]);
      }
    }
    const error = setupError(() => path('/hw/', HandWritten));
    expect(error.message).toContain('HandWritten');
  });

  it('a viewset without a queryset needs a basename', () => {
    class HandWritten extends ViewSet {
      list(): Response {
        return new Response([]);
      }
    }
    const error = setupError(() => new DefaultRouter().register('hw', HandWritten));
    expect(error.message).toContain('basename');
    expect(error.message).toContain('hw');
  });

  it('a duplicate router basename', () => {
    class OtherThings extends ThingViewSet {}
    const router = new DefaultRouter().register('things', ThingViewSet);
    const error = setupError(() => router.register('more-things', OtherThings));
    expect(error.message).toContain('"startup_thing"');
    expect(error.message).toContain('OtherThings');
    expect(error.message).toMatch(/unique basename/);
    // The fix works.
    expect(() => router.register('more-things', OtherThings, 'more-things')).not.toThrow();
  });

  it('a route that is not a view class', async () => {
    const error = await startupError({ routes: [{ path: '/odd/', view: class NotAView {} as never }] });
    expect(error.message).toContain('NotAView');
    expect(error.message).toMatch(/APIView/);
  });

  it('duplicate paths name the path and both views', async () => {
    class OtherHello extends HelloView {}
    const error = await startupError({ routes: [path('/hello/', HelloView), path('hello/', OtherHello)] });
    expect(error.message).toContain('"/hello/"');
    expect(error.message).toContain('HelloView');
    expect(error.message).toContain('OtherHello');
  });

  it('two DefaultRouters both claim the API root', async () => {
    class OtherThings extends ThingViewSet {}
    const error = await startupError({
      routes: [...viewsetRoutes('things', ThingViewSet), ...viewsetRoutes('others', OtherThings, 'others')],
    });
    expect(error.message).toContain('"/"');
  });

  it('apiView with something that is not an HTTP method', () => {
    const error = setupError(() =>
      apiView(['FETCH' as 'GET'], function fetchView() {
        return new Response(null);
      }),
    );
    expect(error.message).toContain('FETCH');
    expect(error.message).toContain('fetchView');
  });
});
