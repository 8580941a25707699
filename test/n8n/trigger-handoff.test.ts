/**
 * The built trigger's handoff in Direct mode (docs/handoff.md): a marked user's message is answered with
 * transfer_customer_service (encrypted in safe mode, checked by decrypting it), kf session pushes keep who
 * has the user in the workflow's static data, and "Skip While a Human Has the User" keeps the flow silent
 * until kf_close_session. Build first: `npm run build --workspace n8n-nodes`.
 */
import { computeSignature, WeChatCrypto } from '../../functions/core/callback';
import type { IDataObject } from 'n8n-workflow';
import { markUser } from '../../n8n-nodes/shared/handoff-state';
import { callWebhook, loadPackage } from './harness';

const TOKEN = 'triggerToken1';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxtrigger00000001';
const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

type Sent = { status?: number; type?: string; body?: string };

function call(opts: {
  query: Record<string, string>;
  body: string;
  staticData: IDataObject;
  aes?: boolean;
  options?: Record<string, unknown>;
}) {
  return callWebhook(trigger, {
    headers: { 'content-type': 'text/xml' },
    rawBody: Buffer.from(opts.body),
    query: opts.query,
    parameters: { mode: 'direct', messageTypes: [], events: [], options: opts.options ?? {} },
    staticData: opts.staticData,
    credentials: { token: TOKEN, encodingAesKey: opts.aes ? AES : '', appId: APPID },
    nodeId: 'trigger1',
  }).then(({ items, answer }) => ({ items: (items ?? []) as Record<string, any>[], sent: answer }));
}

/** A fresh nonce for every push, as WeChat's: plain mode accepts each signed URL for one message only. */
let nonces = 4242;

function signed(encrypt?: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(nonces++);
  const query: Record<string, string> = { timestamp, nonce, signature: computeSignature(TOKEN, timestamp, nonce), openid: 'o_user' };
  if (encrypt) Object.assign(query, { encrypt_type: 'aes', msg_signature: computeSignature(TOKEN, timestamp, nonce, encrypt) });
  return query;
}

let time = Math.floor(Date.now() / 1000) - 100;
let msgId = 9000;
const head = () =>
  `<ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[o_user]]></FromUserName><CreateTime>${time++}</CreateTime>`;
const text = (content: string) =>
  `<xml>${head()}<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId++}</MsgId></xml>`;
const event = (name: string, extra = '') =>
  `<xml>${head()}<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${name}]]></Event>${extra}</xml>`;

describe('WeChat Customer Service Trigger: handoff (Direct mode)', () => {
  it("answers a marked user's message with transfer_customer_service naming the agent, and keeps doing so until an agent takes the user", async () => {
    // prepare
    const staticData: IDataObject = {};
    markUser(staticData, 'o_user', { kfAccount: 'kf1@wx', until: Date.now() + 60_000 });

    // act
    const first = await call({ query: signed(), body: text('hello?'), staticData });
    const created = await call({
      query: signed(),
      body: event('kf_create_session', '<KfAccount><![CDATA[kf1@wx]]></KfAccount>'),
      staticData,
    });
    const after = await call({ query: signed(), body: text('still there'), staticData });

    // assess
    expect(first.sent.type).toBe('text/xml');
    expect(first.sent.body).toContain(
      '<MsgType><![CDATA[transfer_customer_service]]></MsgType><TransInfo><KfAccount><![CDATA[kf1@wx]]></KfAccount></TransInfo>',
    );
    expect(first.sent.body).toContain('<ToUserName><![CDATA[o_user]]></ToUserName><FromUserName><![CDATA[gh_account]]></FromUserName>');
    expect(first.items[0]).toMatchObject({ content: 'hello?', humanSession: null, transferred: true });
    expect(created.sent.body).toBe('success');
    expect(created.items[0]).toMatchObject({ event: 'kf_create_session', humanSession: { kf_account: 'kf1@wx' } });
    expect(after.sent.body).toBe('success');
  });

  it('encrypts the transfer in safe mode', async () => {
    // prepare
    const staticData: IDataObject = {};
    markUser(staticData, 'o_user', { until: Date.now() + 60_000 });
    const crypto = new WeChatCrypto(TOKEN, AES, APPID);
    const encrypt = crypto.encrypt(text('human'));

    // act
    const { sent } = await call({
      query: signed(encrypt),
      body: `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
      staticData,
      aes: true,
    });

    // assess
    const envelope =
      /<Encrypt><!\[CDATA\[(.+?)\]\]><\/Encrypt><MsgSignature><!\[CDATA\[([0-9a-f]{40})\]\]><\/MsgSignature><TimeStamp>([0-9]+)<\/TimeStamp><Nonce><!\[CDATA\[([0-9]+)\]\]><\/Nonce>/.exec(
        sent.body ?? '',
      );
    expect(envelope).not.toBeNull();
    const [, enc, signature, ts, nonce] = envelope!;
    expect(signature).toBe(computeSignature(TOKEN, ts!, nonce!, enc!));
    const inner = crypto.decrypt(enc!);
    expect(inner).toContain('<MsgType><![CDATA[transfer_customer_service]]></MsgType>');
    expect(inner).not.toContain('TransInfo');
  });

  it('with "Skip While a Human Has the User", skips a message it hands to the desk', async () => {
    // prepare
    const staticData: IDataObject = {};
    markUser(staticData, 'o_user', { until: Date.now() + 60_000 });

    // act
    const handed = await call({ query: signed(), body: text('human please'), staticData, options: { skipHumanSessions: true } });

    // assess
    expect(handed.sent.body).toContain('transfer_customer_service');
    expect(handed.items).toHaveLength(0);
  });

  it('with "Skip While a Human Has the User", stays silent from kf_create_session until kf_close_session', async () => {
    // prepare
    const staticData: IDataObject = {};
    const options = { skipHumanSessions: true };

    // act
    const before = await call({ query: signed(), body: text('hi bot'), staticData, options });
    const created = await call({
      query: signed(),
      body: event('kf_create_session', '<KfAccount><![CDATA[kf1@wx]]></KfAccount>'),
      staticData,
      options,
    });
    const during = await call({ query: signed(), body: event('CLICK', '<EventKey><![CDATA[MENU]]></EventKey>'), staticData, options });
    const switched = await call({
      query: signed(),
      body: event('kf_switch_session', '<FromKfAccount><![CDATA[kf1@wx]]></FromKfAccount><ToKfAccount><![CDATA[kf2@wx]]></ToKfAccount>'),
      staticData,
      options,
    });
    const closed = await call({
      query: signed(),
      body: event('kf_close_session', '<KfAccount><![CDATA[kf2@wx]]></KfAccount><CloseType><![CDATA[KF]]></CloseType>'),
      staticData,
      options,
    });
    const resumed = await call({ query: signed(), body: text('hi again'), staticData, options });

    // assess
    expect(before.items).toHaveLength(1);
    expect(created.items).toHaveLength(0);
    expect(during.items).toHaveLength(0);
    expect(switched.items).toHaveLength(0);
    expect(closed.items[0]).toMatchObject({ event: 'kf_close_session', humanSession: null });
    expect(resumed.items[0]).toMatchObject({ content: 'hi again', humanSession: null, transferred: false });
  });
});
