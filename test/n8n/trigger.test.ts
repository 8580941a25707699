/**
 * The built WeChat Customer Service Trigger's webhook(), called with a minimal IWebhookFunctions: URL check,
 * signatures, safe mode, readable fields, retries dropped, filters. (test/n8n-e2e runs it inside n8n.)
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { computeSignature, WeChatCrypto } from '../../functions/core/callback';
import { loadPackage } from './harness';

const TOKEN = 'triggerToken1';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxtrigger00000001';
const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

function call(opts: { method: 'GET' | 'POST'; query: Record<string, string>; body?: string; params?: Record<string, unknown>; staticData?: Record<string, unknown>; aes?: boolean }) {
  const sent: { status?: number; body?: string } = {};
  const res = {
    status(code: number) {
      sent.status = code;
      return res;
    },
    type() {
      return res;
    },
    send(body: string) {
      sent.body = body;
      return res;
    },
  };
  const staticData = opts.staticData ?? {};
  const params = { messageTypes: [], events: [], options: {}, ...(opts.params ?? {}) };
  const ctx = {
    getResponseObject: () => res,
    getRequestObject: () => ({ method: opts.method, headers: { 'content-type': 'text/xml' }, rawBody: opts.body !== undefined ? Buffer.from(opts.body) : undefined }),
    getQueryData: () => opts.query,
    getBodyData: () => ({}),
    getWebhookName: () => (opts.method === 'GET' ? 'setup' : 'default'),
    getCredentials: async () => ({ token: TOKEN, encodingAesKey: opts.aes === false ? '' : AES, appId: APPID }),
    getNodeParameter: (name: string, fallback: unknown) => (name in params ? params[name as keyof typeof params] : fallback),
    getWorkflowStaticData: () => staticData,
    getNode: () => ({ id: 'trigger1', name: 'Trigger' }),
    helpers: { returnJsonArray: (items: unknown[]) => items.map((json) => ({ json })) },
  };
  return trigger.webhook!.call(ctx as never).then((result) => ({ result, sent, staticData }));
}

function signedQuery(encrypt?: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = '12345';
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
    const first = await call({ method: 'POST', query: signedQuery(), body: textXml('777'), staticData, aes: false });
    expect(first.result.workflowData).toBeDefined();
    const retry = await call({ method: 'POST', query: signedQuery(), body: textXml('777'), staticData, aes: false });
    expect(retry.sent).toEqual({ status: 200, body: 'success' });
    expect(retry.result.workflowData).toBeUndefined();
    expect(Object.keys((staticData as { pushKeys: object }).pushKeys)).toContain('msg:777');
  });

  it('filters by message type and event', async () => {
    // A different CreateTime each time, so that the pushes are not taken for retries of each other.
    let t = 1714112446;
    const event = () => `<xml><ToUserName>gh_account</ToUserName><FromUserName>o_user</FromUserName><CreateTime>${t++}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>`;
    const onlyText = await call({ method: 'POST', query: signedQuery(), body: event(), aes: false, params: { messageTypes: ['text'] } });
    expect(onlyText.result.workflowData).toBeUndefined();
    const onlyClick = await call({ method: 'POST', query: signedQuery(), body: event(), aes: false, params: { events: ['CLICK'] } });
    expect(onlyClick.result.workflowData).toBeUndefined();
    const subscribe = await call({ method: 'POST', query: signedQuery(), body: event(), aes: false, params: { events: ['subscribe'] } });
    expect((subscribe.result.workflowData as { json: Record<string, unknown> }[][])[0]![0]!.json).toMatchObject({ messageType: 'event', event: 'subscribe' });
  });
});
