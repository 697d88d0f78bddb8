/**
 * Outages: a backing service (the database, Redis) that cannot answer right now. The request is not at
 * fault and may succeed if retried, so it gets 503 with Retry-After rather than 500, the failure is
 * logged (at most every few seconds), and the process carries on: pools and clients reconnect alone.
 */

export type Backend = 'database' | 'redis';

/** Thrown by the framework's own stores when their service fails; `cause` is the driver's error. */
export class BackendUnavailable extends Error {
  override name = 'BackendUnavailable';

  constructor(
    readonly backend: Backend,
    cause: unknown,
  ) {
    super(`${backend} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

// PostgreSQL SQLSTATEs meaning "not now" rather than "wrong query": connection exceptions (class 08),
// server shutting down or starting (57P01-57P03), too many connections, statement timeout, and the
// transaction conflicts a retry resolves.
const TRANSIENT_SQLSTATE = /^(08...|57P0[1-3]|53300|57014|40001|40P01)$/;
// Node socket errors, and SQLite's "the file is locked or unwritable right now".
const TRANSIENT_CODE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|SQLITE_(BUSY|LOCKED|IOERR|FULL)(_.*)?)$/;
// pg reports pool and connection failures as plain Errors without a code.
const TRANSIENT_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout)/;

/** Which backend `error` says is unavailable, or null for any other error (a bug: 500). */
export function outageOf(error: unknown): Backend | null {
  if (error instanceof BackendUnavailable) return error.backend;
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_CODE.test(code))) return 'database';
  if (TRANSIENT_MESSAGE.test(error.message)) return 'database';
  // Kysely and pg may wrap the socket error (e.g. AggregateError for each address tried).
  if (error instanceof AggregateError) return error.errors.some((e) => outageOf(e) !== null) ? 'database' : null;
  return error.cause !== undefined && error.cause !== error ? outageOf(error.cause) : null;
}
