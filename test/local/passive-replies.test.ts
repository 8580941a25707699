/**
 * Passive replies through `startLocal` (what `npm start` runs) against the sandbox over HTTP
 * (docs/passive-replies.md): the sandbox pushes a user's message to /callback and tries again, as WeChat
 * does, when no answer comes within its wait; POST /replies gives the reply; the sandbox reads the answer
 * of each try as WeChat would (its own reader, decrypting in safe mode) and shows it on the user's phone.
 *
 * The short timeline (the sandbox waits 2.5 s per try, the product 2 s) keeps most tests fast; the first
 * and last run WeChat's own: 5 s per try, PASSIVE_WAIT_MS 4500.
 */
import type { PushResult } from '../../functions/dev/sandbox';
import { callProduct as call, useLocalProduct, type LocalProductFixture } from '../support/local-product';

const AES_KEY = 'PassiveTestKey0123456789abcdefghijklmnopqrs';
const SHORT = { PASSIVE_TRY_MS: '2500', PASSIVE_WAIT_MS: '2000' };
const SANDBOX_TRY_MS = 2500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A user writes; `reply` (if any) is posted `afterMs` after the push started; answers the push's result. */
async function writeAndReply(product: LocalProductFixture, openid: string, content: string, reply?: { afterMs: number; text: string }) {
  const started = Date.now();
  const pushed = product.sandbox!.simulateUser(openid, { type: 'text', content });
  let posted: Awaited<ReturnType<typeof call>> | undefined;
  if (reply) {
    // A flow replies to the message it was given: after the product published it.
    while (
      !product.events.events.some(
        (e) =>
          e.detailType === 'message.text' && e.detail.openid === openid && (e.detail.message as { Content?: string }).Content === content,
      )
    )
      await sleep(10);
    await sleep(Math.max(0, started + reply.afterMs - Date.now()));
    posted = await call(product, 'POST', '/replies', { openid, message: { msgtype: 'text', text: { content: reply.text } } });
  }
  const result: PushResult = await pushed;
  return { result, posted, tookMs: Date.now() - started };
}

const published = (product: LocalProductFixture, msgId: unknown) =>
  product.events.events.filter((e) => e.detailType === 'message.text' && (e.detail.message as { MsgId?: unknown }).MsgId === msgId).length;
const customSends = (product: LocalProductFixture) => product.sandbox!.count('/cgi-bin/message/custom/send');
const passiveRecords = async (product: LocalProductFixture, openid: string) =>
  ((await call(product, 'GET', `/deliveries?openid=${openid}`)).json.deliveries as Record<string, unknown>[]).filter(
    (d) => d.channel === 'passive',
  );

describe('REPLY_MODE=auto, short timeline', () => {
  const product = useLocalProduct('wechat-kf-passive-auto-', {
    env: { REPLY_MODE: 'auto', ...SHORT },
    sandboxPushTimeoutMs: SANDBOX_TRY_MS,
  });

  it("answers WeChat's second try with a reply later than the first try's wait, and publishes the message once", async () => {
    const openid = 'oPassiveSecond';
    const sendsBefore = customSends(product);
    // the first try waits 2 s then holds until the second arrives (~2.5 s); the reply comes early in the second
    const { result, posted } = await writeAndReply(product, openid, 'a slower question', { afterMs: 2800, text: 'there you go' });
    expect(posted!.json.channel).toBe('passive');
    expect(result.attempts).toBe(2);
    expect(result.tries[0]).toMatchObject({ error: 'timeout' });
    expect(result.reply).toMatchObject({ MsgType: 'text', fields: expect.objectContaining({ Content: 'there you go' }) });
    expect(customSends(product)).toBe(sendsBefore);
    expect(published(product, result.message.MsgId)).toBe(1);
    expect(await passiveRecords(product, openid)).toHaveLength(1);
  });

  it('sends an answer later than all three tries with custom/send (gate, record, event as any send), the push published once', async () => {
    const openid = 'oPassiveLate';
    const sendsBefore = customSends(product);
    const { result } = await writeAndReply(product, openid, 'a hard question');
    const late = await call(product, 'POST', '/replies', { openid, message: { msgtype: 'text', text: { content: 'sorry for the wait' } } });
    const window = await call(product, 'GET', `/interactions/${openid}`);
    const deliveries = (await call(product, 'GET', `/deliveries?openid=${openid}`)).json.deliveries as Record<string, unknown>[];
    expect(result.attempts).toBe(3);
    expect(result.body).toBe('success');
    expect(published(product, result.message.MsgId)).toBe(1);
    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ openid, channel: 'customer-service', late: 'closed', errcode: 0 });
    expect(customSends(product)).toBe(sendsBefore + 1);
    expect(window.json.sendsLeft).toBe(4);
    expect(deliveries).toEqual([expect.objectContaining({ operation: 'sendMessage', outcome: 'sent' })]);
    expect(deliveries[0]!.channel).toBeUndefined();
  });

  it('answers with an image given as {file} (uploaded first, then named by MediaId) and with a news card of one article', async () => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 1), Buffer.from([0xff, 0xd9])]).toString('base64');
    const uploadsBefore = product.sandbox!.count('/cgi-bin/media/upload');
    const image = product.sandbox!.simulateUser('oPassiveMedia', { type: 'text', content: 'a picture please' });
    while (!product.events.events.some((e) => e.detailType === 'message.text' && e.detail.openid === 'oPassiveMedia')) await sleep(10);
    const imageReply = await call(product, 'POST', '/replies', {
      openid: 'oPassiveMedia',
      message: { msgtype: 'image', image: { media_id: { file: jpeg, filename: 'a.jpg' } } },
    });
    const imageResult = await image;
    const news = product.sandbox!.simulateUser('oPassiveMedia', { type: 'text', content: 'a link please' });
    while (product.events.events.filter((e) => e.detailType === 'message.text' && e.detail.openid === 'oPassiveMedia').length < 2)
      await sleep(10);
    const newsReply = await call(product, 'POST', '/replies', {
      openid: 'oPassiveMedia',
      message: {
        msgtype: 'news',
        news: {
          articles: [{ title: 'Docs', description: 'Read me', url: 'https://example.com/docs', picurl: 'https://example.com/p.jpg' }],
        },
      },
    });
    const newsResult = await news;
    expect([imageReply.json, newsReply.json]).toEqual([
      expect.objectContaining({ channel: 'passive' }),
      expect.objectContaining({ channel: 'passive' }),
    ]);
    expect(product.sandbox!.count('/cgi-bin/media/upload')).toBe(uploadsBefore + 1);
    const mediaId = (imageResult.reply?.fields?.Image as { MediaId?: string } | undefined)?.MediaId;
    expect(product.sandbox!.media().map((m) => m.media_id)).toContain(mediaId);
    expect(newsResult.reply?.fields).toMatchObject({
      MsgType: 'news',
      ArticleCount: '1',
      Articles: { item: { Title: 'Docs', Url: 'https://example.com/docs', PicUrl: 'https://example.com/p.jpg' } },
    });
    expect(product.sandbox!.messages('oPassiveMedia').map((m) => m.msgtype)).toEqual(['image', 'news']);
  });

  it('refuses a bad reply with a 400 naming the field, and nothing is kept or sent', async () => {
    const sendsBefore = customSends(product);
    const wrongType = await call(product, 'POST', '/replies', {
      openid: 'oPassiveBad',
      message: { msgtype: 'msgmenu', msgmenu: { list: [{ id: '1', content: 'x' }] } },
    });
    const twoArticles = await call(product, 'POST', '/replies', {
      openid: 'oPassiveBad',
      message: { msgtype: 'news', news: { articles: [{ title: 'a' }, { title: 'b' }] } },
    });
    const noMessage = await call(product, 'POST', '/replies', { openid: 'oPassiveBad' });
    const otherUser = await call(product, 'POST', '/replies', {
      openid: 'oPassiveBad',
      message: { touser: 'oSomeoneElse', msgtype: 'text', text: { content: 'x' } },
    });
    expect([wrongType.status, twoArticles.status, noMessage.status, otherUser.status]).toEqual([400, 400, 400, 400]);
    expect(wrongType.json.error.issues).toEqual([expect.objectContaining({ field: 'message.msgtype' })]);
    expect(twoArticles.json.error.issues).toEqual([expect.objectContaining({ field: 'message.news.articles' })]);
    expect(noMessage.json.error.issues).toEqual([expect.objectContaining({ field: 'message' })]);
    expect(otherUser.json.error.issues).toEqual([expect.objectContaining({ field: 'message.touser' })]);
    expect(customSends(product)).toBe(sendsBefore);
  });
});

describe('REPLY_MODE=passive on an account without the customer-service API (SANDBOX_NO_KF_API=true)', () => {
  const product = useLocalProduct('wechat-kf-passive-only-', {
    env: { REPLY_MODE: 'passive', SANDBOX_NO_KF_API: 'true', PASSIVE_HOLD_TEXT: 'Thinking… send anything for the answer', ...SHORT },
    sandboxPushTimeoutMs: SANDBOX_TRY_MS,
  });

  it('answers the last try with the holding text, keeps the late answer and answers the next message with it', async () => {
    const openid = 'oPassiveKept';
    // act: nobody answers in time; the answer comes after all three tries; the user writes again
    const first = await writeAndReply(product, openid, 'a long question');
    const late = await call(product, 'POST', '/replies', { openid, message: { msgtype: 'text', text: { content: 'the long answer' } } });
    const next = await writeAndReply(product, openid, 'anything');
    const records = await passiveRecords(product, openid);
    // assess
    expect(first.result.attempts).toBe(3);
    expect(first.result.reply?.fields).toMatchObject({ MsgType: 'text', Content: 'Thinking… send anything for the answer' });
    expect(late.json).toMatchObject({ openid, channel: 'kept', late: 'closed' });
    expect(next.result.attempts).toBe(1);
    expect(next.result.reply?.fields).toMatchObject({ MsgType: 'text', Content: 'the long answer' });
    expect(published(product, next.result.message.MsgId)).toBe(1);
    expect(product.sandbox!.count('/cgi-bin/message/custom/send')).toBe(0);
    expect(product.sandbox!.messages(openid).map((m) => (m.body as { text: { content: string } }).text.content)).toEqual([
      'Thinking… send anything for the answer',
      'the long answer',
    ]);
    expect(records.map((r) => [r.operation, r.outcome, r.reason])).toEqual(
      expect.arrayContaining([
        ['passiveHoldText', 'sent', undefined],
        ['sendReply', 'sent', 'kept'],
      ]),
    );
  });

  it('refuses custom/send with 48001 from WeChat, while a reply posted in time goes out passively', async () => {
    const openid = 'oPassiveNoKf';
    const { result, posted } = await writeAndReply(product, openid, 'hi', { afterMs: 100, text: 'hello from a personal account' });
    const send = await call(product, 'POST', '/messages', { touser: openid, msgtype: 'text', text: { content: 'custom' } });
    expect(posted!.json.channel).toBe('passive');
    expect(result.reply?.fields).toMatchObject({ Content: 'hello from a personal account' });
    expect(send.status).toBe(502);
    expect(send.json.error.errcode).toBe(48001);
  });
});

describe("REPLY_MODE=auto, safe mode, WeChat's own timeline (5 s per try, PASSIVE_WAIT_MS 4500)", () => {
  const product = useLocalProduct('wechat-kf-passive-real-', { env: { REPLY_MODE: 'auto', WECHAT_ENCODING_AES_KEY: AES_KEY } });

  it('answers the push itself with a reply posted after 1 s: encrypted, one try, no custom/send, no send of the window used', async () => {
    // prepare
    const openid = 'oPassiveFast';
    const sendsBefore = customSends(product);
    // act
    const { result, posted } = await writeAndReply(product, openid, 'hello', { afterMs: 1000, text: 'Hi, after a second!' });
    const window = await call(product, 'GET', `/interactions/${openid}`);
    // assess
    expect(posted!.status).toBe(200);
    expect(posted!.json).toMatchObject({ openid, channel: 'passive', push: `msg:${result.message.MsgId}` });
    expect(result.attempts).toBe(1);
    expect(result.reply).toMatchObject({
      MsgType: 'text',
      encrypted: true,
      fields: expect.objectContaining({ Content: 'Hi, after a second!' }),
    });
    expect(customSends(product)).toBe(sendsBefore);
    expect(product.sandbox!.messages(openid)).toEqual([
      expect.objectContaining({
        channel: 'passive',
        msgtype: 'text',
        body: expect.objectContaining({ text: { content: 'Hi, after a second!' } }),
      }),
    ]);
    expect(window.json.sendsLeft).toBe(5);
    expect(await passiveRecords(product, openid)).toEqual([
      expect.objectContaining({ operation: 'sendReply', outcome: 'sent', channel: 'passive', msgtype: 'text' }),
    ]);
    expect(product.events.events.filter((e) => e.detailType === 'delivery.sent' && e.detail.openid === openid)).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ channel: 'passive' }) }),
    ]);
  });

  it("answers a reply posted after 8 s on WeChat's second try, about 5 s after the first", async () => {
    const openid = 'oPassiveReal';
    const store = product.context.passiveReplies;
    const readsBefore = store.reads;
    const { result, posted, tookMs } = await writeAndReply(product, openid, 'what takes 8 seconds?', {
      afterMs: 8000,
      text: 'eight seconds later',
    });
    // What the wait costs: consistent reads of the push's one item, over the 8 s the push waited.
    const readsPerSecond = (store.reads - readsBefore) / (tookMs / 1000);
    expect(posted!.json.channel).toBe('passive');
    expect(result.attempts).toBe(2);
    expect(result.tries[0]).toMatchObject({ error: 'timeout' });
    expect(result.reply?.fields).toMatchObject({ Content: 'eight seconds later' });
    expect(tookMs).toBeGreaterThanOrEqual(8000);
    expect(tookMs).toBeLessThan(10_000);
    expect(readsPerSecond).toBeGreaterThan(2);
    expect(readsPerSecond).toBeLessThanOrEqual(5);
    expect(published(product, result.message.MsgId)).toBe(1);
    expect(product.sandbox!.count('/cgi-bin/message/custom/send')).toBe(0);
  }, 20_000);
});
