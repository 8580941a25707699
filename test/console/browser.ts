/**
 * Real Chromium for the console's tests: Debian's `chromium` package (installed by .ci/run; locally
 * `apt-get install -y chromium`), driven by playwright-core, headless. CHROMIUM_PATH overrides where it
 * is looked for. Without it the browser tests fail when CI=true and are skipped (with the reason printed)
 * otherwise, as the real-n8n tests are.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where the tests write their screenshots (gitignored; README names it). */
export const SCREENSHOTS = join(__dirname, '..', '..', '.screenshots');

/** The browser the tests drive, if this machine has one. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p));
}

export const IS_CI = process.env.CI === 'true';
export const MISSING_BROWSER = 'Chromium is not installed: apt-get install -y chromium (or set CHROMIUM_PATH)';

/** Starts headless Chromium with the flags that keep it off the network and quiet on a shared machine. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(MISSING_BROWSER);
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** A path for a screenshot, creating the folder. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}
