import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createServer, type Gatehouse } from '../../src/index.ts';
import { demoApp } from '../helpers.ts';
import { chromiumMissing, launchChromium } from './chromium.ts';

const missing = chromiumMissing();

describe.skipIf(missing !== null)(`the browsable API in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
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

  it('renders a detail page', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/life/1/`);
    expect(await page.title()).toContain('Life Instance');
  });
});
