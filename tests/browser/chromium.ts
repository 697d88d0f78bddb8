/**
 * Real Chromium for browser tests: Debian's `chromium` driven by playwright-core (which downloads no
 * browser of its own). Without the binary the tests skip with a message saying how to install it;
 * in CI (CI=true) a missing browser is an error, so they can never skip silently there.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH).`;
  if (process.env.CI) throw new Error(`${reason} CI must run the browser tests.`);
  return reason;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Without these Chromium tries to reach Google's services; this machine has no internet.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots are kept as test artifacts (gitignored). */
export function artifactPath(name: string): string {
  const dir = new URL('../../test-artifacts/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
