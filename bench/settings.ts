/**
 * The settings the benchmarked demo runs with, shared by the server and by the step that prepares its
 * database: sessions are signed and tokens sealed under the secret key, so both must agree on it.
 * They are production-like (debug off, no request logging), and the scoped rate is so high that the
 * throttled scenario is never refused: it measures the cost of counting, not of refusing.
 */
import {
  BasicAuthentication,
  IsAuthenticatedOrReadOnly,
  SessionAuthentication,
  TokenAuthentication,
  type SettingsInput,
} from '../src/index.ts';
import { BENCH_SECRET_KEY, SCOPED_RATE } from './constants.ts';

export interface Backends {
  databaseUrl: string;
  /** Throttles and sessions in Redis (the scale mode); null keeps both in-process / in the database. */
  redisUrl: string | null;
  /** Isolates one run's Redis keys from any other user of the same Redis. */
  redisKeyPrefix?: string;
}

export function benchSettings({ databaseUrl, redisUrl, redisKeyPrefix }: Backends): SettingsInput {
  return {
    debug: false,
    secretKey: BENCH_SECRET_KEY,
    databaseUrl,
    defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication, BasicAuthentication],
    defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
    defaultThrottleRates: { scoped: SCOPED_RATE },
    ...(redisUrl === null
      ? {}
      : { redisUrl, sessionStore: 'redis' as const, ...(redisKeyPrefix === undefined ? {} : { redisKeyPrefix }) }),
  };
}
