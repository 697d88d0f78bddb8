/**
 * The Swagger UI docs page in real Chromium: it renders the demo's operations from /schema/, every
 * request it makes stays on this server (no CDN, fonts or swagger.io validator), its Content Security
 * Policy is never violated, and "Try it out" reaches the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createServer, type Gatehouse } from '../../src/index.ts';
import { demoApp } from '../helpers.ts';
import { artifactPath, chromiumMissing, launchChromium } from './chromium.ts';

const missing = chromiumMissing();

describe.skipIf(missing !== null)(`the docs page in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let app: Gatehouse;
  let browser: Browser;
  let server: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = await demoApp();
    server = createServer(app);
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  it('renders the operations from local files only, and tries one out', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    await page.goto(`${base}/docs/`);
    await page.locator('[data-path="/life/{pk}/"]').first().waitFor({ timeout: 30_000 });
    expect(await page.title()).toBe('Gatehouse demo API');
    for (const path of ['/life/', '/surveys/{pk}/', '/api-token-auth/']) {
      expect(await page.locator(`[data-path="${path}"]`).count(), path).toBeGreaterThan(0);
    }
    await page.screenshot({ path: artifactPath('docs.png'), fullPage: true });

    // "Try it out" on GET /life/{pk}/: the request goes to the server named in the document (this one).
    const retrieve = page.locator('#operations-life-life_retrieve');
    await retrieve.locator('.opblock-summary').click();
    await retrieve.getByRole('button', { name: 'Try it out' }).click();
    await retrieve.locator('input[placeholder="pk"]').fill('1');
    await retrieve.getByRole('button', { name: 'Execute' }).click();
    await retrieve.locator('.live-responses-table tbody .response-col_status').first().waitFor();
    expect(await retrieve.locator('.live-responses-table tbody .response-col_status').first().innerText()).toContain('200');
    expect(await retrieve.locator('.live-responses-table tbody .microlight').first().innerText()).toContain('"answer": 42');

    const origin = new URL(base).origin;
    expect(requests.length).toBeGreaterThanOrEqual(6);
    for (const url of requests) {
      if (url.startsWith('data:')) continue; // inline images from the stylesheet: nothing is fetched
      expect(new URL(url).origin, url).toBe(origin);
    }
    expect(requests).toContain(`${origin}/schema/`);
    expect(requests).toContain(`${origin}/life/1/`);
    expect(problems).toEqual([]);
  });
});
