/**
 * The console in real Chromium, on `startLocal` in sandbox mode: a person opens /console, writes as a
 * WeChat user, and sees the reply a flow sends through the product's own routes; taps a menu answer with
 * the keyboard and sees the send window change; sees the typing indicator; and the page loads nothing from
 * anywhere but the product, and fits a phone's screen. Screenshots land in .screenshots/ (README).
 *
 * The "flow" is what an n8n workflow or a Lambda would be: it listens to the inbound events the product
 * publishes and answers over HTTP through POST /typing and POST /messages/{msgtype}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { chromiumPath, IS_CI, launchBrowser, MISSING_BROWSER, samplePng, screenshotPath } from './browser';

jest.setTimeout(120_000);

const HAVE_BROWSER = chromiumPath() !== undefined;
if (!HAVE_BROWSER && !IS_CI) console.warn(`console browser tests skipped: ${MISSING_BROWSER}`);
const describeBrowser = HAVE_BROWSER || IS_CI ? describe : describe.skip;

async function post(product: LocalProduct, path: string, body: unknown) {
  const res = await fetch(`${product.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

/** The value shown beside a label in the send-window panel. */
async function windowFact(page: Page, label: string): Promise<string> {
  return page.locator('#window-body dl').first().locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]').innerText();
}

describeBrowser('the console in Chromium', () => {
  let dataDir: string;
  let product: LocalProduct;
  let browser: Browser;
  const flowErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-console-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    // The flow: a menu for a first message, a thank-you for a menu answer.
    product.events.onEvent((event) => {
      const message = event.detail.message as Record<string, unknown>;
      const openid = String(event.detail.openid);
      if (event.detailType === 'message.image') {
        // Echo the user's photo back, by the media_id the push carried.
        void post(product, '/messages/image', { touser: openid, image: { media_id: String(message.MediaId) } }).then(
          (r) => r.status !== 200 && flowErrors.push(JSON.stringify(r.json)),
        );
        return;
      }
      if (event.detailType !== 'message.text') return;
      const answer = async () => {
        if (message.bizmsgmenuid === '102') {
          // POST /handoff: the user's next message is answered with transfer_customer_service.
          const marked = await post(product, '/handoff', { openid });
          if (marked.status !== 200) flowErrors.push(JSON.stringify(marked.json));
          const r = await post(product, '/messages/text', {
            touser: openid,
            text: { content: 'Write your question: a person will take it from here.' },
          });
          if (r.status !== 200) flowErrors.push(JSON.stringify(r.json));
          return;
        }
        if (message.bizmsgmenuid !== undefined) {
          const r = await post(product, '/messages/text', {
            touser: openid,
            text: { content: `You chose “${String(message.Content)}”. Details: <a href="https://example.com/orders">your orders</a>` },
          });
          if (r.status !== 200) flowErrors.push(JSON.stringify(r.json));
          return;
        }
        if (message.Content !== 'hello') return; // anything else waits for a person
        await post(product, '/typing', { touser: openid, command: 'Typing' });
        const r = await post(product, '/messages/msgmenu', {
          touser: openid,
          msgmenu: {
            head_content: 'Hello! How can we help?',
            list: [
              { id: '101', content: 'Track my order' },
              { id: '102', content: 'Talk to a person' },
            ],
            tail_content: 'Tap an answer',
          },
        });
        if (r.status !== 200) flowErrors.push(JSON.stringify(r.json));
      };
      void answer().catch((e: Error) => flowErrors.push(e.message));
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A browser page (desktop-sized unless `options` say otherwise) whose waits give up after 15 s. */
  async function newPage(options: Parameters<Browser['newPage']>[0] = { viewport: { width: 1400, height: 900 } }): Promise<Page> {
    const page = await browser.newPage(options);
    page.setDefaultTimeout(15_000);
    return page;
  }

  /** Opens the console (`query`: `?user=<openid>` to play that user) and waits until its event stream is live. */
  async function openConsole(page: Page, query = ''): Promise<void> {
    await page.goto(`${product.url}/console/${query}`);
    await page.locator('#conn', { hasText: 'live' }).waitFor();
  }

  it('plays a user: writes, sees the flow’s menu, taps an answer by keyboard, and sees the window change', async () => {
    // Prepare
    const page = await newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await openConsole(page, '?user=oBrowser');

    // Act 1: reach the message box with Tab alone, type, press Enter
    let tabs = 0;
    while (!(await page.evaluate(() => document.activeElement?.id === 'composer-input')) && tabs < 40) {
      await page.keyboard.press('Tab');
      tabs++;
    }
    expect(tabs).toBeLessThan(40);
    await page.keyboard.type('hello');
    await page.keyboard.press('Enter');

    // Assess 1: the user's bubble, then the flow's menu, rendered as WeChat shows it
    await page.locator('.row.me .bubble', { hasText: 'hello' }).waitFor();
    const menu = page.locator('.row.them[data-msgtype="msgmenu"]');
    await menu.waitFor();
    await expect(menu.locator('.menu-head').innerText()).resolves.toBe('Hello! How can we help?');
    await expect(menu.locator('.menu-answer').allInnerTexts()).resolves.toEqual(['Track my order', 'Talk to a person']);
    await page.locator('#window-body dd', { hasText: /^4$/ }).waitFor();
    expect(await windowFact(page, 'Can send')).toBe('yes');
    expect(await windowFact(page, 'Window closes')).toMatch(/^in 4\d h/);

    // Act 2: tap a menu answer from the keyboard
    await menu.locator('.menu-answer', { hasText: 'Track my order' }).focus();
    await page.keyboard.press('Enter');

    // Assess 2: the answer goes back as the user's text, the flow thanks them with a link, and the window is
    // now a menu tap's: 3 sends within a minute, one used by the reply
    await page.locator('.row.me .bubble', { hasText: 'Track my order' }).waitFor();
    const thanks = page.locator('.row.them .bubble', { hasText: 'You chose “Track my order”' });
    await thanks.waitFor();
    await expect(thanks.locator('a').getAttribute('href')).resolves.toBe('https://example.com/orders');
    await page.locator('#window-body dd', { hasText: /^2$/ }).waitFor();
    expect(await windowFact(page, 'Window closes')).toMatch(/^in (\d+ s|1 min 00 s)$/);
    expect(await windowFact(page, 'Last interaction')).toMatch(/^event at/);

    // Act 3: send a photo; the flow sends it back as an image message
    await page.locator('#picture').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: samplePng() });
    // Assess 3: both bubbles show the picture, served by the sandbox through the product's own origin
    const mine = page.locator('.row.me .bubble.image img');
    const theirs = page.locator('.row.them[data-msgtype="image"] img');
    await mine.waitFor();
    await theirs.waitFor();
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('.bubble.image img')).every(
        (i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 96,
      ),
    );
    expect(await theirs.getAttribute('src')).toMatch(/^\/console\/sandbox\/media\//);

    // Act 4: the account shows "typing…" (within 30 s of the last message)
    const typing = await post(product, '/typing', { touser: 'oBrowser', command: 'Typing' });
    // Assess 4
    expect(typing.status).toBe(200);
    await page.locator('#typing').waitFor({ state: 'visible' });
    await page.screenshot({ path: screenshotPath('console-chat.png') });

    // What reached WeChat is in the log, with no token in it
    await page.getByRole('tab', { name: /What reached WeChat/ }).click();
    await page.locator('#log-list .log-path', { hasText: 'POST /cgi-bin/message/custom/send' }).first().waitFor();
    const log = await page.locator('#log-list').innerText();
    const token = product.sandbox!.requests('/cgi-bin/message/custom/send')[0]!.query.access_token!;
    expect(token.length).toBeGreaterThan(10);
    expect(log).not.toContain(token);

    // Everything came from the product itself: no CDN, nothing from the internet
    const origins = new Set(requested.map((u) => new URL(u).origin));
    expect([...origins]).toEqual([product.url]);
    expect(pageErrors).toEqual([]);
    expect(flowErrors).toEqual([]);
    await page.close();
  });

  it('hands the user to a human: the transfer, the agent joining, the agent’s message, the human session in the window', async () => {
    // Prepare: an agent on the sandbox's desk (added, bound to a WeChat user, online)
    const sandbox = product.sandbox!;
    const token = (await (
      await fetch(`${sandbox.url}/cgi-bin/stable_token`, {
        method: 'POST',
        body: JSON.stringify({ grant_type: 'client_credential', appid: sandbox.appId, secret: sandbox.appSecret }),
      })
    ).json()) as { access_token: string };
    const api = (path: string, body: unknown) =>
      fetch(`${sandbox.url}${path}?access_token=${token.access_token}`, { method: 'POST', body: JSON.stringify(body) });
    const control = (method: string, path: string, body: unknown) =>
      fetch(`${sandbox.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(product, '/kf-accounts', { kf_account: 'anna@sandbox', nickname: 'Anna' })).status).toBe(200);
    await api('/customservice/kfaccount/inviteworker', { kf_account: 'anna@sandbox', invite_wx: 'anna_wx01' });
    await control('POST', '/sandbox/kf-accounts/anna@sandbox/invitation', { answer: 'accept' });
    await control('PUT', '/sandbox/kf-accounts/anna@sandbox/status', { status: 1 });
    const page = await newPage();
    await openConsole(page, '?user=oHandoff');

    // Act 1: write, ask for a person, write the question
    await page.locator('#composer-input').fill('hello');
    await page.keyboard.press('Enter');
    await page.locator('.menu-answer', { hasText: 'Talk to a person' }).click();
    await page.locator('.row.them .bubble', { hasText: 'a person will take it' }).waitFor();
    await page.locator('#composer-input').fill('My parcel is late');
    await page.keyboard.press('Enter');
    // Assess 1: the answer to that push was the transfer; the user waits
    await page.locator('.system.human', { hasText: 'Transferred to a human agent' }).waitFor();
    await page.locator('#window-body dd', { hasText: 'waiting for an agent' }).waitFor();
    expect(await windowFact(page, 'Handoff pending')).toBe('yes: the next message goes to the desk');

    // Act 2: the agent takes the user and writes
    expect((await control('POST', '/sandbox/kf-accounts/anna@sandbox/accept', { openid: 'oHandoff' })).status).toBe(200);
    expect(
      (
        await control('POST', '/sandbox/kf-accounts/anna@sandbox/messages', {
          openid: 'oHandoff',
          content: 'Hi, I am Anna. Let me look at your parcel.',
        })
      ).status,
    ).toBe(200);
    // Assess 2: the phone and the window show the session
    await page.locator('.system.human', { hasText: 'The human agent anna@sandbox joined the chat' }).waitFor();
    await page.locator('.row.them.agent .bubble', { hasText: 'I am Anna' }).waitFor();
    await page.locator('#window-body dd', { hasText: 'yes: anna@sandbox' }).waitFor();
    // The agent took the user: the mark is consumed (once the product's window state is read again).
    const pending = page.locator('#window-body dl').first().locator('dt', { hasText: 'Handoff pending' });
    await pending.locator('xpath=following-sibling::dd[1]', { hasText: /^no$/ }).waitFor();
    // The product knows it too (GET /interactions carries humanSession)
    const state = (await (await fetch(`${product.url}/interactions/oHandoff`)).json()) as Record<string, any>;
    expect(state.humanSession).toMatchObject({ kf_account: 'anna@sandbox' });
    await page.screenshot({ path: screenshotPath('console-handoff.png') });
    await page.close();
  });

  it('runs the doctor from its tab, with the arrow keys between tabs', async () => {
    // Prepare
    const page = await newPage();
    await openConsole(page);
    // Act: from the Operations tab, two steps right with the keyboard, then Enter on the button
    await page.getByRole('tab', { name: 'Operations' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.getByRole('button', { name: 'Run the checks' }).focus();
    await page.keyboard.press('Enter');
    // Assess: every check of this server (the sandbox, and its own /callback) passes or says why not
    await page.locator('#doctor .check[data-check="deployedSecret"]').waitFor();
    expect(await page.getByRole('tab', { name: 'Doctor' }).getAttribute('aria-selected')).toBe('true');
    for (const id of ['credentials', 'ipWhitelist', 'kfApi', 'menuMessages', 'callbackToken', 'callbackUrl']) {
      expect(await page.locator(`#doctor .check[data-check="${id}"]`).getAttribute('class')).toBe('check pass');
    }
    expect(await page.locator('#doctor').innerText()).not.toContain(product.sandbox!.appSecret);
    await page.close();
  });

  it('calls every operation from a form generated from the catalogue: a bad field is marked with the product’s rule, a good one answers', async () => {
    // Prepare
    const page = await newPage();
    await openConsole(page, '?user=oForms');
    const options = await page.locator('#op-select option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    const catalogue = (await (await fetch(`${product.url}/console/catalogue.json`)).json()) as {
      operations: Array<{ name: string; fields: Array<{ name: string }> }>;
    };
    // Every operation is offered (grouped by resource), the ones other features added included
    expect([...options].sort()).toEqual(catalogue.operations.map((o) => o.name).sort());
    expect(options).toEqual(expect.arrayContaining(['inviteKfWorker', 'createKfSession', 'handOff', 'getChatRecords']));

    // Act 1: add a kf account whose name breaks WeChat's rule
    const accountsBefore = product.sandbox!.kfAccounts().length;
    await page.locator('#op-select').selectOption('addKfAccount');
    const form = page.locator('form.op-form[data-operation="addKfAccount"]');
    for (const f of catalogue.operations.find((o) => o.name === 'addKfAccount')!.fields)
      await form.locator(`.field[data-field="${f.name}"]`).waitFor();
    await form.locator('[name="kf_account"]').fill('not an account');
    await form.locator('[name="nickname"]').fill('Anna');
    await form.locator('button[type=submit]').focus();
    await page.keyboard.press('Enter');
    // Assess 1: the product's 400 names the field, and the field says so
    const error = form.locator('.field[data-field="kf_account"] .field-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.innerText()).toMatch(/^kf_account: must be prefix@wechatid/);
    expect(await form.locator('[name="kf_account"]').getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('.answer .status').innerText()).toMatch(/^400 INVALID_INPUT/);
    expect(product.sandbox!.kfAccounts()).toHaveLength(accountsBefore);

    // Act 2: correct it
    await form.locator('[name="kf_account"]').fill('forms@sandbox');
    await form.locator('button[type=submit]').click();
    // Assess 2
    await form.locator('.answer .status.ok').waitFor();
    expect(await form.locator('.field[data-field="kf_account"] .field-error').isHidden()).toBe(true);
    expect(product.sandbox!.kfAccounts().map((a) => a.kf_account)).toContain('forms@sandbox');

    // Act 3: send a text to the user from the Send a text message form (its recipient filled in)
    await product.sandbox!.simulateUser('oForms', { type: 'text', content: 'hi' });
    await page.locator('#op-select').selectOption('sendText');
    const send = page.locator('form.op-form[data-operation="sendText"]');
    expect(await send.locator('[name="touser"]').inputValue()).toBe('oForms');
    await send.locator('[name="text.content"]').fill('Sent from the Operations form');
    await send.locator('button[type=submit]').click();
    // Assess 3: the answer, and the message on the phone
    await send.locator('.answer .status.ok').waitFor();
    await page.locator('.row.them .bubble', { hasText: 'Sent from the Operations form' }).waitFor();

    // Act 4: Send a message with the whole custom/send body as JSON (the recipient and type from their own fields)
    await page.locator('#op-select').selectOption('sendMessage');
    const any = page.locator('form.op-form[data-operation="sendMessage"]');
    await any.locator('[name="msgtype"]').selectOption('news');
    await any.locator('[name="(body)"]').fill(
      JSON.stringify({
        news: {
          articles: [
            {
              title: 'Spring sale',
              description: 'Everything 20% off until Sunday',
              url: 'https://example.com/sale',
              picurl: 'https://example.com/sale.jpg',
            },
          ],
        },
      }),
    );
    await any.locator('button[type=submit]').click();
    // Assess 4: a news card, its link safe, its picture not fetched from outside
    await any.locator('.answer .status.ok').waitFor();
    const news = page.locator('.row.them[data-msgtype="news"]');
    await news.waitFor();
    expect(await news.locator('.card-title').innerText()).toBe('Spring sale');
    expect(await news.locator('a.card-link').getAttribute('href')).toBe('https://example.com/sale');
    expect(await news.locator('a.card-link').getAttribute('rel')).toBe('noopener noreferrer');
    expect(await news.locator('img').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('console-operations.png') });
    await page.close();
  });

  it('sends an image chosen as a file, and uploads media from a file, from the generated forms (media fields)', async () => {
    // Prepare
    const page = await newPage();
    await product.sandbox!.simulateUser('oFormsMedia', { type: 'text', content: 'send me a picture' });
    await openConsole(page, '?user=oFormsMedia');
    const picture = samplePng();

    // Act 1: Send an image, its media chosen as a file (multipart: the JSON in `message`, the file at image.media_id)
    await page.locator('#op-select').selectOption('sendImage');
    const send = page.locator('form.op-form[data-operation="sendImage"]');
    await send.locator('[name="image.media_id#file"]').setInputFiles({ name: 'chosen.png', mimeType: 'image/png', buffer: picture });
    await send.locator('button[type=submit]').click();
    // Assess 1: sent with a media_id the sandbox holds, of those bytes, and shown on the phone
    await send.locator('.answer .status.ok').waitFor();
    await page.locator('.row.them[data-msgtype="image"]').waitFor();
    const sent = product.sandbox!.messages('oFormsMedia').at(-1)!.body as { image: { media_id: string } };
    const held = Buffer.from(await (await fetch(`${product.sandbox!.url}/sandbox/media/${sent.image.media_id}`)).arrayBuffer());
    expect(held.equals(picture)).toBe(true);

    // Act 2: Upload temporary media from a file
    await page.locator('#op-select').selectOption('uploadMedia');
    const upload = page.locator('form.op-form[data-operation="uploadMedia"]');
    await upload.locator('[name="type"]').selectOption('image');
    await upload.locator('[name="media#file"]').setInputFiles({ name: 'upload.png', mimeType: 'image/png', buffer: picture });
    await upload.locator('button[type=submit]').click();
    // Assess 2
    await upload.locator('.answer .status.ok').waitFor();
    expect(await upload.locator('.answer pre.json').innerText()).toMatch(/"media_id": "sbx_image_/);
    await page.close();
  });

  it('marks a media URL the product refuses (MEDIA_URL_REFUSED) on its field, as any 400', async () => {
    // Prepare
    const page = await newPage();
    await product.sandbox!.simulateUser('oFormsBadUrl', { type: 'text', content: 'send me a picture' });
    await openConsole(page, '?user=oFormsBadUrl');
    await page.locator('#op-select').selectOption('sendImage');
    const send = page.locator('form.op-form[data-operation="sendImage"]');
    // Act
    await send.locator('[name="image.media_id"]').fill('http://10.0.0.1/cat.jpg');
    await send.locator('button[type=submit]').click();
    // Assess
    await send.locator('.answer .status.bad').waitFor();
    expect(await send.locator('.answer .status').innerText()).toMatch(/^400 MEDIA_URL_REFUSED/);
    const block = send.locator('.field[data-field="image.media_id"]');
    expect(await block.locator('[name="image.media_id"]').getAttribute('aria-invalid')).toBe('true');
    expect(await block.locator('.field-error').innerText()).toMatch(/^image\.media_id\.url: must be an https:\/\/ URL/);
    expect(product.sandbox!.messages('oFormsBadUrl')).toEqual([]);
    await page.close();
  });

  it("follows, taps the account's bottom menu, unfollows: each pushed as WeChat's event and reflected in the window", async () => {
    // Prepare
    const page = await newPage();
    await openConsole(page, '?user=oEvents');
    // Act 1: follow
    await page.getByRole('button', { name: 'Follow', exact: true }).click();
    // Assess 1: a follow opens a 1-minute window of 3 sends
    await page.locator('.system', { hasText: 'You followed the account' }).waitFor();
    await page.locator('#window-body dd', { hasText: /^3$/ }).waitFor();
    expect(await windowFact(page, 'Last interaction')).toMatch(/^event at/);
    // Act 2: the bottom menu, from the keyboard
    await page.locator('.menu-item', { hasText: 'Help' }).focus();
    await page.keyboard.press('Enter');
    // Assess 2: a CLICK event with the item's key reached the product
    await page.locator('.system', { hasText: 'You tapped the menu “MENU_HELP”' }).waitFor();
    // (the sandbox publishes the push once the product's /callback has answered it)
    expect(
      product.events.events
        .filter((e) => e.detailType === 'event.CLICK' && e.detail.openid === 'oEvents')
        .map((e) => (e.detail.message as Record<string, unknown>).EventKey),
    ).toEqual(['MENU_HELP']);
    // Act 3: unfollow
    await page.getByRole('button', { name: 'Unfollow' }).click();
    // Assess 3: nothing may be sent any more, on both sides
    await page.locator('.system', { hasText: 'You unfollowed the account' }).waitFor();
    await page.locator('#window-body dd', { hasText: 'no (unfollowed)' }).waitFor();
    await page.locator('#window-body dd', { hasText: 'errcode 45015' }).waitFor();
    await page.close();
  });

  it('draws 内容由第三方AI生成 under a message sent with the AI label, as WeChat does, and not under others', async () => {
    // Prepare: the user wrote in; the flow answers once labelled, once not
    await product.sandbox!.simulateUser('oAiLabel', { type: 'text', content: 'anyone?' });
    const page = await newPage();
    await openConsole(page, '?user=oAiLabel');
    // Act
    expect(
      (await post(product, '/messages/text', { touser: 'oAiLabel', text: { content: 'A model wrote this.' }, aiGenerated: true })).status,
    ).toBe(200);
    expect((await post(product, '/messages/text', { touser: 'oAiLabel', text: { content: 'A person wrote this.' } })).status).toBe(200);
    // Assess
    const labelled = page.locator('.row.them', { hasText: 'A model wrote this.' });
    const plain = page.locator('.row.them', { hasText: 'A person wrote this.' });
    await plain.waitFor();
    await expect(labelled.locator('.ai-label').innerText()).resolves.toBe('内容由第三方AI生成');
    await expect(plain.locator('.ai-label').count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath('console-ai-label.png') });
    await page.close();
  });

  it('fits a phone: one column, no sideways scrolling, the message box in reach', async () => {
    // Prepare
    const page = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    // Act
    await openConsole(page, '?user=oBrowser');
    await page.locator('.row.them[data-msgtype="msgmenu"]').waitFor();
    // Assess
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.locator('#composer-input').boundingBox();
    expect(box!.width).toBeGreaterThan(150);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: screenshotPath('console-narrow.png') });
    await page.close();
  });
});
