/**
 * What the session and CSRF tests do as a browser would: read Set-Cookie headers, take the CSRF token
 * from a rendered form, log in through the login form and log out with the CSRF header.
 */
import { expect } from 'vitest';
import type { APIClient, TestResponse } from '../../src/testing/index.ts';

export function setCookies(response: TestResponse): string[] {
  const header = response.headers['set-cookie'];
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

export function setCookie(response: TestResponse, name: string): string | undefined {
  return setCookies(response).find((c) => c.startsWith(`${name}=`));
}

/** A Set-Cookie header's value, URL-decoded and unquoted. */
export function cookieValue(header: string): string {
  return decodeURIComponent(header.slice(header.indexOf('=') + 1).split(';')[0]!).replace(/^"(.*)"$/, '$1');
}

export function formTokenOf(html: string): string {
  const match = /name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"/.exec(html);
  expect(match, 'the page has a csrfmiddlewaretoken input').not.toBeNull();
  return match![1]!;
}

/** GETs the login page (which sets the csrftoken cookie) and POSTs the form with its token. */
export async function formLogin(client: APIClient, username: string, password: string, next?: string): Promise<TestResponse> {
  const page = await client.get('/api-auth/login/', { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  const form: Record<string, string> = { username, password, csrfmiddlewaretoken: formTokenOf(page.text) };
  if (next !== undefined) form.next = next;
  return client.post('/api-auth/login/', form, { format: 'form' });
}

export async function formLogout(client: APIClient, next?: string): Promise<TestResponse> {
  const data: Record<string, string> = {};
  if (next !== undefined) data.next = next;
  return client.post('/api-auth/logout/', data, { format: 'form', headers: { 'x-csrftoken': client.cookies.get('csrftoken') ?? '' } });
}
