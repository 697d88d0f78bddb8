/**
 * The Fastify adapter: the only module that imports Fastify. Fastify is the transport and the router;
 * everything else (negotiation, parsing, errors, 404/405 bodies) is Gatehouse's. Bodies are read as
 * raw bytes up to `bodyLimit`; every error the HTTP layer can produce for a client (body too large,
 * bad Content-Length, malformed request line or headers) is answered with DRF-style JSON.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Socket } from 'node:net';
import type { Gatehouse, Rendered } from '../app.ts';
import type { IncomingRequest } from '../request.ts';
import { APIException, NotFound, ParseError, PayloadTooLarge } from '../exceptions.ts';
import { testRequestOptions } from '../testing/context.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'];

export interface ServerOptions {
  /** Fastify's logger option (pino); credentials in headers are redacted. */
  logger?: FastifyServerOptions['logger'];
}

export function createServer(app: Gatehouse, options: ServerOptions = {}): FastifyInstance {
  const fastify = Fastify({
    bodyLimit: Math.floor(app.settings.bodyLimit),
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Fastify's default is no limit: a client trickling a body would hold a connection forever.
    requestTimeout: 30_000,
    // A header or URL past Node's limits gets our JSON 431/414-style answer from clientErrorHandler.
    routerOptions: { maxParamLength: 256 },
    clientErrorHandler,
    logger: options.logger
      ? { ...(typeof options.logger === 'object' ? options.logger : {}), redact: ['req.headers.authorization', 'req.headers.cookie'] }
      : false,
  } as FastifyServerOptions);
  void fastify.register(gatehouse, { app });
  return fastify;
}

/**
 * The plugin form, to mount an app in an existing Fastify server: `fastify.register(gatehouse, { app })`.
 * Fastify encapsulates it, so Gatehouse's raw-body parsing and not-found handling stay inside it.
 */
export async function gatehouse(fastify: FastifyInstance, { app }: { app: Gatehouse }): Promise<void> {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const trustProxy = app.settings.numProxies !== null && app.settings.numProxies > 0;

  for (const compiled of app.routes) {
    fastify.route({
      method: METHODS,
      url: compiled.route.path,
      handler: async (req, reply) => {
        const rendered = await app.handle(compiled, incoming(req, trustProxy), req.params as Record<string, string>, testRequestOptions.getStore());
        return send(reply, rendered);
      },
    });
  }

  fastify.setNotFoundHandler(async (req, reply) => {
    // Django's APPEND_SLASH: a path that exists with a trailing slash is redirected there.
    const [pathname, query] = splitUrl(req.url);
    if (!pathname.endsWith('/') && fastify.hasRoute({ url: `${pathname}/`, method: 'GET' })) {
      const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
      return reply.code(status).header('location', `${pathname}/${query}`).send();
    }
    return send(reply, await app.handleError(incoming(req, trustProxy), new NotFound()));
  });

  fastify.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, req, reply) => {
    let exception: APIException;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') exception = new PayloadTooLarge();
    else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      exception = new ParseError(`Malformed request: ${error.message}`);
    } else {
      req.log.error({ err: error }, 'unhandled error');
      return reply.code(500).header('content-type', 'application/json').send('{"detail":"A server error occurred."}');
    }
    const rendered = await app.handleError(incoming(req, trustProxy, Buffer.alloc(0)), exception);
    return send(reply, { ...rendered, status: error.statusCode === 413 || exception instanceof PayloadTooLarge ? 413 : rendered.status });
  });
}

function send(reply: FastifyReply, rendered: Rendered): FastifyReply {
  // A Buffer, because Fastify appends `; charset=utf-8` to string payloads and DRF sends none for JSON.
  const body = typeof rendered.body === 'string' ? Buffer.from(rendered.body) : rendered.body;
  return reply.code(rendered.status).headers(rendered.headers).send(body);
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
  const body = JSON.stringify({ detail });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
