/**
 * Media type parsing and matching, as DRF's `utils/mediatypes.py`: `type/subtype; params`, where the
 * precedence of an Accept entry is its specificity (full type with params, full type, `type/*`, `*\/*`).
 */

export interface MediaType {
  /** Lowercased `type/subtype`, without parameters. */
  type: string;
  /** Parameters other than `q`, lowercased names. */
  params: Record<string, string>;
}

const cache = new Map<string, MediaType>();
const CACHE_LIMIT = 256;

/** Parses `text/html; charset=utf-8`. Results are memoised: clients send the same few headers. */
export function parseMediaType(value: string): MediaType {
  let parsed = cache.get(value);
  if (parsed === undefined) {
    const [head = '', ...rest] = value.split(';');
    const params: Record<string, string> = {};
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq === -1) continue;
      const name = part.slice(0, eq).trim().toLowerCase();
      if (name === 'q' || name === '') continue;
      params[name] = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    parsed = { type: head.trim().toLowerCase(), params };
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(value, parsed);
  }
  return parsed;
}

/** DRF's precedence: 3 for a full type with params, 2 full type, 1 `type/*`, 0 `*\/*`. */
export function precedence(media: MediaType): number {
  if (media.type === '*/*') return 0;
  if (media.type.endsWith('/*')) return 1;
  return Object.keys(media.params).length > 0 ? 3 : 2;
}

/** Whether a renderer's media type satisfies an Accept entry (DRF's `_MediaType.match`). */
export function matches(rendererType: string, accepted: MediaType): boolean {
  if (accepted.type === '*/*') return true;
  const slash = accepted.type.indexOf('/');
  const main = accepted.type.slice(0, slash);
  const sub = accepted.type.slice(slash + 1);
  const rSlash = rendererType.indexOf('/');
  if (sub !== '*' && sub !== rendererType.slice(rSlash + 1)) return false;
  return main === '*' || main === rendererType.slice(0, rSlash);
}
