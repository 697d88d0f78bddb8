/**
 * The benchmark's scenarios: one request each, sent by every connection for the whole run. Both
 * servers get exactly the same request, and run.ts checks once at start that they answer alike.
 */

/** What the prepared database holds for the scenarios (see prepare.ts). */
export interface Credentials {
  /** alice's token (from examples/demo/seed.json). */
  token: string;
  /** A logged-in session of alice's, as the `sessionid` cookie carries it. */
  sessionKey: string;
  /** A published survey of alice's: readable and, for her, writable. */
  surveyId: number;
  surveyTitle: string;
  /** How many surveys alice sees in the list. */
  listSize: number;
}

/** The acceptance thresholds: Gatehouse/baseline requests per second, and the p99 ceiling. */
export interface Target {
  minRpsRatio: number;
  maxP99Ratio: number;
}

export interface Scenario {
  name: ScenarioName;
  method: 'GET' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Every response in a run must have it; anything else is a failure of the run. */
  expectedStatus: number;
  /** `exact`: same body bytes; `html`: both pages, each containing the object's escaped JSON. */
  comparison: 'exact' | 'html';
  target: Target | null;
}

export const SCENARIO_NAMES = [
  'token-get-detail',
  'session-get-detail',
  'anon-403',
  'token-put',
  'list-100',
  'throttled-within-rate',
  'browsable-html',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/** What a browser sends: the page must be chosen by negotiation, not by a bare `text/html`. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export function buildScenarios(c: Credentials): Scenario[] {
  const token = { authorization: `Token ${c.token}` };
  const detail = `/surveys/${c.surveyId}/`;
  return [
    {
      name: 'token-get-detail',
      method: 'GET',
      path: detail,
      headers: token,
      expectedStatus: 200,
      comparison: 'exact',
      target: { minRpsRatio: 0.85, maxP99Ratio: 1.5 },
    },
    {
      name: 'session-get-detail',
      method: 'GET',
      path: detail,
      headers: { cookie: `sessionid=${c.sessionKey}` },
      expectedStatus: 200,
      comparison: 'exact',
      target: null,
    },
    {
      // IsAuthenticated on the demo's ExampleView; the first authenticator (session) has no
      // challenge, so DRF answers 403 rather than 401.
      name: 'anon-403',
      method: 'GET',
      path: '/example/',
      headers: {},
      expectedStatus: 403,
      comparison: 'exact',
      target: { minRpsRatio: 0.85, maxP99Ratio: 1.5 },
    },
    {
      // Writes the values the row already has, so every PUT (and every later GET) sees the same row.
      name: 'token-put',
      method: 'PUT',
      path: detail,
      headers: { ...token, 'content-type': 'application/json' },
      body: JSON.stringify({ title: c.surveyTitle, status: 'published' }),
      expectedStatus: 200,
      comparison: 'exact',
      target: { minRpsRatio: 0.8, maxP99Ratio: 1.5 },
    },
    {
      name: 'list-100',
      method: 'GET',
      path: '/surveys/',
      headers: token,
      expectedStatus: 200,
      comparison: 'exact',
      target: { minRpsRatio: 0.8, maxP99Ratio: 1.5 },
    },
    {
      // The demo's ScopedView (AllowAny, ScopedRateThrottle), anonymous: every client shares one window.
      name: 'throttled-within-rate',
      method: 'GET',
      path: '/scoped/',
      headers: {},
      expectedStatus: 200,
      comparison: 'exact',
      target: null,
    },
    {
      name: 'browsable-html',
      method: 'GET',
      path: detail,
      headers: { ...token, accept: BROWSER_ACCEPT },
      expectedStatus: 200,
      comparison: 'html',
      target: null,
    },
  ];
}
