/**
 * Handoff and the desk in n8n, in-process (the built node on n8n-core's WorkflowExecute, the built trigger's
 * webhook()): a flow that hands the user over when they type "human" (Direct mode: the mark is kept in the
 * workflow's static data, where the trigger reads it), the trigger answering the user's next message with
 * transfer_customer_service and then staying silent while the session is open; chat records with Limit and
 * Return All (following the answer's cursor past the call budget); a desk errcode as a clear error.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import type { IDataObject } from 'n8n-workflow';
import { computeSignature } from '../../functions/core/callback';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { callWebhook, createHarness, loadPackage } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
const TOKEN = 'handoffToken1';
const DAY = 86_400_000;
const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;
let clock = Date.now();

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true, now: () => clock, tokenTtlSeconds: 90 * 86400 });
  harness = createHarness({
    credentials: {
      c1: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
      },
    },
  });
});
afterAll(async () => {
  await sandbox?.stop();
});

/** A fresh nonce for every push, as WeChat's: plain mode accepts each signed URL for one message only. */
let nonces = 7;

/** The trigger's webhook() for one plain-mode push, with the workflow's static data. */
async function push(staticData: IDataObject, xml: string, options: IDataObject = {}) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(nonces++);
  const query = { timestamp, nonce, signature: computeSignature(TOKEN, timestamp, nonce) };
  const { answer, items } = await callWebhook(trigger, {
    headers: { 'content-type': 'text/xml' },
    rawBody: Buffer.from(xml),
    query,
    parameters: { mode: 'direct', messageTypes: [], events: [], options },
    // n8n hands the trigger the workflow's global static data, which the action node wrote to.
    staticData: (type: string) =>
      type === 'global' ? ((staticData.global ??= {}) as IDataObject) : ((staticData.node ??= {}) as IDataObject),
    credentials: { token: TOKEN, encodingAesKey: '', appId: '' },
    nodeId: 't1',
  });
  return { body: answer.body, items: items ?? [] };
}

let seq = 1714112400;
const textXml = (openid: string, content: string) =>
  `<xml><ToUserName>gh_a</ToUserName><FromUserName>${openid}</FromUserName><CreateTime>${seq++}</CreateTime><MsgType>text</MsgType><Content><![CDATA[${content}]]></Content><MsgId>${seq}</MsgId></xml>`;
const eventXml = (openid: string, event: string, kf: string) =>
  `<xml><ToUserName>gh_a</ToUserName><FromUserName>${openid}</FromUserName><CreateTime>${seq++}</CreateTime><MsgType>event</MsgType><Event>${event}</Event><KfAccount>${kf}</KfAccount></xml>`;

describe('handoff in a workflow (Direct mode)', () => {
  it('hands the user over when they type "human": the next message is transferred, the trigger stays silent during the session', async () => {
    // prepare: the trigger emitted "human"; the flow's WeChat node hands the user over
    const staticData: IDataObject = {};
    const human = await push(staticData, textXml('o_flow', 'human'), { skipHumanSessions: true });
    const item = human.items[0]!;

    // act
    const handed = await harness.run(
      {
        authentication: 'direct',
        resource: 'handoff',
        operation: 'handOff',
        openid: '={{ $json.openid }}',
        kfAccount: 'kf1@sandbox',
        ttl: 600,
      },
      [{ json: item }],
      CRED,
      { staticData },
    );
    const next = await push(staticData, textXml('o_flow', 'hello?'), { skipHumanSessions: true });
    const created = await push(staticData, eventXml('o_flow', 'kf_create_session', 'kf1@sandbox'), { skipHumanSessions: true });
    const closed = await push(staticData, eventXml('o_flow', 'kf_close_session', 'kf1@sandbox'), { skipHumanSessions: true });
    const after = await push(staticData, textXml('o_flow', 'back to the bot'), { skipHumanSessions: true });

    // assess
    expect(item).toMatchObject({ openid: 'o_flow', content: 'human', transferred: false });
    expect(handed.error).toBeUndefined();
    expect(handed.items[0]!.json).toMatchObject({ openid: 'o_flow', kf_account: 'kf1@sandbox', humanSession: null });
    expect(next.body).toContain(
      '<MsgType><![CDATA[transfer_customer_service]]></MsgType><TransInfo><KfAccount><![CDATA[kf1@sandbox]]></KfAccount></TransInfo>',
    );
    expect(next.items).toHaveLength(0);
    expect(created.items).toHaveLength(0);
    expect(closed.items[0]).toMatchObject({ event: 'kf_close_session', humanSession: null });
    expect(after.body).toBe('success');
    expect(after.items[0]).toMatchObject({ content: 'back to the bot' });
  });

  it('clears a mark: the next message reaches the flow', async () => {
    // prepare
    const staticData: IDataObject = {};
    await harness.run(
      { authentication: 'direct', resource: 'handoff', operation: 'handOff', openid: 'o_clear', ttl: 600 },
      [{ json: {} }],
      CRED,
      { staticData },
    );

    // act
    const cleared = await harness.run(
      { authentication: 'direct', resource: 'handoff', operation: 'clear', openid: 'o_clear' },
      [{ json: {} }],
      CRED,
      { staticData },
    );
    const next = await push(staticData, textXml('o_clear', 'hi'));

    // assess
    expect(cleared.items[0]!.json).toEqual({ openid: 'o_clear', cleared: true });
    expect(next.body).toBe('success');
  });
});

describe('desk operations in the node', () => {
  beforeEach(() => {
    sandbox.reset();
    clock = Date.UTC(2025, 0, 6, 2, 0, 0);
  });

  it('gets chat records with a Limit, and with Return All across more windows than one call may walk', async () => {
    // prepare: records on day 1 and day 45 (45 windows: more than one call's budget of 40), all in the
    // past: a range's end after now is read as now (core/msg-records.ts boundRange)
    clock = Date.now() - 50 * DAY;
    const start = clock;
    await sandbox.simulateUser('o_records', { type: 'text', content: 'first' });
    await sandbox.simulateUser('o_records', { type: 'text', content: 'second' });
    clock = start + 45 * DAY;
    await sandbox.simulateUser('o_records', { type: 'text', content: 'much later' });
    const range = { starttime: new Date(start).toISOString(), endtime: new Date(start + 46 * DAY).toISOString() };

    // act
    const limited = await harness.run(
      { authentication: 'direct', resource: 'chatRecord', operation: 'getMany', ...range, returnAll: false, limit: 1 },
      [{ json: {} }],
      CRED,
    );
    const all = await harness.run(
      { authentication: 'direct', resource: 'chatRecord', operation: 'getMany', ...range, returnAll: true },
      [{ json: {} }],
      CRED,
    );

    // assess
    expect(limited.items.map((i) => i.json.text)).toEqual(['first']);
    expect(all.error).toBeUndefined();
    expect(all.items.map((i) => i.json.text)).toEqual(['first', 'second', 'much later']);
    expect(all.items.every((i) => i.pairedItem && (i.pairedItem as { item: number }).item === 0)).toBe(true);
  });

  it('answers a desk errcode as a clear error, or as an item with Continue On Fail', async () => {
    // prepare
    await sandbox.simulateUser('o_err', { type: 'text', content: 'hi' });
    const params = { authentication: 'direct', resource: 'kfSession', operation: 'create', kfAccount: 'nobody@sandbox', openid: 'o_err' };

    // act
    const failed = await harness.run(params, [{ json: {} }], CRED);
    const continued = await harness.run(params, [{ json: {} }], CRED, { continueOnFail: true });

    // assess
    expect(String(failed.error?.message)).toMatch(/65401/);
    expect(continued.items[0]!.json).toMatchObject({ errcode: 65401 });
  });
});
