/**
 * Python's non-strict `base64.b64decode`, which DRF's BasicAuthentication uses: which headers it
 * accepts, and what they decode to, must match bit for bit, or a credential that DRF rejects would
 * pass here (or the reverse).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='

// Character code → 6-bit value, -1 for anything outside the alphabet.
const DECODE_TABLE: readonly number[] = Array.from({ length: 256 }, (_, code) =>
  ALPHABET.indexOf(String.fromCharCode(code)),
);

/**
 * Decodes like CPython's `binascii.a2b_base64(data, strict_mode=False)`: returns the bytes, or null
 * where Python raises `binascii.Error`. The input is read one character per byte (a header value as
 * Node gives it, latin-1), so every character outside `A-Za-z0-9+/=` is skipped, as Python skips
 * such bytes. Decoding stops at the first `=` that completes a quad; data left in an incomplete
 * quad at the end is an error ("Incorrect padding", or one character too many).
 */
export function b64decodeLenient(input: string): Buffer | null {
  const out = Buffer.alloc(Math.ceil((input.length * 3) / 4));
  let length = 0;
  let quadPos = 0;
  let leftover = 0;
  let pads = 0;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code === PAD) {
      // CPython ignores an `=` before the second character of a quad, and only counts the ones
      // after it; pads plus data reaching four ends decoding, whatever follows.
      if (quadPos >= 2 && quadPos + ++pads >= 4) return out.subarray(0, length);
      continue;
    }
    const value = DECODE_TABLE[code] ?? -1;
    if (value < 0) continue;
    // Data after a lone `=` mid-quad carries on the quad, as in CPython.
    pads = 0;
    switch (quadPos) {
      case 0:
        leftover = value;
        break;
      case 1:
        out[length++] = (leftover << 2) | (value >> 4);
        leftover = value & 0x0f;
        break;
      case 2:
        out[length++] = (leftover << 4) | (value >> 2);
        leftover = value & 0x03;
        break;
      default:
        out[length++] = (leftover << 6) | value;
    }
    quadPos = (quadPos + 1) % 4;
  }
  return quadPos === 0 ? out.subarray(0, length) : null;
}
