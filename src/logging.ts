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
