/**
 * How Python would print and classify a JSON value. DRF's messages embed `str(value)` and
 * `type(value).__name__` (`"['a']" is not a valid choice.`, `... received list.`), so matching them
 * byte for byte means formatting the way Python does. Python's whitespace and integer syntax live
 * here too, for the same reason.
 */

/** `type(value).__name__` for a value parsed from JSON. An integral number is an `int`. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    default:
      return Array.isArray(value) ? 'list' : 'dict';
  }
}

/** Python's `str(value)`. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** Python's `repr(value)`. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return pyNumber(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return pyStringRepr(value);
    default:
      if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
      return `{${Object.entries(value as object)
        .map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`)
        .join(', ')}}`;
  }
}

function pyNumber(value: number): string {
  if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  // Python's float repr: the shortest digits (as JavaScript's), positional for 1e-4 <= |x| < 1e16.
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  // Within that range JavaScript also prints positionally.
  if (exponent >= -4 && exponent < 16) return String(value);
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function pyStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** The characters Python's `str.strip()` removes (`str.isspace`), which differ slightly from JavaScript's `trim`. */
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');

export function pyStrip(text: string): string {
  return text.replace(STRIP, '');
}

/** Python's `int(text)` syntax: optional sign, digits with single underscores between them, whitespace around. */
const INT = new RegExp(`^[${WS}]*[+-]?\\d(?:_?\\d)*[${WS}]*$`);

/** Python's `int(text)`: a bigint, or undefined when `int()` would raise ValueError. */
export function pyInt(text: string): bigint | undefined {
  return INT.test(text) ? BigInt(pyStrip(text).replaceAll('_', '')) : undefined;
}

const FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;

/**
 * Python's `float(text)` for decimal syntax: a number (Infinity when it overflows), or undefined.
 * Python's `inf` and `nan` spellings are left out: they have no JSON form, so no field accepts them.
 */
export function pyFloat(text: string): number | undefined {
  const stripped = pyStrip(text);
  return FLOAT.test(stripped) ? Number(stripped.replaceAll('_', '')) : undefined;
}

/** `len(text)` in Python: code points, not UTF-16 units. */
export function pyLen(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}
