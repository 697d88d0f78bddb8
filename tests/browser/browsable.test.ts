/**
 * The browsable API in real Chromium, against a real server: logging in through the form, editing
 * and deleting as the creator (HTML form, raw tab, DELETE button with its confirmation), what another
 * user sees (no edit forms, no DELETE) and the explained 403 when they send a PUT anyway from the
 * request tool, logging out, a pasted token used instead of the session (no cookie sent), and the
 * explained CSRF failure once the csrftoken cookie is gone.
 *
 * Gated elements are asserted absent by id (count 0), so a form shown to a user who may not use it
 * fails here. Screenshots of each state are kept in test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createServer, SessionAuthentication, TokenAuthentication, type Gatehouse } from '../../src/index.ts';
import { Survey } from '../../examples/demo/models.ts';
import { demoApp, PASSWORDS, TOKENS } from '../helpers.ts';
import { artifactPath, chromiumMissing, launchChromium } from './chromium.ts';

const missing = chromiumMissing();

/** What the server saw of each request, to check which credentials the page sent. */
interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  cookie: string | undefined;
  csrf: string | undefined;
}

describe.skipIf(missing !== null)(`the browsable API in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let app: Gatehouse;
  let browser: Browser;
  let server: FastifyInstance;
  let base: string;
  const seen: Seen[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    app = await demoApp({ defaultAuthenticationClasses: [SessionAuthentication, TokenAuthentication] });
    server = createServer(app);
    server.server.on('request', (req: { method?: string; url?: string; headers: Record<string, string | string[] | undefined> }) => {
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(', ') : value;
      };
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: header('authorization'), cookie: header('cookie'), csrf: header('x-csrftoken') });
    });
    base = await server.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    return { context, page };
  }

  async function logIn(page: Page, username: string, next: string): Promise<void> {
    await page.goto(`${base}/api-auth/login/?next=${encodeURIComponent(next)}`);
    await page.fill('#id_username', username);
    await page.fill('#id_password', PASSWORDS[username]!);
    await Promise.all([page.waitForURL(`${base}${next}`), page.click('#submit-id-submit')]);
    expect(await page.textContent('#username')).toBe(username);
  }

  /** Waits until the page the script wrote shows this status line. */
  async function statusIs(page: Page, status: string): Promise<void> {
    await page.waitForFunction((text) => document.querySelector('#response-status')?.textContent === text, status);
  }

  /** Clicks and waits until the page shows a new response: the status line may already read as awaited. */
  async function clickAndAwaitResponse(page: Page, selector: string): Promise<void> {
    const before = await page.textContent('#response-content');
    await page.click(selector);
    await page.waitForFunction((text) => document.querySelector('#response-content')?.textContent !== text, before);
  }

  async function count(page: Page, selector: string): Promise<number> {
    return page.locator(selector).count();
  }

  async function title(id: number): Promise<string | undefined> {
    const row = await Survey.objects.get(app.db, id);
    return (row as { title?: string } | undefined)?.title;
  }

  const shot = (page: Page, state: string) => page.screenshot({ path: artifactPath(`browsable-${state}.png`), fullPage: true });

  let alice: Page;

  it('alice logs in through the form and edits her survey 19 with the HTML form (PUT), then the raw tab (PATCH)', async () => {
    ({ page: alice } = await newPage());
    await logIn(alice, 'alice', '/surveys/19/');
    for (const id of ['#put-form', '#put-form-put', '#put-form-patch', '#raw-form', '#delete-button', '#options-button']) {
      expect(await count(alice, id), id).toBe(1);
    }
    expect(await alice.inputValue('#put-form-title')).toBe('Team lunch');
    await shot(alice, 'creator-detail');

    await alice.fill('#put-form-title', 'Team lunch, Friday');
    await clickAndAwaitResponse(alice, '#put-form-put');
    await statusIs(alice, 'HTTP 200 OK');
    expect(await alice.textContent('#response-content')).toContain('"title": "Team lunch, Friday"');
    expect(await alice.inputValue('#put-form-title')).toBe('Team lunch, Friday');
    expect(await title(19)).toBe('Team lunch, Friday');
    const put = seen.filter((r) => r.method === 'PUT' && r.url === '/surveys/19/').at(-1)!;
    expect(put.csrf, 'the session request carried the page token').toMatch(/^[A-Za-z0-9]{64}$/);
    expect(put.cookie).toContain('sessionid=');

    await alice.click('#raw-tab-button');
    expect(await alice.isVisible('#raw-content')).toBe(true);
    expect(JSON.parse(await alice.inputValue('#raw-content'))).toEqual({ title: 'Team lunch, Friday', status: 'published' });
    await alice.fill('#raw-content', '{"title": "Team lunch, Friday at noon"}');
    await clickAndAwaitResponse(alice, '#raw-patch');
    await statusIs(alice, 'HTTP 200 OK');
    expect(await alice.textContent('#response-content')).toContain('"title": "Team lunch, Friday at noon"');
    expect(await title(19)).toBe('Team lunch, Friday at noon');
    expect(alice.url()).toBe(`${base}/surveys/19/`);
    await shot(alice, 'creator-edited');
  });

  it("bob sees no edit form and no DELETE on alice's survey; a PUT from the request tool is a 403 explained on the page", async () => {
    const { page } = await newPage();
    await logIn(page, 'bob', '/surveys/19/');
    for (const id of ['#edit-forms', '#put-form', '#post-form', '#raw-form', '#delete-button', '#put-form-put', '#raw-put', '#raw-patch']) {
      expect(await count(page, id), `${id} is hidden from bob`).toBe(0);
    }
    expect(await count(page, '#options-button')).toBe(1);
    expect(await count(page, '#explanation')).toBe(0);
    await shot(page, 'other-user-detail');

    await page.click('#request-tool summary');
    await page.selectOption('#request-method', 'PUT');
    expect(JSON.parse(await page.inputValue('#request-body'))).toEqual({ title: 'Team lunch, Friday at noon', status: 'published' });
    await page.fill('#request-body', '{"title": "Mine now"}');
    await page.click('#request-send');
    await statusIs(page, 'HTTP 403 Forbidden');
    const panel = (await page.textContent('#explanation'))!;
    expect(panel).toContain('IsCreatorOrReadOnly denied the request for this object.');
    expect(panel).toContain('Fix: the user is authenticated but lacks permission');
    expect(await page.textContent('#response-content')).toContain('You do not have permission to perform this action.');
    expect(await count(page, '#put-form')).toBe(0);
    expect(await title(19)).toBe('Team lunch, Friday at noon');
    await shot(page, 'other-user-403-explained');
  });

  it('alice deletes the survey with the DELETE button, after confirming: a 204 page', async () => {
    let question = '';
    alice.once('dialog', (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await alice.click('#delete-button');
    await statusIs(alice, 'HTTP 204 No Content');
    expect(question).toContain('Delete this Survey Instance?');
    expect(await title(19)).toBeUndefined();
    expect(await count(alice, '#delete-button')).toBe(0);
    expect(await count(alice, '#put-form')).toBe(0);
    await shot(alice, 'deleted-204');
  });

  it('a dismissed confirmation sends nothing', async () => {
    const { page } = await newPage();
    await logIn(page, 'bob', '/surveys/21/');
    const before = seen.length;
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.click('#delete-button');
    await page.waitForTimeout(200);
    expect(seen.slice(before).filter((r) => r.method === 'DELETE')).toEqual([]);
    expect(await title(21)).toBe('Commute');
  });

  it('alice logs out (a POST form with the CSRF token); then a pasted token makes writes without any cookie', async () => {
    await alice.goto(`${base}/surveys/`);
    await Promise.all([alice.waitForURL(`${base}/surveys/`), alice.click('#logout-button')]);
    expect(await count(alice, '#login-link')).toBe(1);
    expect(await count(alice, '#username')).toBe(0);
    expect(await count(alice, '#post-form')).toBe(0);
    const logout = seen.filter((r) => r.method === 'POST' && r.url.startsWith('/api-auth/logout/')).at(-1);
    expect(logout).toBeDefined();

    // Bob's key pasted alone, with the keyword from the selector.
    await alice.fill('#token-input', TOKENS.bob);
    await alice.click('#token-use');
    await alice.waitForSelector('#username');
    expect(await alice.textContent('#username')).toBe('bob');
    expect(await alice.isVisible('#token-status')).toBe(true);
    expect(await alice.textContent('#token-shown')).toBe('Token b0b0…b0b0');
    expect(await alice.evaluate(() => sessionStorage.getItem('gatehouse.authorization'))).toBe(`Token ${TOKENS.bob}`);
    await shot(alice, 'token-in-use');

    const before = seen.length;
    await alice.fill('#post-form-title', 'Sent with a token');
    await alice.click('#post-form-post');
    await statusIs(alice, 'HTTP 201 Created');
    expect(await alice.textContent('#response-content')).toContain('"creator": "bob"');
    const post = seen.slice(before).find((r) => r.method === 'POST' && r.url === '/surveys/')!;
    expect(post.authorization).toBe(`Token ${TOKENS.bob}`);
    expect(post.cookie, 'no cookie at all: the session is not used').toBeUndefined();
    expect(post.csrf).toBeUndefined();

    // Links within the API are followed with the token too.
    await alice.click('.breadcrumbs a[href="/"]');
    await alice.waitForURL(`${base}/`);
    await statusIs(alice, 'HTTP 200 OK');
    const root = seen.filter((r) => r.method === 'GET' && r.url === '/').at(-1)!;
    expect(root.authorization).toBe(`Token ${TOKENS.bob}`);
    expect(root.cookie).toBeUndefined();
    expect(await alice.textContent('#username')).toBe('bob');

    // A reload (a plain navigation, sent without the token) is fetched again with it.
    await alice.reload();
    await alice.waitForFunction(() => document.querySelector('#username')?.textContent === 'bob');

    await alice.click('#token-forget');
    await alice.waitForSelector('#login-link');
    expect(await alice.evaluate(() => sessionStorage.getItem('gatehouse.authorization'))).toBeNull();
    expect(await alice.isVisible('#token-form')).toBe(true);
  });

  it('a whole Authorization value can be pasted; a bad token gets its denial explained', async () => {
    const { page } = await newPage();
    await page.goto(`${base}/surveys/`);
    await page.fill('#token-input', 'Token not-a-real-token');
    await page.click('#token-use');
    // SessionAuthentication comes first and has no challenge, so DRF's rule makes it a 403.
    await statusIs(page, 'HTTP 403 Forbidden');
    expect(await page.textContent('#explanation')).toContain('TokenAuthentication(Token): rejected the credentials: Invalid token.');
  });

  it('without the csrftoken cookie, a form submission is refused and the page says why and how to fix it', async () => {
    const { context, page } = await newPage();
    await logIn(page, 'alice', '/surveys/');
    await context.clearCookies({ name: 'csrftoken' });
    expect((await context.cookies()).map((c) => c.name)).toEqual(['sessionid']);
    await page.fill('#post-form-title', 'No cookie');
    await page.click('#post-form-post');
    await statusIs(page, 'HTTP 403 Forbidden');
    expect(await page.textContent('#response-content')).toContain('"detail": "CSRF Failed: CSRF cookie not set."');
    const panel = (await page.textContent('#explanation'))!;
    expect(panel).toContain('CSRF check failed: CSRF cookie not set.');
    expect(panel).toContain('Fix: fetch any HTML page (e.g. the login form) first to receive the csrftoken cookie, and send it back.');
    await shot(page, 'csrf-failure');

    // As the page says: it set a new cookie, so sending again from it works.
    await page.click('#request-tool summary');
    await page.selectOption('#request-method', 'POST');
    await page.fill('#request-body', '{"title": "Sent again"}');
    await page.click('#request-send');
    await statusIs(page, 'HTTP 201 Created');
  });
});
