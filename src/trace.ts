/**
 * The decision trace: what each authenticator, the CSRF check, each permission and each throttle
 * decided about a request. It is what lets a 401/403/429 say which check failed and how to fix it.
 */

export type Decision =
  | { step: 'authentication'; by: string; outcome: 'no-credentials' | 'authenticated' | 'failed'; detail?: string }
  | { step: 'csrf'; outcome: 'passed' | 'failed'; reason?: string }
  | { step: 'permission'; by: string; outcome: 'granted' | 'denied'; object?: boolean }
  | { step: 'throttle'; by: string; outcome: 'allowed' | 'throttled'; wait?: number | null };

/**
 * One line per decision that led to a denial, plus how to fix the one that decided it. Used by the
 * debug header, the logs and the browsable API.
 */
export function explain(trace: readonly Decision[], status: number): string {
  const lines: string[] = [];
  for (const d of trace) {
    switch (d.step) {
      case 'authentication':
        if (d.outcome === 'no-credentials') lines.push(`${d.by}: no credentials in this request.`);
        else if (d.outcome === 'authenticated') lines.push(`${d.by}: authenticated${d.detail ? ` ${d.detail}` : ''}.`);
        else lines.push(`${d.by}: rejected the credentials: ${d.detail ?? 'failed'}.`);
        break;
      case 'csrf':
        if (d.outcome === 'failed') {
          lines.push(`CSRF check failed: ${d.reason}. ${csrfFix(d.reason ?? '')}`);
        }
        break;
      case 'permission':
        if (d.outcome === 'denied') lines.push(`${d.by} denied the request${d.object ? ' for this object' : ''}.`);
        break;
      case 'throttle':
        if (d.outcome === 'throttled') {
          lines.push(`${d.by} throttled the request${d.wait != null ? `; retry in ${Math.ceil(d.wait)} s` : ''}.`);
        }
        break;
    }
  }
  const authenticated = trace.some((d) => d.step === 'authentication' && d.outcome === 'authenticated');
  const failedAuth = trace.find((d) => d.step === 'authentication' && d.outcome === 'failed');
  if ((status === 401 || status === 403) && !authenticated && !failedAuth && !trace.some((d) => d.step === 'csrf' && d.outcome === 'failed')) {
    const schemes = trace.filter((d) => d.step === 'authentication').map((d) => (d as { by: string }).by);
    lines.push(
      schemes.length
        ? `Fix: send credentials one of ${schemes.join(', ')} accepts (e.g. log in, or an Authorization header).`
        : 'Fix: this view has no authentication classes, so no request can authenticate; add some or allow anonymous access.',
    );
  } else if (status === 403 && authenticated && !trace.some((d) => d.step === 'csrf' && d.outcome === 'failed')) {
    lines.push('Fix: the user is authenticated but lacks permission; use an account the permission allows, or change the view\'s permissionClasses.');
  }
  return lines.join(' ');
}

function csrfFix(reason: string): string {
  if (reason.includes('cookie not set')) {
    return 'Fix: fetch any HTML page (e.g. the login form) first to receive the csrftoken cookie, and send it back.';
  }
  if (reason.includes('Origin')) return 'Fix: send the request from the same origin, or add the origin to csrfTrustedOrigins.';
  if (reason.includes('Referer')) return 'Fix: over HTTPS, send a Referer from the same origin, or add the origin to csrfTrustedOrigins.';
  return 'Fix: copy the csrftoken cookie\'s value into an X-CSRFToken header (or the csrfmiddlewaretoken form field). Token and Basic authentication need no CSRF token.';
}
