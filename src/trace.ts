/**
 * The decision trace: what each authenticator, the CSRF check, each permission and each throttle
 * decided about a request. It is what lets a 401/403/429 say which check failed and how to fix it.
 */

export type Decision =
  | { step: 'authentication'; by: string; outcome: 'no-credentials' | 'authenticated' | 'failed'; detail?: string }
  | { step: 'csrf'; outcome: 'passed' | 'failed'; reason?: string }
  | { step: 'permission'; by: string; outcome: 'granted' | 'denied'; object?: boolean }
  | { step: 'throttle'; by: string; outcome: 'allowed' | 'throttled'; wait?: number | null };

/** One decision, in words. */
export interface ExplainedStep {
  step: Decision['step'];
  /** The class that decided (an authenticator, permission or throttle), or `CSRF`. */
  by: string;
  outcome: Decision['outcome'];
  /** This decision refused the request (a failed authentication or CSRF check, a denial, a throttle). */
  refused: boolean;
  text: string;
}

/** Every decision in order, and how to fix the one that refused the request. */
export interface Explanation {
  steps: ExplainedStep[];
  fix: string | null;
}

/**
 * The structured explanation, for the browsable API: every decision (also those that passed) and the
 * fix. `explain()` is its text form.
 */
export function explainSteps(trace: readonly Decision[], status: number): Explanation {
  const steps = trace.map(describe);
  return { steps, fix: fixFor(trace, status) };
}

/**
 * One sentence per decision that led to a denial (passing CSRF checks, granting permissions and
 * admitting throttles are left out), then how to fix it. Used by the debug header and the logs.
 */
export function explain(trace: readonly Decision[], status: number): string {
  const { steps, fix } = explainSteps(trace, status);
  const lines = steps.filter((s) => s.outcome !== 'passed' && s.outcome !== 'granted' && s.outcome !== 'allowed').map((s) => s.text);
  if (fix !== null) lines.push(fix);
  return lines.join(' ');
}

function describe(d: Decision): ExplainedStep {
  switch (d.step) {
    case 'authentication': {
      const text =
        d.outcome === 'no-credentials'
          ? `${d.by}: no credentials in this request.`
          : d.outcome === 'authenticated'
            ? `${d.by}: authenticated${d.detail ? ` ${d.detail}` : ''}.`
            : `${d.by}: rejected the credentials: ${sentence(d.detail ?? 'failed')}`;
      return { step: d.step, by: d.by, outcome: d.outcome, refused: d.outcome === 'failed', text };
    }
    case 'csrf':
      return {
        step: d.step,
        by: 'CSRF',
        outcome: d.outcome,
        refused: d.outcome === 'failed',
        text: d.outcome === 'failed' ? `CSRF check failed: ${sentence(d.reason ?? 'failed')}` : 'CSRF check passed.',
      };
    case 'permission': {
      const target = d.object ? ' for this object' : '';
      return {
        step: d.step,
        by: d.by,
        outcome: d.outcome,
        refused: d.outcome === 'denied',
        text: d.outcome === 'denied' ? `${d.by} denied the request${target}.` : `${d.by} granted the request${target}.`,
      };
    }
    case 'throttle':
      return {
        step: d.step,
        by: d.by,
        outcome: d.outcome,
        refused: d.outcome === 'throttled',
        text:
          d.outcome === 'throttled'
            ? `${d.by} throttled the request${d.wait != null ? `; retry in ${Math.ceil(d.wait)} s` : ''}.`
            : `${d.by} let the request through.`,
      };
  }
}

/** Ends a message with exactly one period. */
function sentence(text: string): string {
  return text.endsWith('.') ? text : `${text}.`;
}

function fixFor(trace: readonly Decision[], status: number): string | null {
  const csrf = trace.find((d): d is Extract<Decision, { step: 'csrf' }> => d.step === 'csrf' && d.outcome === 'failed');
  if (csrf !== undefined) return csrfFix(csrf.reason ?? '');
  const authenticated = trace.some((d) => d.step === 'authentication' && d.outcome === 'authenticated');
  const failedAuth = trace.some((d) => d.step === 'authentication' && d.outcome === 'failed');
  if ((status === 401 || status === 403) && !authenticated && !failedAuth) {
    const schemes = trace.filter((d) => d.step === 'authentication').map((d) => (d as { by: string }).by);
    return schemes.length
      ? `Fix: send credentials one of ${schemes.join(', ')} accepts (e.g. log in, or an Authorization header).`
      : 'Fix: this view has no authentication classes, so no request can authenticate; add some or allow anonymous access.';
  }
  if (status === 403 && authenticated) {
    return "Fix: the user is authenticated but lacks permission; use an account the permission allows, or change the view's permissionClasses.";
  }
  return null;
}

function csrfFix(reason: string): string {
  if (reason.includes('cookie not set')) {
    return 'Fix: fetch any HTML page (e.g. the login form) first to receive the csrftoken cookie, and send it back.';
  }
  if (reason.includes('Origin')) return 'Fix: send the request from the same origin, or add the origin to csrfTrustedOrigins.';
  if (reason.includes('Referer')) return 'Fix: over HTTPS, send a Referer from the same origin, or add the origin to csrfTrustedOrigins.';
  return "Fix: copy the csrftoken cookie's value into an X-CSRFToken header (or the csrfmiddlewaretoken form field). Token and Basic authentication need no CSRF token.";
}
