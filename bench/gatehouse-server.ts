/**
 * The demo as the benchmark runs it: `tsx bench/gatehouse-server.ts DBFILE PORT` over a database
 * prepared by `bench/prepare.ts`. Session then token authentication, IsAuthenticatedOrReadOnly
 * (so an anonymous write is denied with 403), a scoped throttle with a rate the load stays within.
 */
import { serve, SessionAuthentication, TokenAuthentication, IsAuthenticatedOrReadOnly } from '../src/index.ts';
import { createDemoApp } from '../examples/demo/app.ts';

const [file, port] = process.argv.slice(2);
const app = await createDemoApp({
  secretKey: 'benchmark-secret-key',
  databaseUrl: `sqlite:${file}`,
  defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication],
  defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
  defaultThrottleRates: { scoped: '100000000/min' },
});
await (await serve(app, { port: Number(port) })).closed;
