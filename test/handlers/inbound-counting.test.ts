/**
 * How pushes count towards the send window, through the callback handler: signed pushes built as WeChat
 * sends them, DynamoDB on dynalite. Two messages of one second are two interactions (ordered by MsgId), a
 * msgmenu tap is a menu click, and events are told apart by Event and EventKey.
 */
import type { XmlRecord } from '../../functions/core/callback';
import { buildPush } from '../support/push';
import { createCallbackHandler } from '../../functions/lambda/callback-handler';
import { configFromEnv } from '../../functions/context/config';
import { createContext, type AppContext } from '../../functions/context/context';
import { MemoryPublisher } from '../../functions/context/publisher';
import { createDynamoClient, ensureTable, startEmbeddedDynamo } from '../../functions/store';
import { httpApiEvent } from '../support/aws-events';

const TOKEN = 'countingToken1';
const NOW = Date.UTC(2026, 5, 1, 8, 0, 0, 400);
const SECOND = Math.floor(NOW / 1000);

describe('what a push counts for', () => {
  let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let ctx: AppContext;
  let events: MemoryPublisher;
  let handler: ReturnType<typeof createCallbackHandler>;

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo({});
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const config = configFromEnv({ TABLE_NAME: 'counting', DYNAMODB_ENDPOINT: dynamo.endpoint, WECHAT_CALLBACK_MODE: 'plain' });
    await ensureTable(client, config.tableName);
    events = new MemoryPublisher();
    ctx = await createContext({
      config,
      dynamo: client,
      publisher: events,
      now: () => NOW,
      secrets: async () => ({ appId: 'wxcounting', appSecret: 's', callbackToken: TOKEN }),
    });
    handler = createCallbackHandler(async () => ctx);
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  let nonce = 1000;
  async function push(message: XmlRecord): Promise<number> {
    const { query, body } = buildPush({
      message: { ToUserName: 'gh_counting', CreateTime: SECOND, ...message },
      token: TOKEN,
      timestamp: SECOND,
      nonce: String(nonce++),
    });
    const result: any = await handler(
      httpApiEvent('POST', '/callback', undefined, { queryStringParameters: query, body, headers: { 'content-type': 'text/xml' } }),
    );
    return result.statusCode;
  }
  const text = (openid: string, msgId: string, extra: XmlRecord = {}) =>
    push({ FromUserName: openid, MsgType: 'text', Content: 'hi', MsgId: msgId, ...extra });
  const event = (openid: string, name: string, key?: string) =>
    push({ FromUserName: openid, MsgType: 'event', Event: name, ...(key ? { EventKey: key } : {}) });
  const useAllSends = async (openid: string) => {
    for (;;) {
      const permit = await ctx.windows.acquireSend(openid).catch(() => undefined);
      if (!permit) return;
    }
  };

  it('a second message in the same second (another MsgId) restarts the window; a retry of one MsgId never does', async () => {
    // Prepare: the first message's 5 sends are used up
    await text('oBurst', '24436487191827100001');
    await useAllSends('oBurst');
    const usedUp = await ctx.windows.state('oBurst');
    // Act: a second message of the same second, then WeChat's retry of it after its sends are used
    await text('oBurst', '24436487191827100002');
    const second = await ctx.windows.state('oBurst');
    await useAllSends('oBurst');
    await ctx.windows.recordInbound('oBurst', 'message', SECOND * 1000, '24436487191827100002');
    const afterRetry = await ctx.windows.state('oBurst');
    // Assess
    expect(usedUp).toMatchObject({ canSend: false, sendRefusal: 'quota-used' });
    expect(second).toMatchObject({ canSend: true, sendsLeft: 5, lastInboundKind: 'message' });
    expect(afterRetry).toMatchObject({ canSend: false, sendsLeft: 0 });
  });

  it('a message in the same second as an event opens the message rule, whichever comes first', async () => {
    // Act
    await event('oMixed1', 'CLICK', 'K1');
    await text('oMixed1', '24436487191827100011');
    await text('oMixed2', '24436487191827100012');
    await event('oMixed2', 'subscribe');
    const eventFirst = await ctx.windows.state('oMixed1');
    const messageFirst = await ctx.windows.state('oMixed2');
    // Assess
    expect(eventFirst).toMatchObject({ lastInboundKind: 'message', sendsLeft: 5, windowEnd: SECOND * 1000 + 48 * 3_600_000 });
    expect(messageFirst).toMatchObject({ lastInboundKind: 'message', sendsLeft: 5 });
  });

  it('a tap on a msgmenu item (text with bizmsgmenuid) counts as a menu click: 3 sends within 1 minute', async () => {
    // Act
    const status = await text('oTap', '24436487191827100021', { bizmsgmenuid: '101' });
    const state = await ctx.windows.state('oTap');
    // Assess
    expect(status).toBe(200);
    expect(state).toMatchObject({ lastInboundKind: 'event', sendsLeft: 3, windowEnd: SECOND * 1000 + 60_000 });
  });

  it('two different menu clicks in one second are two events; a retry of one is dropped', async () => {
    // Prepare
    const before = events.events.filter((e) => e.detail.openid === 'oClicks').length;
    // Act
    await event('oClicks', 'CLICK', 'MENU_A');
    await event('oClicks', 'CLICK', 'MENU_B');
    await event('oClicks', 'CLICK', 'MENU_A');
    // Assess
    const published = events.events
      .filter((e) => e.detail.openid === 'oClicks')
      .map((e) => (e.detail.message as Record<string, unknown>).EventKey);
    expect(published.slice(before)).toEqual(['MENU_A', 'MENU_B']);
  });
});
