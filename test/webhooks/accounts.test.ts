/**
 * Subscriptions filtered by account over HTTP under `npm start` (docs/webhooks.md "Filtering by account"):
 * the routes take, show and change `appIds` and refuse a bad one with 400 naming it; deliveries go only to
 * the subscriptions whose filter names the event's `detail.appId` (or that have none); and every kind of
 * event the product publishes names its account, so such a filter receives all of them.
 *
 * Account A is the sandbox's (the default account, whose users write in through the sandbox); account B's
 * events are published through the product's own publisher (the one its /callback uses), as its callback
 * would publish them, until the sandbox hosts several accounts (SANDBOX_ACCOUNTS).
 */
import { verifyDelivery } from '../../functions/core/webhooks';
import { INBOUND_EVENT_SOURCE } from '../../functions/core/inbound/events';
import { callProduct as call, useLocalProduct, type LocalProductFixture } from '../support/local-product';
import { startReceiver, waitUntil } from './receiver';

const B = 'wxfedcba9876543210';
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Three receivers, one per subscription, so what each got is told apart by where it arrived. */
function useReceivers() {
  const receivers: Record<'a' | 'b' | 'all', Receiver> = {} as never;
  beforeAll(async () => {
    for (const name of ['a', 'b', 'all'] as const) receivers[name] = await startReceiver();
  });
  afterAll(async () => {
    for (const r of Object.values(receivers)) await r?.stop();
  });
  beforeEach(() => {
    for (const r of Object.values(receivers)) r.received.length = 0;
  });
  return receivers;
}

async function clearSubscriptions(product: LocalProductFixture) {
  for (const s of await product.webhooks.subscriptions.list()) await product.webhooks.subscriptions.delete(s.id);
}

/** An inbound text of account B, published as B's /callback publishes it. */
async function publishOfB(product: LocalProductFixture, openid: string, content: string) {
  await product.context.publisher.publish([
    {
      source: INBOUND_EVENT_SOURCE,
      detailType: 'message.text',
      detail: {
        appId: B,
        openid,
        receivedAt: new Date().toISOString(),
        message: { ToUserName: 'gh_b', FromUserName: openid, MsgType: 'text', Content: content },
      },
    },
  ]);
}

const openidsOf = (r: Receiver) => r.received.map((d) => `${d.json.detail.appId}:${d.json.detail.openid}`);

describe('subscriptions filtered by account', () => {
  const product = useLocalProduct('wechat-kf-sub-accounts-', { webhookRetryDelaysMs: [50, 50, 50, 50] });
  const receivers = useReceivers();
  beforeEach(() => clearSubscriptions(product));

  it("delivers account A's events to the subscription naming A and not B's; one naming none gets both; GET and list show appIds", async () => {
    // Prepare
    const A = product.sandbox!.appId;
    const onlyA = await call(product, 'POST', '/subscriptions', { url: receivers.a.url, events: ['message.*'], appIds: [A] });
    const onlyB = await call(product, 'POST', '/subscriptions', { url: receivers.b.url, events: ['message.*'], appIds: [B] });
    const every = await call(product, 'POST', '/subscriptions', { url: receivers.all.url, events: ['message.*'] });
    // Act
    await product.sandbox!.simulateUser('oAcctA', { type: 'text', content: 'from A' });
    await publishOfB(product, 'oAcctB', 'from B');
    await waitUntil('both events at the unfiltered receiver', () => receivers.all.received.length >= 2);
    await waitUntil('one event each at the filtered receivers', () => receivers.a.received.length >= 1 && receivers.b.received.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    const got = await call(product, 'GET', `/subscriptions/${onlyA.json.id}`);
    const listed = await call(product, 'GET', '/subscriptions');
    // Assess
    expect([onlyA.status, onlyB.status, every.status]).toEqual([201, 201, 201]);
    expect(onlyA.json.appIds).toEqual([A]);
    expect(every.json.appIds).toBeNull();
    expect(openidsOf(receivers.a)).toEqual([`${A}:oAcctA`]);
    expect(openidsOf(receivers.b)).toEqual([`${B}:oAcctB`]);
    expect(openidsOf(receivers.all).sort()).toEqual([`${A}:oAcctA`, `${B}:oAcctB`].sort());
    expect(receivers.a.received[0]!.json.detail.message.Content).toBe('from A');
    expect(() =>
      verifyDelivery({
        secret: onlyB.json.secret,
        headers: receivers.b.received[0]!.headers as Record<string, unknown>,
        body: receivers.b.received[0]!.body,
      }),
    ).not.toThrow();
    expect(got.json).toMatchObject({ id: onlyA.json.id, events: ['message.*'], appIds: [A] });
    expect(Object.fromEntries(listed.json.subscriptions.map((s: any) => [s.id, s.appIds]))).toEqual({
      [onlyA.json.id]: [A],
      [onlyB.json.id]: [B],
      [every.json.id]: null,
    });
  });

  it('changes the filter with PATCH (another account, then every account with null), keeping the URL, events and secret', async () => {
    // Prepare
    const A = product.sandbox!.appId;
    const sub = (await call(product, 'POST', '/subscriptions', { url: receivers.a.url, events: ['message.*'], appIds: [B] })).json;
    // Act: A's user writes while the filter names B, then A, then (null) every account
    await product.sandbox!.simulateUser('oPatch0', { type: 'text', content: 'not yet' });
    await new Promise((r) => setTimeout(r, 700));
    const toA = await call(product, 'PATCH', `/subscriptions/${sub.id}`, { appIds: [A] });
    await product.sandbox!.simulateUser('oPatch1', { type: 'text', content: 'now A' });
    await publishOfB(product, 'oPatchB1', 'B, filtered out');
    await waitUntil("A's event", () => receivers.a.received.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    const afterToA = openidsOf(receivers.a);
    const cleared = await call(product, 'PATCH', `/subscriptions/${sub.id}`, { appIds: null });
    await publishOfB(product, 'oPatchB2', 'B, every account again');
    await waitUntil("B's event", () => receivers.a.received.length >= 2);
    const got = await call(product, 'GET', `/subscriptions/${sub.id}`);
    // Assess
    expect(toA.status).toBe(200);
    expect(toA.json).toMatchObject({ id: sub.id, url: receivers.a.url, events: ['message.*'], appIds: [A] });
    expect(afterToA).toEqual([`${A}:oPatch1`]);
    expect(cleared.json.appIds).toBeNull();
    expect(openidsOf(receivers.a)).toEqual([`${A}:oPatch1`, `${B}:oPatchB2`]);
    expect(got.json.appIds).toBeNull();
    for (const d of receivers.a.received)
      expect(() => verifyDelivery({ secret: sub.secret, headers: d.headers as Record<string, unknown>, body: d.body })).not.toThrow();
  });

  const tooMany = Array.from({ length: 101 }, (_, i) => `wx${String(i).padStart(16, '0')}`);
  it.each(
    [
      [[], 'appIds: must list 1 to 100 AppIDs'],
      [tooMany, 'appIds: must list 1 to 100 AppIDs'],
      ['wx0123456789abcdef', 'appIds: must be an array of AppIDs'],
      [{ 0: 'wx0123456789abcdef' }, 'appIds: must be an array of AppIDs'],
      [[''], 'appIds[0]: must be an AppID'],
      [['wx0123456789abcdef', 42], 'appIds[1]: must be a string, an AppID'],
      [[null], 'appIds[0]: must be a string, an AppID'],
      [[['wx0123456789abcdef']], 'appIds[0]: must be a string, an AppID'],
      [['gh_0123456789ab'], 'appIds[0]: must be an AppID: wx and 1 to 32 letters, digits, _ or -'],
      [['wx'], 'appIds[0]: must be an AppID'],
      [[`wx${'a'.repeat(33)}`], 'appIds[0]: must be an AppID'],
      [['wx0123456789abcdef '], 'appIds[0]: must be an AppID'],
      [['wx0123<script>'], 'appIds[0]: must be an AppID'],
      [['wx0123456789abcdef', 'wxfedcba9876543210', 'wx0123456789abcdef'], 'appIds[2]: must not repeat appIds[0]'],
    ].map(([appIds, message]) => [JSON.stringify(appIds).slice(0, 60), appIds, message] as const),
  )(
    'refuses appIds %s with 400 naming the field and the rule, at create and at PATCH, changing nothing',
    async (_label, appIds, message) => {
      // Prepare
      const kept = (await call(product, 'POST', '/subscriptions', { url: receivers.all.url, appIds: [B] })).json;
      // Act
      const created = await call(product, 'POST', '/subscriptions', { url: receivers.a.url, appIds });
      const patched = await call(product, 'PATCH', `/subscriptions/${kept.id}`, { appIds, description: 'not applied' });
      const listed = await call(product, 'GET', '/subscriptions');
      // Assess
      for (const answer of [created, patched]) {
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe('INVALID_INPUT');
        expect(answer.json.error.message).toContain(message);
      }
      expect(listed.json.subscriptions).toEqual([expect.objectContaining({ id: kept.id, appIds: [B], description: null })]);
    },
  );

  it('accepts the sandbox’s AppID, test ids and 100 AppIDs, and appIds null at create as every account', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `wx${i.toString(16).padStart(16, '0')}`);
    const answers = await Promise.all(
      [[product.sandbox!.appId, 'wx0123456789abcdef', 'wxA', 'wx_test-1'], hundred, null].map((appIds) =>
        call(product, 'POST', '/subscriptions', { url: receivers.all.url, appIds }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers.map((a) => a.json.appIds)).toEqual([[product.sandbox!.appId, 'wx0123456789abcdef', 'wxA', 'wx_test-1'], hundred, null]);
  });
});

/**
 * Subscribes `a` to every event of the sandbox's account and `b` to every event of account B, runs `act`,
 * waits until `a` got each of `wanted`, and checks that every event `a` got names the sandbox's account
 * and that `b` got only its own test event (naming B).
 */
async function expectEveryKindNamesItsAccount(
  product: LocalProductFixture,
  receivers: ReturnType<typeof useReceivers>,
  wanted: readonly string[],
  act: (typesAtA: () => Set<string>) => Promise<void>,
) {
  // Prepare
  const A = product.sandbox!.appId;
  const ofA = (await call(product, 'POST', '/subscriptions', { url: receivers.a.url, appIds: [A] })).json;
  const ofB = (await call(product, 'POST', '/subscriptions', { url: receivers.b.url, appIds: [B] })).json;
  const typesAtA = () => new Set(receivers.a.received.map((d) => d.json.type as string));
  // Act
  await act(typesAtA);
  // webhook.test to each: the route's account (the default, A) when the subscription takes it, else its own
  await call(product, 'POST', `/subscriptions/${ofA.id}/test`);
  await call(product, 'POST', `/subscriptions/${ofB.id}/test`);
  const all = [...wanted, 'webhook.test'];
  await waitUntil('every kind at A', () => all.every((t) => typesAtA().has(t)), 15_000).catch((e: Error) => {
    throw new Error(`${e.message}: missing ${all.filter((t) => !typesAtA().has(t)).join(', ')}`);
  });
  await waitUntil('the test event at B', () => receivers.b.received.length >= 1);
  await new Promise((r) => setTimeout(r, 500));
  // Assess
  expect([...typesAtA()].sort()).toEqual([...all].sort());
  for (const d of receivers.a.received) expect({ type: d.json.type, appId: d.json.detail.appId }).toEqual({ type: d.json.type, appId: A });
  expect(receivers.b.received.map((d) => d.json)).toEqual([
    expect.objectContaining({ type: 'webhook.test', detail: { appId: B, subscriptionId: ofB.id, test: true } }),
  ]);
  expect(receivers.a.received.find((d) => d.json.type === 'webhook.test')!.json.detail).toEqual({
    appId: A,
    subscriptionId: ofA.id,
    test: true,
  });
}

describe('every event the product publishes names its account', () => {
  const product = useLocalProduct('wechat-kf-sub-accounts-events-', {
    env: { HANDOFF_KEYWORDS: '转人工', TURN_QUIET_MS: '300', TURN_LIMIT_PER_HOUR: '1' },
  });
  const receivers = useReceivers();

  it("inbound, turn, delivery, handoff.requested and test events reach a subscription filtered to the account, none another account's", async () => {
    await expectEveryKindNamesItsAccount(
      product,
      receivers,
      ['message.text', 'turn.ready', 'turn.limited', 'event.subscribe', 'delivery.sent', 'delivery.failed', 'handoff.requested'],
      async (typesAtA) => {
        // message.text, then turn.ready; a second turn in the hour is turn.limited
        await product.sandbox!.simulateUser('oEvery', { type: 'text', content: 'hello' });
        await waitUntil('turn.ready', () => typesAtA().has('turn.ready'));
        await product.sandbox!.simulateUser('oEvery', { type: 'text', content: 'again' });
        await waitUntil('turn.limited', () => typesAtA().has('turn.limited'));
        await product.sandbox!.simulateUser('oEvery', { type: 'event', event: 'subscribe' });
        // delivery.sent (a reply in the window), delivery.failed (a user who never wrote: refused, 409)
        expect((await call(product, 'POST', '/messages/text', { touser: 'oEvery', text: { content: 'answer' } })).status).toBe(200);
        expect((await call(product, 'POST', '/messages/text', { touser: 'oNeverWrote', text: { content: 'hi' } })).status).toBe(409);
        await product.sandbox!.simulateUser('oEvery', { type: 'text', content: '转人工' });
      },
    );
  }, 40_000);
});

describe('every event the product publishes names its account: handoff.unavailable', () => {
  const product = useLocalProduct('wechat-kf-sub-accounts-offline-', {
    env: { HANDOFF_KEYWORDS: '转人工', HANDOFF_WHEN_OFFLINE: 'reply', HANDOFF_OFFLINE_TEXT: 'Back at 9.' },
  });
  const receivers = useReceivers();

  it('reaches a subscription filtered to the account when nobody is online', async () => {
    await expectEveryKindNamesItsAccount(product, receivers, ['handoff.unavailable'], async () => {
      await product.sandbox!.simulateUser('oOffline', { type: 'text', content: '转人工' });
    });
  }, 30_000);
});
