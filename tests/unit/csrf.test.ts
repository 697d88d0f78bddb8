import { describe, expect, it } from 'vitest';
import {
  CSRF_ALLOWED_CHARS,
  CSRF_SECRET_LENGTH,
  CSRF_TOKEN_LENGTH,
  REASON_BAD_ORIGIN,
  REASON_BAD_REFERER,
  REASON_BAD_TOKEN,
  REASON_INSECURE_REFERER,
  REASON_MALFORMED_REFERER,
  REASON_NO_CSRF_COOKIE,
  REASON_NO_REFERER,
  checkCsrf,
  freshTokenFor,
  maskCipherSecret,
  newCsrfSecret,
  newMaskedToken,
  sanitizeCookieToken,
  tokensMatch,
  unmaskCipherToken,
} from '../../src/authentication/csrf.ts';
import type { CsrfCheckInput } from '../../src/authentication/csrf.ts';

// Django's csrf_tests constants: two maskings of one secret.
const TEST_SECRET = 'lcccccccX2kcccccccY2jcccccccssIC';
const MASKED_TEST_SECRET1 = '1bcdefghij2bcdefghij3bcdefghij4bcdefghij5bcdefghij6bcdefghijABCD';
const MASKED_TEST_SECRET2 = '2JgchWvM1tpxT2lfz9aydoXW9yT1DN3NdLiejYxOOlzzV4nhBbYqmqZYbAV3V5Bf';

const badOrigin = (origin: string): string => REASON_BAD_ORIGIN.replace('%s', () => origin);
const badReferer = (url: string): string => REASON_BAD_REFERER.replace('%s', () => url);

/** A POST over plain HTTP to www.example.com with a valid cookie and header token. */
function request(overrides: Partial<CsrfCheckInput> = {}): CsrfCheckInput {
  return {
    method: 'POST',
    isSecure: false,
    host: 'www.example.com',
    cookieToken: MASKED_TEST_SECRET1,
    headerToken: MASKED_TEST_SECRET2,
    trustedOrigins: [],
    checkOrigin: true,
    ...overrides,
  };
}

/** The same over HTTPS, with a same-host Referer and no Origin. */
function secureRequest(overrides: Partial<CsrfCheckInput> = {}): CsrfCheckInput {
  return request({ isSecure: true, referer: 'https://www.example.com/somepage', ...overrides });
}

describe('reason strings', () => {
  it('are Django’s', () => {
    expect(REASON_NO_REFERER).toBe('Referer checking failed - no Referer.');
    expect(REASON_BAD_REFERER).toBe('Referer checking failed - %s does not match any trusted origins.');
    expect(REASON_NO_CSRF_COOKIE).toBe('CSRF cookie not set.');
    expect(REASON_BAD_TOKEN).toBe('CSRF token missing or incorrect.');
    expect(REASON_MALFORMED_REFERER).toBe('Referer checking failed - Referer is malformed.');
    expect(REASON_INSECURE_REFERER).toBe('Referer checking failed - Referer is insecure while host is secure.');
    expect(REASON_BAD_ORIGIN).toBe('Origin checking failed - %s does not match any trusted origins.');
  });
});

describe('masking (CsrfFunctionTests)', () => {
  it('has Django’s constants', () => {
    expect([CSRF_SECRET_LENGTH, CSRF_TOKEN_LENGTH]).toEqual([32, 64]);
    expect(CSRF_ALLOWED_CHARS).toBe('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
  });

  it('test_unmask_cipher_token', () => {
    expect(unmaskCipherToken(MASKED_TEST_SECRET1)).toBe(TEST_SECRET);
    expect(unmaskCipherToken(MASKED_TEST_SECRET2)).toBe(TEST_SECRET);
    expect(unmaskCipherToken('vFioG3XOLyGyGsPRFyB9iYUs341ufzIE'.repeat(2))).toBe('a'.repeat(32));
    expect(unmaskCipherToken('a'.repeat(64))).toBe('a'.repeat(32));
    expect(unmaskCipherToken('b'.repeat(64))).toBe('a'.repeat(32));
    expect(unmaskCipherToken('a'.repeat(32) + 'b'.repeat(32))).toBe('b'.repeat(32));
  });

  it('test_mask_cipher_secret: 64 alphanumerics that unmask to the secret, a new mask each time', () => {
    for (const secret of [TEST_SECRET, 'a'.repeat(32), '9'.repeat(32), newCsrfSecret()]) {
      const masked = maskCipherSecret(secret);
      expect(masked).toMatch(/^[a-zA-Z0-9]{64}$/);
      expect(unmaskCipherToken(masked)).toBe(secret);
      expect(maskCipherSecret(secret)).not.toBe(masked);
    }
  });

  it('makes random secrets and masked tokens', () => {
    const secret = newCsrfSecret();
    expect(secret).toMatch(/^[a-zA-Z0-9]{32}$/);
    expect(newCsrfSecret()).not.toBe(secret);
    const token = newMaskedToken();
    expect(token).toMatch(/^[a-zA-Z0-9]{64}$/);
    expect(unmaskCipherToken(token)).not.toBe(unmaskCipherToken(newMaskedToken()));
  });

  it('throws on malformed input, as Django’s index() does', () => {
    expect(() => maskCipherSecret('a'.repeat(31))).toThrow(RangeError);
    expect(() => maskCipherSecret('*'.repeat(32))).toThrow(RangeError);
    expect(() => unmaskCipherToken(TEST_SECRET)).toThrow(RangeError);
  });
});

describe('sanitizeCookieToken (Django 3.2 _sanitize_token)', () => {
  it('keeps a 64-character masked token', () => {
    expect(sanitizeCookieToken(MASKED_TEST_SECRET1)).toEqual({ token: MASKED_TEST_SECRET1, replaced: false });
  });

  it('masks a 32-character bare secret and asks to re-send the cookie', () => {
    const { token, replaced } = sanitizeCookieToken(TEST_SECRET);
    expect(replaced).toBe(true);
    expect(token).toHaveLength(64);
    expect(unmaskCipherToken(token)).toBe(TEST_SECRET);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['invalid characters', '*'.repeat(64)],
    ['too short', 'a'.repeat(16)],
    ['badvalue', 'badvalue'],
    ['too long', 'x'.repeat(100_000)],
    ['non-ASCII letters', 'é'.repeat(64)],
  ])('replaces a cookie that is %s with a new token', (_label, value) => {
    const { token, replaced } = sanitizeCookieToken(value);
    expect(replaced).toBe(true);
    expect(token).toMatch(/^[a-zA-Z0-9]{64}$/);
  });
});

describe('freshTokenFor (get_token)', () => {
  it('returns a new masking of the cookie’s secret each call', () => {
    const first = freshTokenFor(MASKED_TEST_SECRET1);
    const second = freshTokenFor(MASKED_TEST_SECRET1);
    expect(new Set([first, second, MASKED_TEST_SECRET1]).size).toBe(3);
    expect(unmaskCipherToken(first)).toBe(TEST_SECRET);
    expect(unmaskCipherToken(second)).toBe(TEST_SECRET);
    expect(unmaskCipherToken(freshTokenFor(TEST_SECRET))).toBe(TEST_SECRET);
  });

  it('refuses an unsanitized cookie value', () => {
    expect(() => freshTokenFor('badvalue')).toThrow(RangeError);
  });
});

describe('tokensMatch (test_does_token_match)', () => {
  it('matches masked and bare forms of one secret in any combination', () => {
    for (const request of [MASKED_TEST_SECRET1, MASKED_TEST_SECRET2, TEST_SECRET]) {
      for (const cookie of [MASKED_TEST_SECRET1, TEST_SECRET]) expect(tokensMatch(request, cookie)).toBe(true);
    }
  });

  it('does not match another secret, a malformed value or an empty one', () => {
    const other = newMaskedToken();
    expect(tokensMatch(other, MASKED_TEST_SECRET1)).toBe(false);
    expect(tokensMatch(unmaskCipherToken(other), MASKED_TEST_SECRET1)).toBe(false);
    for (const bad of ['', 'a'.repeat(16), '*'.repeat(64), MASKED_TEST_SECRET1 + 'a', ` ${TEST_SECRET}`]) {
      expect(tokensMatch(bad, MASKED_TEST_SECRET1)).toBe(false);
      expect(tokensMatch(MASKED_TEST_SECRET1, bad)).toBe(false);
    }
  });
});

describe('checkCsrf: methods and tokens', () => {
  it.each(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'get'])('accepts the safe method %s without any cookie', (method) => {
    expect(checkCsrf(request({ method, cookieToken: undefined, origin: 'https://evil.org' }))).toBeNull();
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post'])('rejects %s without a cookie (test_no_csrf_cookie)', (method) => {
    expect(checkCsrf(request({ method, cookieToken: undefined }))).toBe(REASON_NO_CSRF_COOKIE);
  });

  it('accepts a POST form token, and PUT/DELETE with the header (test_put_and_delete_allowed)', () => {
    expect(checkCsrf(request({ headerToken: undefined, formToken: MASKED_TEST_SECRET2 }))).toBeNull();
    expect(checkCsrf(request())).toBeNull();
    expect(checkCsrf(request({ method: 'PUT' }))).toBeNull();
    expect(checkCsrf(request({ method: 'DELETE' }))).toBeNull();
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too short', 'a'.repeat(16)],
    ['of invalid characters', '*'.repeat(64)],
    ['of another secret', 'a'.repeat(64)],
  ])('rejects a token that is %s, from the form or the header (test_csrf_cookie_bad_or_missing_token)', (_l, token) => {
    expect(checkCsrf(request({ headerToken: token }))).toBe(REASON_BAD_TOKEN);
    expect(checkCsrf(request({ headerToken: undefined, formToken: token }))).toBe(REASON_BAD_TOKEN);
  });

  it('accepts all 8 combinations of masked or bare cookie, masked or bare token, form or header', () => {
    for (const cookieToken of [MASKED_TEST_SECRET1, TEST_SECRET]) {
      for (const token of [MASKED_TEST_SECRET2, TEST_SECRET]) {
        expect(checkCsrf(request({ cookieToken, headerToken: token }))).toBeNull();
        expect(checkCsrf(request({ cookieToken, headerToken: undefined, formToken: token }))).toBeNull();
      }
    }
  });

  it('prefers a non-empty form field over the header', () => {
    const wrong = newMaskedToken();
    expect(checkCsrf(request({ formToken: wrong }))).toBe(REASON_BAD_TOKEN);
    expect(checkCsrf(request({ formToken: MASKED_TEST_SECRET2, headerToken: wrong }))).toBeNull();
    expect(checkCsrf(request({ formToken: '' }))).toBeNull();
  });

  it('reads the form field only on POST', () => {
    expect(checkCsrf(request({ method: 'PUT', formToken: MASKED_TEST_SECRET2, headerToken: undefined }))).toBe(
      REASON_BAD_TOKEN,
    );
  });

  it.each([['*'.repeat(64)], ['a'.repeat(16)], ['badvalue'], ['']])(
    'rejects a malformed cookie %j as a bad token, even with the same value as token',
    (cookieToken) => {
      expect(checkCsrf(request({ cookieToken }))).toBe(REASON_BAD_TOKEN);
      expect(checkCsrf(request({ cookieToken, headerToken: cookieToken }))).toBe(REASON_BAD_TOKEN);
    },
  );
});

describe('checkCsrf: Origin (Django 4.0+)', () => {
  it('accepts the request’s own origin over HTTP and HTTPS (test_good_origin_insecure/secure)', () => {
    expect(checkCsrf(request({ origin: 'http://www.example.com' }))).toBeNull();
    expect(checkCsrf(secureRequest({ origin: 'https://www.example.com', referer: undefined }))).toBeNull();
  });

  it.each([
    ['a foreign domain (test_bad_origin_bad_domain)', 'https://www.evil.org'],
    ['null (test_bad_origin_null_origin)', 'null'],
    ['the wrong scheme (test_bad_origin_bad_protocol)', 'http://www.example.com'],
    ['an unparsable value (test_bad_origin_cannot_be_parsed)', 'https://['],
    ['another port', 'https://www.example.com:8443'],
    ['the empty string', ''],
    ['a different case', 'https://WWW.example.com'],
  ])('rejects %s', (_label, origin) => {
    expect(checkCsrf(secureRequest({ origin }))).toBe(badOrigin(origin));
  });

  it('includes a non-default port in the own origin', () => {
    expect(checkCsrf(request({ host: 'localhost:8000', origin: 'http://localhost:8000' }))).toBeNull();
    expect(checkCsrf(request({ host: 'localhost:8000', origin: 'http://localhost' }))).toBe(
      badOrigin('http://localhost'),
    );
  });

  it('accepts exact and wildcard trusted origins (test_good_origin_(wildcard_)csrf_trusted_origin_allowed)', () => {
    const exact = ['https://dashboard.example.com'];
    expect(checkCsrf(secureRequest({ origin: 'https://dashboard.example.com', trustedOrigins: exact }))).toBeNull();
    const wildcard = ['https://*.example.com'];
    for (const origin of ['https://foo.example.com', 'https://a.b.example.com', 'https://example.com']) {
      expect(checkCsrf(secureRequest({ origin, trustedOrigins: wildcard }))).toBeNull();
    }
  });

  it('requires the trusted origin’s scheme (test_bad_origin_csrf_trusted_origin_bad_protocol)', () => {
    expect(checkCsrf(secureRequest({ origin: 'https://no-match.com', trustedOrigins: ['http://no-match.com'] }))).toBe(
      badOrigin('https://no-match.com'),
    );
    const wildcard = ['https://*.example.com'];
    expect(checkCsrf(request({ origin: 'http://foo.example.com', trustedOrigins: wildcard }))).toBe(
      badOrigin('http://foo.example.com'),
    );
  });

  it('does not let a wildcard match look-alike domains or other ports', () => {
    const wildcard = ['https://*.example.com'];
    for (const origin of ['https://evilexample.com', 'https://example.com.evil.org', 'https://foo.example.com:8443']) {
      expect(checkCsrf(secureRequest({ origin, trustedOrigins: wildcard }))).toBe(badOrigin(origin));
    }
  });

  it('rejects any origin but a trusted one when the host is not allowed (test_origin_malformed_host)', () => {
    expect(checkCsrf(secureRequest({ host: null, origin: 'https://www.example.com' }))).toBe(
      badOrigin('https://www.example.com'),
    );
    const trusted = ['https://www.example.com'];
    expect(checkCsrf(secureRequest({ host: null, origin: 'https://www.example.com', trustedOrigins: trusted }))).toBeNull();
  });

  it('replaces the Referer check when present, and runs before the cookie check', () => {
    expect(checkCsrf(secureRequest({ origin: 'https://www.example.com', referer: 'https://www.evil.org/' }))).toBeNull();
    expect(checkCsrf(request({ origin: 'https://www.evil.org', cookieToken: undefined }))).toBe(
      badOrigin('https://www.evil.org'),
    );
  });

  it('is skipped without checkOrigin, as in Django 3.2: HTTP passes, HTTPS checks the Referer', () => {
    expect(checkCsrf(request({ checkOrigin: false, origin: 'http://evil.com' }))).toBeNull();
    expect(checkCsrf(secureRequest({ checkOrigin: false, origin: 'https://www.example.com', referer: undefined }))).toBe(
      REASON_NO_REFERER,
    );
  });
});

describe('checkCsrf: Referer on HTTPS', () => {
  it('accepts the same host, with or without a path (test_https_good_referer, _2)', () => {
    expect(checkCsrf(secureRequest())).toBeNull();
    expect(checkCsrf(secureRequest({ referer: 'https://www.example.com' }))).toBeNull();
    expect(checkCsrf(secureRequest({ referer: 'https://www.example.com/' }))).toBeNull();
  });

  it('is not checked over plain HTTP', () => {
    expect(checkCsrf(request({ referer: 'http://www.evil.org/' }))).toBeNull();
  });

  it('rejects a missing Referer before looking at the cookie (test_https_no_referer)', () => {
    expect(checkCsrf(secureRequest({ referer: undefined }))).toBe(REASON_NO_REFERER);
    expect(checkCsrf(secureRequest({ referer: undefined, cookieToken: undefined }))).toBe(REASON_NO_REFERER);
  });

  it.each(['', 'ØBöIß', '//example.com/', 'https://', 'https://[', 'https://[::1]x/', 'example.com'])(
    'rejects the malformed Referer %j (test_https_malformed_referer)',
    (referer) => {
      expect(checkCsrf(secureRequest({ referer }))).toBe(REASON_MALFORMED_REFERER);
    },
  );

  it.each(['http://http://www.example.com/', 'http://www.example.com/', 'ftp://www.example.com/'])(
    'rejects the insecure Referer %j (test_https_reject_insecure_referer)',
    (referer) => {
      expect(checkCsrf(secureRequest({ referer }))).toBe(REASON_INSECURE_REFERER);
    },
  );

  it('rejects a foreign Referer, quoting it (test_https_bad_referer)', () => {
    expect(checkCsrf(secureRequest({ referer: 'https://www.evil.org/somepage' }))).toBe(
      badReferer('https://www.evil.org/somepage'),
    );
  });

  it('quotes the Referer as Python’s geturl() rewrites it', () => {
    expect(checkCsrf(secureRequest({ referer: 'HTTPS://evil.org/a;?#' }))).toBe(badReferer('https://evil.org/a'));
    expect(checkCsrf(secureRequest({ referer: ' https://evil.org/a;b?q#f' }))).toBe(
      badReferer('https://evil.org/a;b?q#f'),
    );
    expect(checkCsrf(secureRequest({ referer: 'https://evil.org/$&' }))).toBe(
      'Referer checking failed - https://evil.org/$& does not match any trusted origins.',
    );
  });

  it('compares the host and port exactly, and the Referer host case-sensitively, as Django does', () => {
    const host = 'www.example.com:8443';
    expect(checkCsrf(secureRequest({ host, referer: 'https://www.example.com:8443/x' }))).toBeNull();
    expect(checkCsrf(secureRequest({ host, referer: 'https://www.example.com/x' }))).toBe(
      badReferer('https://www.example.com/x'),
    );
    expect(checkCsrf(secureRequest({ referer: 'https://WWW.example.com/' }))).toBe(
      badReferer('https://WWW.example.com/'),
    );
    expect(checkCsrf(secureRequest({ host: 'WWW.Example.com', referer: 'https://www.example.com/' }))).toBeNull();
  });

  it('rejects every Referer but a trusted one when the host is not allowed (test_https_malformed_host)', () => {
    expect(checkCsrf(secureRequest({ host: null, referer: 'https://www.evil.org/somepage' }))).toBe(
      badReferer('https://www.evil.org/somepage'),
    );
    const trustedOrigins = ['https://dashboard.example.com'];
    expect(checkCsrf(secureRequest({ host: null, referer: 'https://dashboard.example.com', trustedOrigins }))).toBeNull();
  });

  it('accepts exact and wildcard trusted origins, whatever their scheme (test_https_csrf_(wildcard_)trusted_origin_allowed)', () => {
    const referer = 'https://dashboard.example.com';
    for (const trusted of ['https://dashboard.example.com', 'http://dashboard.example.com', 'https://*.example.com']) {
      expect(checkCsrf(secureRequest({ referer, trustedOrigins: [trusted] }))).toBeNull();
    }
    expect(checkCsrf(secureRequest({ referer: 'https://evilexample.com/', trustedOrigins: ['https://*.example.com'] }))).toBe(
      badReferer('https://evilexample.com/'),
    );
  });

  it('checks the token after an accepted Referer', () => {
    expect(checkCsrf(secureRequest({ headerToken: undefined }))).toBe(REASON_BAD_TOKEN);
    expect(checkCsrf(secureRequest({ cookieToken: undefined }))).toBe(REASON_NO_CSRF_COOKIE);
  });
});
