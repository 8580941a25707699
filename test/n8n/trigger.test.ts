/**
 * The built WeChat Customer Service Trigger's webhook(), called with a minimal IWebhookFunctions: URL check,
 * signatures, safe mode, readable fields, retries dropped, filters. (test/n8n-e2e runs it inside n8n.)
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { computeSignature, WeChatCrypto } from '../../functions/core/callback';
import { callWebhook, loadPackage } from './harness';

const TOKEN = 'triggerToken1';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxtrigger00000001';
const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

function call(opts: {
  method: 'GET' | 'POST';
  query: Record<string, string>;
  body?: string;
  params?: Record<string, unknown>;
  staticData?: Record<string, unknown>;
  aes?: boolean;
  /** The credential's Message Encryption Mode (absent: a credential saved before the field existed). */
  callbackMode?: string;
  /** The node's id; this process's memory of pushes is kept per node id, the static data is not. */
  nodeId?: string;
}) {
  const staticData = opts.staticData ?? {};
  return callWebhook(trigger, {
    method: opts.method,
    headers: { 'content-type': 'text/xml' },
    rawBody: opts.body !== undefined ? Buffer.from(opts.body) : undefined,
    query: opts.query,
    parameters: { messageTypes: [], events: [], options: {}, ...(opts.params ?? {}) },
    staticData,
    credentials: {
      token: TOKEN,
      encodingAesKey: opts.aes === false ? '' : AES,
      appId: APPID,
      ...(opts.callbackMode !== undefined ? { callbackMode: opts.callbackMode } : {}),
    },
    nodeId: opts.nodeId ?? 'trigger1',
    // What this file checks of the answer: its status and body.
  }).then(({ result, answer }) => ({ result, sent: { status: answer.status, body: answer.body }, staticData }));
}

/** A fresh nonce for every signed query: WeChat's is random, and plain mode accepts each signed URL once. */
let nonces = 12345;

function signedQuery(encrypt?: string, nonce = String(nonces++)) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const query: Record<string, string> = { timestamp, nonce, signature: computeSignature(TOKEN, timestamp, nonce), openid: 'o_user' };
  if (encrypt) {
    query.encrypt_type = 'aes';
    query.msg_signature = computeSignature(TOKEN, timestamp, nonce, encrypt);
  }
  return query;
}

const textXml = (msgId: string, content = 'hello') =>
  `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[o_user]]></FromUserName><CreateTime>1714112445</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;

function safeBody(inner: string) {
  const encrypt = new WeChatCrypto(TOKEN, AES, APPID).encrypt(inner);
  return { encrypt, body: `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>` };
}

describe('WeChat Customer Service Trigger', () => {
  it('answers the URL check with echostr, and 401 on a bad signature', async () => {
    const q = signedQuery();
    const ok = await call({ method: 'GET', query: { ...q, echostr: 'echo123' } });
    expect(ok.sent).toEqual({ status: 200, body: 'echo123' });
    expect(ok.result.workflowData).toBeUndefined();
    const bad = await call({ method: 'GET', query: { ...q, signature: 'x', echostr: 'echo123' } });
    expect(bad.sent.status).toBe(401);
  });

  it('refuses a push with a bad signature: 401 and no execution', async () => {
    const { sent, result } = await call({ method: 'POST', query: { ...signedQuery(), signature: 'deadbeef' }, body: textXml('1') });
    expect(sent.status).toBe(401);
    expect(result.workflowData).toBeUndefined();
  });

  it('decrypts a safe-mode push, answers success and emits readable fields', async () => {
    const { encrypt, body } = safeBody(textXml('24436487191827000001', '你好'));
    const { sent, result } = await call({ method: 'POST', query: signedQuery(encrypt), body });
    expect(sent).toEqual({ status: 200, body: 'success' });
    const item = (result.workflowData as { json: Record<string, unknown> }[][])[0]![0]!.json;
    expect(item).toMatchObject({
      openid: 'o_user',
      account: 'gh_account',
      // The callback credential's AppID: a reply can name the account (Gateway mode's Account field)
      appId: APPID,
      messageType: 'text',
      content: '你好',
      msgId: '24436487191827000001',
      createdAt: '2024-04-26T06:20:45.000Z',
      mode: 'safe',
      event: null,
    });
    expect((item.raw as Record<string, unknown>).FromUserName).toBe('o_user');
  });

  it("drops WeChat's retries of a push it already took (workflow static data)", async () => {
    const staticData = {};
    const query = signedQuery();
    const first = await call({ method: 'POST', query, body: textXml('777'), staticData, aes: false });
    expect(first.result.workflowData).toBeDefined();
    const retry = await call({ method: 'POST', query, body: textXml('777'), staticData, aes: false });
    expect(retry.sent).toEqual({ status: 200, body: 'success' });
    expect(retry.result.workflowData).toBeUndefined();
    expect(Object.keys((staticData as { pushKeys: object }).pushKeys)).toContain('msg:777');
  });

  it('filters by message type and event', async () => {
    // A different CreateTime each time, so that the pushes are not taken for retries of each other.
    let t = 1714112446;
    const event = () =>
      `<xml><ToUserName>gh_account</ToUserName><FromUserName>o_user</FromUserName><CreateTime>${t++}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>`;
    const onlyText = await call({ method: 'POST', query: signedQuery(), body: event(), aes: false, params: { messageTypes: ['text'] } });
    expect(onlyText.result.workflowData).toBeUndefined();
    const onlyClick = await call({ method: 'POST', query: signedQuery(), body: event(), aes: false, params: { events: ['CLICK'] } });
    expect(onlyClick.result.workflowData).toBeUndefined();
    const subscribe = await call({ method: 'POST', query: signedQuery(), body: event(), aes: false, params: { events: ['subscribe'] } });
    expect((subscribe.result.workflowData as { json: Record<string, unknown> }[][])[0]![0]!.json).toMatchObject({
      messageType: 'event',
      event: 'subscribe',
    });
  });

  describe("Message Encryption Mode (the product's WECHAT_CALLBACK_MODE rule)", () => {
    // A plain push whose signature verifies: whoever saw one push URL (or knows the Token) can make one.
    const forgedPlain = (msgId: string) => ({ method: 'POST' as const, query: signedQuery(), body: textXml(msgId, 'forged') });

    it('safe by default with an EncodingAESKey: a plain push, signed or not, is refused with 401 and starts nothing', async () => {
      // prepare: a credential with a key and no mode (saved before the field existed), one with Automatic
      const legacy = await call(forgedPlain('9001'));
      const automatic = await call({ ...forgedPlain('9002'), callbackMode: 'auto' });
      // assess
      for (const { sent, result } of [legacy, automatic]) {
        expect(sent.status).toBe(401);
        expect(sent.body).toMatch(/safe mode: a push must carry encrypt_type=aes and a msg_signature/);
        expect(result.workflowData).toBeUndefined();
      }
    });

    it('safe and compatible refuse encrypt_type=aes with a msg_signature that does not cover the Encrypt', async () => {
      for (const callbackMode of ['safe', 'compatible']) {
        const { encrypt, body } = safeBody(textXml('9010'));
        const query = { ...signedQuery(encrypt), msg_signature: computeSignature(TOKEN, '1', '2', encrypt) };
        const { sent, result } = await call({ method: 'POST', query, body, callbackMode });
        expect(sent.status).toBe(401);
        expect(result.workflowData).toBeUndefined();
      }
    });

    it('compatible: a plain push is refused, and of an encrypted one only the encrypted part is believed', async () => {
      // prepare: the plaintext beside Encrypt says another user and another text than the encrypted part
      const plainRefused = await call({ ...forgedPlain('9020'), callbackMode: 'compatible' });
      const encrypt = new WeChatCrypto(TOKEN, AES, APPID).encrypt(textXml('9021', 'the real text'));
      const body = `<xml><ToUserName>gh_account</ToUserName><FromUserName>o_forged</FromUserName><CreateTime>1714112445</CreateTime><MsgType>text</MsgType><Content>forged text</Content><MsgId>9021</MsgId><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
      // act
      const { sent, result } = await call({ method: 'POST', query: signedQuery(encrypt), body, callbackMode: 'compatible' });
      // assess
      expect(plainRefused.sent.status).toBe(401);
      expect(plainRefused.result.workflowData).toBeUndefined();
      expect(sent).toEqual({ status: 200, body: 'success' });
      const item = (result.workflowData as { json: Record<string, unknown> }[][])[0]![0]!.json;
      expect(item).toMatchObject({ openid: 'o_user', content: 'the real text', mode: 'compatible' });
    });

    it('safe or compatible without an EncodingAESKey answers 503 naming the setting (not a 500), and the credential test says so', async () => {
      // prepare / act: a push to a trigger whose credential asks for encryption but has no key
      const safe = await call({ ...forgedPlain('9030'), aes: false, callbackMode: 'safe' });
      const compatible = await call({ ...forgedPlain('9031'), aes: false, callbackMode: 'compatible' });
      // assess: "not configured yet", as the product's /callback answers for a placeholder token
      for (const [mode, { sent, result }] of [
        ['safe', safe],
        ['compatible', compatible],
      ] as const) {
        expect(sent.status).toBe(503);
        expect(sent.body).toMatch(
          new RegExp(
            `set to ${mode} mode but its EncodingAESKey is empty: fill in the credential's EncodingAESKey .* or set its Message Encryption Mode to Plain Text`,
          ),
        );
        expect(result.workflowData).toBeUndefined();
      }
      const test = await trigger.methods!.credentialTest!.weChatCallbackApiTest!.call({} as never, {
        id: 'c1',
        name: 'cb',
        type: 'weChatCallbackApi',
        data: { token: TOKEN, encodingAesKey: '', appId: APPID, callbackMode: 'compatible' },
      });
      expect(test).toEqual({ status: 'Error', message: expect.stringMatching(/compatible mode but its EncodingAESKey is empty/) });
    });

    it('plain: a plain push is read when chosen, even with a key', async () => {
      const { sent, result } = await call({ ...forgedPlain('9040'), callbackMode: 'plain' });
      expect(sent).toEqual({ status: 200, body: 'success' });
      expect((result.workflowData as { json: Record<string, unknown> }[][])[0]![0]!.json).toMatchObject({ mode: 'plain', msgId: '9040' });
    });

    it("plain: a replayed (timestamp, nonce, signature) with another message is refused with 401; WeChat's retry of the same message is not", async () => {
      // prepare: one signed URL, taken once
      const staticData = {};
      const query = signedQuery();
      const first = await call({ method: 'POST', query, body: textXml('9050'), staticData, aes: false });
      // act: the same URL with another message; with its signature in capitals and a trailing space (it still verifies); the same message again
      const replay = await call({ method: 'POST', query, body: textXml('9051', 'made up'), staticData, aes: false });
      const disguised = await call({
        method: 'POST',
        query: { ...query, signature: `${query.signature!.toUpperCase()} ` },
        body: textXml('9052'),
        staticData,
        aes: false,
      });
      const retry = await call({ method: 'POST', query, body: textXml('9050'), staticData, aes: false });
      // assess
      expect(first.result.workflowData).toBeDefined();
      for (const refused of [replay, disguised]) {
        expect(refused.sent.status).toBe(401);
        expect(refused.sent.body).toMatch(/replayed push/);
        expect(refused.result.workflowData).toBeUndefined();
      }
      expect(retry.sent).toEqual({ status: 200, body: 'success' });
      expect(retry.result.workflowData).toBeUndefined();
    });

    it('plain: the replay mark is kept in the workflow static data, so another process (or a restart) refuses the replay too', async () => {
      // prepare: a push taken by "another process": only its static data is shared
      const query = signedQuery();
      const first = await call({ method: 'POST', query, body: textXml('9060'), staticData: {}, aes: false });
      const saved = JSON.parse(JSON.stringify(first.staticData)) as Record<string, unknown>;
      // act: the replay arrives with that static data where this process has no memory of it (another node id)
      const replay = await call({
        method: 'POST',
        query,
        body: textXml('9061'),
        staticData: saved,
        aes: false,
        nodeId: 'trigger-elsewhere',
      });
      // assess
      expect(Object.keys(saved.replayMarks as object)).toHaveLength(1);
      expect(replay.sent.status).toBe(401);
      expect(replay.result.workflowData).toBeUndefined();
    });
  });
});
