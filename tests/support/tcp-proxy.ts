/**
 * A TCP proxy the fault tests put between the app and PostgreSQL or Redis, to fail the service on
 * demand without touching the real one (other test files share it): `down()` cuts every connection
 * and refuses new ones, `stall()` keeps connections open but stops forwarding (a hung server), `up()`
 * restores service.
 */
import net from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | null = null;
  #stalled = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Starts listening (on the same port after a `down()`); resolves with the port. */
  async up(): Promise<number> {
    this.#stalled = false;
    for (const socket of this.#sockets) socket.resume();
    if (this.#server !== null) return this.port;
    const server = net.createServer((client) => this.#connect(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** The service is down: open connections are reset, new ones refused. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
    if (server !== null) await new Promise((resolve) => server.close(resolve));
  }

  /**
   * The service hangs: connections stay open and nothing more is forwarded either way; what was sent
   * waits unread, as it would for a hung server, and flows in order after `up()`.
   */
  stall(): void {
    this.#stalled = true;
    for (const socket of this.#sockets) socket.pause();
  }

  /** Resets every open connection (a connection killed mid-request) but keeps accepting new ones. */
  cut(): void {
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  #connect(client: net.Socket): void {
    const upstream = net.connect(this.#target.port, this.#target.host);
    this.#sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.#stalled) {
      client.pause();
      upstream.pause();
    }
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }
}
