/** Django's `iri_to_uri`: UTF-8 percent-encoding of everything but URL-safe ASCII, for Location headers. */
export function iriToUri(iri: string): string {
  return iri.replace(/[^A-Za-z0-9\-._~\/#%[\]=:;$&()+,!?*@']/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}
