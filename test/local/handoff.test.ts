/**
 * The handoff round trip through `startLocal` (what `npm start` runs), against the sandbox, in plain and
 * safe mode (docs/handoff.md): a user writes, the bot answers, the flow calls POST /handoff, the user's next
 * message is answered with transfer_customer_service (the reply XML checked by the sandbox's own reader and
 * here), the agent takes the user (kf_create_session marks them), the window state shows the human
 * session, the desk's routes answer, the session closes and the mark clears.
 */
import { createDecipheriv } from 'crypto';
import { XMLParser } from 'fast-xml-parser';
import type { LocalProduct } from '../../functions/dev/local/server';
import { callProduct as call, useLocalProduct } from '../support/local-product';

const KF = 'agent1@sandbox';
const AES_KEY = 'HandoffTestKey0123456789abcdefghijklmnopqrs';
const xml = new XMLParser({ parseTagValue: false });

async function control(product: LocalProduct, method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.sandbox!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** Decrypts a safe-mode Encrypt independently (AES-256-CBC, IV = key[0..16], 32-byte PKCS#7). */
function decrypt(encrypt: string): string {
  const key = Buffer.from(`${AES_KEY}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const data = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const plain = data.subarray(0, data.length - data[data.length - 1]!);
  return plain.subarray(20, 20 + plain.readUInt32BE(16)).toString('utf8');
}

/** Polls until `check` holds (the sandbox pushes kf events after answering), at most ~3 s. */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 60 && !check(value); i++) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

describe.each([
  ['plain', {}],
  ['safe', { WECHAT_ENCODING_AES_KEY: AES_KEY }],
] as const)('handoff round trip, %s mode', (mode, env) => {
  const product = useLocalProduct('wechat-kf-handoff-', { env: { ...env } });

  beforeAll(async () => {
    // An agent: a kf account, a WeChat user invited and accepting, logged in on the web.
    await call(product, 'POST', '/kf-accounts', { kf_account: KF, nickname: 'Agent' });
    await call(product, 'POST', `/kf-accounts/${KF}/invite`, { invite_wx: 'agent_wx01' });
    await control(product, 'POST', `/sandbox/kf-accounts/${KF}/invitation`, { answer: 'accept' });
    await control(product, 'PUT', `/sandbox/kf-accounts/${KF}/status`, { status: 1 });
  });

  it('transfers the marked user, shows the human session while an agent has them, and clears both when it closes', async () => {
    // prepare: the user writes, the bot answers
    const openid = `oHand_${mode}`;
    const hello = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'hello' });
    const botReply = await call(product, 'POST', '/messages', { touser: openid, msgtype: 'text', text: { content: 'Hi! I am a bot.' } });

    // act: the flow hands the user over; the user writes again; the agent takes them
    const marked = await call(product, 'POST', '/handoff', { openid, kf_account: KF });
    const transferred = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'human' });
    const waiting = await call(product, 'GET', '/waiting-users');
    const accepted = await control(product, 'POST', `/sandbox/kf-accounts/${KF}/accept`, { openid });
    const during = await eventually(
      () => call(product, 'GET', `/interactions/${openid}`),
      (r) => r.json.humanSession !== null,
    );
    const session = await call(product, 'GET', `/kf-sessions/${openid}`);
    const sessions = await call(product, 'GET', `/kf-accounts/${KF}/sessions`);
    const online = await call(product, 'GET', '/kf-accounts/online');
    const toAgent = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'are you a person?' });
    const closed = await call(product, 'POST', `/kf-sessions/${openid}/close`, { kf_account: KF });
    const after = await eventually(
      () => call(product, 'GET', `/interactions/${openid}`),
      (r) => r.json.humanSession === null,
    );
    const back = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'thanks' });
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const records = await call(
      product,
      'GET',
      `/chat-records?starttime=${encodeURIComponent(from)}&endtime=${Math.ceil(Date.now() / 1000)}`,
    );

    // assess: the bot's turn
    expect(hello.body).toBe('success');
    expect(botReply.status).toBe(200);
    expect(marked.status).toBe(200);
    expect(marked.json).toMatchObject({ openid, kf_account: KF, humanSession: null });

    // the transfer: the reply WeChat reads, and the XML itself
    expect(transferred.reply).toMatchObject({
      MsgType: 'transfer_customer_service',
      encrypted: mode === 'safe',
      fields: { TransInfo: { KfAccount: KF } },
    });
    expect(transferred.reply?.problem).toBeUndefined();
    const outer = xml.parse(transferred.body!).xml;
    const reply = mode === 'safe' ? xml.parse(decrypt(outer.Encrypt)).xml : outer;
    if (mode === 'safe') expect(Object.keys(outer).sort()).toEqual(['Encrypt', 'MsgSignature', 'Nonce', 'TimeStamp']);
    expect(reply).toMatchObject({
      ToUserName: openid,
      FromUserName: 'gh_sandbox',
      MsgType: 'transfer_customer_service',
      TransInfo: { KfAccount: KF },
    });
    expect(waiting.json.waitcaselist).toEqual([expect.objectContaining({ openid })]);
    const handed = product.events.events.find((e) => e.detail.openid === openid && (e.detail.message as any)?.Content === 'human');
    expect(handed?.detail).toMatchObject({ transferred: true, humanSession: null });

    // the agent's turn
    expect(accepted.json.push).toMatchObject({ delivered: true, message: { Event: 'kf_create_session', KfAccount: KF } });
    expect(during.json.humanSession).toMatchObject({ kf_account: KF });
    expect(Date.parse(during.json.humanSession.since)).toBeGreaterThan(Date.now() - 60_000);
    const created = product.events.events.find((e) => e.detailType === 'event.kf_create_session' && e.detail.openid === openid);
    expect(created?.detail.humanSession).toMatchObject({ kf_account: KF });
    expect(session.json).toMatchObject({ kf_account: KF });
    expect(sessions.json.sessionlist).toEqual([expect.objectContaining({ openid })]);
    expect(online.json.kf_online_list).toEqual([expect.objectContaining({ kf_account: KF, accepted_case: 1 })]);
    expect(toAgent).toMatchObject({ delivered: false, routedTo: KF });

    // closed: the bot has the user again, no transfer
    expect(closed.status).toBe(200);
    expect(after.json.humanSession).toBeNull();
    expect(back.body).toBe('success');
    expect(records.status).toBe(200);
    expect(records.json.recordlist.filter((r: any) => r.openid === openid).map((r: any) => [r.opercode, r.text])).toEqual([
      [2003, 'hello'],
      [2002, 'Hi! I am a bot.'],
      [2003, 'human'],
      [2003, 'are you a person?'],
      [2003, 'thanks'],
    ]);
  });

  it('clears a mark with DELETE /handoff/{openid}: the next message reaches the bot', async () => {
    // prepare
    const openid = `oUnmark_${mode}`;
    await product.sandbox!.simulateUser(openid, { type: 'text', content: 'hi' });
    await call(product, 'POST', '/handoff', { openid });

    // act
    const cleared = await call(product, 'DELETE', `/handoff/${openid}`);
    const again = await call(product, 'DELETE', `/handoff/${openid}`);
    const next = await product.sandbox!.simulateUser(openid, { type: 'text', content: 'hello bot' });

    // assess
    expect(cleared.json).toEqual({ openid, cleared: true });
    expect(again.json).toEqual({ openid, cleared: false });
    expect(next.body).toBe('success');
    expect(next.reply).toBeUndefined();
  });
});

describe('desk operations over HTTP: errcodes as clear errors, bad input as 400', () => {
  const product = useLocalProduct('wechat-kf-desk-');

  beforeAll(async () => {
    await call(product, 'POST', '/kf-accounts', { kf_account: 'off1@sandbox', nickname: 'Offline' });
    await call(product, 'POST', '/kf-accounts/off1@sandbox/invite', { invite_wx: 'offline_wx' });
    await control(product, 'POST', '/sandbox/kf-accounts/off1@sandbox/invitation', { answer: 'accept' });
  });

  it.each([
    ['a session with an offline agent', 'POST', '/kf-sessions', { kf_account: 'off1@sandbox', openid: 'oDesk' }, 65415],
    ['a session with an unknown kf account', 'POST', '/kf-sessions', { kf_account: 'ghost@sandbox', openid: 'oDesk' }, 65401],
    ['closing a session the user does not have', 'POST', '/kf-sessions/oDesk/close', { kf_account: 'off1@sandbox' }, 65413],
    ['the session of a user who has none', 'GET', '/kf-sessions/oDesk', undefined, 65413],
    ['inviting to an account already bound', 'POST', '/kf-accounts/off1@sandbox/invite', { invite_wx: 'someone_else' }, 65412],
  ])('%s: 502 with the errcode, its meaning and a hint', async (_name, method, path, body, errcode) => {
    // prepare
    await product.sandbox!.simulateUser('oDesk', { type: 'text', content: 'hi' });

    // act
    const res = await call(product, method, path, body);

    // assess
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({ errcode });
    expect(res.json.error.hint).toEqual(expect.any(String));
  });

  it.each([
    ['a handoff without openid', 'POST', '/handoff', { kf_account: 'off1@sandbox' }, 'openid'],
    ['a handoff ttl over a day', 'POST', '/handoff', { openid: 'oDesk', ttl: 90_000 }, 'ttl'],
    ['an invitation of a bad WeChat ID', 'POST', '/kf-accounts/off1@sandbox/invite', { invite_wx: '9' }, 'invite_wx'],
    ['chat records without a range', 'GET', '/chat-records', undefined, 'starttime'],
    ['chat records ending before they start', 'GET', '/chat-records?starttime=2000&endtime=1000', undefined, 'endtime'],
  ])('%s: 400 naming the field, WeChat not called', async (_name, method, path, body, field) => {
    // prepare
    const before = product.sandbox!.requests().length;

    // act
    const res = await call(product, method, path, body);

    // assess
    expect(res.status).toBe(400);
    expect(res.json.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(product.sandbox!.requests().length).toBe(before);
  });
});
