/**
 * A load generator that sends requests at a steady rate, for comparing latency at equal load.
 *
 * autocannon's own rate limit is a per-second budget per connection: each connection fires its whole
 * second's quota back to back and then idles, so at "70% load" the server is saturated for most of
 * every second and the latencies measured are mostly queueing. Here a timer ticking every millisecond
 * issues the requests that have fallen due since the last tick; each goes out on an idle keep-alive
 * connection, or waits in the client's queue when none is idle. Latency is counted from when the
 * request was issued, not when it was written, so a server that falls behind is charged for the
 * queue (no coordinated omission), while the client's own scheduling (the tick's granularity, a
 * stall of this process) is not charged to the server. The longest stall is reported.
 *
 * The client is a minimal HTTP/1.1 one over net sockets, because it must stay cheap next to the server
 * on a small machine: the request bytes are built once, and responses are framed by Content-Length
 * (both servers always send one; a response without it is an error).
 */
import { connect, type Socket } from 'node:net';

export interface PacedOptions {
  /** Requests per second. */
  rate: number;
  /** Seconds of issuing requests; those still unanswered then get a few seconds to finish. */
  duration: number;
  connections: number;
}

export interface PacedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface PacedResult {
  requests: number;
  seconds: number;
  /** Milliseconds from issued to answered, in arrival order. */
  latencies: number[];
  statusCounts: Record<string, number>;
  /** Lost connections (each loses its request) and responses that could not be framed. */
  errors: number;
  /** Requests still unanswered after the grace period. */
  timeouts: number;
  /** The longest gap between ticks, ms: how long this process failed to issue requests on time. */
  longestStallMs: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const GRACE_MS = 5_000;

export function pacedLoad(baseUrl: string, request: PacedRequest, options: PacedOptions): Promise<PacedResult> {
  const url = new URL(baseUrl);
  const body = request.body ?? '';
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
    ...(body === '' ? [] : [`content-length: ${Buffer.byteLength(body)}`]),
  ];
  const wire = Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`);

  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  const sockets: Socket[] = [];
  const idle: Socket[] = [];
  /** When the request on each busy connection was issued. */
  const issuedOn = new Map<Socket, number>();
  /** Issue times of requests waiting for an idle connection, oldest first. */
  const waiting: number[] = [];
  let errors = 0;
  let issued = 0;
  let longestStallMs = 0;
  let finished = false;
  const start = performance.now();
  const stopIssuing = start + options.duration * 1000;

  return new Promise((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(ticker);
      clearTimeout(grace);
      for (const socket of sockets) socket.destroy();
      resolve({
        requests: latencies.length,
        seconds: (Math.min(performance.now(), stopIssuing) - start) / 1000,
        latencies,
        statusCounts,
        errors,
        timeouts: issuedOn.size + waiting.length,
        longestStallMs,
      });
    };
    const finishIfDone = () => {
      if (performance.now() >= stopIssuing && issuedOn.size === 0 && waiting.length === 0) finish();
    };

    const send = (socket: Socket, issuedAt: number) => {
      issuedOn.set(socket, issuedAt);
      socket.write(wire);
    };

    /** An idle connection takes the oldest waiting request, or waits for the next one. */
    const release = (socket: Socket) => {
      const issuedAt = waiting.shift();
      if (issuedAt === undefined) idle.push(socket);
      else send(socket, issuedAt);
    };

    const open = () => {
      const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
      sockets.push(socket);
      let pending: Buffer = Buffer.alloc(0);
      socket.on('connect', () => release(socket));
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        const end = pending.indexOf(HEADER_END);
        if (end === -1) return;
        const headText = pending.toString('latin1', 0, end);
        const length = CONTENT_LENGTH.exec(headText);
        if (length === null) {
          socket.destroy(new Error('a response without Content-Length'));
          return;
        }
        const total = end + HEADER_END.length + Number(length[1]);
        if (pending.length < total) return;
        const status = headText.slice(9, 12);
        statusCounts[status] = (statusCounts[status] ?? 0) + 1;
        latencies.push(performance.now() - issuedOn.get(socket)!);
        issuedOn.delete(socket);
        // One request at a time per connection, so nothing can follow this response.
        pending = pending.subarray(total);
        release(socket);
        finishIfDone();
      });
      // A lost connection loses its request: counted as an error, and the connection is not replaced.
      socket.on('error', () => errors++);
      socket.on('close', () => {
        if (finished) return;
        if (issuedOn.delete(socket)) errors++;
        const at = idle.indexOf(socket);
        if (at !== -1) idle.splice(at, 1);
        finishIfDone();
      });
    };

    let lastTick = start;
    const tick = () => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - lastTick);
      lastTick = now;
      const due = Math.floor(((Math.min(now, stopIssuing) - start) / 1000) * options.rate);
      for (; issued < due; issued++) {
        const socket = idle.pop();
        if (socket === undefined) waiting.push(now);
        else send(socket, now);
      }
      finishIfDone();
    };

    for (let i = 0; i < options.connections; i++) open();
    const ticker = setInterval(tick, 1);
    const grace = setTimeout(finish, options.duration * 1000 + GRACE_MS);
  });
}
