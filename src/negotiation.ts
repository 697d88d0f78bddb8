/**
 * Content negotiation, as DRF's `DefaultContentNegotiation`: a `?format=` or URL suffix narrows the
 * renderers (unknown format: 404); then Accept entries are taken by specificity, and within the same
 * specificity the view's renderer order decides. q-values are ignored, exactly as in DRF.
 */
import { NotAcceptable, NotFound } from './exceptions.ts';
import { matches, parseMediaType, precedence, type MediaType } from './media-types.ts';
import type { Renderer } from './renderers.ts';

export interface Negotiated {
  renderer: Renderer;
  /** The Accept entry that matched, with its parameters (e.g. `indent=4`). */
  accepted: MediaType;
}

const CACHE_LIMIT = 128;

/** Negotiates for one view's renderers. Results are cached by (format, Accept): clients repeat themselves. */
export class ContentNegotiator {
  readonly #renderers: readonly Renderer[];
  readonly #cache = new Map<string, Negotiated>();

  constructor(renderers: readonly Renderer[]) {
    this.#renderers = renderers;
  }

  select(accept: string | undefined, format: string | undefined): Negotiated {
    // Without a format (nearly every request) the Accept value is the key as it is: no string built.
    // A header value cannot hold a newline, so the two kinds of key cannot collide.
    const key = format === undefined ? (accept ?? '') : `${format}\n${accept ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const result = this.#negotiate(accept, format);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(key, result);
    return result;
  }

  #negotiate(accept: string | undefined, format: string | undefined): Negotiated {
    let renderers = this.#renderers;
    if (format) {
      renderers = renderers.filter((r) => r.format === format);
      if (renderers.length === 0) throw new NotFound();
    }
    const entries = (accept || '*/*').split(',').map((part) => parseMediaType(part.trim()));
    for (let level = 3; level >= 0; level--) {
      const group = entries.filter((m) => precedence(m) === level);
      if (group.length === 0) continue;
      for (const renderer of renderers) {
        for (const media of group) {
          if (matches(renderer.mediaType, media)) return { renderer, accepted: media };
        }
      }
    }
    throw new NotAcceptable();
  }
}
