/**
 * Datetimes as DRF reads and writes them with `USE_TZ = True` and `TIME_ZONE = 'UTC'`: input through
 * Django's `parse_datetime` (ISO 8601, a space allowed for `T`, an offset optional and naive values
 * taken as UTC), output as `datetime.isoformat()` with `+00:00` shortened to `Z`.
 * JavaScript dates hold milliseconds, so microseconds beyond them are dropped.
 */

// Django's datetime_re; Python's `$` also matches before a final newline.
const DATETIME_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\n?$/;

export type ParsedDateTime = Date | 'invalid' | 'overflow';

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Parses like Django's `parse_datetime` plus DRF's timezone handling: 'invalid' where DRF says the format is wrong. */
export function parseDateTime(text: string): ParsedDateTime {
  const match = DATETIME_RE.exec(text);
  if (match === null) return 'invalid';
  const [, y, mo, d, h, mi, s, fraction, tz] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // Python's datetime() rejects out-of-range parts with ValueError, which DRF reports as a bad format.
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return 'invalid';
  if (hour > 23 || minute > 59 || second > 59) return 'invalid';
  let offsetMinutes = 0;
  if (tz !== undefined && tz !== 'Z') {
    offsetMinutes = 60 * Number(tz.slice(1, 3)) + (tz.length > 3 ? Number(tz.slice(-2)) : 0);
    if (offsetMinutes >= 24 * 60) return 'invalid';
    if (tz.startsWith('-')) offsetMinutes = -offsetMinutes;
  }
  const millis = fraction === undefined ? 0 : Math.floor(Number(fraction.padEnd(6, '0')) / 1000);
  // Date.UTC would map years 0-99 to 1900-1999; setUTCFullYear does not.
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, millis);
  const date = new Date(local.getTime() - offsetMinutes * 60_000);
  const utcYear = date.getUTCFullYear();
  return utcYear < 1 || utcYear > 9999 ? 'overflow' : date;
}

/** Python's `isoformat()` of an aware UTC datetime, with `Z`: microseconds only when non-zero. */
export function formatDateTime(date: Date): string {
  const base = date.toISOString().slice(0, 19);
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? `${base}Z` : `${base}.${String(ms).padStart(3, '0')}000Z`;
}
