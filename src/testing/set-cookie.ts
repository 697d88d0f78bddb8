/** Reads one Set-Cookie header as a browser's cookie jar would: name, value, and whether it deletes. */
export function parse(header: string): { name: string; value: string; expired: boolean } {
  const [pair = '', ...attributes] = header.split(';');
  const eq = pair.indexOf('=');
  const name = pair.slice(0, eq).trim();
  const value = decodeURIComponent(pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  let expired = value === '';
  for (const attribute of attributes) {
    const [key = '', v = ''] = attribute.split('=');
    const k = key.trim().toLowerCase();
    if (k === 'max-age' && Number(v) <= 0) expired = true;
    if (k === 'expires' && Date.parse(v) <= Date.now()) expired = true;
  }
  return { name, value, expired };
}
