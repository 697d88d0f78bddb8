/**
 * What every request can reach: the settings, the database and the services built on it. One per app,
 * built at start-up.
 */
import type { Settings } from './settings.ts';
import type { Database } from './db/database.ts';
import type { Accounts } from './auth/accounts.ts';
import type { ThrottleStore } from './throttling/store.ts';
import type { Logger } from './logging.ts';
import type { CompiledRoute } from './app.ts';

export interface AppContext {
  readonly settings: Settings;
  readonly db: Database;
  readonly accounts: Accounts;
  readonly throttleStore: ThrottleStore;
  readonly logger: Logger;
  /** Logs a backing-service failure, at most once every few seconds (an outage fails every request). */
  logOutage(obj: object, msg: string): void;
  /** The compiled routes, in order (the OpenAPI schema view describes them). */
  readonly routes: readonly CompiledRoute[];
}
