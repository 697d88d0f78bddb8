/**
 * The response body as the page shows it, and data embedded for the page's script. Both are built so
 * that templates never need raw output for user data: the body is a list of text and link parts the
 * template escapes, and embedded JSON cannot close its <script> element.
 */

/** A run of the pretty-printed body: plain text, or a URL to show as a link. */
export interface ContentPart {
  text: string;
  /** Set when the text is an absolute http(s) URL. */
  href?: string;
}

// A JSON string holding an http(s) URL with nothing JSON would escape: those are the links.
const QUOTED_URL = /"(https?:\/\/[^"\\\s]+)"/g;

/** DRF's `urlize_quoted_links`: the body pretty-printed (indent 4), with quoted URLs as links. */
export function prettyContent(data: unknown): ContentPart[] {
  if (data === null || data === undefined) return [];
  const text = JSON.stringify(data, null, 4);
  const parts: ContentPart[] = [];
  let last = 0;
  for (const match of text.matchAll(QUOTED_URL)) {
    const start = match.index + 1;
    const url = match[1]!;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

const SCRIPT_UNSAFE = /[<>&\u2028\u2029]/g;

/**
 * JSON to embed in `<script type="application/json">` with raw output: `<`, `>` and `&` as `\u003c`
 * and friends, so no `</script>` or `<!--` can appear, whatever the data holds.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(SCRIPT_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
