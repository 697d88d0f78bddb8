/**
 * Primary keys from untrusted input (URL segments, JSON): a valid key is an integer JavaScript can hold
 * exactly. Anything else is "no such row" rather than an error, as DRF turns a bad pk into a 404.
 */
const INTEGER = /^[+-]?\d{1,16}$/;

export function parsePk(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !INTEGER.test(value)) return undefined;
  const pk = Number(value);
  return Number.isSafeInteger(pk) ? pk : undefined;
}
