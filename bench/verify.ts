/**
 * The check made once before measuring: both servers must answer each scenario with the expected
 * status, the same headers that shape the response, and the same body (for the HTML page: both pages
 * carry the object's JSON, escaped). A faster baseline that answered something else would prove nothing.
 */
import type { Scenario } from './scenarios.ts';
import type { ServerProcess } from './servers.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** Headers whose values must be identical; the rest (Date, Set-Cookie values, lengths of pages) may differ. */
const COMPARED_HEADERS = ['content-type', 'allow', 'vary', 'x-content-type-options'];

async function ask(server: ServerProcess, scenario: Scenario, headers: Record<string, string> = scenario.headers): Promise<Answer> {
  const response = await fetch(server.url + scenario.path, {
    method: scenario.method,
    headers,
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
  });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The problems found (empty when the two servers agree), and a one-line summary for the log. The two
 * scenarios are the same request, but each server may hold its own credentials (its own session key).
 */
export async function compareServers(
  a: ServerProcess,
  scenario: Scenario,
  b: ServerProcess,
  scenarioB: Scenario,
): Promise<{ problems: string[]; summary: string }> {
  const [left, right] = [await ask(a, scenario), await ask(b, scenarioB)];
  const problems: string[] = [];
  for (const [server, answer] of [[a, left], [b, right]] as const) {
    if (answer.status !== scenario.expectedStatus) {
      problems.push(`${server.label} answered ${answer.status}, expected ${scenario.expectedStatus}: ${answer.body.slice(0, 200)}`);
    }
  }
  for (const name of COMPARED_HEADERS) {
    const [x, y] = [left.headers.get(name), right.headers.get(name)];
    if (x !== y) problems.push(`header ${name}: ${a.label} ${JSON.stringify(x)} vs ${b.label} ${JSON.stringify(y)}`);
  }
  if (scenario.comparison === 'exact') {
    if (left.body !== right.body) problems.push(`body differs:\n    ${a.label}: ${left.body.slice(0, 400)}\n    ${b.label}: ${right.body.slice(0, 400)}`);
    return { problems, summary: `${left.status}, ${left.body.length} bytes, identical` };
  }
  // The page must show the same object: its JSON as the API returns it, pretty-printed and escaped.
  const { accept: _accept, ...jsonHeaders } = scenario.headers;
  const data = await ask(a, scenario, jsonHeaders);
  const shown = escapeHtml(JSON.stringify(JSON.parse(data.body), null, 4));
  for (const [server, answer] of [[a, left], [b, right]] as const) {
    if (!answer.body.includes(shown)) problems.push(`${server.label}'s page does not show the object's JSON`);
    if (!answer.headers.get('set-cookie')?.startsWith('csrftoken=')) problems.push(`${server.label}'s page sets no csrftoken cookie`);
  }
  return { problems, summary: `${left.status}, pages of ${left.body.length} vs ${right.body.length} bytes, both show the object` };
}
