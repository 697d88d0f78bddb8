/**
 * The Fastify adapter: the only module that imports Fastify. Fastify is the transport and the router;
 * everything else (negotiation, parsing, errors, 404/405 bodies) is Gatehouse's. Bodies are read as
 * raw bytes up to `bodyLimit`; every error the HTTP layer can produce for a client (body too large,
 * bad Content-Length, malformed request line or headers) is answered with DRF-style JSON.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Socket } from 'node:net';
import FindMyWay from 'find-my-way';
import type { CompiledRoute, Gatehouse, HandleOptions, Rendered } from '../app.ts';
import type { IncomingRequest } from '../request.ts';
import { APIException, NotFound, ParseError, PayloadTooLarge, UnsupportedMediaType } from '../exceptions.ts';
import { silentLogger } from '../logging.ts';
import { WriteBatch } from './write-batch.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

export interface ServerOptions {
  /** Fastify's logger option (pino); credentials in headers are redacted. */
  logger?: FastifyServerOptions['logger'];
  /** The test client's controls for a request (forced authentication, CSRF enforcement). */
  testOptions?: () => HandleOptions | undefined;
}

export function createServer(app: Gatehouse, options: ServerOptions = {}): FastifyInstance {
  const fastify = Fastify({
    bodyLimit: Math.floor(app.settings.bodyLimit),
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Fastify's default is no limit: a client trickling a body would hold a connection forever.
    requestTimeout: 30_000,
    // Node would answer a missing Host with an empty 400; Gatehouse validates hosts itself, with JSON.
    http: { requireHostHeader: false },
    // Errors Fastify's router raises before a route runs (undecodable URL, oversized parameter).
    frameworkErrors: (error: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply) => {
      const exception = fromFastifyError(error, req) ?? new ParseError('Malformed request.');
      void app.handleError(incoming(req, trustsProxy(app), EMPTY), exception).then((rendered) => send(reply, rendered));
    },
    // A header or URL past Node's limits gets our JSON 431/414-style answer from clientErrorHandler.
    routerOptions: { maxParamLength: 256 },
    clientErrorHandler,
    logger: options.logger
      ? { ...(typeof options.logger === 'object' ? options.logger : {}), redact: ['req.headers.authorization', 'req.headers.cookie'] }
      : false,
  } as FastifyServerOptions);
  if (options.logger && app.logger === silentLogger) app.logger = fastify.log;
  void fastify.register(gatehouse, { app, ...(options.testOptions ? { testOptions: options.testOptions } : {}) });
  // Node hands CONNECT to a 'connect' listener or drops the connection; answer it like any other
  // method the API does not support.
  fastify.server.on('connect', (_req, socket: Socket) => socket.end(rawResponse(405, 'Method Not Allowed', 'Method "CONNECT" not allowed.')));
  // Node answers an Expect other than 100-continue with an empty 417 unless someone listens.
  fastify.server.on('checkExpectation', (_req, res: { socket: Socket | null }) => res.socket?.end(rawResponse(417, 'Expectation Failed', 'Expectation failed.')));
  return fastify;
}

/**
 * The plugin form, to mount an app in an existing Fastify server: `fastify.register(gatehouse, { app })`.
 * Fastify encapsulates it, so Gatehouse's raw-body parsing and not-found handling stay inside it.
 */
export async function gatehouse(
  fastify: FastifyInstance,
  { app, testOptions = () => undefined }: { app: Gatehouse; testOptions?: () => HandleOptions | undefined },
): Promise<void> {
  fastify.removeAllContentTypeParsers();
  const asBuffer = (_req: FastifyRequest, body: Buffer, done: (error: null, body: Buffer) => void) => done(null, body);
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, asBuffer);
  // Fastify remembers which parser a Content-Type gets, except when it is the catch-all: that one it
  // finds by parsing the header anew on every request. The types the app's parsers take are named,
  // so each is found once.
  for (const type of new Set(app.routes.flatMap((compiled) => compiled.view.policies.parsers.map((parser) => parser.mediaType)))) {
    if (type !== '' && !fastify.hasContentTypeParser(type)) fastify.addContentTypeParser(type, { parseAs: 'buffer' }, asBuffer);
  }
  const trustProxy = trustsProxy(app);
  // Fastify's error handler answers a response that could not be sent (a status it refuses).
  const responses = new WriteBatch<FastifyReply, Rendered>(send, (reply, error) => reply.send(error));

  // Fastify's hasRoute() compares patterns; the not-found handler needs to match concrete paths.
  const paths = FindMyWay({ maxParamLength: 256 });
  for (const compiled of app.routes) {
    paths.on('GET', compiled.route.path, () => {}, compiled);
    fastify.route({
      method: METHODS,
      url: compiled.route.path,
      // Per route, so the plugin form honours the app's limit whatever the host server's is.
      bodyLimit: Math.floor(app.settings.bodyLimit),
      // Not async: a request Gatehouse answers synchronously (a read on SQLite) costs no promise and
      // no microtask. Its response goes out with the others of this turn of the event loop.
      handler: (req, reply) => {
        const problem = headerProblem(req);
        if (problem !== null) return app.handleError(incoming(req, trustProxy), problem).then((rendered) => send(reply, rendered));
        const rendered = app.handle(compiled, incoming(req, trustProxy), req.params as Record<string, string>, testOptions());
        // handle() never rejects. The handler returns nothing either way, so Fastify leaves the reply
        // to the batch.
        if (rendered instanceof Promise) void rendered.then((done) => responses.add(reply, done));
        else responses.add(reply, rendered);
        return undefined;
      },
    });
  }

  fastify.setNotFoundHandler(async (req, reply) => {
    const problem = headerProblem(req);
    if (problem !== null) return send(reply, await app.handleError(incoming(req, trustProxy), problem));
    const [pathname, query] = splitUrl(req.url);
    // A method Fastify does not route (PROPFIND...) on a known path: the view answers, with its 405.
    const match = paths.find('GET', pathname);
    if (match !== null) {
      const compiled = match.store as CompiledRoute;
      return send(reply, await app.handle(compiled, incoming(req, trustProxy), match.params as Record<string, string>, testOptions()));
    }
    // Django's APPEND_SLASH: a path that exists with a trailing slash is redirected there; 308 for
    // methods other than GET/HEAD, so the client repeats the method and body.
    // `//evil.com` or `/\evil.com` in a Location is another site to a browser: never redirect those.
    const protocolRelative = pathname.startsWith('//') || pathname.startsWith('/\\');
    if (!pathname.endsWith('/') && !protocolRelative && paths.find('GET', `${pathname}/`) !== null) {
      const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
      return reply.code(status).header('location', `${pathname}/${query}`).send();
    }
    return send(reply, await app.handleError(incoming(req, trustProxy), new NotFound()));
  });

  fastify.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const exception = fromFastifyError(error, req);
    if (exception === null) {
      req.log.error({ err: error }, 'unhandled error');
      return reply.code(500).header('content-type', 'application/json').send('{"detail":"A server error occurred."}');
    }
    return send(reply, await app.handleError(incoming(req, trustProxy, EMPTY), exception));
  });
}

/** The DRF exception for an error Fastify raised about the request, or null for a server fault. */
function fromFastifyError(error: Error & { statusCode?: number; code?: string }, req: FastifyRequest): APIException | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType(String(req.headers['content-type'] ?? ''));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ParseError('Malformed request: Content-Length does not match the body.');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // A path that cannot be decoded or names an impossible key matches no object.
      return new NotFound();
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ParseError(`Malformed request: ${error.message}`);
  }
  return null;
}

function send(reply: FastifyReply, rendered: Rendered): FastifyReply {
  // The body is already rendered: an identity serializer stops Fastify appending `; charset=utf-8`
  // to JSON (DRF sends none), and a string body goes out in one write with the headers.
  return reply.code(rendered.status).headers(rendered.headers).serializer(asRendered).send(rendered.body);
}

function asRendered(body: unknown): string {
  return body as string;
}

/** Headers that must appear exactly once (Host, RFC 9112 §3.2) or at most once (credentials, framing). */
const SINGLE_HEADERS = ['host', 'authorization', 'content-length'];
const SINGLE_HEADER_LENGTHS = SINGLE_HEADERS.map((name) => name.length);

/**
 * A 400 for requests whose framing or identity is ambiguous: HTTP/1.1 without Host, or a repeated
 * Host, Authorization or Content-Length (Node keeps the first silently; a proxy may have used another).
 */
function headerProblem(req: FastifyRequest): APIException | null {
  const raw = req.raw.rawHeaders;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    // Only a name as long as one of them is lowercased and compared: most headers are not.
    if (!SINGLE_HEADER_LENGTHS.includes(raw[i]!.length)) continue;
    const index = SINGLE_HEADERS.indexOf(raw[i]!.toLowerCase());
    if (index === -1) continue;
    const bit = 1 << index;
    if (seen & bit) return new ParseError(`Malformed request: more than one ${raw[i]} header.`);
    seen |= bit;
  }
  if (!(seen & 1) && req.raw.httpVersion !== '1.0') return new ParseError('Malformed request: no Host header.');
  return null;
}

function trustsProxy(app: Gatehouse): boolean {
  return app.settings.numProxies !== null && app.settings.numProxies > 0;
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

const EMPTY = Buffer.alloc(0);

function incoming(req: FastifyRequest, trustProxy: boolean, body?: Buffer): IncomingRequest {
  const socket = req.raw.socket as Socket & { encrypted?: boolean };
  const proto = trustProxy ? req.headers['x-forwarded-proto'] : undefined;
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: body ?? (Buffer.isBuffer(req.body) ? req.body : EMPTY),
    remoteAddress: socket?.remoteAddress ?? '',
    isSecure: proto !== undefined ? String(proto).split(',')[0]!.trim() === 'https' : socket?.encrypted === true,
  };
}

/** Errors Node's HTTP parser raises before a request exists (bad request line, oversized headers). */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const [status, text, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'Request timed out.']
        : [400, 'Bad Request', 'Malformed HTTP request.'];
  socket.end(rawResponse(status, text, detail));
}

/** A complete JSON error response written straight to a socket, for errors raised before a request exists. */
function rawResponse(status: number, text: string, detail: string): string {
  const body = JSON.stringify({ detail });
  return `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
