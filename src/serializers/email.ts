/**
 * Django's EmailValidator (3.2, with the 320-character limit of its security releases): a dot-atom or
 * quoted local part, and a domain of DNS labels, an IDN domain in punycode, `localhost`, or an
 * address literal such as `[127.0.0.1]`.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

const USER =
  /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$|^"([\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"$/i;
const DOMAIN = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))$/i;
const LITERAL = /^\[([A-F0-9:.]+)\]$/i;

function validDomain(domain: string): boolean {
  if (DOMAIN.test(domain)) return true;
  const literal = LITERAL.exec(domain);
  return literal !== null && isIP(literal[1]!) !== 0;
}

export function isValidEmail(value: string): boolean {
  if (value === '' || !value.includes('@') || value.length > 320) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!USER.test(user)) return false;
  if (domain === 'localhost' || validDomain(domain)) return true;
  const ascii = domainToASCII(domain);
  return ascii !== '' && ascii !== domain && validDomain(ascii);
}
