/**
 * The logger interface the framework writes to: pino's (Fastify's own logger) fits it, and so does a
 * silent logger for tests. Credentials never reach it: the adapter redacts Authorization and Cookie.
 */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * A warning logged at most once per `intervalMs` for each message, carrying how many were held back
 * since: during an outage every request fails the same way, and one line per request would bury
 * everything else. Each message has its own limit, so one outage (Redis reconnecting) never hides
 * another (the database) or its consequence (throttles failing open).
 */
export function warnAtMostEvery(intervalMs: number, logger: () => Logger): (obj: object, msg: string) => void {
  const seen = new Map<string, { last: number; suppressed: number }>();
  return (obj, msg) => {
    const now = Date.now();
    const entry = seen.get(msg) ?? { last: -Infinity, suppressed: 0 };
    seen.set(msg, entry);
    if (now - entry.last < intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry.suppressed;
    entry.last = now;
    entry.suppressed = 0;
    logger().warn(suppressed > 0 ? { ...obj, suppressed } : obj, msg);
  };
}
