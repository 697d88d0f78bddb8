/**
 * Serves the demo configured by a conformance profile over a fresh database loaded from the shared
 * fixture: `npm run conformance:serve -- PROFILE PORT`. Stops on SIGTERM.
 *
 * The database is in memory (SQLite), or with DATABASE_URL=postgres://... a new schema there, dropped
 * on exit. With REDIS_URL, throttles count in Redis and sessions live there, under a key prefix of
 * this run's own.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { deleteRedisKeys, freshPostgresSchema } from '../../src/testing/index.ts';
import {
  AllowAny,
  AnonRateThrottle,
  BasicAuthentication,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  ModelPermissions,
  ModelPermissionsOrAnonReadOnly,
  SessionAuthentication,
  TokenAuthentication,
  serve,
  UserRateThrottle,
  type SettingsInput,
} from '../../src/index.ts';
import { createDemoApp } from './app.ts';
import { BearerTokenAuthentication, UsernameHeaderAuthentication } from './authentication.ts';
import { loadFixture, type Fixture } from './fixture.ts';

interface Profile {
  authentication: string[];
  permissions: string[];
  throttle_rates?: Record<string, string>;
  trusted_origins?: string[];
}

const AUTHENTICATION = {
  session: SessionAuthentication,
  token: TokenAuthentication,
  bearer: BearerTokenAuthentication,
  basic: BasicAuthentication,
  header: UsernameHeaderAuthentication,
};
const PERMISSIONS = {
  AllowAny,
  IsAuthenticated,
  IsAdminUser,
  IsAuthenticatedOrReadOnly,
  ModelPermissions,
  ModelPermissionsOrAnonReadOnly,
};

function pick<T>(table: Record<string, T>, name: string, what: string): T {
  const value = table[name];
  if (value === undefined) throw new Error(`Unknown ${what} "${name}" in the profile; known: ${Object.keys(table).join(', ')}`);
  return value;
}

const [profileName, portArg] = process.argv.slice(2);
if (!profileName || !portArg) {
  console.error('usage: conformance-server PROFILE PORT');
  process.exit(2);
}
const shared = resolve(process.env.GATEHOUSE_SHARED ?? resolve(import.meta.dirname, '../../../shared'));
const profiles = JSON.parse(readFileSync(resolve(shared, 'conformance/profiles.json'), 'utf8')) as Record<string, Profile>;
const fixture = JSON.parse(readFileSync(resolve(shared, 'conformance/fixture.json'), 'utf8')) as Fixture;
const profile = pick(profiles, profileName, 'profile');
const rates = profile.throttle_rates ?? {};

const runId = `conformance_${process.pid}_${randomBytes(4).toString('hex')}`;
const postgres = process.env.DATABASE_URL?.startsWith('postgres') ? await freshPostgresSchema(process.env.DATABASE_URL, runId) : null;
const redisUrl = process.env.REDIS_URL ?? null;

const settings: SettingsInput = {
  secretKey: randomBytes(32).toString('hex'),
  databaseUrl: postgres?.url ?? 'sqlite::memory:',
  ...(redisUrl ? { redisUrl, redisKeyPrefix: `${runId}:`, sessionStore: 'redis' as const } : {}),
  defaultAuthenticationClasses: profile.authentication.map((a) => pick(AUTHENTICATION, a, 'authentication')),
  defaultPermissionClasses: profile.permissions.map((p) => pick(PERMISSIONS, p, 'permission')),
  defaultThrottleClasses: [
    ...('anon' in rates ? [AnonRateThrottle] : []),
    ...('user' in rates ? [UserRateThrottle] : []),
  ],
  defaultThrottleRates: rates,
  ...(profile.trusted_origins ? { csrfTrustedOrigins: profile.trusted_origins } : {}),
};

const app = await createDemoApp(settings);
await app.migrate();
await loadFixture(app, fixture);
const { closed } = await serve(app, { port: Number(portArg) });
await closed;
await postgres?.drop();
if (redisUrl) await deleteRedisKeys(redisUrl, `${runId}:`);

