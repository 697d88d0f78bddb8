/**
 * The error Python's `json.loads` raises for a request body, so that a malformed JSON body gets
 * DRF's exact `{"detail": "JSON parse error - <message>"}`: which message, and at which
 * line, column and character it points.
 *
 * CPython's `json.loads` runs the C accelerator (`Modules/_json.c`), not the pure-Python
 * `py_scanstring`/`py_make_scanner`; the two disagree on string errors (the C one says
 * "Invalid control character at" and "Invalid \escape" with no repr, and points at the control
 * character and the backslash), and the C one is what a Django server answers with. So this
 * follows the C scanner of Python 3.11, checked against a real python3 by the tests.
 */

/** Options for {@link pythonJsonError}. */
export interface PythonJsonErrorOptions {
  /**
   * Reject `NaN`, `Infinity` and `-Infinity` as DRF's JSONParser does under `STRICT_JSON`
   * (its default): `json.load(..., parse_constant=strict_constant)`. The constant is rejected
   * when the scanner reaches it, so an earlier syntax error still wins and a later one loses.
   */
  readonly strictConstants?: boolean;
}

// Python's own limit on int('...') (sys.get_int_max_str_digits() default, 3.11.7 onwards).
const INT_MAX_STR_DIGITS = 4300;

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const BOM = 0xfeff;

// Escapes other than \u that the scanner accepts: " \ / b f n r t.
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

// Python's non-standard constants, which the C scanner accepts (and hands to parse_constant).
const CONSTANTS = ['NaN', 'Infinity', '-Infinity'] as const;

const OBJECT = 0;
const ARRAY = 1;

/** A failure: the message before ": line …", and the code-point index it points at. */
interface Failure {
  readonly msg: string;
  readonly pos: number;
  // ValueErrors that are not JSONDecodeErrors (int digit limit, DRF's strict constants) carry
  // no position suffix.
  readonly bare?: boolean;
}

/**
 * Returns exactly `str(exc)` for the exception Python 3.11's `json.loads(text)` raises, or null
 * when Python accepts the text (including `NaN`, `Infinity`, `-Infinity`, lone surrogate escapes
 * and duplicate keys, which JavaScript's JSON.parse treats differently or the caller handles).
 *
 * Beyond JSONDecodeError, the one ValueError json.loads raises on its own is for an integer
 * literal of more than 4300 digits ("Exceeds the limit (4300 digits) …"); it is returned too,
 * since DRF reports any ValueError the same way. CPython raises RecursionError (which DRF does not
 * catch) for nesting deeper than about 1000; this answers instead what Python would say without
 * a recursion limit, as the nesting is tracked on an explicit stack.
 *
 * Positions count code points, as Python's str does: an astral character is one, not two.
 * Linear in the length of the text, and never throws.
 */
export function pythonJsonError(text: string, options: PythonJsonErrorOptions = {}): string | null {
  const cps = toCodePoints(text);
  const failure = scan(cps, options.strictConstants === true);
  if (failure === null) return null;
  if (failure.bare === true) return failure.msg;
  return formatDecodeError(cps, failure.msg, failure.pos);
}

/** Python's `JSONDecodeError.__init__`: `"%s: line %d column %d (char %d)"`. */
function formatDecodeError(cps: Uint32Array, msg: string, pos: number): string {
  let lineno = 1;
  let lastNewline = -1;
  for (let i = 0; i < pos; i++) {
    if (cps[i] === NEWLINE) {
      lineno++;
      lastNewline = i;
    }
  }
  const colno = pos - lastNewline;
  return `${msg}: line ${lineno} column ${colno} (char ${pos})`;
}

/**
 * The text as Python sees it: one entry a code point. A lone surrogate (which a UTF-8 decoded
 * body cannot hold, but a JavaScript string can) stays one entry, as it would in a Python str.
 */
function toCodePoints(text: string): Uint32Array {
  const out = new Uint32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out[n++] = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
        i++;
        continue;
      }
    }
    out[n++] = unit;
  }
  return out.subarray(0, n);
}

function isWhitespace(c: number | undefined): boolean {
  // Python's JSON whitespace is exactly ' \t\n\r', not str.isspace().
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE;
}

function skipWhitespace(cps: Uint32Array, idx: number): number {
  while (idx < cps.length && isWhitespace(cps[idx])) idx++;
  return idx;
}

/** Whether `word` (ASCII) appears at `idx`. */
function startsWithAt(cps: Uint32Array, idx: number, word: string): boolean {
  if (idx + word.length > cps.length) return false;
  for (let k = 0; k < word.length; k++) {
    if (cps[idx + k] !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * `JSONDecoder.decode` with the C `scan_once`, `_parse_object` and `_parse_array` unrolled into
 * one loop over an explicit stack of open containers, so depth costs heap, not call stack.
 */
function scan(cps: Uint32Array, strictConstants: boolean): Failure | null {
  // json.loads refuses a str that starts with a BOM before decoding anything.
  if (cps[0] === BOM) return { msg: 'Unexpected UTF-8 BOM (decode using utf-8-sig)', pos: 0 };

  const len = cps.length;
  const stack: number[] = [];
  let idx = skipWhitespace(cps, 0);

  for (;;) {
    // Here a value starts at idx (whitespace before it already skipped).
    let afterValue: number;
    const c = cps[idx];
    if (c === undefined) return { msg: 'Expecting value', pos: idx };
    if (c === QUOTE) {
      const end = scanString(cps, idx + 1);
      if (typeof end !== 'number') return end;
      afterValue = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // Both parsers skip whitespace after the opener and take an immediate closer as empty.
      const inner = skipWhitespace(cps, idx + 1);
      const closer = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      if (cps[inner] === closer) {
        afterValue = inner + 1;
      } else if (c === OPEN_BRACKET) {
        stack.push(ARRAY);
        idx = inner;
        continue;
      } else {
        stack.push(OBJECT);
        const valueStart = scanKeyAndColon(cps, inner);
        if (typeof valueStart !== 'number') return valueStart;
        idx = valueStart;
        continue;
      }
    } else if (c === 0x6e && startsWithAt(cps, idx, 'null')) {
      afterValue = idx + 4;
    } else if (c === 0x74 && startsWithAt(cps, idx, 'true')) {
      afterValue = idx + 4;
    } else if (c === 0x66 && startsWithAt(cps, idx, 'false')) {
      afterValue = idx + 5;
    } else {
      const constant = CONSTANTS.find((word) => startsWithAt(cps, idx, word));
      if (constant !== undefined) {
        if (strictConstants) {
          // DRF's strict_constant raises ValueError('Out of range float values are not JSON
          // compliant: ' + repr(o)) as soon as the scanner reaches the constant.
          const msg = `Out of range float values are not JSON compliant: '${constant}'`;
          return { msg, pos: idx, bare: true };
        }
        afterValue = idx + constant.length;
      } else {
        const number = scanNumber(cps, idx);
        if (typeof number !== 'number') return number;
        afterValue = number;
      }
    }

    // A value ended at afterValue: close containers until one wants another item.
    idx = afterValue;
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        const end = skipWhitespace(cps, idx);
        return end === len ? null : { msg: 'Extra data', pos: end };
      }
      idx = skipWhitespace(cps, idx);
      const next = cps[idx];
      if (next === (top === OBJECT ? CLOSE_BRACE : CLOSE_BRACKET)) {
        stack.pop();
        idx++;
        continue;
      }
      if (next !== COMMA) return { msg: "Expecting ',' delimiter", pos: idx };
      idx = skipWhitespace(cps, idx + 1);
      if (top === OBJECT) {
        const valueStart = scanKeyAndColon(cps, idx);
        if (typeof valueStart !== 'number') return valueStart;
        idx = valueStart;
      }
      break;
    }
  }
}

/** An object member's key and ':' at idx; returns where its value starts (whitespace skipped). */
function scanKeyAndColon(cps: Uint32Array, idx: number): number | Failure {
  if (cps[idx] !== QUOTE) return { msg: 'Expecting property name enclosed in double quotes', pos: idx };
  const end = scanString(cps, idx + 1);
  if (typeof end !== 'number') return end;
  const colon = skipWhitespace(cps, end);
  if (cps[colon] !== COLON) return { msg: "Expecting ':' delimiter", pos: colon };
  return skipWhitespace(cps, colon + 1);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= ZERO && c <= NINE) return c - ZERO;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Four hex digits from idx, or -1. */
function hex4(cps: Uint32Array, idx: number): number {
  let value = 0;
  for (let k = 0; k < 4; k++) {
    const digit = hexValue(cps[idx + k]);
    if (digit < 0) return -1;
    value = (value << 4) | digit;
  }
  return value;
}

/**
 * `scanstring_unicode` with strict=True: `start` is just after the opening quote; returns the
 * index after the closing quote.
 */
function scanString(cps: Uint32Array, start: number): number | Failure {
  const len = cps.length;
  const begin = start - 1;
  let end = start;
  for (;;) {
    let next = end;
    let c: number | undefined;
    for (; next < len; next++) {
      c = cps[next];
      if (c === QUOTE || c === BACKSLASH) break;
      if (c !== undefined && c <= 0x1f) return { msg: 'Invalid control character at', pos: next };
    }
    if (next >= len) return { msg: 'Unterminated string starting at', pos: begin };
    if (c === QUOTE) return next + 1;

    // A backslash at next.
    next++;
    if (next === len) return { msg: 'Unterminated string starting at', pos: begin };
    const escape = cps[next];
    if (escape !== 0x75) {
      // C points at the backslash (end - 2), and does not name the character, unlike py_scanstring.
      if (escape === undefined || !SIMPLE_ESCAPES.has(escape)) {
        return { msg: 'Invalid \\escape', pos: next - 1 };
      }
      end = next + 1;
      continue;
    }

    // \uXXXX: C demands a character after the four digits (`end >= len` is an error even when
    // the digits are fine), and points at the 'u'.
    const uPos = next;
    end = uPos + 5;
    if (end >= len) return { msg: 'Invalid \\uXXXX escape', pos: uPos };
    const unit = hex4(cps, uPos + 1);
    if (unit < 0) return { msg: 'Invalid \\uXXXX escape', pos: uPos };
    // A high surrogate followed by \u (with a character after its digits) must be a full escape;
    // a low surrogate joins it, anything else is kept apart and rescanned as its own escape.
    if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      end + 6 < len &&
      cps[end] === BACKSLASH &&
      cps[end + 1] === 0x75
    ) {
      const low = hex4(cps, end + 2);
      if (low < 0) return { msg: 'Invalid \\uXXXX escape', pos: end + 1 };
      if (low >= 0xdc00 && low <= 0xdfff) end += 6;
    }
  }
}

/**
 * `_match_number_unicode`: `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?` at idx, or "Expecting value"
 * at idx when no number starts there. Returns the index after the number.
 */
function scanNumber(cps: Uint32Array, idx: number): number | Failure {
  const start = idx;
  let i = idx;
  if (cps[i] === MINUS) i++;
  const first = cps[i];
  if (first === ZERO) {
    i++;
  } else if (first !== undefined && first >= 0x31 && first <= NINE) {
    i++;
    while (isDigit(cps[i])) i++;
  } else {
    return { msg: 'Expecting value', pos: start };
  }
  const integerEnd = i;
  let isFloat = false;
  if (cps[i] === DOT && isDigit(cps[i + 1])) {
    isFloat = true;
    i += 2;
    while (isDigit(cps[i])) i++;
  }
  if (cps[i] === 0x65 || cps[i] === 0x45) {
    let j = i + 1;
    if (cps[j] === MINUS || cps[j] === PLUS) j++;
    if (isDigit(cps[j])) {
      isFloat = true;
      while (isDigit(cps[j])) j++;
      i = j;
    }
  }
  if (!isFloat) {
    // int() refuses long decimal strings (CVE-2020-10735), counting digits without the sign.
    const digits = integerEnd - start - (cps[start] === MINUS ? 1 : 0);
    if (digits > INT_MAX_STR_DIGITS) {
      return {
        msg:
          `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: ` +
          `value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
        pos: start,
        bare: true,
      };
    }
  }
  return i;
}
