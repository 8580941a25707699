/**
 * The console's account switcher in real Chromium (docs/console.md, "Accounts"), on `startLocal` in sandbox
 * mode with a second sandbox account (SANDBOX_ACCOUNTS): a user writes to each account; the console opened
 * on the second account (?account=) lists and shows only that account's user and what happened to them, sends
 * through `/accounts/{appId}/…`, keeps the choice over a reload, and goes back to the default's paths and user
 * when the default is chosen. An account's name is shown as text, never as markup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import type { Sandbox } from '../../functions/dev/sandbox';
import { callProduct, startProductOnWeChat, type ProductOnWeChat } from '../support/local-product';
import { chromiumPath, IS_CI, launchBrowser, MISSING_BROWSER, screenshotPath } from './browser';

jest.setTimeout(120_000);

const HAVE_BROWSER = chromiumPath() !== undefined;
if (!HAVE_BROWSER && !IS_CI) console.warn(`console browser tests skipped: ${MISSING_BROWSER}`);
const describeBrowser = HAVE_BROWSER || IS_CI ? describe : describe.skip;

const B = 'wxb0b0b0b0b0b0b0b0';
const B_SECRET = 'secretOfAccountB';
const EVIL = 'wxe0e0e0e0e0e0e0e0';
const EVIL_NAME = '<img src=x onerror="document.title=\'owned\'">Shop';

/** The value shown beside a label in the send-window panel. */
async function windowFact(page: Page, label: string): Promise<string> {
  return page.locator('#window-body dl').first().locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]').innerText();
}

describeBrowser('the console’s account switcher in Chromium', () => {
  let dataDir: string;
  let product: LocalProduct;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-console-accounts-'));
    product = await startLocal({ port: 0, dataDir, env: { SANDBOX_ACCOUNTS: `${B}:${B_SECRET}` } });
    // A third account whose name is markup: the switcher must show it as text.
    const evil = await callProduct(product, 'POST', '/accounts', { appId: EVIL, appSecret: 'evilSecret1', name: EVIL_NAME });
    expect(evil.status).toBe(201);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
    return page;
  }

  it('shows and acts on the chosen account only, keeps it over a reload, and names accounts as text', async () => {
    // Prepare: oAlice writes to the default account, oBob to account B (the sandbox's ?appId= names it)
    const accounts = await callProduct(product, 'GET', '/accounts');
    expect(accounts.json.accounts.map((a: { appId: string; default: boolean }) => [a.appId, a.default])).toEqual([
      [product.sandbox!.appId, true],
      [B, false],
      [EVIL, false],
    ]);
    const alice = await callProduct(product, 'POST', '/console/sandbox/users/oAlice/messages', { content: 'hello default' });
    const bob = await callProduct(product, 'POST', `/console/sandbox/users/oBob/messages?appId=${B}`, { content: 'hello B' });
    expect(alice.status).toBe(200);
    expect(bob.status).toBe(200);
    expect(bob.json.delivered).toBe(true);
    const page = await newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const calls: string[] = [];
    page.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));

    // Act 1: open the console on account B, as oBob
    await page.goto(`${product.url}/console/?account=${B}&user=oBob`);
    await page.locator('#conn', { hasText: 'live' }).waitFor();

    // Assess 1: B is chosen; only B's user and message are there; the window is B's; the forms call B's routes
    await expect(page.locator('#account').inputValue()).resolves.toBe(B);
    await page.locator('.row.me .bubble', { hasText: 'hello B' }).waitFor();
    await page.locator('#window-body dt', { hasText: 'Can send' }).waitFor();
    expect(await windowFact(page, 'Can send')).toBe('yes');
    expect(await page.locator('#user-list').innerText()).toContain('oBob');
    expect(await page.locator('#user-list').innerText()).not.toContain('oAlice');
    expect(await page.locator('#chat').innerText()).not.toContain('hello default');
    expect(calls).toContain(`GET /accounts/${B}/interactions/oBob`);
    expect(calls).not.toContain('GET /interactions/oBob');
    await expect(page.locator('#operations .route').innerText()).resolves.toBe(`POST /accounts/${B}/messages/text`);

    // Act 2: send a text to oBob from the form
    await page.locator('#operations [name="text.content"]').fill('reply from B');
    await page.locator('#operations button[type=submit]').click();

    // Assess 2: it went through B's route, reached B's user in the sandbox, and shows in B's chat
    await page.locator('#operations .status.ok').waitFor();
    expect(calls).toContain(`POST /accounts/${B}/messages/text`);
    await page.locator('.row.them .bubble', { hasText: 'reply from B' }).waitFor();
    expect(
      product
        .sandbox!.account(B)
        .messages('oBob')
        .map((m) => (m.body as { text?: { content?: string } }).text?.content),
    ).toEqual(['reply from B']);
    expect(product.sandbox!.messages('oBob')).toEqual([]);

    // Act 3: reload
    await page.reload();
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    // Assess 3: still B, still only B's user
    await expect(page.locator('#account').inputValue()).resolves.toBe(B);
    await page.locator('.row.them .bubble', { hasText: 'reply from B' }).waitFor();
    expect(await page.locator('#user-list').innerText()).not.toContain('oAlice');
    await page.screenshot({ path: screenshotPath('console-account-b.png') });
    // The Doctor tab checks B, through B's routes (GET /doctor/accounts)
    await page.getByRole('tab', { name: 'Doctor' }).click();
    await page.locator('#doctor button').click();
    await page.locator('#doctor .check.pass[data-check="credentials"]').waitFor();
    expect(calls).toContain('GET /doctor/accounts');
    expect(await page.locator('#doctor').innerText()).toContain(`GET /accounts/${B}/kf-accounts answered 200`);

    // Act 4: choose the default account
    await Promise.all([page.waitForURL((u) => !u.searchParams.has('account')), page.locator('#account').selectOption('')]);
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    await page.locator('#user-list button', { hasText: 'oAlice' }).click();

    // Assess 4: the default's user and paths; B's user and messages are gone from the page
    await page.locator('.row.me .bubble', { hasText: 'hello default' }).waitFor();
    expect(await page.locator('#user-list').innerText()).not.toContain('oBob');
    await expect(page.locator('#operations .route').innerText()).resolves.toBe('POST /messages/text');
    await page.locator('#window-body dt', { hasText: 'Can send' }).waitFor();
    expect(calls).toContain('GET /interactions/oAlice');

    // Assess 5: the account named with markup is an option whose text is that markup, and nothing ran
    const option = page.locator('#account option', { hasText: EVIL });
    await expect(option.innerText()).resolves.toBe(`${EVIL_NAME} · ${EVIL}`);
    expect(await page.locator('#account-switch img').count()).toBe(0);
    expect(await page.title()).not.toBe('owned');
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("keeps the deployment's own operations (accounts, subscriptions) on their usual routes while on another account", async () => {
    // Prepare
    const page = await newPage();
    const calls: string[] = [];
    page.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await page.goto(`${product.url}/console/?account=${B}&user=oBob`);
    await page.locator('#conn', { hasText: 'live' }).waitFor();
    // Act: list the subscriptions, on B
    await page.locator('#op-select').selectOption('listSubscriptions');
    const route = await page.locator('#operations .route').innerText();
    await page.locator('#operations button[type=submit]').click();
    // Assess: the deployment's route, answered (under /accounts/<B>/ it would be a 404)
    await page.locator('#operations .status.ok').waitFor();
    expect(route).toBe('GET /subscriptions');
    expect(calls).toContain('GET /subscriptions');
    expect(calls.some((c) => c.startsWith(`GET /accounts/${B}/subscriptions`))).toBe(false);
    await page.locator('#op-select').selectOption('listAccounts');
    await expect(page.locator('#operations .route').innerText()).resolves.toBe('GET /accounts');
    await page.close();
  });

  it('says so when the URL names an account the server does not have, and never falls back to the default', async () => {
    // Prepare
    const page = await newPage();
    const calls: string[] = [];
    page.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    // Act
    await page.goto(`${product.url}/console/?account=wxNoSuchAccount&user=oAlice`);
    // Assess
    await page.locator('#toast', { hasText: 'The account wxNoSuchAccount is not registered here' }).waitFor();
    await expect(page.locator('#account').inputValue()).resolves.toBe('wxNoSuchAccount');
    await expect(page.locator('#operations .route').innerText()).resolves.toBe('POST /accounts/wxNoSuchAccount/messages/text');
    await page.waitForFunction(() => document.querySelector('#chat')?.textContent?.includes('Write a message'));
    expect(await page.locator('#chat').innerText()).not.toContain('hello default');
    expect(calls).not.toContain('GET /interactions/oAlice');
    await page.close();
  });
});

describeBrowser('the console’s account switcher with real WeChat (npm start with WECHAT_APP_ID)', () => {
  const TOKEN = 'tokenOfDefault1';
  const B_TOKEN = 'tokenOfB123';
  let onWeChat: ProductOnWeChat;
  let sandbox: Sandbox;
  let product: LocalProduct;
  let browser: Browser;

  beforeAll(async () => {
    // WeChat, hosting the default account and B, each pushing to its own callback on the product.
    onWeChat = await startProductOnWeChat('wechat-kf-console-accounts-wechat-', {
      accounts: [{ appId: B, appSecret: B_SECRET }],
      callbackToken: TOKEN,
    });
    ({ sandbox, product } = onWeChat);
    sandbox.configureCallback({ url: `${product.url}/callback`, token: TOKEN });
    sandbox.account(B).configureCallback({ url: `${product.url}/callback/${B}`, token: B_TOKEN });
    const added = await callProduct(product, 'POST', '/accounts', {
      appId: B,
      appSecret: B_SECRET,
      callbackToken: B_TOKEN,
      name: 'Shop B',
    });
    expect(added.status).toBe(201);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await onWeChat?.stop();
  });

  it('looks a user up in the chosen account, and sends as that account', async () => {
    // Prepare: oBob writes to B only
    const pushed = await sandbox.account(B).simulateUser('oBob', { type: 'text', content: 'hello B' });
    expect(pushed.delivered).toBe(true);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const calls: string[] = [];
    page.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));

    // Act 1: on B, look oBob up
    await page.goto(`${product.url}/console/?account=${B}`);
    await page.locator('#account').waitFor();
    await page.locator('#lookup-openid').fill('oBob');
    await page.locator('#lookup button[type=submit]').click();
    // Assess 1: B's window for oBob is open; the header names B
    await page.locator('#window-body dt', { hasText: 'Can send' }).waitFor();
    expect(await windowFact(page, 'Can send')).toBe('yes');
    expect(calls).toContain(`GET /accounts/${B}/interactions/oBob`);
    expect(await page.locator('#facts').innerText()).toContain(B);
    expect(await page.locator('#facts').innerText()).not.toContain(sandbox.appId);

    // Act 2: send oBob a text from the form
    await page.locator('#operations [name="touser"]').fill('oBob');
    await page.locator('#operations [name="text.content"]').fill('reply from B');
    await page.locator('#operations button[type=submit]').click();
    // Assess 2: B's user got it, from B; nothing went out as the default account
    await page.locator('#operations .status.ok').waitFor();
    expect(
      sandbox
        .account(B)
        .messages('oBob')
        .map((m) => (m.body as { text?: { content?: string } }).text?.content),
    ).toEqual(['reply from B']);
    expect(sandbox.messages('oBob')).toEqual([]);

    // Act 3: the default account, the same openid
    await Promise.all([page.waitForURL((u) => !u.searchParams.has('account')), page.locator('#account').selectOption('')]);
    await page.locator('#lookup-openid').fill('oBob');
    await page.locator('#lookup button[type=submit]').click();
    // Assess 3: the default account has no window with oBob (he never wrote to it)
    await page.locator('#window-body dt', { hasText: 'Can send' }).waitFor();
    expect(await windowFact(page, 'Can send')).toMatch(/^no/);
    expect(calls).toContain('GET /interactions/oBob');
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});

describeBrowser('turns in the console, with two accounts', () => {
  let dataDir: string;
  let product: LocalProduct;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-console-accounts-turns-'));
    product = await startLocal({ port: 0, dataDir, env: { SANDBOX_ACCOUNTS: `${B}:${B_SECRET}`, TURN_QUIET_MS: '300' } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows a turn on its own account's page only", async () => {
    // Prepare: the default account's page on oAlice, B's on oBob
    const turns: Array<{ openid: unknown; appId: unknown }> = [];
    product.events.onEvent((e) =>
      e.detailType === 'turn.ready' ? turns.push({ openid: e.detail.openid, appId: e.detail.appId }) : undefined,
    );
    const onDefault = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const onB = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    for (const page of [onDefault, onB]) page.setDefaultTimeout(15_000);
    await onDefault.goto(`${product.url}/console/?user=oAlice`);
    await onB.goto(`${product.url}/console/?account=${B}&user=oBob`);
    for (const page of [onDefault, onB]) await page.locator('#conn', { hasText: 'live' }).waitFor();

    // Act: each writes to their own account; each turn closes after 300 ms of quiet
    await callProduct(product, 'POST', `/console/sandbox/users/oBob/messages?appId=${B}`, { content: 'turn of B' });
    await onDefault.locator('#composer-input').fill('turn of the default');
    await onDefault.keyboard.press('Enter');
    await onDefault.locator('.chat > .system.turn', { hasText: 'Turn closed: 1 message → turn.ready' }).waitFor();
    await onB.locator('.row.me .bubble', { hasText: 'turn of B' }).waitFor();
    for (let i = 0; i < 100 && turns.length < 2; i++) await new Promise((r) => setTimeout(r, 50));

    // Assess: both turns were published, each naming its account; neither page shows the other's user or turn
    expect(turns).toEqual(
      expect.arrayContaining([
        { openid: 'oAlice', appId: product.sandbox!.appId },
        { openid: 'oBob', appId: B },
      ]),
    );
    expect(await onDefault.locator('#user-list').innerText()).not.toContain('oBob');
    expect(await onDefault.locator('.chat > .system.turn').count()).toBe(1);
    expect(await onB.locator('#user-list').innerText()).not.toContain('oAlice');
    expect(await onB.locator('#chat').innerText()).not.toContain('turn of the default');
    await onDefault.close();
    await onB.close();
  });
});
