/**
 * Keyword handoff through `startLocal` (what `npm start` runs), against the sandbox over HTTP
 * (docs/handoff.md, "Keyword handoff"): a user who writes 转人工 is answered, on that very push, with
 * transfer_customer_service (to the rule's kf account), encrypted in safe mode; handoff.requested reaches a
 * webhook subscriber and no message.text is published for it; the mark it leaves is read by
 * GET /handoff/{openid} and GET /interactions/{openid}. With no agent online and HANDOFF_WHEN_OFFLINE=reply
 * the user gets the out-of-hours text instead, and handoff.unavailable is published.
 */
import { callProduct as call, useLocalProduct, type LocalProductFixture } from '../support/local-product';
import { startReceiver, waitUntil } from '../webhooks/receiver';

const KF = 'agent1@sandbox';
const AES_KEY = 'KeywordTestKey0123456789abcdefghijklmnopqrs';
const KEYWORDS = `转人工=${KF}, *人工客服*, /^(human|agent)\\s*please$/`;

async function control(product: LocalProductFixture, method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.sandbox!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** A webhook receiver subscribed (over HTTP) to every event of the product. */
function useSubscriber(product: LocalProductFixture) {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    const created = await call(product, 'POST', '/subscriptions', { url: receiver.url, events: ['*'] });
    expect(created.status).toBe(201);
  });
  afterAll(async () => receiver?.stop());
  return {
    received: () => receiver.received.map((r) => r.json as { type: string; detail: any }),
  };
}

describe.each([
  ['plain', {}],
  ['safe', { WECHAT_ENCODING_AES_KEY: AES_KEY }],
] as const)('keyword handoff, %s mode', (mode, env) => {
  const product = useLocalProduct('wechat-kf-keywords-', { env: { ...env, HANDOFF_KEYWORDS: KEYWORDS } });
  const subscriber = useSubscriber(product);

  beforeAll(async () => {
    // An agent online: a kf account bound to a WeChat user, logged in on the web.
    await call(product, 'POST', '/kf-accounts', { kf_account: KF, nickname: 'Agent' });
    await call(product, 'POST', `/kf-accounts/${KF}/invite`, { invite_wx: 'agent_wx01' });
    await control(product, 'POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
    await control(product, 'PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 1 });
  });

  it("answers the push that says 转人工 with a transfer to the rule's kf account, tells subscribers handoff.requested, and no bot message.text", async () => {
    // prepare: the user talks to the bot first
    const openid = `oKw_${mode}`;
    const hello = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'hello' });

    // act
    const asked = await product.sandbox!.simulateUser(openid, { type: 'text', content: ' 转人工 ' });
    await waitUntil('handoff.requested at the subscriber', () =>
      subscriber.received().some((e) => e.type === 'handoff.requested' && e.detail.openid === openid),
    );
    const pending = await call(product, 'GET', `/handoff/${openid}`);
    const window = await call(product, 'GET', `/interactions/${openid}`);
    const waiting = await call(product, 'GET', '/waiting-users');

    // assess: the very push was transferred, as WeChat reads the reply
    expect(hello.reply?.MsgType).toBeUndefined();
    expect(asked.reply).toMatchObject({
      MsgType: 'transfer_customer_service',
      encrypted: mode === 'safe',
      fields: { TransInfo: { KfAccount: KF } },
    });
    expect(asked.reply?.problem).toBeUndefined();
    expect(waiting.json.waitcaselist).toEqual([expect.objectContaining({ openid })]);
    // the subscriber: handoff.requested with the rule, the text and the kf account; the message, but not as message.text
    const events = subscriber.received().filter((e) => e.detail.openid === openid);
    expect(events.map((e) => e.type)).toEqual(['message.text', 'handoff.requested']);
    expect(events[1]!.detail).toMatchObject({
      openid,
      rule: '转人工',
      text: ' 转人工 ',
      kfAccount: KF,
      transferred: true,
      message: { Content: ' 转人工 ' },
    });
    expect(
      product.events.events.filter((e) => e.detailType === 'message.text' && (e.detail.message as any).Content === ' 转人工 '),
    ).toEqual([]);
    // the mark it leaves
    expect(pending.status).toBe(200);
    expect(pending.json).toMatchObject({ openid, kf_account: KF, humanSession: null });
    expect(Date.parse(pending.json.until)).toBeGreaterThan(Date.now() + 25 * 60_000);
    expect(window.json).toMatchObject({ handoffPending: true, humanSession: null });
  });

  it('matches substrings and regexes whatever the case and width of Latin letters, and leaves other texts to the bot', async () => {
    const openid = `oKw2_${mode}`;
    const other = `oKw3_${mode}`;
    const substring = await product.sandbox!.simulateUser(openid, { type: 'text', content: '我要人工客服，谢谢' });
    const regex = await product.sandbox!.simulateUser(other, { type: 'text', content: 'ＨＵＭＡＮ Please' });
    const bot = await product.sandbox!.simulateUser(`oKw4_${mode}`, { type: 'text', content: 'humans are nice' });

    expect(substring.reply).toMatchObject({ MsgType: 'transfer_customer_service' });
    expect(substring.reply?.fields?.TransInfo).toBeUndefined();
    expect(regex.reply).toMatchObject({ MsgType: 'transfer_customer_service' });
    expect(bot.reply?.MsgType).toBeUndefined();
    await waitUntil(
      'both handoffs',
      () => subscriber.received().filter((e) => e.type === 'handoff.requested' && [openid, other].includes(e.detail.openid)).length === 2,
    );
    const rules = subscriber
      .received()
      .filter((e) => e.type === 'handoff.requested' && [openid, other].includes(e.detail.openid))
      .map((e) => e.detail.rule);
    expect(rules.sort()).toEqual(['*人工客服*', '/^(human|agent)\\s*please$/'].sort());
  });
});

describe('GET /handoff/{openid}', () => {
  const product = useLocalProduct('wechat-kf-get-handoff-');

  it('shows a mark made by POST /handoff, and 404 once it is cleared or for a user never marked', async () => {
    const openid = 'oGetHandoff';
    await product.sandbox!.simulateUser(openid, { type: 'text', content: 'hi' });
    const marked = await call(product, 'POST', '/handoff', { openid, kf_account: KF, ttl: 600 });
    const read = await call(product, 'GET', `/handoff/${openid}`);
    const window = await call(product, 'GET', `/interactions/${openid}`);
    await call(product, 'DELETE', `/handoff/${openid}`);
    const cleared = await call(product, 'GET', `/handoff/${openid}`);
    const never = await call(product, 'GET', '/handoff/oNeverMarked');
    const bad = await call(product, 'GET', '/handoff/not%20an%20openid');

    expect(marked.status).toBe(200);
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ openid, kf_account: KF, markedAt: expect.any(String), until: marked.json.until, humanSession: null });
    expect(window.json.handoffPending).toBe(true);
    expect(cleared.status).toBe(404);
    expect(cleared.json.error.code).toBe('HANDOFF_NOT_FOUND');
    expect(never.status).toBe(404);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/openid/);
  });
});

describe('keyword handoff out of hours (HANDOFF_WHEN_OFFLINE=reply)', () => {
  const OFFLINE = 'Our agents are back at 9:00. 我们的客服 9 点上班。';
  const product = useLocalProduct('wechat-kf-keywords-offline-', {
    env: { HANDOFF_KEYWORDS: '转人工', HANDOFF_WHEN_OFFLINE: 'reply', HANDOFF_OFFLINE_TEXT: OFFLINE },
  });
  const subscriber = useSubscriber(product);

  it('answers the out-of-hours text when no kf account is online, publishes handoff.unavailable, and leaves no mark', async () => {
    const openid = 'oOffline';
    const online = await call(product, 'GET', '/kf-accounts/online');
    const asked = await product.sandbox!.simulateUser(openid, { type: 'text', content: '转人工' });
    await waitUntil('handoff.unavailable', () => subscriber.received().some((e) => e.type === 'handoff.unavailable'));
    const pending = await call(product, 'GET', `/handoff/${openid}`);

    expect(online.json.kf_online_list).toEqual([]);
    expect(asked.reply).toMatchObject({ MsgType: 'text', fields: { Content: OFFLINE } });
    expect(asked.reply?.problem).toBeUndefined();
    expect(subscriber.received().find((e) => e.type === 'handoff.unavailable')?.detail).toMatchObject({
      openid,
      rule: '转人工',
      text: '转人工',
      transferred: false,
    });
    expect(subscriber.received().filter((e) => e.type === 'handoff.requested' || e.type === 'message.text')).toEqual([]);
    expect(pending.status).toBe(404);
  });
});
