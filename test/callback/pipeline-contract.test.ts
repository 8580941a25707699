/**
 * One suite, two stores: the core's callback pipeline (functions/core/inbound/pipeline.ts) on the product's
 * DynamoDB stores (dynalite: InboundDedup, HandoffStore, WindowStore), as `/callback` runs it, and on the
 * n8n trigger's static-data ports, as its Direct mode runs it. Replay, dedup, handoff (marks, kf session
 * events in and out of order, keywords, out of hours) and retries after a failure must come out the same.
 */
import { randomUUID } from 'crypto';
import { XMLParser } from 'fast-xml-parser';
import type { IDataObject } from 'n8n-workflow';
import type { InboundMessage, OpenedPush } from '../../functions/core/callback';
import { SignatureError } from '../../functions/core/errors';
import {
  parseHandoffKeywords,
  runPushPipeline,
  type CallbackPorts,
  type KeywordHandoffRules,
  type OutboundEvent,
} from '../../functions/core/inbound';
import { HandoffStore, InboundDedup, WindowStore } from '../../functions/store';
import { staticDataHandoffPort } from '../../n8n-nodes/shared/handoff-state';
import { staticDataDedup, staticDataReplay } from '../../n8n-nodes/nodes/WeChatKfTrigger/seen-pushes';
import { fakeClock, useTestTable, type FakeClock } from '../support/dynamo';

const xml = new XMLParser({ parseTagValue: false });
const APP = 'wx_contract';
const KF = 'agent1@sandbox';

interface Store {
  ports(clock: FakeClock): CallbackPorts;
  /** What the store says of the user's send window, where it keeps one. */
  lastInteraction?(openid: string): Promise<number | undefined>;
}

/** The product's stores on a fresh dynalite table per test. */
function dynamoStore(): Store {
  const { dynamo, table } = useTestTable();
  const stores = (clock: FakeClock) => {
    const options = { client: dynamo.client, tableName: table.name, appId: APP, now: clock.now };
    return { dedup: new InboundDedup(options), handoffs: new HandoffStore(options), windows: new WindowStore(options) };
  };
  let current: ReturnType<typeof stores> | undefined;
  return {
    ports(clock) {
      current = stores(clock);
      const { dedup, handoffs, windows } = current;
      return { replay: dedup, dedup, handoffs, interactions: windows, publish: async () => undefined };
    },
    lastInteraction: async (openid) => (await current!.windows.state(openid)).lastInboundAt ?? undefined,
  };
}

/** The n8n trigger's static data: one workflow's global data and one node's, fresh per test. */
function staticDataStore(): Store {
  let global: IDataObject = {};
  let node: IDataObject = {};
  let scope = '';
  beforeEach(() => {
    global = {};
    node = {};
    scope = randomUUID();
  });
  return {
    ports: (clock) => ({
      replay: staticDataReplay(node, scope, clock.now),
      dedup: staticDataDedup(node, scope, false, clock.now),
      handoffs: staticDataHandoffPort(global, clock.now),
      publish: async () => undefined,
    }),
  };
}

describe.each([
  ['DynamoDB (/callback)', dynamoStore],
  ['n8n static data (Direct mode)', staticDataStore],
] as const)('the callback pipeline on %s', (_name, makeStore) => {
  const store = makeStore();
  let clock: FakeClock = fakeClock();
  let published: OutboundEvent[];
  let failPublish: number;

  /** The ports, with a publisher that records (and fails the next `failPublish` times). */
  const ports = (extra: Partial<CallbackPorts> = {}): CallbackPorts => ({
    ...store.ports(clock),
    publish: async (events) => {
      if (failPublish > 0) {
        failPublish--;
        throw new Error('EventBridge is down');
      }
      published.push(...events);
    },
    ...extra,
  });

  beforeEach(() => {
    clock = fakeClock();
    published = [];
    failPublish = 0;
  });

  let msgId = 1000;
  const text = (openid: string, content: string, overrides: Partial<InboundMessage> = {}): InboundMessage => ({
    ToUserName: 'gh_test',
    FromUserName: openid,
    CreateTime: Math.floor(clock.now() / 1000),
    MsgType: 'text',
    Content: content,
    MsgId: String(++msgId),
    ...overrides,
  });
  const kfEvent = (openid: string, event: string, kf: string, createTime: number): InboundMessage => ({
    ToUserName: 'gh_test',
    FromUserName: openid,
    CreateTime: createTime,
    MsgType: 'event',
    Event: event,
    ...(event === 'kf_switch_session' ? { FromKfAccount: KF, ToKfAccount: kf } : { KfAccount: kf }),
  });
  let nonce = 1;
  const push = (
    message: InboundMessage,
    query = { timestamp: String(message.CreateTime), nonce: String(++nonce), signature: `sig${nonce}` },
  ) => ({
    opened: { message, mode: 'plain', format: 'xml' } as OpenedPush,
    query,
    appId: APP,
    now: clock.now(),
    replayTtlSeconds: 601,
  });
  const replyOf = (body: string | undefined) => (body === undefined ? undefined : xml.parse(body).xml);

  it("handles a push once: WeChat's retry gets the same answer and publishes nothing", async () => {
    const message = text('o_dedup', 'hello');
    const first = await runPushPipeline(push(message), ports());
    const retry = await runPushPipeline(push(message), ports());

    expect(first).toMatchObject({ duplicate: false, transferred: false });
    expect(first.reply).toBeUndefined();
    expect(retry).toMatchObject({ duplicate: true, events: [] });
    expect(published.map((e) => [e.detailType, e.detail.openid, e.detail.transferred])).toEqual([['message.text', 'o_dedup', false]]);
    if (store.lastInteraction) expect(await store.lastInteraction('o_dedup')).toBe(message.CreateTime * 1000);
  });

  it('accepts a plain-mode signed URL for one message only: the same message again is a retry, another is a replay', async () => {
    const query = { timestamp: '1', nonce: 'n-replay', signature: 'abc' };
    const message = text('o_replay', 'first');
    await runPushPipeline(push(message, query), ports());
    const retry = await runPushPipeline(push(message, query), ports());
    const replayed = runPushPipeline(push(text('o_replay', 'forged'), query), ports());

    expect(retry.duplicate).toBe(true);
    await expect(replayed).rejects.toBeInstanceOf(SignatureError);
    expect(published.map((e) => (e.detail.message as InboundMessage).Content)).toEqual(['first']);
  });

  it("lets WeChat's next try in when publishing failed (dedup and replay marks forgotten)", async () => {
    const query = { timestamp: '2', nonce: 'n-retry', signature: 'def' };
    const message = text('o_retry', 'are you there?');
    failPublish = 1;
    const failed = runPushPipeline(push(message, query), ports());
    await expect(failed).rejects.toThrow('EventBridge is down');
    const retried = await runPushPipeline(push(message, query), ports());
    const again = await runPushPipeline(push(message, query), ports());

    expect(retried.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(published).toHaveLength(1);
  });

  it("transfers a marked user's message (to the mark's kf account), the retry too, until an agent takes them", async () => {
    const p = ports();
    await p.handoffs.mark('o_mark', { kfAccount: KF, ttlMs: 60_000 });
    const message = text('o_mark', 'help');
    const transferred = await runPushPipeline(push(message), p);
    const retry = await runPushPipeline(push(message), p);
    clock.advance(1000);
    const created = await runPushPipeline(push(kfEvent('o_mark', 'kf_create_session', KF, Math.floor(clock.now() / 1000))), p);
    clock.advance(1000);
    const toAgent = await runPushPipeline(push(text('o_mark', 'thanks')), p);

    expect(replyOf(transferred.reply)).toMatchObject({
      MsgType: 'transfer_customer_service',
      ToUserName: 'o_mark',
      TransInfo: { KfAccount: KF },
    });
    expect(retry).toMatchObject({ duplicate: true, transferred: true });
    expect(retry.reply).toBe(transferred.reply);
    expect(created.humanSession).toMatchObject({ kf_account: KF });
    expect(toAgent.reply).toBeUndefined();
    expect(toAgent.humanSession).toMatchObject({ kf_account: KF });
    expect(published.map((e) => [e.detailType, e.detail.transferred])).toEqual([
      ['message.text', true],
      ['event.kf_create_session', false],
      ['message.text', false],
    ]);
  });

  it('applies kf session events in CreateTime order: a late create after a close leaves the session closed', async () => {
    const p = ports();
    const t = Math.floor(clock.now() / 1000);
    await runPushPipeline(push(kfEvent('o_order', 'kf_create_session', KF, t)), p);
    const switched = await runPushPipeline(push(kfEvent('o_order', 'kf_switch_session', 'agent2@sandbox', t + 5)), p);
    await runPushPipeline(push(kfEvent('o_order', 'kf_close_session', 'agent2@sandbox', t + 10)), p);
    const late = await runPushPipeline(push({ ...kfEvent('o_order', 'kf_create_session', KF, t + 1), EventKey: 'late' }), p);

    expect(switched.humanSession).toEqual({ kf_account: 'agent2@sandbox', since: new Date(t * 1000).toISOString() });
    expect(late.humanSession).toBeNull();
    expect((await p.handoffs.read('o_order')).humanSession).toBeNull();
  });

  const rules = (setting: string, offlineText?: string): KeywordHandoffRules => ({
    keywords: parseHandoffKeywords(setting),
    ...(offlineText ? { offlineText } : {}),
  });

  it('transfers the very push that asks for a human, publishes handoff.requested instead of message.text, and marks the user', async () => {
    const p = ports();
    const asked = await runPushPipeline(push(text('o_kw', ' 转人工 ')), p, rules(`转人工=${KF}, *人工客服*`));
    const next = await runPushPipeline(push(text('o_kw', 'hello?')), p, rules(`转人工=${KF}`));
    const state = await p.handoffs.read('o_kw');

    expect(replyOf(asked.reply)).toMatchObject({ MsgType: 'transfer_customer_service', TransInfo: { KfAccount: KF } });
    expect(asked.keyword?.rule).toBe('转人工');
    expect(published[0]).toMatchObject({
      source: 'wechat.kf',
      detailType: 'handoff.requested',
      detail: { openid: 'o_kw', rule: '转人工', text: ' 转人工 ', kfAccount: KF, transferred: true },
    });
    expect(published.filter((e) => e.detailType === 'message.text' && (e.detail.message as InboundMessage).Content === ' 转人工 ')).toEqual(
      [],
    );
    expect(state.mark).toMatchObject({ kf_account: KF });
    expect(replyOf(next.reply)).toMatchObject({ MsgType: 'transfer_customer_service' });
    expect(published[1]).toMatchObject({ detailType: 'message.text', detail: { transferred: true } });
  });

  it('answers the out-of-hours text and publishes handoff.unavailable when no agent is online (no mark)', async () => {
    let asked = 0;
    const p = ports({ agentsOnline: async () => (asked++, false) });
    const outcome = await runPushPipeline(push(text('o_off', 'ＨＵＭＡＮ')), p, rules('human', 'Our agents are back at 9:00.'));
    const ordinary = await runPushPipeline(push(text('o_off', 'weather?')), p, rules('human', 'Our agents are back at 9:00.'));

    expect(replyOf(outcome.reply)).toMatchObject({ MsgType: 'text', Content: 'Our agents are back at 9:00.', ToUserName: 'o_off' });
    expect(outcome).toMatchObject({ transferred: false, unavailable: true });
    expect(published.map((e) => [e.detailType, e.detail.rule])).toEqual([
      ['handoff.unavailable', 'human'],
      ['message.text', undefined],
    ]);
    expect(ordinary.reply).toBeUndefined();
    expect(asked).toBe(1);
    expect((await p.handoffs.read('o_off')).mark).toBeUndefined();
  });

  it('leaves a keyword alone while an agent already has the user, and in events', async () => {
    const p = ports();
    await runPushPipeline(push(kfEvent('o_busy', 'kf_create_session', KF, Math.floor(clock.now() / 1000))), p);
    const inSession = await runPushPipeline(push(text('o_busy', '转人工')), p, rules('转人工'));
    const click = await runPushPipeline(
      push({ ...kfEvent('o_click', 'CLICK', '', Math.floor(clock.now() / 1000)), EventKey: '转人工' }),
      p,
      rules('转人工'),
    );

    expect(inSession).toMatchObject({ transferred: false });
    expect(inSession.reply).toBeUndefined();
    expect(click.reply).toBeUndefined();
    expect(published.map((e) => e.detailType)).toEqual(['event.kf_create_session', 'message.text', 'event.CLICK']);
  });

  it("runs the extension points: an answer step's reply (waited for after publishing), and after-publish steps with what was published", async () => {
    const seen: string[] = [];
    const steps = {
      answer: [
        {
          answer: async (ctx: { message: InboundMessage; events: OutboundEvent[] }) => {
            seen.push(`answer ${ctx.message.Content} before ${published.length} published`);
            return { pending: Promise.resolve('<xml>passive</xml>') };
          },
        },
      ],
      afterPublish: [
        {
          afterPublish: async (ctx: { transferred: boolean; events: OutboundEvent[] }) =>
            void seen.push(`after ${ctx.events[0]!.detailType} ${ctx.transferred}`),
        },
      ],
    };
    const answered = await runPushPipeline(push(text('o_steps', 'hi bot')), ports(), undefined, steps);
    const asked = await runPushPipeline(push(text('o_steps', '转人工')), ports(), rules('转人工'), steps);

    expect(answered.reply).toBe('<xml>passive</xml>');
    expect(replyOf(asked.reply)).toMatchObject({ MsgType: 'transfer_customer_service' });
    // The transfer answers the keyword's push: no answer step runs for it; after-publish steps still do.
    expect(seen).toEqual(['answer hi bot before 0 published', 'after message.text false', 'after handoff.requested true']);
  });
});
