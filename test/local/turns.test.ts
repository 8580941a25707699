/**
 * Turns through `startLocal` (what `npm start` runs), against the sandbox over HTTP, with a short quiet
 * window (docs/turns.md): the sandbox pushes each user message, signed, to /callback; the turn buffer is
 * on dynalite and its timers on the local queue in the same table; turn.ready is published through the
 * same publisher as inbound events (the memory list here, and the webhooks).
 */
import { buildPush } from '../support/push';
import type { OutboundEvent } from '../../functions/context/publisher';
import { SANDBOX_CALLBACK_TOKEN } from '../../functions/dev/local/server';
import type { TurnService } from '../../functions/context/turns/service';
import type { TurnStore } from '../../functions/store';
import { callProduct as call, useLocalProduct, type LocalProductFixture } from '../support/local-product';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The turn events published for a user, in order. */
function turnsOf(
  product: LocalProductFixture,
  openid: string,
  type = 'turn.ready',
): Array<OutboundEvent['detail'] & { messages: any[]; text: string; turnId: string }> {
  return product.events.events.filter((e) => e.detailType === type && e.detail.openid === openid).map((e) => e.detail as any);
}

/** Waits until `check` holds, polling, at most `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(50);
}

const say = (product: LocalProductFixture, openid: string, content: string) =>
  product.sandbox!.simulateUser(openid, { type: 'text', content });

describe('turns: quiet window, max messages, retries and crashes', () => {
  const product = useLocalProduct('wechat-kf-turns-', { env: { TURN_QUIET_MS: '1500', TURN_MAX_MESSAGES: '10', TURN_FLUSH_ON: 'CLICK' } });

  it('makes one turn.ready of three messages 1 s apart, in order, and a fourth after the quiet window starts a new turn', async () => {
    // prepare
    const openid = 'oTurnQuiet';
    // act: three messages one second apart, then quiet
    for (const text of ['hi', 'I ordered a lamp', 'it arrived broken']) {
      expect((await say(product, openid, text)).delivered).toBe(true);
      await sleep(1000);
    }
    const openWhileWriting = turnsOf(product, openid).length;
    await until(() => turnsOf(product, openid).length === 1);
    await sleep(2000);
    const first = turnsOf(product, openid);
    await say(product, openid, 'hello again');
    await until(() => turnsOf(product, openid).length === 2);

    // assess
    expect(openWhileWriting).toBe(0);
    expect(first).toHaveLength(1);
    const turn = first[0]!;
    expect(turn.text).toBe('hi\nI ordered a lamp\nit arrived broken');
    expect(turn.messages.map((m) => m.message.Content)).toEqual(['hi', 'I ordered a lamp', 'it arrived broken']);
    expect(turn.messages.every((m) => m.openid === openid && m.appId === product.sandbox!.appId)).toBe(true);
    expect(Date.parse(turn.closedAt as string) - Date.parse(turn.startedAt as string)).toBeGreaterThanOrEqual(3500);
    const second = turnsOf(product, openid)[1]!;
    expect(second.turnId).not.toBe(turn.turnId);
    expect(second.messages.map((m) => m.message.Content)).toEqual(['hello again']);
    // The single-message events are still published, one per message.
    expect(product.events.events.filter((e) => e.detailType === 'message.text' && e.detail.openid === openid)).toHaveLength(4);
  }, 30_000);

  it('cuts a burst of 20 into turns of at most TURN_MAX_MESSAGES, every message once, in order', async () => {
    const openid = 'oTurnBurst';
    const texts = Array.from({ length: 20 }, (_, i) => `part ${i + 1}`);
    for (const text of texts) await say(product, openid, text);
    await until(() => turnsOf(product, openid).flatMap((t) => t.messages).length >= 20);
    await sleep(2000);

    const turns = turnsOf(product, openid);
    expect(turns.length).toBeGreaterThanOrEqual(2);
    for (const t of turns) expect(t.messages.length).toBeLessThanOrEqual(10);
    expect(turns.flatMap((t) => t.messages.map((m) => m.message.Content))).toEqual(texts);
    expect(new Set(turns.map((t) => t.turnId)).size).toBe(turns.length);
  }, 30_000);

  it('closes the turn at once on a TURN_FLUSH_ON event, with the click in it', async () => {
    const openid = 'oTurnFlush';
    await say(product, openid, 'what are your hours?');
    const before = Date.now();
    await product.sandbox!.simulateUser(openid, { type: 'event', event: 'CLICK', eventKey: 'HOURS' });
    await until(() => turnsOf(product, openid).length === 1, 1400);

    const [turn] = turnsOf(product, openid);
    expect(turn).toBeDefined();
    expect(Date.now() - before).toBeLessThan(1400);
    expect(turn!.messages.map((m) => m.message.MsgType)).toEqual(['text', 'event']);
    expect(turn!.messages[1].message.EventKey).toBe('HOURS');
  }, 15_000);

  it('keeps two pushes of the same second in MsgId order, and a retried push is one message', async () => {
    const openid = 'oTurnOrder';
    const second = Math.floor(Date.now() / 1000);
    const push = async (msgId: string, content: string, nonce: string) => {
      const { query, body } = buildPush({
        message: { ToUserName: 'gh_sandbox', FromUserName: openid, CreateTime: second, MsgType: 'text', Content: content, MsgId: msgId },
        token: SANDBOX_CALLBACK_TOKEN,
        timestamp: second,
        nonce,
      });
      return call(product, 'POST', `/callback?${new URLSearchParams(query as Record<string, string>)}`, body, {
        'content-type': 'text/xml',
      });
    };
    // act: the later message (higher MsgId) reaches the product first; the earlier one is pushed, then
    // its try "fails" after the buffer took it (the callback forgets the push, as on a 500) and WeChat
    // pushes it again with a new nonce: the buffer must hold it once.
    const answers = [await push('9000000000000000002', 'second', '1'), await push('9000000000000000001', 'first', '2')];
    await product.context.dedup.forget('msg:9000000000000000001');
    answers.push(await push('9000000000000000001', 'first', '3'));
    answers.push(await push('9000000000000000001', 'first', '3'));
    await until(() => turnsOf(product, openid).length === 1);
    await sleep(1800);

    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const turns = turnsOf(product, openid);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.messages.map((m) => m.message.Content)).toEqual(['first', 'second']);
  }, 15_000);

  it('loses nothing when the closer crashes after sealing the turn, and publishes it once when the timer is retried', async () => {
    const openid = 'oTurnCrash';
    const publisher = product.context.publisher;
    const original = publisher.publish.bind(publisher);
    let crashes = 0;
    publisher.publish = async (events) => {
      if (events.some((e) => e.detailType === 'turn.ready' && e.detail.openid === openid) && crashes === 0) {
        crashes++;
        throw new Error('simulated crash of the closer before it published');
      }
      return original(events);
    };
    try {
      await say(product, openid, 'one');
      await say(product, openid, 'two');
      await until(() => turnsOf(product, openid).length === 1);
      await sleep(2500);
    } finally {
      publisher.publish = original;
    }
    expect(crashes).toBe(1);
    const turns = turnsOf(product, openid);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.messages.map((m) => m.message.Content)).toEqual(['one', 'two']);
  }, 15_000);

  it('loses nothing when the closer crashes between the cut and the seal, nor a message that arrives meanwhile', async () => {
    const openid = 'oTurnCrashSeal';
    const store = (product.context.turns as unknown as { options: { store: TurnStore } }).options.store;
    const seal = store.seal.bind(store);
    let crashes = 0;
    store.seal = async (...args) => {
      if (args[0] === openid && crashes === 0) {
        crashes++;
        // While the closer is down, the user writes again: that message joins the open turn.
        await say(product, openid, 'three');
        throw new Error('simulated crash between the cut and the seal');
      }
      return seal(...args);
    };
    try {
      await say(product, openid, 'one');
      await say(product, openid, 'two');
      await until(() => turnsOf(product, openid).length >= 1);
      await sleep(3000);
    } finally {
      store.seal = seal;
    }
    expect(crashes).toBe(1);
    const contents = turnsOf(product, openid).flatMap((t) => t.messages.map((m) => m.message.Content));
    expect(contents).toEqual(['one', 'two', 'three']);
    expect(turnsOf(product, openid)).toHaveLength(1);
  }, 15_000);

  it('survives a restart while a turn is open: the timer in the table closes it afterwards, once', async () => {
    const openid = 'oTurnRestart';
    await say(product, openid, 'before the restart');
    await product.restart();
    await until(() => turnsOf(product, openid).length === 1);
    await sleep(2000);
    const turns = turnsOf(product, openid);
    expect(turns).toHaveLength(1);
    expect(turns[0]!.messages.map((m) => m.message.Content)).toEqual(['before the restart']);
    // The sandbox kept its MsgIds across the restart: the next message is a new one, not a retry.
    await say(product, openid, 'after the restart');
    await until(() => turnsOf(product, openid).length === 2);
    expect(turnsOf(product, openid)[1]!.text).toBe('after the restart');
  }, 20_000);

  it('closes each turn once even when the closer runs twice at the same time', async () => {
    const openid = 'oTurnTwice';
    await say(product, openid, 'once');
    const turns = product.context.turns as TurnService;
    const store = (turns as unknown as { options: { store: TurnStore } }).options.store;
    const open = await store.readOpen(openid);
    await sleep(1600);
    const outcomes = await Promise.all([turns.close({ openid, turnId: open!.turnId }), turns.close({ openid, turnId: open!.turnId })]);
    await sleep(1000);
    expect(outcomes.filter((o) => o === 'published').length).toBeLessThanOrEqual(1);
    expect(turnsOf(product, openid)).toHaveLength(1);
  }, 15_000);
});

describe('turn.limited over TURN_LIMIT_PER_HOUR', () => {
  const product = useLocalProduct('wechat-kf-turns-limit-', { env: { TURN_QUIET_MS: '300', TURN_LIMIT_PER_HOUR: '2' } });

  it('publishes the third turn of the hour as turn.limited, with the count and when the limit resets', async () => {
    const openid = 'oTurnLimit';
    for (const text of ['one', 'two', 'three']) {
      const before = turnsOf(product, openid).length + turnsOf(product, openid, 'turn.limited').length;
      await say(product, openid, text);
      await until(() => turnsOf(product, openid).length + turnsOf(product, openid, 'turn.limited').length > before, 5000);
    }
    const ready = turnsOf(product, openid);
    const limited = turnsOf(product, openid, 'turn.limited') as any[];
    expect(ready.map((t) => t.text)).toEqual(['one', 'two']);
    expect(limited).toHaveLength(1);
    expect(limited[0]).toMatchObject({ text: 'three', count: 3, limit: 2 });
    const resetsIn = Date.parse(limited[0].resetsAt) - Date.now();
    expect(resetsIn).toBeGreaterThan(3_500_000);
    expect(resetsIn).toBeLessThanOrEqual(3_600_000);
  }, 20_000);
});

describe('typing while a turn is open (TURN_TYPING=true)', () => {
  const product = useLocalProduct('wechat-kf-turns-typing-', { env: { TURN_QUIET_MS: '800', TURN_TYPING: 'true' } });

  const sandboxUser = async (openid: string) =>
    (await (await fetch(`${product.sandbox!.url}/sandbox/users/${openid}`)).json()) as { typingUntil?: number };

  it('shows typing when the turn opens, once per turn, and the reply ends it', async () => {
    const openid = 'oTurnTyping';
    await say(product, openid, 'hello?');
    let whileOpen = await sandboxUser(openid);
    for (let i = 0; i < 40 && whileOpen.typingUntil === undefined; i++) whileOpen = await sleep(25).then(() => sandboxUser(openid));
    await say(product, openid, 'anyone there?');
    const typing = (await (await fetch(`${product.sandbox!.url}/sandbox/typing?openid=${openid}`)).json()) as Record<string, unknown>;
    const typingCalls = (Object.values(typing).find(Array.isArray) as unknown[]).length;
    await until(() => turnsOf(product, openid).length === 1);
    const reply = await call(product, 'POST', '/messages', { touser: openid, msgtype: 'text', text: { content: 'Yes, here!' } });
    const afterReply = await sandboxUser(openid);
    const window = await call(product, 'GET', `/interactions/${openid}`);

    expect(whileOpen.typingUntil).toBeGreaterThan(Date.now());
    expect(typingCalls).toBe(1);
    expect(reply.status).toBe(200);
    expect(afterReply.typingUntil).toBeUndefined();
    // The product's own typing state agrees: a flow may show typing again.
    expect(window.json.canType).toBe(true);
  }, 15_000);
});

describe('what npm start prints about turns', () => {
  const product = useLocalProduct('wechat-kf-turns-banner-', {
    env: { TURN_QUIET_MS: '3000', TURN_LIMIT_PER_HOUR: '20', CONVERSATION_RECORD: 'true' },
  });

  it('says turns and the history are on, and logs each closed turn', async () => {
    const { bannerLines } = await import('../../functions/dev/local/banner');
    const { eventLogLine } = await import('../../functions/dev/local/event-log');
    const banner = bannerLines(product, {}).join('\n');
    expect(banner).toContain("turns: on (TURN_QUIET_MS=3000): a user's messages become one turn.ready after 3000 ms of quiet");
    expect(banner).toContain('turn.limited over 20 an hour');
    expect(banner).toContain('conversation history: on');
    expect(
      eventLogLine({ source: 'wechat.kf', detailType: 'turn.limited', detail: { openid: 'o1', messages: [{}, {}], count: 21, limit: 20 } }),
    ).toBe('[turn] turn.limited from o1: 2 messages, 21 of 20 this hour');
  });
});
