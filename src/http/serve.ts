/**
 * Runs an app as a server until SIGTERM or SIGINT: then it stops accepting connections, lets requests
 * in flight finish (new ones get 503), closes the database, and resolves `closed`.
 */
import type { FastifyInstance } from 'fastify';
import type { Gatehouse } from '../app.ts';
import { createServer, type ServerOptions } from './fastify.ts';

export interface Serving {
  server: FastifyInstance;
  /** The address listened on, e.g. `http://127.0.0.1:8000`. */
  address: string;
  /** Resolves once a signal stopped the server and the app is closed. */
  closed: Promise<void>;
}

export async function serve(app: Gatehouse, options: ServerOptions & { host?: string; port?: number } = {}): Promise<Serving> {
  const server = createServer(app, options);
  const host = options.host ?? '127.0.0.1';
  await server.listen({ host, port: options.port ?? 8000 });
  const { port } = server.server.address() as { port: number };
  const closed = new Promise<void>((resolve) => {
    const stop = async () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      await server.close();
      await app.close();
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return { server, address: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, closed };
}
