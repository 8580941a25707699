/**
 * Turns in the console, in real Chromium, on `startLocal` with TURN_QUIET_MS and TURN_TYPING (docs/turns.md):
 * a person writes three messages as a WeChat user and sees the turn forming under the chat (the count of
 * its messages, typing on), then the turn closing, marked in the chat; a flow answers the turn once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { chromiumPath, IS_CI, launchBrowser, MISSING_BROWSER, screenshotPath } from './browser';

jest.setTimeout(120_000);

const HAVE_BROWSER = chromiumPath() !== undefined;
if (!HAVE_BROWSER && !IS_CI) console.warn(`console browser tests skipped: ${MISSING_BROWSER}`);
const describeBrowser = HAVE_BROWSER || IS_CI ? describe : describe.skip;

describeBrowser('turns in the console', () => {
  let dataDir: string;
  let product: LocalProduct;
  let browser: Browser;
  const answered: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-console-turns-'));
    product = await startLocal({ port: 0, dataDir, env: { TURN_QUIET_MS: '2500', TURN_TYPING: 'true' } });
    // The flow answers each turn once, with what it gathered.
    product.events.onEvent((event) => {
      if (event.detailType !== 'turn.ready') return;
      const text = String(event.detail.text);
      answered.push(text);
      void fetch(`${product.url}/messages/text`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: event.detail.openid, text: { content: `You said: ${text.replace(/\n/g, ' / ')}` } }),
      });
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the turn forming with typing on, then closing, and the one answer', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${product.url}/console/?user=oConsoleTurn`);
    await page.locator('#conn', { hasText: 'live' }).waitFor();

    for (const text of ['hi', 'my lamp', 'is broken']) {
      await page.locator('#composer-input').fill(text);
      await page.keyboard.press('Enter');
      await page.locator('.row.me .bubble', { hasText: text }).waitFor();
    }
    await page.locator('#turn', { hasText: 'Turn forming: 3 messages' }).waitFor();
    await page.locator('#typing').waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('turn-forming.png') });

    await page.locator('.chat > .system.turn', { hasText: 'Turn closed: 3 messages → turn.ready' }).waitFor();
    await page.locator('.row.them .bubble', { hasText: 'You said: hi / my lamp / is broken' }).waitFor();
    await page.locator('#turn').waitFor({ state: 'hidden' });
    await page.screenshot({ path: screenshotPath('turn-closed.png') });

    expect(answered).toEqual(['hi\nmy lamp\nis broken']);
    expect(await page.locator('.chat > .system.turn').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
