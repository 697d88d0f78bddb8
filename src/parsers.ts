/**
 * Body parsers, chosen by the request's Content-Type (DRF's `parsers.py`). A parser turns the raw
 * bytes into data or throws ParseError (400); the request throws UnsupportedMediaType (415) when no
 * parser takes the content type. Bodies arrive whole (the adapter enforces the size limit), so parsing
 * is synchronous.
 */
import busboy from 'busboy';
import { ParseError } from './exceptions.ts';
import { pythonJsonError } from './util/python-json-error.ts';

export interface Parser {
  /** The media type this parser takes, e.g. `application/json`. */
  readonly mediaType: string;
  parse(body: Buffer, params: Record<string, string>): unknown;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(body: Buffer, what: string): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new ParseError(`${what} parse error - body is not valid UTF-8.`);
  }
}

/** Deeper JSON is refused: rendering or validating it would overflow the stack. Python's json stops near 1000. */
export const MAX_JSON_DEPTH = 512;

export class JSONParser implements Parser {
  readonly mediaType = 'application/json';

  parse(body: Buffer): unknown {
    const text = decodeUtf8(body, 'JSON');
    // Nesting deeper than the limit needs two bytes a level, so small bodies skip the scan.
    if (text.length > MAX_JSON_DEPTH * 2 && nestingDepth(text) > MAX_JSON_DEPTH) {
      throw new ParseError(`JSON parse error - nesting deeper than ${MAX_JSON_DEPTH} levels`);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      // DRF shows Python's message (with STRICT_JSON); clients written against DRF may display it.
      const message = pythonJsonError(text, { strictConstants: true }) ?? (error as Error).message;
      throw new ParseError(`JSON parse error - ${message}`);
    }
  }
}

/** The deepest array/object nesting in JSON text, ignoring brackets inside strings. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Form data, as Django's QueryDict: each field's last value, so `data.answer` is a string and the
 * data renders as DRF renders it; every value of a repeated field through `getList(data, name)`.
 */
export type FormData = Record<string, string>;

const allValues = new WeakMap<object, Map<string, string[]>>();

/** All values of a form field, in order (Django's `QueryDict.getlist`); [] when absent or not form data. */
export function getList(data: unknown, name: string): string[] {
  if (typeof data !== 'object' || data === null) return [];
  return allValues.get(data)?.get(name) ?? (typeof (data as Record<string, unknown>)[name] === 'string' ? [(data as FormData)[name]!] : []);
}

function addField(data: FormData, name: string, value: string): void {
  let lists = allValues.get(data);
  if (lists === undefined) allValues.set(data, (lists = new Map()));
  const list = lists.get(name);
  if (list === undefined) lists.set(name, [value]);
  else list.push(value);
  data[name] = value;
}

export class FormParser implements Parser {
  readonly mediaType = 'application/x-www-form-urlencoded';

  parse(body: Buffer): FormData {
    // A null prototype keeps a field named `__proto__` an ordinary field.
    const data: FormData = Object.create(null);
    for (const [name, value] of new URLSearchParams(decodeUtf8(body, 'Form'))) {
      addField(data, name, value);
    }
    return data;
  }
}

export interface UploadedFile {
  filename: string;
  contentType: string;
  size: number;
  content: Buffer;
}

export class MultiPartParser implements Parser {
  readonly mediaType = 'multipart/form-data';

  parse(body: Buffer, params: Record<string, string>): Record<string, string | UploadedFile> {
    const data: Record<string, string | UploadedFile> = Object.create(null);
    if (!params.boundary) throw new ParseError('Multipart form parse error - Invalid boundary in multipart: None');
    let failure: Error | undefined;
    const files: [string, { read(): Buffer | null }, { filename?: string | undefined; mimeType: string }][] = [];
    try {
      // The whole body is in memory, and busboy emits fields and buffers file data while `end` runs,
      // so everything is available synchronously once it returns.
      const parser = busboy({
        headers: { 'content-type': `multipart/form-data; boundary=${params.boundary}` },
        fileHwm: body.length + 1,
        defParamCharset: 'utf8',
      });
      parser.on('field', (name, value) => addField(data as FormData, name, value));
      parser.on('file', (name, stream, info) => {
        // A truncated part errors on its stream after end() returns; unheard, that error would
        // be uncaught and stop the process.
        stream.on('error', (error: Error) => (failure ??= error));
        files.push([name, stream as never, info]);
      });
      parser.on('error', (error: Error) => (failure = error));
      parser.end(body);
    } catch (error) {
      failure = error as Error;
    }
    if (failure) throw new ParseError(`Multipart form parse error - ${failure.message}`);
    // busboy reports a missing or truncated form only asynchronously; a complete one has its close
    // delimiter at the start of a line (a file's content may contain the same bytes mid-line).
    const close = `--${params.boundary}--`;
    if (!body.subarray(0, close.length).equals(Buffer.from(close)) && body.indexOf(`\r\n${close}`) === -1) {
      throw new ParseError('Multipart form parse error - the body does not end with the closing boundary (wrong boundary, or truncated)');
    }
    for (const [name, stream, info] of files) {
      const chunks: Buffer[] = [];
      for (let chunk = stream.read(); chunk !== null; chunk = stream.read()) chunks.push(chunk);
      const content = Buffer.concat(chunks);
      data[name] = { filename: info.filename ?? '', contentType: info.mimeType, size: content.length, content };
    }
    return data;
  }
}

export const DEFAULT_PARSERS: readonly Parser[] = [new JSONParser(), new FormParser(), new MultiPartParser()];
