/**
 * Settings: DRF's `REST_FRAMEWORK` dict and the Django settings the pipeline reads, in one typed object.
 * Defaults are DRF's, except the deliberate departures documented in DESIGN.md (Origin checking for
 * CSRF, no X-Forwarded-For trust without a configured proxy count). An unknown key is a start-up error
 * that suggests the closest known one, rather than a silently ignored typo.
 */
import type { AuthenticationPolicy } from './authentication/base.ts';
import type { PermissionPolicy } from './permissions.ts';
import type { ThrottlePolicy } from './throttling/policy.ts';
import { ImproperlyConfigured } from './exceptions.ts';
import { DEFAULT_DATABASE_URL } from './db/database.ts';
import { SessionAuthentication } from './authentication/session.ts';
import { BasicAuthentication } from './authentication/basic.ts';
import { AllowAny } from './permissions.ts';

export type SameSite = 'Lax' | 'Strict' | 'None' | false;

export interface Settings {
  /** Signs session hashes and seals stored tokens. Required outside `debug`. */
  secretKey: string;
  /** Adds the decision trace to responses (`Gatehouse-Decision` header) and logs it. */
  debug: boolean;
  /**
   * Host names this server answers for (Django's ALLOWED_HOSTS): `'api.example.com'`, `'.example.com'`
   * for a domain and its subdomains, `'*'` for any. A request naming another host gets a 400 where the
   * host is used (absolute URLs, CSRF checks). Set it in production.
   */
  allowedHosts: readonly string[];
  /** `sqlite:PATH` (default `sqlite:gatehouse.sqlite3`), `sqlite::memory:`, or `postgres://user:password@host:port/name`. */
  databaseUrl: string;
  /**
   * `redis://[user:password@]host:port[/db]`, or null (the default) for none. With it, throttles count
   * in Redis (exact across processes and hosts) and sessions may live there (`sessionStore`).
   */
  redisUrl: string | null;
  /** Prefixes every Redis key, so several apps (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** Where sessions live: `'database'` (the default, Django's) or `'redis'` (needs `redisUrl`). */
  sessionStore: 'database' | 'redis';
  /**
   * What a throttle does when its store (Redis) cannot answer: `'open'` (the default) admits the
   * request and logs, `'closed'` refuses it with 503. Views that check credentials (login, obtain
   * token) always fail closed, so an outage never lifts their limit.
   */
  throttleFailurePolicy: 'open' | 'closed';

  defaultAuthenticationClasses: readonly AuthenticationPolicy[];
  defaultPermissionClasses: readonly PermissionPolicy[];
  defaultThrottleClasses: readonly ThrottlePolicy[];
  /** Rates by scope, e.g. `{ anon: '100/day', user: '1000/day' }`; null means unlimited. */
  defaultThrottleRates: Readonly<Record<string, string | null>>;
  /**
   * How many reverse proxies in front of the server append to X-Forwarded-For. Null (the default)
   * means the header is ignored and the socket address identifies the client: DRF trusts the header
   * by default, which lets anyone dodge its throttles.
   */
  numProxies: number | null;

  csrfCookieName: string;
  csrfHeaderName: string;
  csrfCookieAge: number;
  csrfCookieSecure: boolean;
  csrfCookieSameSite: SameSite;
  /** Origins allowed for unsafe requests besides the server's own, with scheme: `https://*.example.com`. */
  csrfTrustedOrigins: readonly string[];
  /** Reject unsafe requests whose Origin is foreign (Django >= 4.0 does; Django 3.2 did not). */
  csrfCheckOrigin: boolean;

  sessionCookieName: string;
  sessionCookieAge: number;
  sessionCookieSecure: boolean;
  sessionCookieSameSite: SameSite;

  loginRedirectUrl: string;
  logoutRedirectUrl: string;

  /** Largest request body accepted, in bytes (Django's DATA_UPLOAD_MAX_MEMORY_SIZE). */
  bodyLimit: number;
  /** Items per page for list views; null lists everything, as DRF does without a paginator. */
  pageSize: number | null;
}

export type SettingsInput = Partial<Settings>;

/** A secret key for debug only: refused when debug is off. */
export const INSECURE_DEBUG_SECRET = 'gatehouse-insecure-debug-key-do-not-use-in-production';

export function defaultSettings(): Settings {
  return {
    secretKey: '',
    debug: false,
    allowedHosts: ['*'],
    databaseUrl: DEFAULT_DATABASE_URL,
    redisUrl: null,
    redisKeyPrefix: 'gatehouse:',
    sessionStore: 'database',
    throttleFailurePolicy: 'open',
    defaultAuthenticationClasses: [SessionAuthentication, BasicAuthentication],
    defaultPermissionClasses: [AllowAny],
    defaultThrottleClasses: [],
    defaultThrottleRates: { anon: null, user: null },
    numProxies: null,
    csrfCookieName: 'csrftoken',
    csrfHeaderName: 'X-CSRFToken',
    csrfCookieAge: 60 * 60 * 24 * 7 * 52,
    csrfCookieSecure: false,
    csrfCookieSameSite: 'Lax',
    csrfTrustedOrigins: [],
    csrfCheckOrigin: true,
    sessionCookieName: 'sessionid',
    sessionCookieAge: 60 * 60 * 24 * 7 * 2,
    sessionCookieSecure: false,
    sessionCookieSameSite: 'Lax',
    loginRedirectUrl: '/',
    logoutRedirectUrl: '/',
    bodyLimit: 2.5 * 1024 * 1024,
    pageSize: null,
  };
}

/** Merges user settings over the defaults and checks them; every mistake names the setting and the fix. */
export function resolveSettings(input: SettingsInput = {}): Settings {
  const settings = defaultSettings();
  const known = Object.keys(settings);
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) {
      const hint = closest(key, known);
      throw new ImproperlyConfigured(
        `Unknown setting "${key}".${hint ? ` Did you mean "${hint}"?` : ''} Known settings: ${known.join(', ')}.`,
      );
    }
  }
  Object.assign(settings, input);
  if (!settings.secretKey) {
    if (!settings.debug) {
      throw new ImproperlyConfigured(
        'The "secretKey" setting must not be empty: it signs sessions and seals tokens. ' +
          'Set it from the environment (e.g. secretKey: process.env.GATEHOUSE_SECRET_KEY), or turn on debug for development.',
      );
    }
    settings.secretKey = INSECURE_DEBUG_SECRET;
  }
  if (settings.numProxies !== null && (!Number.isInteger(settings.numProxies) || settings.numProxies < 0)) {
    throw new ImproperlyConfigured(`"numProxies" must be null or a non-negative integer, got ${String(settings.numProxies)}.`);
  }
  for (const origin of settings.csrfTrustedOrigins) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(origin)) {
      throw new ImproperlyConfigured(
        `"csrfTrustedOrigins" entries must start with a scheme (usually http:// or https://) but found "${origin}".`,
      );
    }
  }
  if (settings.redisUrl !== null && !/^rediss?:\/\//.test(settings.redisUrl)) {
    throw new ImproperlyConfigured(`"redisUrl" must start with redis:// or rediss:// (e.g. redis://127.0.0.1:6379), or be null.`);
  }
  if (settings.sessionStore !== 'database' && settings.sessionStore !== 'redis') {
    throw new ImproperlyConfigured(`"sessionStore" must be 'database' or 'redis', got ${JSON.stringify(settings.sessionStore)}.`);
  }
  if (settings.sessionStore === 'redis' && settings.redisUrl === null) {
    throw new ImproperlyConfigured(`sessionStore: 'redis' needs the "redisUrl" setting (e.g. redisUrl: process.env.REDIS_URL).`);
  }
  if (settings.throttleFailurePolicy !== 'open' && settings.throttleFailurePolicy !== 'closed') {
    throw new ImproperlyConfigured(`"throttleFailurePolicy" must be 'open' or 'closed', got ${JSON.stringify(settings.throttleFailurePolicy)}.`);
  }
  if (!(settings.bodyLimit > 0)) throw new ImproperlyConfigured('"bodyLimit" must be a positive number of bytes.');
  if (settings.pageSize !== null && !(Number.isInteger(settings.pageSize) && settings.pageSize > 0)) {
    throw new ImproperlyConfigured('"pageSize" must be null or a positive integer.');
  }
  return settings;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
