/**
 * Hostile input against a real listening server: malformed JSON, wrong content types, oversized bodies
 * and headers, non-UTF-8 bytes, hostile headers and path tricks. For every such request: a 4xx answer
 * with a JSON body of DRF's shape (`{"detail": ...}`, or field errors for validation), nothing written
 * (the life, survey, session and token tables are compared before and after), and the server still
 * answering a normal GET. Across the whole file: never a 5xx, no unhandled rejection, nothing logged as
 * an unhandled error.
 *
 * Requests an HTTP client library would refuse to send (bad bytes, duplicate or conflicting framing
 * headers, lying Content-Length) go over raw `node:net` sockets, each with a timeout; all traffic is to
 * 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import {
  AnonRateThrottle,
  BasicAuthentication,
  createServer,
  IsAuthenticatedOrReadOnly,
  SessionAuthentication,
  TokenAuthentication,
  type Gatehouse,
  type SettingsInput,
} from '../../src/index.ts';
import type { Logger } from '../../src/logging.ts';
import { newMaskedToken } from '../../src/authentication/csrf.ts';
import { demoApp, PASSWORDS, TOKENS } from '../helpers.ts';

// ------------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------------

interface Live {
  app: Gatehouse;
  server: FastifyInstance;
  port: number;
}

/** Everything that might reveal a server fault, collected across the whole file. */
const seen: { label: string; status: number }[] = [];
const unhandled: unknown[] = [];
const appErrors: string[] = [];
const fastifyErrors: string[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
const onUncaught = (error: unknown): void => void unhandled.push(error);
const prototypeKeysAtStart = Object.getOwnPropertyNames(Object.prototype).sort();

const capture: Logger = {
  info() {},
  warn() {},
  error(obj: object, msg?: string) {
    const err = (obj as { err?: unknown }).err;
    appErrors.push(`${msg ?? ''}: ${err instanceof Error ? err.stack ?? err.message : JSON.stringify(obj)}`);
  },
};

const API_SETTINGS: SettingsInput = {
  defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication, BasicAuthentication],
  defaultPermissionClasses: [IsAuthenticatedOrReadOnly],
};

async function start(settings: SettingsInput = {}): Promise<Live> {
  const app = await demoApp({ ...API_SETTINGS, ...settings });
  (app as unknown as { logger: Logger }).logger = capture;
  const server = createServer(app, {
    logger: { level: 'error', stream: { write: (line: string) => void fastifyErrors.push(line) } },
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address() as net.AddressInfo;
  return { app, server, port: address.port };
}

async function stop(live: Live | undefined): Promise<void> {
  if (live === undefined) return;
  await live.server.close();
  await live.app.close();
}

type HeaderValue = string | Buffer;

interface RequestSpec {
  method?: string;
  target: string | Buffer;
  headers?: [string, HeaderValue][];
  body?: string | Buffer;
  /** Omit the Host header (sent by default as 127.0.0.1:port). */
  noHost?: boolean;
  version?: string;
  /** Do not add Content-Length for the body (the headers frame it, or deliberately do not). */
  noContentLength?: boolean;
}

function build(live: Live, spec: RequestSpec): Buffer {
  const method = spec.method ?? 'GET';
  const body = spec.body === undefined ? undefined : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
  const lines: Buffer[] = [
    Buffer.from(`${method} `, 'latin1'),
    Buffer.isBuffer(spec.target) ? spec.target : Buffer.from(spec.target, 'latin1'),
    Buffer.from(` HTTP/${spec.version ?? '1.1'}\r\n`, 'latin1'),
  ];
  const headers: [string, HeaderValue][] = [];
  if (!spec.noHost) headers.push(['Host', `127.0.0.1:${live.port}`]);
  headers.push(['Connection', 'close']);
  headers.push(...(spec.headers ?? []));
  if (body !== undefined && !spec.noContentLength) headers.push(['Content-Length', String(body.length)]);
  for (const [name, value] of headers) {
    lines.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n'));
  }
  lines.push(Buffer.from('\r\n'));
  if (body !== undefined) lines.push(body);
  return Buffer.concat(lines);
}

interface RawResponse {
  status: number;
  /** Lowercased names; repeated headers joined with ', ' (set-cookie kept apart in `setCookies`). */
  headers: Record<string, string>;
  setCookies: string[];
  /** The header block as received, for checking that nothing was injected. */
  head: string;
  body: string;
  /** Everything received, latin-1 decoded. */
  raw: string;
  /** The server closed without answering. */
  closedWithoutResponse: boolean;
  timedOut: boolean;
}

function parseResponse(data: Buffer, timedOut: boolean): RawResponse {
  const raw = data.toString('latin1');
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) {
    return { status: 0, headers: {}, setCookies: [], head: raw, body: '', raw, closedWithoutResponse: true, timedOut };
  }
  const head = raw.slice(0, end);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  const setCookies: string[] = [];
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'set-cookie') setCookies.push(value);
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let bodyBytes = data.subarray(Buffer.byteLength(head, 'latin1') + 4);
  if (headers['content-length'] !== undefined) {
    bodyBytes = bodyBytes.subarray(0, Number(headers['content-length']));
  } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const chunks: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const lineEnd = bodyBytes.indexOf('\r\n', offset);
      if (lineEnd === -1) break;
      const size = Number.parseInt(bodyBytes.subarray(offset, lineEnd).toString('latin1'), 16);
      if (!(size > 0)) break;
      chunks.push(bodyBytes.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
    }
    bodyBytes = Buffer.concat(chunks);
  }
  return { status, headers, setCookies, head, body: bodyBytes.toString('utf8'), raw, closedWithoutResponse: false, timedOut };
}

interface ExchangeOptions {
  /** Half-close the socket after writing (the client "closes" its side). */
  halfClose?: boolean;
  timeoutMs?: number;
}

/** Writes bytes on a fresh connection and reads until the server closes it (or the timeout). */
function exchange(port: number, payload: Buffer | string | (Buffer | string)[], options: ExchangeOptions = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), timedOut));
    };
    const timer = setTimeout(() => finish(true), options.timeoutMs ?? 8000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('connect', () => {
      for (const part of Array.isArray(payload) ? payload : [payload]) socket.write(part);
      if (options.halfClose) socket.end();
    });
  });
}

async function send(live: Live, spec: RequestSpec, options?: ExchangeOptions, label?: string): Promise<RawResponse> {
  const response = await exchange(live.port, build(live, spec), options);
  record(label ?? `${spec.method ?? 'GET'} ${String(spec.target).slice(0, 80)}`, response);
  return response;
}

function record(label: string, response: RawResponse): void {
  seen.push({ label, status: response.status });
}

const bob: [string, string] = ['Authorization', `Token ${TOKENS.bob}`];
const json: [string, string] = ['Content-Type', 'application/json'];
const form: [string, string] = ['Content-Type', 'application/x-www-form-urlencoded'];

interface Snapshot {
  life: unknown[];
  survey: unknown[];
  sessions: unknown;
  tokens: unknown[];
}

async function snapshot(app: Gatehouse): Promise<Snapshot> {
  const db = app.db.kysely;
  const sessions = await db.selectFrom('django_session').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
  return {
    life: await db.selectFrom('life').selectAll().orderBy('id').execute(),
    survey: await db.selectFrom('survey').selectAll().orderBy('id').execute(),
    sessions: Number((sessions as { n: number | bigint } | undefined)?.n ?? -1),
    tokens: await db.selectFrom('authtoken_token').selectAll().execute(),
  };
}

async function expectAlive(live: Live): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${live.port}/life/1/`, { signal: AbortSignal.timeout(5000) });
  expect(response.status, 'the server still answers a normal GET').toBe(200);
  expect(await response.json()).toEqual({ id: 1, answer: 42 });
}

function describe4xx(response: RawResponse): string {
  return `got ${response.status}${response.timedOut ? ' (timed out)' : ''}${response.closedWithoutResponse ? ' (closed without response)' : ''}:\n${response.raw.slice(0, 700)}`;
}

/** 4xx, a JSON Content-Type, and a body of DRF's shape; returns the parsed body. */
function expectClientError(response: RawResponse, status?: number | number[]): Record<string, unknown> {
  const message = describe4xx(response);
  if (status === undefined) {
    expect(response.status, message).toBeGreaterThanOrEqual(400);
    expect(response.status, message).toBeLessThan(500);
  } else if (Array.isArray(status)) {
    expect(status, message).toContain(response.status);
  } else {
    expect(response.status, message).toBe(status);
  }
  expect(response.headers['content-type'] ?? '', message).toMatch(/^application\/json\b/);
  let body: unknown;
  expect(() => (body = JSON.parse(response.body)), message).not.toThrow();
  expect(body !== null && typeof body === 'object' && !Array.isArray(body), message).toBe(true);
  return body as Record<string, unknown>;
}

/** `{"detail": "..."}`; returns the detail. */
function expectDetail(response: RawResponse, status?: number | number[]): string {
  const body = expectClientError(response, status);
  expect(Object.keys(body), describe4xx(response)).toEqual(['detail']);
  expect(typeof body.detail, describe4xx(response)).toBe('string');
  return body.detail as string;
}

/** DRF's validation shape: `{"field": ["message", ...]}` (messages may nest for nested serializers). */
function expectFieldErrors(response: RawResponse): Record<string, unknown> {
  const body = expectClientError(response, 400);
  expect(Object.keys(body).length, describe4xx(response)).toBeGreaterThan(0);
  for (const value of Object.values(body)) expect(Array.isArray(value) || typeof value === 'object', describe4xx(response)).toBe(true);
  return body;
}

/** Either DRF error shape. */
function expectErrorBody(response: RawResponse, status?: number | number[]): Record<string, unknown> {
  const body = expectClientError(response, status);
  const detailShape = Object.keys(body).length === 1 && typeof body.detail === 'string';
  const fieldShape = Object.keys(body).length > 0 && Object.values(body).every((v) => Array.isArray(v) || (typeof v === 'object' && v !== null));
  expect(detailShape || fieldShape, `not a DRF error body: ${describe4xx(response)}`).toBe(true);
  return body;
}

/**
 * Sends one hostile request and checks the three invariants around the caller's own assertions:
 * nothing written, and the server alive afterwards.
 */
async function hostile(
  live: Live,
  spec: RequestSpec,
  check: (response: RawResponse) => void,
  options?: ExchangeOptions,
): Promise<RawResponse> {
  const before = await snapshot(live.app);
  const response = await send(live, spec, options);
  check(response);
  expect(await snapshot(live.app), 'a hostile request must write nothing').toEqual(before);
  await expectAlive(live);
  return response;
}

async function hostileRaw(live: Live, payload: Buffer | string | (Buffer | string)[], check: (response: RawResponse) => void, options?: ExchangeOptions, label = 'raw'): Promise<RawResponse> {
  const before = await snapshot(live.app);
  const response = await exchange(live.port, payload, options);
  record(label, response);
  check(response);
  expect(await snapshot(live.app), 'a hostile request must write nothing').toEqual(before);
  await expectAlive(live);
  return response;
}

const nested = (open: string, close: string, depth: number, inner = ''): string => open.repeat(depth) + inner + close.repeat(depth);

// ------------------------------------------------------------------------------------------------
// Servers
// ------------------------------------------------------------------------------------------------

let main: Live;
let small: Live;
let proxied: Live;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);
  [main, small, proxied] = await Promise.all([
    start(),
    start({ bodyLimit: 1024, pageSize: 1 }),
    start({
      numProxies: 1,
      debug: true,
      defaultThrottleClasses: [AnonRateThrottle],
      defaultThrottleRates: { anon: '1000/min', user: null },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([stop(main), stop(small), stop(proxied)]);
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUncaught);
});

// ------------------------------------------------------------------------------------------------
// Malformed JSON
// ------------------------------------------------------------------------------------------------

describe('malformed JSON', () => {
  const parseErrors: [string, string | Buffer][] = [
    ['an unquoted key', '{not json'],
    ['a truncated object', '{"answer": 1'],
    ['a lone [', '['],
    ['100k unclosed [', '['.repeat(100_000)],
    ['1 MB of whitespace', ' '.repeat(1024 * 1024)],
    ['a NaN literal', '{"answer": NaN}'],
    ['an Infinity literal', '{"answer": Infinity}'],
    ['a -Infinity literal', '{"answer": -Infinity}'],
    ['a trailing comma', '{"answer": 1,}'],
    ['single quotes', "{'answer': 1}"],
    ['a NUL byte', '{"answer":\u00001}'],
    ['two documents', '{"answer": 1}{"answer": 2}'],
  ];
  for (const [name, body] of parseErrors) {
    it(`${name} is a 400 JSON parse error`, async () => {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body }, (r) => {
        expect(expectDetail(r, 400)).toMatch(/^JSON parse error - /);
      });
    });
  }

  it('100k levels of nested arrays, echoed by a view, is a 4xx (not a 500 from the renderer)', async () => {
    await hostile(main, { method: 'POST', target: '/composed/', headers: [bob, json], body: nested('[', ']', 100_000) }, (r) => {
      expectDetail(r);
    });
  });

  it('100k levels of nested objects, echoed by a view, is a 4xx (not a 500 from the renderer)', async () => {
    await hostile(main, { method: 'POST', target: '/composed/', headers: [bob, json], body: nested('{"a":', '}', 100_000, '1') }, (r) => {
      expectDetail(r);
    });
  });

  it('100k levels of nested arrays for a create is a 400', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body: nested('[', ']', 100_000) }, (r) => {
      expectErrorBody(r, 400);
    });
  });

  it('a deeply nested object where an integer is expected is a 400', async () => {
    const body = `{"answer": ${nested('{"a":', '}', 50_000, '1')}}`;
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body }, (r) => {
      const errors = expectErrorBody(r, 400);
      if (!('detail' in errors)) expect(errors).toEqual({ answer: ['A valid integer is required.'] });
    });
  });

  it('a small nested object where an integer is expected is a field error', async () => {
    await hostile(main, { method: 'PUT', target: '/life/1/', headers: [bob, json], body: '{"answer": {"$gt": 0}}' }, (r) => {
      expect(expectFieldErrors(r)).toEqual({ answer: ['A valid integer is required.'] });
    });
  });

  it('a lone surrogate escape where an integer is expected is a field error', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body: '{"answer": "\\ud800"}' }, (r) => {
      expect(expectFieldErrors(r)).toEqual({ answer: ['A valid integer is required.'] });
    });
  });

  it('a lone surrogate escape in a string field is DRF\'s 400, never stored', async () => {
    await hostile(main, { method: 'POST', target: '/surveys/', headers: [bob, json], body: '{"title": "a\\ud800b"}' }, (r) => {
      // DRF's ProhibitSurrogateCharactersValidator.
      expect(expectErrorBody(r, 400)).toEqual({ title: ['Surrogate characters are not allowed: U+D800.'] });
    });
  });

  const notObjects: [string, string, string][] = [
    ['a list', '[{"answer": 1}]', 'Invalid data. Expected a dictionary, but got list.'],
    ['a string', '"answer"', 'Invalid data. Expected a dictionary, but got str.'],
    ['an integer', '5', 'Invalid data. Expected a dictionary, but got int.'],
    ['a float', '1.5', 'Invalid data. Expected a dictionary, but got float.'],
    ['a boolean', 'true', 'Invalid data. Expected a dictionary, but got bool.'],
    ['null', 'null', 'No data provided'],
  ];
  for (const [name, body, message] of notObjects) {
    it(`a JSON body that is ${name} is a 400 non_field_errors for a create`, async () => {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body }, (r) => {
        expect(expectFieldErrors(r)).toEqual({ non_field_errors: [message] });
      });
    });
  }

  it('a list body for an update is a 400 non_field_errors, nothing updated', async () => {
    await hostile(main, { method: 'PUT', target: '/life/1/', headers: [bob, json], body: '[1,2]' }, (r) => {
      expect(expectFieldErrors(r)).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    });
  });

  const numbers: [string, string, string][] = [
    ['1e400 (Infinity in JavaScript)', '1e400', 'A valid integer is required.'],
    ['-1e400', '-1e400', 'A valid integer is required.'],
    ['99999999999999999999', '99999999999999999999', 'Ensure this value is less than or equal to 2147483647.'],
    ['-99999999999999999999', '-99999999999999999999', 'Ensure this value is greater than or equal to -2147483648.'],
    ['"99999999999999999999" as a string', '"99999999999999999999"', 'Ensure this value is less than or equal to 2147483647.'],
    ['2147483648', '2147483648', 'Ensure this value is less than or equal to 2147483647.'],
    ['1.5', '1.5', 'A valid integer is required.'],
    ['1.5 as a string', '"1.5"', 'A valid integer is required.'],
    ['a boolean', 'true', 'A valid integer is required.'],
    ['a list', '[1]', 'A valid integer is required.'],
    ['null', 'null', 'This field may not be null.'],
    // DRF's IntegerField refuses strings over 1000 characters before parsing them.
    ['a 10 000-digit string', `"${'9'.repeat(10_000)}"`, 'String value too large.'],
  ];
  for (const [name, literal, message] of numbers) {
    it(`answer ${name} is a field error`, async () => {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body: `{"answer": ${literal}}` }, (r) => {
        expect(expectFieldErrors(r)).toEqual({ answer: [message] });
      });
    });
  }

  it('duplicate keys: the last one wins, as in Python (DRF parity), and nothing else is written', async () => {
    const before = await snapshot(main.app);
    const r = await send(main, { method: 'POST', target: '/life/', headers: [bob, json], body: '{"answer": 1, "answer": 2}' });
    expect(r.status, describe4xx(r)).toBe(201);
    const created = JSON.parse(r.body) as { id: number; answer: number };
    expect(created.answer).toBe(2);
    const after = await snapshot(main.app);
    expect(after.life).toEqual([...before.life, { id: created.id, answer: 2 }]);
    await main.app.db.kysely.deleteFrom('life').where('id', '=', created.id).execute();
    await expectAlive(main);
  });
});

// ------------------------------------------------------------------------------------------------
// Prototype pollution
// ------------------------------------------------------------------------------------------------

describe('prototype pollution', () => {
  const boundary = 'gatehouse-proto-boundary';
  const multipart = (fields: [string, string][]): string =>
    fields.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`;

  const bodies: [string, [string, string], string][] = [
    ['JSON __proto__', json, '{"__proto__": {"polluted": 1}, "x": 1}'],
    ['JSON constructor.prototype', json, '{"constructor": {"prototype": {"polluted": 1}}}'],
    ['JSON nested __proto__', json, '{"a": {"__proto__": {"polluted": 1}}, "b": [{"__proto__": {"polluted": 1}}]}'],
    ['form __proto__', form, '__proto__=1&__proto__[polluted]=1&constructor[prototype][polluted]=1&x=1'],
    ['multipart __proto__', ['Content-Type', `multipart/form-data; boundary=${boundary}`], multipart([['__proto__', 'x'], ['__proto__[polluted]', '1'], ['constructor', 'y']])],
  ];
  for (const [name, contentType, body] of bodies) {
    it(`${name}, echoed by a view, does not pollute Object.prototype`, async () => {
      await hostile(main, { method: 'POST', target: '/composed/', headers: [bob, contentType], body }, (r) => {
        expect(r.status, describe4xx(r)).toBeLessThan(500);
        expect(r.status, describe4xx(r)).not.toBe(0);
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysAtStart);
    });
  }

  it('a query string with __proto__[x] does not pollute', async () => {
    await hostile(main, { target: '/life/?__proto__[polluted]=1&constructor[prototype][polluted]=1&__proto__=x' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a JSON __proto__ carrying a field value does not reach the serializer', async () => {
    const before = await snapshot(main.app);
    const r = await send(main, { method: 'POST', target: '/life/', headers: [bob, json], body: '{"__proto__": {"answer": 99}}' });
    expect([201, 400], describe4xx(r)).toContain(r.status);
    if (r.status === 201) {
      const created = JSON.parse(r.body) as { id: number; answer: number };
      expect(created.answer, 'the default, not the value smuggled in __proto__').toBe(42);
      await main.app.db.kysely.deleteFrom('life').where('id', '=', created.id).execute();
    }
    expect(await snapshot(main.app)).toEqual(before);
    expect(({} as Record<string, unknown>).answer).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------------
// Content types
// ------------------------------------------------------------------------------------------------

describe('wrong and odd content types', () => {
  const unsupported: [string, string][] = [
    ['text/plain', 'text/plain'],
    ['text/plain with parameters', 'text/plain; charset=utf-8'],
    ['application/xml', 'application/xml'],
    ['a type with an unknown parameter shape', 'application/jsonx'],
  ];
  for (const [name, type] of unsupported) {
    it(`${name} is a 415 with DRF's message naming the full media type`, async () => {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, ['Content-Type', type]], body: '{"answer": 1}' }, (r) => {
        expect(expectDetail(r, 415)).toBe(`Unsupported media type "${type}" in request.`);
      });
    });
  }

  const malformedTypes = [';;;', '/', 'application/json garbage', 'application/', '"application/json"'];
  for (const type of malformedTypes) {
    it(`a malformed Content-Type ${JSON.stringify(type)} is a 415, as DRF (no parser matches)`, async () => {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, ['Content-Type', type]], body: '{"answer": 1}' }, (r) => {
        expect(expectDetail(r, 415)).toBe(`Unsupported media type "${type}" in request.`);
      });
    });
  }

  it('a body without Content-Type is a 415 naming the empty media type', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob], body: '{"answer": 1}' }, (r) => {
      expect(expectDetail(r, 415)).toBe('Unsupported media type "" in request.');
    });
  });

  it('a body on a 404 path with an odd Content-Type is still the JSON 404', async () => {
    await hostile(main, { method: 'POST', target: '/nowhere/', headers: [bob, ['Content-Type', 'text/plain']], body: 'x' }, (r) => {
      expect(expectDetail(r, 404)).toBe('Not found.');
    });
    await hostile(main, { method: 'POST', target: '/nowhere/', headers: [bob, json], body: '{bad' }, (r) => {
      expect(expectDetail(r, 404)).toBe('Not found.');
    });
  });

  it('application/json; charset=latin-1: a latin-1 body is decoded as declared, or refused with a 400 (never a 500)', async () => {
    const before = await snapshot(main.app);
    const body = Buffer.concat([Buffer.from('{"title": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const r = await send(main, { method: 'POST', target: '/surveys/', headers: [bob, ['Content-Type', 'application/json; charset=latin-1']], body });
    if (r.status === 201) {
      const created = JSON.parse(r.body) as { id: number; title: string };
      expect(created.title).toBe('café');
      await main.app.db.kysely.deleteFrom('survey').where('id', '=', created.id).execute();
    } else {
      expect(expectDetail(r, 400)).toMatch(/^JSON parse error - /);
    }
    expect(await snapshot(main.app)).toEqual(before);
    await expectAlive(main);
  });

  it('form bodies with broken percent-escapes are field errors, not crashes', async () => {
    for (const body of ['answer=%zz', 'answer=%E0%A4%A', 'answer=%', 'answer=%%%25&%=1', 'answer=1%00']) {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, form], body }, (r) => {
        expect(expectFieldErrors(r)).toEqual({ answer: ['A valid integer is required.'] });
      });
    }
  });

  const boundary = 'b0undary';
  const part = (b: string, name: string, value: string): string => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const multipartCases: [string, string, string, RegExp][] = [
    ['no boundary', 'multipart/form-data', `${part(boundary, 'answer', '5')}--${boundary}--\r\n`, /^Multipart form parse error - Invalid boundary in multipart: None$/],
    ['an empty boundary', 'multipart/form-data; boundary=""', `${part(boundary, 'answer', '5')}--${boundary}--\r\n`, /^Multipart form parse error - /],
    ['a wrong boundary', `multipart/form-data; boundary=${boundary}`, `${part('other', 'answer', '5')}--other--\r\n`, /^Multipart form parse error - /],
    ['a truncated body (no closing delimiter)', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\nContent-Disposition: form-data; name="answer"\r\n\r\n5`, /^Multipart form parse error - /],
    ['a body cut inside the part headers', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\nContent-Dispos`, /^Multipart form parse error - /],
    ['a part without headers', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\n\r\n5\r\n--${boundary}--\r\n`, /^Multipart form parse error - /],
    ['garbage', `multipart/form-data; boundary=${boundary}`, 'this is not multipart at all', /^Multipart form parse error - /],
  ];
  for (const [name, type, body, message] of multipartCases) {
    it(`multipart with ${name} is a 400 parse error and writes nothing`, async () => {
      await hostile(main, { method: 'POST', target: '/life/', headers: [bob, ['Content-Type', type]], body }, (r) => {
        expect(expectDetail(r, 400)).toMatch(message);
      });
    });
  }

  // busboy reports a truncated *file* part by emitting 'error' on the file's stream after parse() has
  // returned; with no listener on that stream, Node throws it as an uncaught exception and the process
  // exits. /api-token-auth/ parses multipart for anyone, so one anonymous request would stop the server.
  const truncatedFiles: [string, string][] = [
    ['a file part cut short', '--zz\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\nhel'],
    ['a file part whose content contains the closing delimiter without CRLF', '--zz\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\nabc--zz--'],
    ['a field then a file part cut short', '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zz\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'],
  ];
  for (const [name, body] of truncatedFiles) {
    for (const [target, headers] of [['/api-token-auth/', []], ['/composed/', [bob]]] as [string, [string, string][]][]) {
      it(`multipart with ${name}, POSTed to ${target}: a 400, and no uncaught exception afterwards`, async () => {
        const before = unhandled.length;
        await hostile(main, { method: 'POST', target, headers: [...headers, ['Content-Type', 'multipart/form-data; boundary=zz']], body }, (r) => {
          expect(expectDetail(r, 400)).toMatch(/^Multipart form parse error - /);
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(unhandled.slice(before).map(String), 'an uncaught exception here would have ended the process').toEqual([]);
        await expectAlive(main);
      });
    }
  }

  it('multipart with a 300-character boundary is refused with a 400 or parsed correctly (never a 500)', async () => {
    const b = 'b'.repeat(300);
    const before = await snapshot(main.app);
    const r = await send(main, { method: 'POST', target: '/life/', headers: [bob, ['Content-Type', `multipart/form-data; boundary=${b}`]], body: `${part(b, 'answer', '5')}--${b}--\r\n` });
    if (r.status === 201) {
      const created = JSON.parse(r.body) as { id: number; answer: number };
      expect(created.answer).toBe(5);
      await main.app.db.kysely.deleteFrom('life').where('id', '=', created.id).execute();
    } else {
      expect(expectDetail(r, 400)).toMatch(/^Multipart form parse error - /);
    }
    expect(await snapshot(main.app)).toEqual(before);
    await expectAlive(main);
  });
});

// ------------------------------------------------------------------------------------------------
// Non-UTF-8 bytes
// ------------------------------------------------------------------------------------------------

describe('non-UTF-8 bytes', () => {
  const ff = (before: string, after = ''): Buffer => Buffer.concat([Buffer.from(before, 'latin1'), Buffer.from([0xff, 0xfe]), Buffer.from(after, 'latin1')]);

  it('in a JSON body (0xff 0xfe) is a 400 JSON parse error', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body: ff('', '{"answer": 1}') }, (r) => {
      expect(expectDetail(r, 400)).toMatch(/^JSON parse error - /);
    });
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json], body: ff('{"answer": "', '"}') }, (r) => {
      expect(expectDetail(r, 400)).toMatch(/^JSON parse error - /);
    });
  });

  it('in a form body is a 400', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, form], body: ff('answer=') }, (r) => {
      expectErrorBody(r, 400);
    });
  });

  it('in a multipart field is a 400 or a field error', async () => {
    const body = Buffer.concat([Buffer.from('--bb\r\nContent-Disposition: form-data; name="answer"\r\n\r\n'), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n--bb--\r\n')]);
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, ['Content-Type', 'multipart/form-data; boundary=bb']], body }, (r) => {
      expectErrorBody(r, 400);
    });
  });

  it('percent-encoded in the URL path (/life/%ff/) is a JSON 4xx of DRF shape', async () => {
    for (const target of ['/life/%ff/', '/life/%ff%fe/', '/life/%E0%A4%A/', '/%ff', '/life/%/']) {
      await hostile(main, { target }, (r) => {
        expectDetail(r, [400, 404]);
      });
    }
  });

  it('as a raw 0xff byte in the request line is a 400 JSON', async () => {
    await hostile(main, { target: ff('/life/', '/') }, (r) => {
      expectDetail(r, 400);
    });
    await hostile(main, { target: ff('/life/?a=') }, (r) => {
      expectDetail(r, 400);
    });
  });

  it('percent-encoded in the query string is ignored', async () => {
    await hostile(main, { target: '/life/?a=%ff%fe&%ff=1&b=%zz&c=%E0%A4%A' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
  });

  it('latin-1 bytes in a Token Authorization header are refused with DRF\'s message', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [['Authorization', ff('Token ', 'abc')], json], body: '{"answer": 1}' }, (r) => {
      // SessionAuthentication comes first and has no challenge: DRF answers 403, not 401.
      expect(expectDetail(r, 403)).toBe('Invalid token header. Token string should not contain invalid characters.');
    });
  });

  it('latin-1 bytes in a Basic Authorization header are refused', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [['Authorization', ff('Basic ')], json], body: '{"answer": 1}' }, (r) => {
      expect(expectDetail(r, 403)).toMatch(/^Invalid (basic header|username\/password)/);
    });
  });

  it('latin-1 bytes in the Cookie header leave the request anonymous', async () => {
    await hostile(main, { target: '/life/', headers: [['Cookie', ff('sessionid=', '; csrftoken=%E0%A4%A; x=%')]] }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
    await hostile(main, { method: 'POST', target: '/life/', headers: [['Cookie', ff('sessionid=')], json], body: '{"answer": 1}' }, (r) => {
      expect(expectDetail(r, 403)).toBe('Authentication credentials were not provided.');
    });
  });

  describe('with a logged-in session', () => {
    let sessionKey: string;
    beforeAll(async () => {
      const user = await main.app.accounts.authenticate('bob', PASSWORDS.bob!);
      sessionKey = await main.app.accounts.createSessionFor(user!);
    });

    it('latin-1 bytes in X-CSRFToken are a CSRF failure', async () => {
      const cookie = `sessionid=${sessionKey}; csrftoken=${newMaskedToken()}`;
      await hostile(main, { method: 'POST', target: '/life/', headers: [['Cookie', cookie], ['X-CSRFToken', ff('')], json], body: '{"answer": 1}' }, (r) => {
        expect(expectDetail(r, 403)).toMatch(/^CSRF Failed: /);
      });
    });

    it('latin-1 bytes in the csrftoken cookie are a CSRF failure', async () => {
      const token = newMaskedToken();
      await hostile(main, { method: 'POST', target: '/life/', headers: [['Cookie', ff(`sessionid=${sessionKey}; csrftoken=`)], ['X-CSRFToken', token], json], body: '{"answer": 1}' }, (r) => {
        expect(expectDetail(r, 403)).toMatch(/^CSRF Failed: /);
      });
    });

    it('a malformed body with a valid CSRF token is a 400, the session untouched', async () => {
      const token = newMaskedToken();
      await hostile(main, { method: 'POST', target: '/life/', headers: [['Cookie', `sessionid=${sessionKey}; csrftoken=${token}`], ['X-CSRFToken', token], json], body: '{nope' }, (r) => {
        expect(expectDetail(r, 400)).toMatch(/^JSON parse error - /);
      });
    });
  });
});

// ------------------------------------------------------------------------------------------------
// Oversized
// ------------------------------------------------------------------------------------------------

describe('oversized requests', () => {
  it('a body over bodyLimit with Content-Length is a 413 JSON', async () => {
    await hostile(small, { method: 'POST', target: '/life/', headers: [bob, json], body: `{"answer": 1, "pad": "${'a'.repeat(2000)}"}` }, (r) => {
      expect(expectDetail(r, 413)).toBe('Request body is too large.');
    });
  });

  it('a Content-Length over bodyLimit is refused at once, before any body is sent', async () => {
    await hostile(small, { method: 'POST', target: '/life/', headers: [bob, json, ['Content-Length', '10000000']], noContentLength: true }, (r) => {
      expect(r.timedOut, 'the server must not wait for the body').toBe(false);
      expect(expectDetail(r, 413)).toBe('Request body is too large.');
    }, { timeoutMs: 5000 });
  });

  it('a chunked body over bodyLimit without Content-Length is a 413 JSON', async () => {
    const chunk = `400\r\n${' '.repeat(1024)}\r\n`;
    await hostile(small, {
      method: 'POST',
      target: '/life/',
      headers: [bob, json, ['Transfer-Encoding', 'chunked']],
      body: `${chunk.repeat(4)}0\r\n\r\n`,
      noContentLength: true,
    }, (r) => {
      expect(expectDetail(r, 413)).toBe('Request body is too large.');
    });
  });

  it('a body exactly at bodyLimit is accepted (the limit is not off by one)', async () => {
    const before = await snapshot(small.app);
    const prefix = '{"answer": 3, "pad": "';
    const body = `${prefix}${'a'.repeat(1024 - prefix.length - 2)}"}`;
    expect(body.length).toBe(1024);
    const r = await send(small, { method: 'POST', target: '/life/', headers: [bob, json], body });
    expect(r.status, describe4xx(r)).toBe(201);
    const created = JSON.parse(r.body) as { id: number };
    await small.app.db.kysely.deleteFrom('life').where('id', '=', created.id).execute();
    expect(await snapshot(small.app)).toEqual(before);
  });

  it('Content-Length claims 10, 5 bytes are sent, then the client closes: 400 JSON or a silent close, nothing written', async () => {
    await hostile(small, { method: 'POST', target: '/life/', headers: [bob, json, ['Content-Length', '10']], body: '{"ans', noContentLength: true }, (r) => {
      expect(r.timedOut, describe4xx(r)).toBe(false);
      if (!r.closedWithoutResponse) expectDetail(r, 400);
    }, { halfClose: true, timeoutMs: 5000 });
  });

  it('Content-Length claims 5 and 10 bytes are sent: the surplus is not taken as a second request', async () => {
    await hostile(small, { method: 'POST', target: '/life/', headers: [bob, json, ['Content-Length', '5']], body: '{"answer":3}', noContentLength: true }, (r) => {
      expectDetail(r, 400);
    });
  });

  it('headers over 16 KiB are a 431 JSON', async () => {
    await hostile(main, { target: '/life/', headers: [['X-Big', 'a'.repeat(20_000)]] }, (r) => {
      expect(expectDetail(r, 431)).toBe('Request headers are too large.');
    });
  });

  it('a URL of 100 KB is a 414 or 431 JSON', async () => {
    await hostile(main, { target: `/life/?q=${'a'.repeat(100_000)}` }, (r) => {
      expectDetail(r, [414, 431]);
    });
    await hostile(main, { target: `/life/${'9'.repeat(100_000)}/` }, (r) => {
      expectDetail(r, [414, 431]);
    });
  });

  it('a lookup value longer than the router allows is a 404 (DRF) or 414 of DRF shape', async () => {
    await hostile(main, { target: `/life/${'9'.repeat(300)}/` }, (r) => {
      expectDetail(r, [404, 414]);
    });
  });

  it('1000 query parameters are answered normally', async () => {
    const query = Array.from({ length: 1000 }, (_, i) => `p${i}=${i}`).join('&');
    await hostile(main, { target: `/life/?${query}` }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
  });

  it('a Cookie header with 500 cookies is answered normally', async () => {
    const cookie = Array.from({ length: 500 }, (_, i) => `c${i}=v${i}`).join('; ');
    await hostile(main, { target: '/life/', headers: [['Cookie', cookie]] }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
    // 500 copies of the session cookie name, none valid.
    const sessions = Array.from({ length: 500 }, (_, i) => `sessionid=x${i}`).join('; ');
    await hostile(main, { method: 'POST', target: '/life/', headers: [['Cookie', sessions], json], body: '{"answer": 1}' }, (r) => {
      expect(expectDetail(r, 403)).toBe('Authentication credentials were not provided.');
    });
  });

  it('2500 small headers (more than Node keeps) are answered normally', async () => {
    const headers = Array.from({ length: 2500 }, (_, i) => [`x${i}`, '1'] as [string, string]);
    await hostile(main, { target: '/life/', headers }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
  });

  it('the server bounds slow clients (requestTimeout and headersTimeout are set)', () => {
    expect(main.server.server.requestTimeout).toBeGreaterThan(0);
    expect(main.server.server.requestTimeout).toBeLessThanOrEqual(60_000);
    expect(main.server.server.headersTimeout).toBeGreaterThan(0);
    expect(main.server.server.headersTimeout).toBeLessThanOrEqual(60_000);
  });
});

// ------------------------------------------------------------------------------------------------
// Hostile headers
// ------------------------------------------------------------------------------------------------

describe('hostile headers', () => {
  it('an HTTP/1.1 request without Host is a 400 JSON', async () => {
    await hostile(main, { target: '/life/', noHost: true }, (r) => {
      expectDetail(r, 400);
    });
  });

  it('an HTTP/1.0 request without Host: the API root gives well-formed absolute URLs, or a 400 JSON', async () => {
    await hostile(main, { target: '/', noHost: true, version: '1.0' }, (r) => {
      if (r.status === 200) {
        const root = JSON.parse(r.body) as Record<string, string>;
        for (const url of Object.values(root)) expect(url).toMatch(/^http:\/\/[^/\s]+\/[a-z]+\/$/);
      } else {
        expectDetail(r, 400);
      }
    });
  });

  it('Host: evil.com keeps the API root\'s absolute URLs well-formed', async () => {
    await hostile(main, { target: '/', noHost: true, headers: [['Host', 'evil.com']] }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ life: 'http://evil.com/life/', surveys: 'http://evil.com/surveys/' });
    });
  });

  const invalidHosts = ['a b"<>', '[::1', 'evil.com:99999x', 'a/b', 'x@evil.com', 'évil.com'];
  for (const host of invalidHosts) {
    it(`an invalid Host ${JSON.stringify(host)} is a 400 JSON (RFC 9112 §3.2; Django's DisallowedHost), never echoed into URLs`, async () => {
      await hostile(main, { target: '/', noHost: true, headers: [['Host', Buffer.from(host, 'latin1')]] }, (r) => {
        expectDetail(r, 400);
      });
    });
  }

  it('an invalid Host on a paginated list (which builds next/previous links) is a 400 JSON', async () => {
    await hostile(small, { target: '/life/', noHost: true, headers: [['Host', 'a b"<>']] }, (r) => {
      expectDetail(r, 400);
    });
  });

  it('an invalid Host asking for the browsable API is a 4xx, never a 5xx', async () => {
    await hostile(main, { target: '/', noHost: true, headers: [['Host', 'a b"<>'], ['Accept', 'text/html']] }, (r) => {
      expect(r.status, describe4xx(r)).toBe(400);
    });
  });

  it('an invalid Host on a session-authenticated unsafe request is a 4xx, nothing written', async () => {
    const user = await main.app.accounts.authenticate('bob', PASSWORDS.bob!);
    const key = await main.app.accounts.createSessionFor(user!);
    const token = newMaskedToken();
    await hostile(main, {
      method: 'POST',
      target: '/life/',
      noHost: true,
      headers: [['Host', 'a b"<>'], ['Cookie', `sessionid=${key}; csrftoken=${token}`], ['X-CSRFToken', token], ['Origin', 'http://a b"<>'], json],
      body: '{"answer": 1}',
    }, (r) => {
      expectDetail(r);
    });
  });

  it('two Host headers are a 400 JSON (RFC 9112 §3.2)', async () => {
    await hostile(main, { target: '/', noHost: true, headers: [['Host', 'a.example'], ['Host', 'b.example']] }, (r) => {
      expectDetail(r, 400);
    });
  });

  it('two Authorization headers are refused, whichever comes first', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [['Authorization', 'Token zzz'], bob, json], body: '{"answer": 1}' }, (r) => {
      expectDetail(r);
    });
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, ['Authorization', 'Token zzz'], json], body: '{"answer": 1}' }, (r) => {
      expectDetail(r);
    });
  });

  it('a CR or LF inside a header value is a 400 JSON, nothing reflected', async () => {
    for (const value of ['a\rSet-Cookie: x=1', 'a\nSet-Cookie: x=1', 'a\r\n Set-Cookie: x=1', 'a\u0000b']) {
      await hostile(main, { target: '/life/', headers: [['X-Thing', value]] }, (r) => {
        expectDetail(r, 400);
        expect(r.setCookies).toEqual([]);
      });
    }
  });

  it('obs-fold, a header without a colon, a space before the colon and bare LF line endings are 400 JSON', async () => {
    const base = `GET /life/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
    for (const payload of [
      `${base}X-A: a\r\n  folded\r\n\r\n`,
      `${base}NoColonHere\r\n\r\n`,
      `${base}X-A : a\r\n\r\n`,
      'GET /life/ HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n',
      `${base}Bad Header: x\r\n\r\n`,
    ]) {
      await hostileRaw(main, payload, (r) => {
        expectDetail(r, 400);
      });
    }
  });

  it('CR/LF in the login redirect target is never reflected into the response headers', async () => {
    const before = await snapshot(main.app);
    for (const next of ['/a\r\nSet-Cookie: evil=1', '/a%0d%0aSet-Cookie:%20evil=1', '\r\n/x']) {
      const r = await send(main, { target: `/api-auth/login/?next=${encodeURIComponent(next)}` });
      expect(r.status, describe4xx(r)).toBe(200);
      expect(r.head).not.toMatch(/evil/);
      expect(r.setCookies.every((c) => !/evil/.test(c))).toBe(true);
    }
    expect(await snapshot(main.app)).toEqual(before);
    await expectAlive(main);
  });

  describe('login redirects to a hostile next (a session is written: the login itself succeeds)', () => {
    const login = async (next: string): Promise<RawResponse> => {
      const token = newMaskedToken();
      const body = new URLSearchParams({ username: 'bob', password: PASSWORDS.bob!, next, csrfmiddlewaretoken: token }).toString();
      return send(main, { method: 'POST', target: '/api-auth/login/', headers: [form, ['Cookie', `csrftoken=${token}`]], body });
    };

    it('CR/LF: the default or the percent-encoded target (Django: iri_to_uri), no header injected', async () => {
      const r = await login('/a\r\nSet-Cookie: evil=1');
      expect(r.status, describe4xx(r)).toBe(302);
      expect(['/', '/a%0D%0ASet-Cookie:%20evil=1']).toContain(r.headers.location);
      expect(r.head).not.toMatch(/\r\nSet-Cookie: evil/i);
      expect(r.setCookies.every((c) => !/evil/.test(c))).toBe(true);
    });

    for (const [name, next, location] of [
      ['a NUL byte', '/a\u0000b', '/a%00b'],
      ['a control character', '/a\u000bb', '/a%0Bb'],
      ['a non-latin-1 character', '/\u0100', '/%C4%80'],
      ['a DEL character', '/a\u007fb', '/a%7Fb'],
    ] as const) {
      it(`${name} in next: a redirect with the target percent-encoded (Django's iri_to_uri), never a 500`, async () => {
        const r = await login(next);
        expect(r.status, describe4xx(r)).toBe(302);
        expect(r.headers.location?.toUpperCase()).toBe(location.toUpperCase());
      });
    }
  });

  it('the trailing-slash redirect does not reflect CR/LF', async () => {
    await hostile(main, { target: '/life?x=%0d%0aSet-Cookie:%20evil=1' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(301);
      expect(r.headers.location).toBe('/life/?x=%0d%0aSet-Cookie:%20evil=1');
      expect(r.setCookies).toEqual([]);
    });
  });

  it('an Accept header of 10 KB is a 406 JSON or a normal response', async () => {
    for (const accept of ['x/y,'.repeat(2500), `${'a'.repeat(10_000)}/json`, `application/json;${'p=1;'.repeat(2000)}`]) {
      await hostile(main, { target: '/life/', headers: [['Accept', accept]] }, (r) => {
        if (r.status !== 200) expect(expectDetail(r, 406)).toBe('Could not satisfy the request Accept header.');
      });
    }
  });

  it('an Accept header with 1000 entries: 406 without a match, 200 with one', async () => {
    // 1000 entries, well under Node's 16 KiB header limit.
    const entries = Array.from({ length: 1000 }, (_, i) => `a/x${i}`);
    await hostile(main, { target: '/life/', headers: [['Accept', entries.join(', ')]] }, (r) => {
      expect(expectDetail(r, 406)).toBe('Could not satisfy the request Accept header.');
    });
    await hostile(main, { target: '/life/', headers: [['Accept', [...entries, 'application/json'].join(', ')]] }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    });
  });

  it('odd Accept values are answered without a 500', async () => {
    for (const accept of ['*/*;q=abc', '*/*;q=', ';;;', '/', '*', 'application/json; indent=abc', 'application/json; indent=-5', 'application/json; indent=99999999999', 'application/json; __proto__=x', ',,,,']) {
      await hostile(main, { target: '/life/', headers: [['Accept', accept]] }, (r) => {
        if (r.status !== 200) expect(expectDetail(r, 406)).toBe('Could not satisfy the request Accept header.');
      });
    }
  });

  it('X-Forwarded-For garbage is harmless when no proxy is trusted', async () => {
    for (const xff of ['garbage', ',,,', '999.999.999.999', `${'1.2.3.4, '.repeat(1500)}5.6.7.8`, '\u00ff\u00fe']) {
      await hostile(main, { target: '/life/', headers: [['X-Forwarded-For', Buffer.from(xff, 'latin1')], ['X-Forwarded-Proto', 'gopher']] }, (r) => {
        expect(r.status, describe4xx(r)).toBe(200);
      });
    }
  });

  it('X-Forwarded-For garbage is harmless with numProxies and a throttle reading it', async () => {
    for (const xff of ['garbage', ',,,', '', ' ', '999.999.999.999', `${'1.2.3.4, '.repeat(1500)}5.6.7.8`, '\u00ff\u00fe', '__proto__', 'constructor']) {
      await hostile(proxied, { target: '/life/', headers: [['X-Forwarded-For', Buffer.from(xff, 'latin1')], ['X-Forwarded-Proto', 'https, http, \u00ff']] }, (r) => {
        expect(r.status, describe4xx(r)).toBe(200);
      });
    }
  });

  it('a hostile Origin with a session, in debug mode, is a CSRF 403 whose debug header carries no raw bytes', async () => {
    const user = await proxied.app.accounts.authenticate('bob', PASSWORDS.bob!);
    const key = await proxied.app.accounts.createSessionFor(user!);
    const token = newMaskedToken();
    await hostile(proxied, {
      method: 'POST',
      target: '/life/',
      headers: [['Cookie', `sessionid=${key}; csrftoken=${token}`], ['X-CSRFToken', token], ['Origin', Buffer.from('http://\u00ffevil\u00fe.com', 'latin1')], json],
      body: '{"answer": 1}',
    }, (r) => {
      expect(expectDetail(r, 403)).toMatch(/^CSRF Failed: Origin checking failed - /);
      expect(r.headers['gatehouse-decision'] ?? '').toMatch(/^[\x20-\x7e]*$/);
    });
  });

  it('Transfer-Encoding with Content-Length (request smuggling) is a 400 JSON, nothing written', async () => {
    await hostile(main, {
      method: 'POST',
      target: '/life/',
      headers: [bob, json, ['Content-Length', '13'], ['Transfer-Encoding', 'chunked']],
      body: '{"answer": 3}',
      noContentLength: true,
    }, (r) => {
      expectDetail(r, 400);
    });
  });

  it('two different Content-Lengths, and a non-numeric one, are 400 JSON', async () => {
    for (const lengths of [['13', '14'], ['abc'], ['-1'], ['1 3']]) {
      await hostile(main, {
        method: 'POST',
        target: '/life/',
        headers: [bob, json, ...lengths.map((l) => ['Content-Length', l] as [string, string])],
        body: '{"answer": 3}',
        noContentLength: true,
      }, (r) => {
        expectDetail(r, 400);
      });
    }
  });

  it('an unknown Transfer-Encoding is a 4xx JSON', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json, ['Transfer-Encoding', 'gzip, identity']], body: '{"answer": 3}', noContentLength: true }, (r) => {
      expectDetail(r);
    }, { timeoutMs: 5000 });
  });

  it('an Expect header Node does not handle is a 417 JSON, not an empty 417', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json, ['Expect', 'the-unexpected']], body: '{"answer": 1}' }, (r) => {
      expectDetail(r, 417);
    });
  });

  it('Expect: 100-continue is honoured and the request then handled normally', async () => {
    await hostile(main, { method: 'POST', target: '/life/', headers: [bob, json, ['Expect', '100-continue']], body: '{nope' }, (r) => {
      expect(r.raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 400 /);
    });
  });

  it('an invalid method name (FOO) is a 400 JSON', async () => {
    await hostile(main, { method: 'FOO', target: '/life/', headers: [bob] }, (r) => {
      expectDetail(r, [400, 405]);
    });
  });

  it('a method Node knows but no view implements (PROPFIND) is DRF\'s 405', async () => {
    await hostile(main, { method: 'PROPFIND', target: '/life/', headers: [bob] }, (r) => {
      expect(expectDetail(r, 405)).toBe('Method "PROPFIND" not allowed.');
    });
  });

  it('PROPFIND from an anonymous client is refused before the method is looked at (DRF: initial() first)', async () => {
    await hostile(main, { method: 'PROPFIND', target: '/life/1/', headers: [json], body: '{"answer": 5}' }, (r) => {
      expect(expectDetail(r, 403)).toBe('Authentication credentials were not provided.');
    });
  });

  it('PROPFIND on an unknown path is the JSON 404', async () => {
    await hostile(main, { method: 'PROPFIND', target: '/nowhere/', headers: [bob] }, (r) => {
      expect(expectDetail(r, 404)).toBe('Not found.');
    });
  });

  it('TRACE is DRF\'s 405', async () => {
    await hostile(main, { method: 'TRACE', target: '/life/', headers: [bob] }, (r) => {
      expect(expectDetail(r, 405)).toBe('Method "TRACE" not allowed.');
    });
  });

  it('CONNECT gets a 4xx JSON answer, not a silently dropped connection', async () => {
    await hostile(main, { method: 'CONNECT', target: '127.0.0.1:80', headers: [bob] }, (r) => {
      expectDetail(r);
    }, { timeoutMs: 5000 });
  });

  it('a hostile request on a keep-alive connection does not poison the next one', async () => {
    const bad = build(main, { method: 'POST', target: '/life/', headers: [bob, json], body: '{nope' }).toString('latin1').replace('Connection: close', 'Connection: keep-alive');
    const good = build(main, { target: '/life/1/' }).toString('latin1');
    await hostileRaw(main, Buffer.from(bad + good, 'latin1'), (r) => {
      expect(expectDetail(r, 400)).toMatch(/^JSON parse error - /);
      const statuses = [...r.raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      expect(statuses).toEqual([400, 200]);
      expect(r.raw.endsWith('{"id":1,"answer":42}')).toBe(true);
    });
  });

  it('extra whitespace in the request line (tolerated by Node) is answered normally', async () => {
    await hostileRaw(main, `GET  /life/1/  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, (r) => {
      expect(r.status, describe4xx(r)).not.toBe(0);
      expect(r.status, describe4xx(r)).toBeLessThan(500);
    });
  });

  it('an absolute-form request target is routed by its path', async () => {
    await hostile(main, { target: 'http://x/life/1/' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ id: 1, answer: 42 });
    });
  });

  it('request-line garbage is a 400 JSON', async () => {
    for (const payload of ['HELLO\r\n\r\n', 'GET\r\n\r\n', 'GET /life/ HTTP/9.9\r\nHost: x\r\n\r\n', 'GET /life/ FTP/1.1\r\nHost: x\r\n\r\n', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003', 'GET /li fe/ HTTP/1.1\r\nHost: x\r\n\r\n']) {
      await hostileRaw(main, Buffer.from(payload, 'latin1'), (r) => {
        expect(r.timedOut, describe4xx(r)).toBe(false);
        expectDetail(r, 400);
      }, { halfClose: true, timeoutMs: 5000 });
    }
  });
});

describe('with allowedHosts set (Django\'s ALLOWED_HOSTS)', () => {
  let guarded: Live;
  beforeAll(async () => {
    guarded = await start({ allowedHosts: ['127.0.0.1', '.example.com'] });
  });
  afterAll(async () => {
    await stop(guarded);
  });

  for (const host of ['evil.com', 'example.com.evil.com', 'evilexample.com', '127.0.0.2', 'localhost']) {
    it(`Host: ${host} is a 400 JSON where the host is used`, async () => {
      await hostile(guarded, { target: '/', noHost: true, headers: [['Host', host]] }, (r) => {
        expectDetail(r, 400);
      });
    });
  }

  for (const host of ['127.0.0.1:8000', 'example.com', 'api.example.com', 'API.Example.COM:443']) {
    it(`Host: ${host} is allowed`, async () => {
      await hostile(guarded, { target: '/', noHost: true, headers: [['Host', host]] }, (r) => {
        expect(r.status, describe4xx(r)).toBe(200);
        expect(JSON.parse(r.body)).toEqual({ life: `http://${host}/life/`, surveys: `http://${host}/surveys/` });
      });
    });
  }
});

// ------------------------------------------------------------------------------------------------
// Path tricks
// ------------------------------------------------------------------------------------------------

describe('path tricks', () => {
  const notFound = [
    '/life/1.json.x',
    '/life/1.xml',
    '/life/1.JSON',
    '/life/../life/1/',
    '/life/%2e%2e/',
    '/life/./1/',
    '//life/',
    '/life//1/',
    '/life/1%2F2/',
    '/life/1%2f2/',
    '/life/-1/',
    '/life/1e3/',
    '/life/0x10/',
    '/life/1.0/',
    '/life/%00/',
    '/life/99999999999999999999999/',
    '/life/1;x/',
    '/surveys/abc/',
    '/surveys/20/',
    '/nowhere/',
    '/nowhere',
    '/life/1/extra/',
  ];
  for (const target of notFound) {
    it(`GET ${target} is a 404 JSON`, async () => {
      await hostile(main, { target }, (r) => {
        expect(expectDetail(r, 404)).toBe('Not found.');
      });
    });
  }

  // Django casts the captured pk with int(), which accepts a sign and surrounding spaces: DRF answers 200.
  for (const target of ['/life/+1/', '/life/%201/', '/life/1%20/', '/life/%2B1/', '/life/01/']) {
    it(`GET ${target} is either the object (int() semantics, as DRF) or a 404, never a 5xx`, async () => {
      await hostile(main, { target }, (r) => {
        if (r.status === 200) expect(JSON.parse(r.body)).toEqual({ id: 1, answer: 42 });
        else expect(expectDetail(r, 404)).toBe('Not found.');
      });
    });
  }

  it('GET /life is a 301 to /life/, keeping the query string', async () => {
    await hostile(main, { target: '/life?a=1' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(301);
      expect(r.headers.location).toBe('/life/?a=1');
    });
  });

  it('POST /life (no slash) is redirected, never handled, so nothing is written', async () => {
    await hostile(main, { method: 'POST', target: '/life', headers: [bob, json], body: '{"answer": 5}' }, (r) => {
      expect([301, 308], describe4xx(r)).toContain(r.status);
      expect(r.headers.location).toBe('/life/');
    });
  });

  it('HEAD /life is a 301 without a body', async () => {
    await hostile(main, { method: 'HEAD', target: '/life' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(301);
      expect(r.headers.location).toBe('/life/');
    });
  });

  // Undecodable or oversized paths reach the not-found handler's own route matching (trailing-slash
  // redirect, unrouted methods), for every method.
  for (const method of ['GET', 'POST', 'PROPFIND', 'DELETE']) {
    it(`${method} on undecodable or oversized paths is a 4xx JSON, never a 5xx`, async () => {
      for (const target of ['/life%ff', '/life/%ff', '/life/%ff/', '/%ff', '/%ff/', `/life/${'9'.repeat(300)}`, `/life/${'9'.repeat(300)}/`, '/life/%E0%A4%A', '/life/1%ff', `/${'a'.repeat(300)}`]) {
        await hostile(main, { method, target, headers: [bob, json], body: '{"answer": 5}' }, (r) => {
          if (r.status === 301 || r.status === 308) expect(r.headers.location).toMatch(/^\/[^/\\]/);
          else expectDetail(r, [400, 404, 405, 414]);
        });
      }
    });
  }

  it('GET /life/1 is a 301 to /life/1/ (Django\'s APPEND_SLASH resolves the path, not the pattern)', async () => {
    await hostile(main, { target: '/life/1' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(301);
      expect(r.headers.location).toBe('/life/1/');
    });
  });

  it('GET //life is never redirected to a protocol-relative (off-site) location', async () => {
    for (const target of ['//life', '//evil.com/life', '/\\evil.com/life']) {
      await hostile(main, { target }, (r) => {
        expect(r.status, describe4xx(r)).not.toBe(0);
        expect(r.status, describe4xx(r)).toBeLessThan(500);
        if (r.headers.location !== undefined) expect(r.headers.location).not.toMatch(/^(\/\/|\/\\|\\)/);
      });
    }
  });

  it('format suffixes other than a known lowercase format are 404 JSON; .json works', async () => {
    await hostile(main, { target: '/life/1.json' }, (r) => {
      expect(r.status, describe4xx(r)).toBe(200);
    });
    await hostile(main, { target: '/life/?format=xml' }, (r) => {
      expect(expectDetail(r, 404)).toBe('Not found.');
    });
    await hostile(main, { target: '/life/?format=%ff' }, (r) => {
      expect(expectDetail(r, 404)).toBe('Not found.');
    });
  });

  it('hostile writes to odd paths write nothing', async () => {
    for (const target of ['/life/-1/', '/life/1e3/', '/life/%2e%2e/', '/life/1%2F2/']) {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        await hostile(main, { method, target, headers: [bob, json], body: '{"answer": 5}' }, (r) => {
          expect(expectDetail(r, 404)).toBe('Not found.');
        });
      }
    }
  });

  const invalidPages: string[] = ['abc', '0', '-1', '99999999999999999999999', '', '1.5', '1e0', '0x1', '%201x', '%ff', 'NaN', 'Infinity', '2x'];
  for (const page of invalidPages) {
    it(`?page=${page} is DRF's 404 "Invalid page."`, async () => {
      await hostile(small, { target: `/life/?page=${page}` }, (r) => {
        expect(expectDetail(r, 404)).toBe('Invalid page.');
      });
    });
  }
});

// ------------------------------------------------------------------------------------------------
// Deterministic mutation fuzzing: whatever the bytes, never a 5xx
// ------------------------------------------------------------------------------------------------

describe('mutated requests (seeded, deterministic)', () => {
  /** mulberry32: a small seeded PRNG, so every run sends the same bytes. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const templates = (live: Live): Buffer[] => [
    build(live, { method: 'POST', target: '/life/', headers: [bob, json], body: '{"answer": 5, "x": [1, {"y": "z"}]}' }),
    build(live, { method: 'PATCH', target: '/life/2/', headers: [bob, form], body: 'answer=7&answer=8' }),
    build(live, { method: 'POST', target: '/composed/', headers: [bob, ['Content-Type', 'multipart/form-data; boundary=zz']], body: '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zz\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--zz--\r\n' }),
    build(live, { target: '/life/?page=1&format=json', headers: [['Accept', 'application/json; indent=2'], ['Cookie', 'sessionid=abc; csrftoken=def']] }),
  ];

  function mutate(input: Buffer, random: () => number): Buffer {
    let bytes = Buffer.from(input);
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * bytes.length);
      const kind = random();
      if (kind < 0.4) {
        bytes[at] = Math.floor(random() * 256);
      } else if (kind < 0.6) {
        const insert = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)));
        bytes = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
      } else if (kind < 0.8) {
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + Math.floor(random() * 8)))]);
      } else if (kind < 0.9) {
        const specials = ['\r\n', '\u0000', '%', '"', '{', '[', ';', ',', '\\u', '%ff', '\u00ff', ' '];
        const insert = Buffer.from(specials[Math.floor(random() * specials.length)]!, 'latin1');
        bytes = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
      } else {
        bytes = bytes.subarray(0, at);
      }
    }
    return bytes;
  }

  it('1000 mutations of valid requests: never a 5xx, the server stays up', async () => {
    const random = prng(20240601);
    const bases = templates(main);
    const failures: string[] = [];
    const uncaughtBefore = unhandled.length;
    for (let i = 0; i < 1000; i++) {
      const payload = mutate(bases[i % bases.length]!, random);
      const r = await exchange(main.port, payload, { halfClose: true, timeoutMs: 4000 });
      record(`fuzz #${i}`, r);
      if (r.status >= 500) failures.push(`#${i}: ${JSON.stringify(payload.toString('latin1').slice(0, 300))} -> ${r.raw.slice(0, 200)}`);
      if (r.status !== 0 && r.status >= 400 && !/^application\/json|^text\/html/.test(r.headers['content-type'] ?? '') && r.headers['content-length'] !== '0') {
        failures.push(`#${i}: error without a JSON body: ${r.raw.slice(0, 200)}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failures).toEqual([]);
    expect(unhandled.slice(uncaughtBefore).map(String), 'an uncaught exception would have ended the process').toEqual([]);
    await expectAlive(main);
  });
});

// ------------------------------------------------------------------------------------------------
// Whole-file invariants (keep this block last: it reads what every test above recorded)
// ------------------------------------------------------------------------------------------------

describe('across every hostile request above', () => {
  it('no request was answered with a 5xx', () => {
    const failures = seen.filter((s) => s.status >= 500);
    expect(failures, JSON.stringify(failures, null, 1)).toEqual([]);
    expect(seen.length).toBeGreaterThan(100);
  });

  it('nothing was logged as an unhandled error, by Gatehouse or by Fastify', () => {
    expect(appErrors.map((e) => e.slice(0, 400))).toEqual([]);
    expect(fastifyErrors.map((e) => e.slice(0, 400))).toEqual([]);
  });

  it('the process saw no unhandled rejection or uncaught exception', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled.map(String)).toEqual([]);
  });

  it('Object.prototype was never polluted', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysAtStart);
  });
});
