/**
 * Bad input never costs anything, and one Idempotency-Key is one send: through `startLocal` over HTTP,
 * against the sandbox, on the embedded DynamoDB.
 */
import { callProduct as call, useLocalProduct } from '../support/local-product';

const SEND = '/cgi-bin/message/custom/send';
const LONG_OPENID = `o${'x'.repeat(2999)}`;

const fields = (res: { json: any }) => (res.json?.error?.issues ?? []).map((i: { field: string }) => i.field);

describe('bad input never costs anything', () => {
  const product = useLocalProduct('wechat-kf-hardening-');

  const sendsLeft = async (openid: string) => (await call(product, 'GET', `/interactions/${openid}`)).json.sendsLeft;

  it.each([
    ['POST /messages', 'POST', '/messages', { touser: LONG_OPENID, msgtype: 'text', text: { content: 'x' } }],
    ['POST /typing', 'POST', '/typing', { touser: LONG_OPENID, command: 'Typing' }],
    ['POST /interactions', 'POST', '/interactions', { openid: LONG_OPENID }],
    ['GET /interactions/{openid}', 'GET', `/interactions/${LONG_OPENID}`, undefined],
  ])('an openid of 3 000 characters on %s is a 400 naming the rule, not a 500', async (_route, method, path, body) => {
    // Act
    const res = await call(product, method, path, body);
    // Assess
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_INPUT');
    expect(res.json.error.message).toMatch(/at most 128 characters/);
  });

  it('the touser of /messages and /typing is checked by the same openid rule, naming touser', async () => {
    // Act
    const send = await call(product, 'POST', '/messages', { touser: LONG_OPENID, msgtype: 'text', text: { content: 'x' } });
    const typing = await call(product, 'POST', '/typing', { touser: 'o user', command: 'Typing' });
    // Assess
    expect(fields(send)).toEqual(['touser']);
    expect(fields(typing)).toEqual(['touser']);
  });

  it.each([
    [
      'music.musicurl',
      {
        touser: 'oUrl',
        msgtype: 'music',
        music: { musicurl: 'javascript:alert(1)', hqmusicurl: 'https://example.com/hq.mp3', thumb_media_id: 'T' },
      },
    ],
    [
      'music.hqmusicurl',
      {
        touser: 'oUrl',
        msgtype: 'music',
        music: { musicurl: 'https://example.com/a.mp3', hqmusicurl: 'data:text/html,hi', thumb_media_id: 'T' },
      },
    ],
    ['news.articles.0.url', { touser: 'oUrl', msgtype: 'news', news: { articles: [{ title: 't', url: 'javascript:alert(1)' }] } }],
    [
      'news.articles.0.picurl',
      { touser: 'oUrl', msgtype: 'news', news: { articles: [{ title: 't', url: 'https://example.com/', picurl: 'file:///etc/passwd' }] } },
    ],
  ])('a link WeChat shows users must be http(s): %s', async (field, body) => {
    // Prepare
    await product.sandbox!.simulateUser('oUrl', { type: 'text', content: 'hi' });
    const sends = product.sandbox!.count(SEND);
    // Act
    const res = await call(product, 'POST', '/messages', body);
    // Assess
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual([field]);
    expect(res.json.error.message).toMatch(/http\(s\)/);
    expect(product.sandbox!.count(SEND)).toBe(sends);
  });

  it('sends music and news whose links are http(s)', async () => {
    // Prepare
    await product.sandbox!.simulateUser('oUrlOk', { type: 'text', content: 'hi' });
    // Act
    const music = await call(product, 'POST', '/messages/music', {
      touser: 'oUrlOk',
      music: { musicurl: 'http://example.com/a.mp3', hqmusicurl: 'https://example.com/hq.mp3', thumb_media_id: 'T' },
    });
    const news = await call(product, 'POST', '/messages/news', {
      touser: 'oUrlOk',
      news: { articles: [{ title: 't', url: 'https://example.com/', picurl: 'https://example.com/p.jpg' }] },
    });
    // Assess: both pass the product's checks (the sandbox then wants a real thumb_media_id for music)
    expect(music.status).not.toBe(400);
    expect(news.status).toBe(200);
  });

  it("recognises a JPEG avatar by its bytes, whatever the Content-Type (curl --data-binary's form type)", async () => {
    // Prepare
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x80, 0x81, 0xfe, 0xff, 0xd9]);
    await call(product, 'POST', '/kf-accounts', { kf_account: 'face@sandbox', nickname: 'Face' });
    // Act
    const form = await call(product, 'PUT', '/kf-accounts/face@sandbox/avatar', jpeg, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    const png = await call(product, 'PUT', '/kf-accounts/face@sandbox/avatar', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), {
      'content-type': 'image/jpeg',
    });
    // Assess
    expect(form.status).toBe(200);
    expect(png.status).toBe(400);
    expect(fields(png)).toEqual(['media']);
  });

  it('an avatar upload without a file says how to send one', async () => {
    // Prepare
    await call(product, 'POST', '/kf-accounts', { kf_account: 'noface@sandbox', nickname: 'No Face' });
    // Act
    const empty = await call(product, 'PUT', '/kf-accounts/noface@sandbox/avatar', new Uint8Array(0), {
      'content-type': 'application/octet-stream',
    });
    // Assess
    expect(empty.status).toBe(400);
    expect(empty.json.error.issues).toEqual([
      { field: 'media', rule: 'is required: the file as the request body (image/jpeg), or multipart/form-data with a file field "media"' },
    ]);
  });

  it('a body nested 100 000 arrays deep is a 400 and uses up no send', async () => {
    // Prepare
    await product.sandbox!.simulateUser('oDeep', { type: 'text', content: 'hi' });
    const before = await sendsLeft('oDeep');
    const deep = `{"touser":"oDeep","msgtype":"text","text":{"content":"x"},"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    // Act
    const res = await call(product, 'POST', '/messages', deep);
    // Assess
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['(body)']);
    expect(res.json.error.message).toMatch(/more than 32 levels deep/);
    expect(await sendsLeft('oDeep')).toBe(before);
  });

  it('a send that fails before WeChat is called (no access token to be had) gives its count back', async () => {
    // Prepare: no token cached, and the token endpoint fails with HTTP 500
    await product.sandbox!.simulateUser('oNoToken', { type: 'text', content: 'hi' });
    await product.context.tokens.invalidate((await product.context.tokens.getToken()).value);
    product.sandbox!.injectFault({ path: '/cgi-bin/stable_token', kind: 'http', status: 500, times: 5 });
    const sendsBefore = product.sandbox!.count(SEND);
    // Act
    const res = await call(product, 'POST', '/messages', { touser: 'oNoToken', msgtype: 'text', text: { content: 'x' } });
    // Assess
    expect(res.status).toBe(503);
    expect(product.sandbox!.count(SEND)).toBe(sendsBefore);
    expect(await sendsLeft('oNoToken')).toBe(5);
    product.sandbox!.reset();
  });

  it('a send whose connection broke after it was written is not sent again, and its count is kept', async () => {
    // Prepare
    await product.sandbox!.simulateUser('oReset', { type: 'text', content: 'hi' });
    const sendsBefore = product.sandbox!.count(SEND);
    product.sandbox!.injectFault({ path: SEND, kind: 'reset', times: 1 });
    // Act
    const res = await call(product, 'POST', '/messages', { touser: 'oReset', msgtype: 'text', text: { content: 'x' } });
    // Assess: WeChat got it once (it may have been delivered), nothing was tried again
    expect(res.status).toBe(503);
    expect(res.json.error.message).toMatch(/not retried/);
    expect(product.sandbox!.count(SEND) - sendsBefore).toBe(1);
    expect(await sendsLeft('oReset')).toBe(4);
  });

  it('accepts a JSON body that starts with a UTF-8 byte order mark', async () => {
    // Prepare
    await product.sandbox!.simulateUser('oBom', { type: 'text', content: 'hi' });
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify({ touser: 'oBom', msgtype: 'text', text: { content: 'bom' } })),
    ]);
    // Act
    const res = await call(product, 'POST', '/messages', new Uint8Array(body));
    const recorded = await call(
      product,
      'POST',
      '/interactions',
      new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"openid":"oBom2"}')])),
    );
    // Assess
    expect(res.status).toBe(200);
    expect(recorded.status).toBe(200);
  });

  it.each([
    ['a form body (curl -d without a content type)', '{"openid":"oAt"}', { 'content-type': 'application/x-www-form-urlencoded' }, '(body)'],
    ['at "1" (1970)', JSON.stringify({ openid: 'oAt', at: '1' }), {}, 'at'],
    ['at 1e308', '{"openid":"oAt","at":1e308}', {}, 'at'],
    ['at far in the future', JSON.stringify({ openid: 'oAt', at: '2999-01-01T00:00:00Z' }), {}, 'at'],
    ['at without an offset', JSON.stringify({ openid: 'oAt', at: '2026-01-01 10:00' }), {}, 'at'],
    ['an openid with a space', JSON.stringify({ openid: 'o At' }), {}, 'openid'],
  ])('POST /interactions refuses %s with a 400 naming the field', async (_what, body, headers, field) => {
    // Act
    const res = await call(product, 'POST', '/interactions', body, headers);
    // Assess
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual([field]);
    expect((await call(product, 'GET', '/interactions/oAt')).json.lastInteractionAt).toBeNull();
  });
});

describe('one Idempotency-Key is one send, whichever route carries it', () => {
  const product = useLocalProduct('wechat-kf-idem-');

  it('/messages then /messages/text with the same key and message send once; another message under the key is 422', async () => {
    // Prepare
    await product.sandbox!.simulateUser('oIdemRoutes', { type: 'text', content: 'hi' });
    const before = product.sandbox!.count(SEND);
    const key = { 'idempotency-key': 'order-7' };
    // Act
    const first = await call(product, 'POST', '/messages', { touser: 'oIdemRoutes', msgtype: 'text', text: { content: 'once' } }, key);
    const second = await call(product, 'POST', '/messages/text', { touser: 'oIdemRoutes', text: { content: 'once' } }, key);
    const other = await call(product, 'POST', '/messages/text', { touser: 'oIdemRoutes', text: { content: 'another' } }, key);
    // Assess
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.json).toEqual(first.json);
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(product.sandbox!.count(SEND) - before).toBe(1);
  });
});
