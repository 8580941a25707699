/**
 * The console after `npm start` restarts: the sandbox keeps its users (DATA_DIR), and the console's list
 * shows them, although its live stream replays only what happened since the restart (docs/console.md:
 * "the list has every user the sandbox has seen").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { chromiumPath, IS_CI, launchBrowser, MISSING_BROWSER } from './browser';

jest.setTimeout(120_000);

const describeBrowser = chromiumPath() !== undefined || IS_CI ? describe : describe.skip;
if (chromiumPath() === undefined && !IS_CI) console.warn(`console browser tests skipped: ${MISSING_BROWSER}`);

describeBrowser('the console after a restart, in Chromium', () => {
  let dataDir: string;
  let product: LocalProduct | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-console-restart-'));
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the users the sandbox kept from before the restart, beside the one opened', async () => {
    // Prepare: two users write in, then the product stops and starts again on the same folder
    product = await startLocal({ port: 0, dataDir, env: {} });
    await product.sandbox!.simulateUser('oBeforeRestart1', { type: 'text', content: 'hi' });
    await product.sandbox!.simulateUser('oBeforeRestart2', { type: 'event', event: 'unsubscribe' });
    await product.stop();
    product = await startLocal({ port: 0, dataDir, env: {} });
    browser = await launchBrowser();
    const page = await browser.newPage();
    // Act
    await page.goto(`${product.url}/console/?user=oAfterRestart`);
    const list = page.locator('#user-list .user-name');
    await list.filter({ hasText: 'oBeforeRestart2' }).waitFor({ timeout: 10_000 });
    // Assess
    expect((await list.allInnerTexts()).sort()).toEqual(['oAfterRestart', 'oBeforeRestart1', 'oBeforeRestart2']);
    await expect(page.locator('#user-list li', { hasText: 'oBeforeRestart2' }).locator('.tag').innerText()).resolves.toBe('unfollowed');
  });
});
