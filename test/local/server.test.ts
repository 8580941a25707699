/**
 * The whole product through `startLocal`: every route of docs/configuration.md's contract over HTTP, against the
 * sandbox, on the embedded DynamoDB (dynalite on disk in a temp folder).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { callProduct as call, useLocalProduct } from '../support/local-product';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const SEND = '/cgi-bin/message/custom/send';

describe('npm start: the local server', () => {
  const product = useLocalProduct('wechat-kf-local-');

  it('lets a user write in through the signed push, then sends the reply within the window', async () => {
    // Prepare: the sandbox pushes a user's text message to /callback, signed like WeChat
    const push = await product.sandbox!.simulateUser('oAlice', { type: 'text', content: 'hello' });
    // Act
    const reply = await call(product, 'POST', '/messages', { touser: 'oAlice', msgtype: 'text', text: { content: 'Hi Alice' } });
    const state = await call(product, 'GET', '/interactions/oAlice');
    // Assess
    expect(push.delivered).toBe(true);
    expect(push.body).toBe('success');
    expect(product.events.events.map((e) => e.detailType)).toContain('message.text');
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ errcode: 0 });
    expect(product.sandbox!.messages('oAlice')).toHaveLength(1);
    expect(state.json).toMatchObject({ openid: 'oAlice', lastInteractionKind: 'message', canSend: true, sendsLeft: 4 });
  });

  it('counts a tap on a menu answer (text with bizmsgmenuid) as a menu click, as WeChat does', async () => {
    // Prepare / Act
    await product.sandbox!.simulateUser('oMenuTap', { type: 'menuReply', menuId: '101', content: 'Yes' });
    const state = await call(product, 'GET', '/interactions/oMenuTap');
    // Assess
    expect(state.json).toMatchObject({ lastInteractionKind: 'event', sendsLeft: 3, canSend: true });
    expect(Date.parse(state.json.sendWindowEnd) - Date.parse(state.json.lastInteractionAt)).toBe(60_000);
  });

  it('refuses a send to a user with no open window with 409, without calling WeChat', async () => {
    const before = product.sandbox!.count(SEND);
    const res = await call(product, 'POST', '/messages/text', { touser: 'oStranger', text: { content: 'hi' } });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'SEND_WINDOW_CLOSED', reason: 'no-interaction', openid: 'oStranger' });
    expect(product.sandbox!.count(SEND)).toBe(before);
  });

  it('serves the kf account routes: add, update, avatar (raw and multipart), list, delete', async () => {
    const added = await call(product, 'POST', '/kf-accounts', {
      kf_account: 'kf1@sandbox',
      nickname: 'Agent',
      password: 'pw',
      hash_password: true,
    });
    const updated = await call(product, 'PUT', '/kf-accounts/kf1@sandbox', { nickname: 'Agent 1' });
    const raw = await call(product, 'PUT', '/kf-accounts/kf1%40sandbox/avatar', new Uint8Array(JPEG), { 'content-type': 'image/jpeg' });
    const form = new FormData();
    form.append('media', new Blob([JPEG], { type: 'image/jpeg' }), 'me.jpg');
    const multipart = await fetch(`${product.url}/kf-accounts/kf1@sandbox/avatar`, { method: 'PUT', body: form });
    const list = await call(product, 'GET', '/kf-accounts');
    const deleted = await call(product, 'DELETE', '/kf-accounts/kf1@sandbox');
    expect([added.status, updated.status, raw.status, multipart.status, list.status, deleted.status]).toEqual([
      200, 200, 200, 200, 200, 200,
    ]);
    expect(list.json.kf_list).toEqual([expect.objectContaining({ kf_account: 'kf1@sandbox', kf_nick: 'Agent 1' })]);
    expect(product.sandbox!.kfAccounts()).toEqual([]);
  });

  it('closes the window when the user unfollows, without calling WeChat, and reopens it on a new follow', async () => {
    await product.sandbox!.simulateUser('oLeaver', { type: 'text', content: 'bye' });
    await product.sandbox!.simulateUser('oLeaver', { type: 'event', event: 'unsubscribe' });
    const before = product.sandbox!.count(SEND);
    const refused = await call(product, 'POST', '/messages', { touser: 'oLeaver', msgtype: 'text', text: { content: 'wait!' } });
    await product.sandbox!.simulateUser('oLeaver', { type: 'event', event: 'subscribe' });
    const welcomed = await call(product, 'POST', '/messages', { touser: 'oLeaver', msgtype: 'text', text: { content: 'welcome back' } });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'SEND_WINDOW_CLOSED', reason: 'unfollowed' });
    expect(welcomed.status).toBe(200);
    expect(product.sandbox!.count(SEND) - before).toBe(1);
    expect(product.events.events.map((e) => e.detailType)).toEqual(expect.arrayContaining(['event.unsubscribe', 'event.subscribe']));
  });

  it('shows typing after an interaction and refuses it while active', async () => {
    await product.sandbox!.simulateUser('oTyper', { type: 'text', content: 'hi' });
    const first = await call(product, 'POST', '/typing', { touser: 'oTyper', command: 'Typing' });
    const second = await call(product, 'POST', '/typing', { touser: 'oTyper', command: 'Typing' });
    const cancel = await call(product, 'POST', '/typing', { touser: 'oTyper', command: 'CancelTyping' });
    const never = await call(product, 'POST', '/typing', { touser: 'oNobody', command: 'Typing' });
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('TYPING_ACTIVE');
    expect(cancel.status).toBe(200);
    expect(never.json.error.code).toBe('TYPING_NOT_ALLOWED');
    expect(product.sandbox!.typingEvents('oTyper').map((t) => t.command)).toEqual(['Typing', 'CancelTyping']);
  });

  it('records an interaction received elsewhere, which opens the window', async () => {
    const recorded = await call(product, 'POST', '/interactions', { openid: 'oElsewhere' });
    expect(recorded.status).toBe(200);
    expect(recorded.json).toMatchObject({ openid: 'oElsewhere', canSend: true, sendsLeft: 5 });
    const bad = await call(product, 'POST', '/interactions', { openid: 'oElsewhere', at: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.issues).toEqual([expect.objectContaining({ field: 'at' })]);
  });

  it('does a send with an Idempotency-Key once, and answers replays with the first result', async () => {
    await product.sandbox!.simulateUser('oIdem', { type: 'text', content: 'hi' });
    const before = product.sandbox!.count(SEND);
    const body = { touser: 'oIdem', msgtype: 'text', text: { content: 'once' } };
    const answers = await Promise.all(
      [1, 2, 3].map(() => call(product, 'POST', '/messages', body, { 'idempotency-key': 'order-42', 'content-type': 'application/json' })),
    );
    const later = await call(product, 'POST', '/messages', body, { 'idempotency-key': 'order-42', 'content-type': 'application/json' });
    expect(product.sandbox!.count(SEND) - before).toBe(1);
    expect(later.status).toBe(200);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
  });

  describe('bad input gets a 4xx naming the problem, and the sandbox receives nothing', () => {
    const cases: Array<[string, string, string, unknown, Record<string, string>, number, string]> = [
      ['malformed JSON', 'POST', '/messages', '{"touser":', { 'content-type': 'application/json' }, 400, '(body)'],
      ['a wrong type', 'POST', '/messages', { touser: 5, msgtype: 'text', text: { content: 'x' } }, {}, 400, 'touser'],
      ['an unknown msgtype', 'POST', '/messages', { touser: 'oA', msgtype: 'fax' }, {}, 400, 'msgtype'],
      ['a missing field', 'POST', '/messages/news', { touser: 'oA', news: {} }, {}, 400, 'news.articles'],
      ['too many articles', 'POST', '/messages/news', { touser: 'oA', news: { articles: [{}, {}] } }, {}, 400, 'news.articles'],
      [
        'an oversize body',
        'POST',
        '/messages',
        JSON.stringify({ touser: 'oA', msgtype: 'text', text: { content: 'x'.repeat(2 * 1024 * 1024) } }),
        { 'content-type': 'application/json' },
        400,
        '(body)',
      ],
      ['a bad typing command', 'POST', '/typing', { touser: 'oA', command: 'typing' }, {}, 400, 'command'],
      ['a bad kf_account', 'POST', '/kf-accounts', { kf_account: 'no-at', nickname: 'x' }, {}, 400, 'kf_account'],
      ['an avatar that is not a JPG', 'PUT', '/kf-accounts/kf1@sandbox/avatar', '\x89PNG', { 'content-type': 'image/png' }, 400, 'media'],
    ];
    it.each(cases)('%s', async (_name, method, path, body, headers, status, field) => {
      const before = product.sandbox!.requests().length;
      const res = await call(product, method, path, body, headers);
      expect(res.status).toBe(status);
      expect(res.json.error.code).toBe('INVALID_INPUT');
      expect(res.json.error.issues.map((i: { field: string }) => i.field)).toContain(field);
      expect(product.sandbox!.requests().length).toBe(before);
    });

    it('an unknown route is 404 and a wrong method 405', async () => {
      expect((await call(product, 'GET', '/nope')).status).toBe(404);
      expect((await call(product, 'PATCH', '/messages')).status).toBe(405);
    });
  });

  describe('the callback', () => {
    it('answers the URL check with echostr, and 401 for a bad signature', async () => {
      const token = product.context.secrets.callbackToken!;
      const { createHash } = await import('crypto');
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHash('sha1').update([token, timestamp, 'n1'].sort().join('')).digest('hex');
      const ok = await call(product, 'GET', `/callback?signature=${signature}&timestamp=${timestamp}&nonce=n1&echostr=12345`);
      const bad = await call(product, 'GET', `/callback?signature=${'0'.repeat(40)}&timestamp=${timestamp}&nonce=n1&echostr=12345`);
      expect(ok).toMatchObject({ status: 200, text: '12345' });
      expect(bad.status).toBe(401);
      expect(bad.json.error.code).toBe('INVALID_SIGNATURE');
    });

    it('refuses a push with a bad signature or a replayed (stale) timestamp with 401 and records nothing', async () => {
      const token = product.context.secrets.callbackToken!;
      const { createHash } = await import('crypto');
      const xml = (openid: string, t: number) =>
        `<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${t}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1234567890123456789</MsgId></xml>`;
      const stale = Math.floor(Date.now() / 1000) - 3600;
      const sig = (ts: number) =>
        createHash('sha1')
          .update([token, String(ts), 'n2'].sort().join(''))
          .digest('hex');
      const replayed = await call(
        product,
        'POST',
        `/callback?signature=${sig(stale)}&timestamp=${stale}&nonce=n2&openid=oReplay`,
        xml('oReplay', stale),
        { 'content-type': 'text/xml' },
      );
      const now = Math.floor(Date.now() / 1000);
      const forged = await call(
        product,
        'POST',
        `/callback?signature=${'f'.repeat(40)}&timestamp=${now}&nonce=n2&openid=oForged`,
        xml('oForged', now),
        { 'content-type': 'text/xml' },
      );
      expect(replayed.status).toBe(401);
      expect(replayed.json.error.message).toMatch(/stale timestamp/);
      expect(forged.status).toBe(401);
      expect((await call(product, 'GET', '/interactions/oReplay')).json.lastInteractionAt).toBeNull();
      expect((await call(product, 'GET', '/interactions/oForged')).json.lastInteractionAt).toBeNull();
    });

    it("deduplicates WeChat's retries of the same message", async () => {
      const published = product.events.events.length;
      const token = product.context.secrets.callbackToken!;
      const { createHash } = await import('crypto');
      const now = Math.floor(Date.now() / 1000);
      const sig = createHash('sha1')
        .update([token, String(now), 'n3'].sort().join(''))
        .digest('hex');
      const body = `<xml><ToUserName><![CDATA[gh_sandbox]]></ToUserName><FromUserName><![CDATA[oRetry]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>9223372036854775807</MsgId></xml>`;
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(
          await call(product, 'POST', `/callback?signature=${sig}&timestamp=${now}&nonce=n3`, body, { 'content-type': 'text/xml' }),
        );
      expect(answers.map((a) => a.text)).toEqual(['success', 'success', 'success']);
      expect(product.events.events.length - published).toBe(1);
      expect(product.events.events.at(-1)!.detail.message).toMatchObject({ MsgId: '9223372036854775807' });
    });
  });

  it('keeps its data across a restart', async () => {
    await call(product, 'POST', '/interactions', { openid: 'oPersist' });
    await product.restart();
    const state = await call(product, 'GET', '/interactions/oPersist');
    expect(state.json.lastInteractionAt).not.toBeNull();
  });
});

describe("npm start with WeChat's official worked example (wechat-reference.md)", () => {
  const EXAMPLE = {
    env: {
      WECHAT_APP_ID: 'wxba5fad812f8e6fb9',
      WECHAT_APP_SECRET: 'unused-here',
      WECHAT_CALLBACK_TOKEN: 'AAAAA',
      WECHAT_ENCODING_AES_KEY: 'A'.repeat(43),
    },
    get: 'signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492',
    post: 'signature=6c5c811b55cc85e0e1b54100749188c20beb3f5d&timestamp=1714112445&nonce=415670741&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=046e02f8204d34f8ba5fa3b1db94908f3df2e9b3',
    body: '{"ToUserName":"gh_97417a04a28d","Encrypt":"+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04="}',
  };

  async function withProduct(extraEnv: Record<string, string>, fn: (product: LocalProduct) => Promise<void>) {
    const dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-example-'));
    const product = await startLocal({ port: 0, dataDir, env: { ...EXAMPLE.env, ...extraEnv } });
    try {
      await fn(product);
    } finally {
      await product.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  it('answers the URL check and, with the replay check off, opens the safe-mode JSON push', async () => {
    await withProduct({ CALLBACK_MAX_SKEW_SECONDS: 'off' }, async (product) => {
      const check = await call(product, 'GET', `/callback?${EXAMPLE.get}`);
      const push = await call(product, 'POST', `/callback?${EXAMPLE.post}`, EXAMPLE.body, { 'content-type': 'application/json' });
      expect(check).toMatchObject({ status: 200, text: '4375120948345356249' });
      expect(push).toMatchObject({ status: 200, text: 'success' });
      expect(product.events.events).toEqual([
        expect.objectContaining({
          detailType: 'event.debug_demo',
          detail: expect.objectContaining({
            openid: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
            message: expect.objectContaining({ debug_str: 'hello world' }),
          }),
        }),
      ]);
    });
  });

  it('refuses the same push as a replay by default (its timestamp is from 2024)', async () => {
    await withProduct({}, async (product) => {
      const push = await call(product, 'POST', `/callback?${EXAMPLE.post}`, EXAMPLE.body, { 'content-type': 'application/json' });
      expect(push.status).toBe(401);
      expect(product.events.events).toEqual([]);
    });
  });
});
