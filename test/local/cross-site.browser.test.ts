/**
 * Another website open in the user's browser cannot drive the local product (functions/dev/local/request-guard.ts),
 * in real Chromium: pages served from other local origins (http://localhost:<other port>, a cross-site
 * origin for a product on 127.0.0.1; http://127.0.0.1:<other port>, same site but another origin) POST a
 * send to the product's own API with fetch, as an attacker's page would (a no-cors "simple" request,
 * which the browser sends without asking, and a form). Each is answered 403 naming the rule and nothing
 * reaches the sandbox, although the user's window is open: the same request from a server (no Origin)
 * goes through. The product's own console page still calls the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { chromiumPath, IS_CI, launchBrowser, MISSING_BROWSER } from '../console/browser';

jest.setTimeout(120_000);

const HAVE_BROWSER = chromiumPath() !== undefined;
if (!HAVE_BROWSER && !IS_CI) console.warn(`cross-site browser tests skipped: ${MISSING_BROWSER}`);
const describeBrowser = HAVE_BROWSER || IS_CI ? describe : describe.skip;

const OPENID = 'o_cross_site_victim';

/**
 * The attacker's site: one page that POSTs a send to the product the two ways a page can without CORS: a
 * no-cors fetch with a text/plain JSON body, and a text/plain form whose `name=value` spells the same JSON.
 */
function attackerPage(productUrl: string): string {
  const body = JSON.stringify({ touser: OPENID, text: { content: 'sent by another website' } });
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${productUrl}/messages/text" enctype="text/plain" target="sink"><input name='${body.slice(0, -3)}' value='"}}'></form>
<iframe name="sink"></iframe>
<script>
window.attack = async () => {
  await fetch(${JSON.stringify(`${productUrl}/messages/text`)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(body)} });
  document.getElementById('f').submit();
};
</script></body></html>`;
}

/** The attacker's other page: images whose GETs would call WeChat (the doctor, chat records, kf accounts). */
function imagePage(productUrl: string): string {
  const paths = ['/doctor', '/chat-records?starttime=1796083200&endtime=1796086800', '/kf-accounts'];
  return `<!doctype html><html><body>${paths.map((p) => `<img src="${productUrl}${p.replace(/&/g, '&amp;')}">`).join('')}</body></html>`;
}

describeBrowser('the local product refuses cross-site browser requests', () => {
  let dataDir: string;
  let product: LocalProduct;
  let browser: Browser;
  let attacker: Server;
  let attackerPort = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-cross-site-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    attacker = createServer((req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(req.url === '/img' ? imagePage(product.url) : attackerPage(product.url)),
    );
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['a cross-site page (http://localhost:<port>)', 'localhost', /a cross-site request \(Sec-Fetch-Site\) is refused/],
    ['a same-site page on another port (http://127.0.0.1:<port>)', '127.0.0.1', /a same-site request \(Sec-Fetch-Site\) is refused/],
  ])('%s: its fetch and its form get 403 naming the rule, and nothing is sent', async (_what, attackerHost, rule) => {
    // Prepare: the user wrote in, so a send would be allowed; a page of the other origin is open
    await product.sandbox!.simulateUser(OPENID, { type: 'text', content: 'hi' });
    const before = product.sandbox!.messages(OPENID).length;
    const page = await browser.newPage();
    const answers: { method: string; status: number; body: string }[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${product.url}/messages/text`)) {
        void response.text().then(
          (body) => answers.push({ method: response.request().method(), status: response.status(), body }),
          () => answers.push({ method: response.request().method(), status: response.status(), body: '' }),
        );
      }
    });
    await page.goto(`http://${attackerHost}:${attackerPort}/`);

    // Act
    await page.evaluate(() => (window as unknown as { attack(): Promise<void> }).attack());
    const deadline = Date.now() + 10_000;
    while (answers.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await page.close();

    // Assess: both reached the product and were refused; the sandbox received nothing
    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    for (const answer of answers.filter((a) => a.body !== '')) {
      expect(JSON.parse(answer.body).error).toMatchObject({ code: 'CROSS_SITE', message: expect.stringMatching(rule) });
    }
    expect(product.sandbox!.messages(OPENID)).toHaveLength(before);
  });

  it("a server (no Origin) and the product's own page still send", async () => {
    // Prepare
    await product.sandbox!.simulateUser(OPENID, { type: 'text', content: 'hi again' });
    const before = product.sandbox!.messages(OPENID).length;
    const page = await browser.newPage();
    await page.goto(`${product.url}/console`);
    // Act
    const fromServer = await fetch(`${product.url}/messages/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: OPENID, text: { content: 'from a server' } }),
    });
    const fromOwnPage = await page.evaluate(async (url) => {
      const res = await fetch(`${url}/messages/text`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ touser: 'o_cross_site_victim', text: { content: 'from the console' } }),
      });
      return res.status;
    }, product.url);
    await page.close();
    // Assess
    expect(fromServer.status).toBe(200);
    expect(fromOwnPage).toBe(200);
    expect(
      product
        .sandbox!.messages(OPENID)
        .slice(before)
        .map((m) => (m.body.text as { content: string }).content),
    ).toEqual(['from a server', 'from the console']);
  });

  it("images on another site that point at GETs calling WeChat get 403, and the console's own GET /doctor still runs", async () => {
    // Prepare
    const before = product.sandbox!.requests().length;
    const page = await browser.newPage();
    // The browser blocks an image's answer that is not an image (ORB), whatever its status: what counts is
    // that the three requests went out and the product called WeChat for none of them.
    const sent: string[] = [];
    let collecting = true;
    page.on('request', (request) => {
      if (collecting && request.url().startsWith(product.url)) sent.push(new URL(request.url()).pathname);
    });

    // Act
    await page.goto(`http://localhost:${attackerPort}/img`, { waitUntil: 'networkidle' });
    const wechatCallsByImages = product.sandbox!.requests().length - before;
    collecting = false;
    await page.goto(`${product.url}/console`);
    const doctor = await page.evaluate(async (url) => (await fetch(`${url}/doctor`)).status, product.url);
    await page.close();

    // Assess
    expect(sent.sort()).toEqual(['/chat-records', '/doctor', '/kf-accounts']);
    expect(wechatCallsByImages).toBe(0);
    expect(doctor).toBe(200);
  });
});
