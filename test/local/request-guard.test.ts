/**
 * The local server's two refusals before any route (functions/dev/local/request-guard.ts), over raw HTTP so
 * that the Host, Origin and Sec-Fetch-Site headers are exactly what a browser (or an attacker's DNS
 * rebinding) would send: through `startLocal` in sandbox mode. Browser behaviour itself is in
 * cross-site.browser.test.ts.
 */
import { mkdtempSync, rmSync } from 'fs';
import { request } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';

const OPENID = 'o_guarded_user';

/** One request with exactly these headers (fetch would not let a test set Host). */
function raw(
  product: LocalProduct,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; json: any }> {
  const url = new URL(product.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const send = JSON.stringify({ touser: OPENID, text: { content: 'hello' } });

describe('the local server refuses what another website sends through the browser', () => {
  let dataDir: string;
  let product: LocalProduct;
  let own: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-guard-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    own = new URL(product.url).host;
    await product.sandbox!.simulateUser(OPENID, { type: 'text', content: 'hi' });
  });
  afterAll(async () => {
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['an Origin of another site', { origin: 'https://evil.example' }, /a request from https:\/\/evil.example \(Origin\) is refused/],
    ['Origin null (a sandboxed frame, a file)', { origin: 'null' }, /a request from null \(Origin\)/],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, /a cross-site request \(Sec-Fetch-Site\)/],
    [
      'Sec-Fetch-Site: same-site (another port of localhost)',
      { 'sec-fetch-site': 'same-site', origin: 'http://localhost:5173' },
      /a same-site request/,
    ],
  ])('a POST with %s gets 403 CROSS_SITE and sends nothing', async (_what, headers, message) => {
    // Prepare
    const before = product.sandbox!.messages(OPENID).length;
    // Act
    const answer = await raw(product, 'POST', '/messages/text', { host: own, 'content-type': 'text/plain', ...headers }, send);
    // Assess
    expect(answer.status).toBe(403);
    expect(answer.json.error).toMatchObject({ code: 'CROSS_SITE', message: expect.stringMatching(message) });
    expect(answer.json.error.message).toMatch(
      /takes calls only from servers \(curl, n8n, your code: they send no Origin\) and from its own console/,
    );
    expect(product.sandbox!.messages(OPENID)).toHaveLength(before);
  });

  it("a server (no Origin), and the product's own origin, are served", async () => {
    // Act
    const fromServer = await raw(product, 'POST', '/messages/text', { host: own, 'content-type': 'application/json' }, send);
    const sameOrigin = await raw(
      product,
      'POST',
      '/messages/text',
      { host: own, origin: `http://${own}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      send,
    );
    const doctorFromServer = await raw(product, 'GET', '/doctor', { host: own });
    const doctorSameOrigin = await raw(product, 'GET', '/doctor', { host: own, 'sec-fetch-site': 'same-origin' });
    const typed = await raw(product, 'GET', '/kf-accounts', { host: own, 'sec-fetch-site': 'none' });
    // Assess
    expect([fromServer.status, sameOrigin.status, doctorFromServer.status, doctorSameOrigin.status, typed.status]).toEqual([
      200, 200, 200, 200, 200,
    ]);
  });

  it.each([
    ['/doctor'],
    ['/chat-records?starttime=2026-12-01T00%3A00%3A00Z&endtime=2026-12-01T01%3A00%3A00Z'],
    ['/kf-accounts'],
    ['/media/some_media_id'],
    [`/interactions/${OPENID}`],
  ])('a cross-site GET %s (an <img> on another site) gets 403 CROSS_SITE and calls no WeChat API', async (path) => {
    // Prepare
    const before = product.sandbox!.requests().length;
    // Act
    const img = await raw(product, 'GET', path, { host: own, 'sec-fetch-site': 'cross-site' });
    const otherPort = await raw(product, 'GET', path, { host: own, 'sec-fetch-site': 'same-site', origin: 'http://localhost:5173' });
    // Assess
    expect([img.status, otherPort.status]).toEqual([403, 403]);
    expect(img.json.error.code).toBe('CROSS_SITE');
    expect(product.sandbox!.requests().length).toBe(before);
  });

  it("the console's own page may still be opened from another site's link", async () => {
    // Act
    const page = await raw(product, 'GET', '/console/', { host: own, 'sec-fetch-site': 'cross-site' });
    // Assess
    expect(page.status).toBe(200);
  });

  it('a Host that is not this machine (DNS rebinding) gets 403 HOST_NOT_ALLOWED, for reads too; loopback names pass', async () => {
    // Act
    const rebound = await raw(product, 'GET', `/interactions/${OPENID}`, { host: `evil.example:${new URL(product.url).port}` });
    const reboundSend = await raw(
      product,
      'POST',
      '/messages/text',
      { host: 'evil.example', origin: 'http://evil.example', 'content-type': 'application/json' },
      send,
    );
    const localhost = await raw(product, 'GET', `/interactions/${OPENID}`, { host: `localhost:${new URL(product.url).port}` });
    const v6 = await raw(product, 'GET', `/interactions/${OPENID}`, { host: `[::1]:${new URL(product.url).port}` });
    // Assess
    expect(rebound.status).toBe(403);
    expect(rebound.json.error).toMatchObject({
      code: 'HOST_NOT_ALLOWED',
      message: expect.stringMatching(/Host "evil.example:[0-9]+" is not this machine/),
    });
    expect(reboundSend.status).toBe(403);
    expect([localhost.status, v6.status]).toEqual([200, 200]);
  });

  it("/callback keeps answering under a tunnel's Host: its pushes prove themselves by signature", async () => {
    // Act
    const push = await raw(
      product,
      'POST',
      '/callback?signature=0&timestamp=1&nonce=1',
      { host: 'abc123.tunnel.example', 'content-type': 'text/xml' },
      '<xml></xml>',
    );
    // Assess: refused for its signature, not for its Host
    expect(push.status).toBe(401);
  });
});
