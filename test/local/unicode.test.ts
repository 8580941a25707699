/**
 * A text must be valid Unicode without NUL (docs/input-rules.md): a lone surrogate (JSON's "\ud800"), a NUL
 * ("\u0000") or bytes that are no UTF-8 in the body are a 400 naming the field and the rule, before the
 * send is counted or WeChat is called, on every path that sends text: a send, a split send, a kf nickname.
 */
import { callProduct as call, useLocalProduct } from '../support/local-product';

const SEND = '/cgi-bin/message/custom/send';
const ADD_KF = '/customservice/kfaccount/add';

describe('text that is not valid Unicode, over HTTP', () => {
  const product = useLocalProduct('wechat-kf-unicode-');
  const OPENID = 'oUnicode';
  const sendsLeft = async () => (await call(product, 'GET', `/interactions/${OPENID}`)).json.sendsLeft;

  beforeAll(async () => {
    await product.sandbox!.simulateUser(OPENID, { type: 'text', content: 'hi' });
  });

  it.each([
    [
      'a lone surrogate',
      '/messages/text',
      `{"touser":"${OPENID}","text":{"content":"broken \\ud83d here"}}`,
      'text.content',
      'must be valid Unicode: a lone surrogate U+D83D at character 8',
    ],
    [
      'a lone low surrogate',
      '/messages',
      `{"touser":"${OPENID}","msgtype":"text","text":{"content":"\\ude00"}}`,
      'text.content',
      'must be valid Unicode: a lone surrogate U+DE00 at character 1',
    ],
    [
      'a NUL',
      '/messages/text',
      `{"touser":"${OPENID}","text":{"content":"cut\\u0000 here"}}`,
      'text.content',
      'must not hold NUL (U+0000): found at character 4',
    ],
    [
      'a NUL in a news title',
      '/messages/news',
      `{"touser":"${OPENID}","news":{"articles":[{"title":"a\\u0000","url":"https://example.com"}]}}`,
      'news.articles.0.title',
      'must not hold NUL (U+0000): found at character 2',
    ],
    [
      'a NUL in a split send',
      '/messages/text?split=true',
      `{"touser":"${OPENID}","text":{"content":"${'long text. '.repeat(300)}\\u0000"}}`,
      'text.content',
      'must not hold NUL (U+0000): found at character 3301',
    ],
  ])('%s: 400 naming the field and the rule, nothing counted or sent', async (_what, path, body, field, rule) => {
    // prepare
    const before = product.sandbox!.count(SEND);
    const left = await sendsLeft();

    // act
    const res = await call(product, 'POST', path, body);

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual([{ field, rule }]);
    expect(product.sandbox!.count(SEND)).toBe(before);
    expect(await sendsLeft()).toBe(left);
  });

  it('bytes that are no UTF-8 in the body: 400 naming the body, nothing sent (not a U+FFFD sent on)', async () => {
    // prepare
    const before = product.sandbox!.count(SEND);
    const bytes = Buffer.concat([
      Buffer.from(`{"touser":"${OPENID}","text":{"content":"bad `),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}'),
    ]);

    // act
    const res = await call(product, 'POST', '/messages/text', new Uint8Array(bytes));

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual([{ field: '(body)', rule: 'must be valid UTF-8: it holds bytes that are no UTF-8 character' }]);
    expect(product.sandbox!.count(SEND)).toBe(before);
  });

  it('a kf nickname with a lone surrogate: 400 naming nickname, WeChat not called', async () => {
    // prepare
    const before = product.sandbox!.count(ADD_KF);

    // act
    const res = await call(product, 'POST', '/kf-accounts', '{"kf_account":"uni1@sandbox","nickname":"Agent \\ud800"}');

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual([{ field: 'nickname', rule: 'must be valid Unicode: a lone surrogate U+D800 at character 7' }]);
    expect(product.sandbox!.count(ADD_KF)).toBe(before);
  });

  it('a NUL in the body of POST /wechat-api (a template message, say): 400 naming body.… , WeChat not called', async () => {
    // prepare
    const before = product.sandbox!.requests().length;

    // act
    const res = await call(
      product,
      'POST',
      '/wechat-api',
      `{"method":"POST","path":"/cgi-bin/message/template/send","body":{"touser":"${OPENID}","data":{"first":{"value":"a\\u0000b"}}}}`,
    );

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual([{ field: 'body.data.first.value', rule: 'must not hold NUL (U+0000): found at character 2' }]);
    expect(product.sandbox!.requests().length).toBe(before);
  });

  it('valid text with emoji and Chinese still goes out', async () => {
    // act
    const res = await call(product, 'POST', '/messages/text', { touser: OPENID, text: { content: '你好 👨‍👩‍👧‍👦' } });

    // assess
    expect(res.status).toBe(200);
  });
});
