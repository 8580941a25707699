/**
 * Message → Reply in Direct mode through the built nodes (docs/passive-replies.md, "n8n Direct mode"): the
 * trigger set to Respond With: Reply Node leaves WeChat's push waiting and starts its item with `replyTo`;
 * the action node (version 2) answers it with `sendResponse` (recorded by the in-process harness): the
 * passive reply XML, encrypted with the WeChat Callback credential in safe mode (checked by decrypting it),
 * an image given as a file uploaded to the sandbox first.
 * Its refusals name the rule: another user, a reply after WeChat was answered, a safe push without the
 * callback credential, no waiting push; version 1 keeps its answer.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { XMLParser } from 'fast-xml-parser';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { computeSignature, WeChatCrypto } from '../../functions/core/callback';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { callWebhook, createHarness, loadPackage } from './harness';
import { FILES, heldBytes, UPLOAD } from './media-cases';

const TOKEN = 'directReplyTok1';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxdirectreply0001';
const OPENID = 'o_direct_reply';
const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;
const xml = new XMLParser({ parseTagValue: false });
const crypto = new WeChatCrypto(TOKEN, AES, APPID);
const WECHAT = { weChatOfficialAccountApi: { id: 'api', name: 'WeChat' } };
const BOTH = { ...WECHAT, weChatCallbackApi: { id: 'cb', name: 'Callback' } };

let msgId = 9100;

/** A text push to the trigger (Respond With: Reply Node): what it answered at once and its items. */
async function push(safe: boolean, respondWith = 'replyNode') {
  const plain = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>${msgId++}</MsgId></xml>`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(msgId);
  const query: Record<string, string> = { timestamp, nonce, signature: computeSignature(TOKEN, timestamp, nonce), openid: OPENID };
  let body = plain;
  if (safe) {
    const encrypt = crypto.encrypt(plain);
    body = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    Object.assign(query, { encrypt_type: 'aes', msg_signature: computeSignature(TOKEN, timestamp, nonce, encrypt) });
  }
  const { items, answer } = await callWebhook(trigger, {
    headers: { 'content-type': 'text/xml' },
    rawBody: Buffer.from(body),
    query,
    parameters: { mode: 'direct', respondWith, messageTypes: [], events: [], options: {} },
    staticData: {},
    credentials: { token: TOKEN, encodingAesKey: safe ? AES : '', appId: APPID },
    nodeId: `trigger-${msgId}`,
  });
  return { items: (items ?? []).map((json) => ({ json })) as INodeExecutionData[], answer };
}

const reply = (message: IDataObject) => ({
  authentication: 'direct',
  resource: 'message',
  operation: 'reply',
  openid: { __rl: true, mode: 'id', value: '={{ $json.openid }}' },
  msgId: '={{ $json.msgId }}',
  message: JSON.stringify(message),
});
const TEXT = { msgtype: 'text', text: { content: 'Hello back' } };

describe('Message → Reply in Direct mode (Respond With: Reply Node)', () => {
  let sandbox: Sandbox;
  let harness: ReturnType<typeof createHarness>;
  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true, appId: APPID });
    harness = createHarness({
      credentials: {
        api: {
          type: 'weChatOfficialAccountApi',
          data: { appId: APPID, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
        },
        cb: { type: 'weChatCallbackApi', data: { token: TOKEN, encodingAesKey: AES, appId: APPID } },
      },
    });
  });
  afterAll(async () => await sandbox?.stop());

  it.each([
    ['plain', false],
    ['safe', true],
  ] as const)('answers the waiting push with the passive reply (%s mode)', async (_mode, safe) => {
    // prepare: the push waits (nothing answered yet) and its item carries replyTo
    const { items, answer } = await push(safe);
    expect(answer.body).toBeUndefined();
    expect(items[0]!.json.replyTo).toMatchObject({ openid: OPENID, account: 'gh_account', mode: safe ? 'safe' : 'plain', format: 'xml' });
    // act
    const { items: out, error, responses } = await harness.run(reply(TEXT), items, BOTH, { typeVersion: 2 });
    // assess
    expect(error).toBeUndefined();
    expect(out.map((i) => i.json)).toEqual([
      { openid: OPENID, msgId: expect.any(String), msgtype: 'text', channel: 'passive', mode: safe ? 'safe' : 'plain' },
    ]);
    expect(responses).toHaveLength(1);
    const response = responses[0] as { body: Buffer; headers: Record<string, string>; statusCode: number };
    expect(response).toMatchObject({ statusCode: 200, headers: { 'content-type': expect.stringMatching(/^text\/xml/) } });
    const outer = xml.parse(response.body.toString('utf8')).xml;
    const answered = safe ? xml.parse(crypto.decrypt(outer.Encrypt)).xml : outer;
    expect(answered).toMatchObject({ ToUserName: OPENID, FromUserName: 'gh_account', MsgType: 'text', Content: 'Hello back' });
    if (safe) expect(Object.keys(outer).sort()).toEqual(['Encrypt', 'MsgSignature', 'Nonce', 'TimeStamp']);
  });

  it('uploads a file given in the reply with the direct credential and answers with its media_id', async () => {
    // prepare
    const { items } = await push(false);
    const image = { msgtype: 'image', image: { media_id: { file: FILES.image.toString('base64'), filename: 'photo.jpg' } } };
    // act
    const { error, responses } = await harness.run(reply(image), items, BOTH, { typeVersion: 2 });
    // assess
    expect(error).toBeUndefined();
    const answered = xml.parse((responses[0] as { body: Buffer }).body.toString('utf8')).xml;
    expect(answered).toMatchObject({ ToUserName: OPENID, MsgType: 'image', Image: { MediaId: expect.any(String) } });
    expect(await heldBytes(sandbox, answered.Image.MediaId)).toEqual(FILES.image);
    expect(sandbox.count(UPLOAD)).toBe(1);
  });

  it('refuses, naming the rule, and answers nothing: another user, too late, safe without the key, no waiting push, version 1; nothing uploaded', async () => {
    // prepare
    const plain = (await push(false)).items;
    const safe = (await push(true)).items;
    const late = plain.map((i) => ({ json: { ...i.json, replyTo: { ...(i.json.replyTo as IDataObject), answerBy: Date.now() - 1 } } }));
    const other = plain.map((i) => ({ json: { ...i.json, openid: 'o_someone_else' } }));
    const atOnce = (await push(false, 'success')).items;
    const uploads = sandbox.count(UPLOAD);
    // act
    const runs = {
      other: await harness.run(reply(TEXT), other, BOTH, { typeVersion: 2 }),
      late: await harness.run(reply(TEXT), late, BOTH, { typeVersion: 2 }),
      noKey: await harness.run(reply(TEXT), safe, WECHAT, { typeVersion: 2 }),
      lateFile: await harness.run(reply({ msgtype: 'image', image: { media_id: { file: FILES.image.toString('base64') } } }), late, BOTH, {
        typeVersion: 2,
      }),
      notWaiting: await harness.run(reply(TEXT), atOnce, BOTH, { typeVersion: 2 }),
      v1: await harness.run({ ...reply(TEXT), openid: '={{ $json.openid }}' }, plain, BOTH, { typeVersion: 1 }),
    };
    // assess
    const messages = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, r.error?.message]));
    expect(messages).toEqual({
      other: expect.stringContaining(`User OpenID must be the openid of the push waiting for its reply (${OPENID})`),
      late: expect.stringContaining('Too late for a passive reply'),
      lateFile: expect.stringContaining('Too late for a passive reply'),
      noKey: expect.stringContaining('The push came in safe mode: choose the WeChat Callback credential'),
      notWaiting: expect.stringContaining('set to Respond With: Reply Node'),
      v1: expect.stringContaining('performed by the deployed product'),
    });
    for (const r of Object.values(runs)) expect(r.responses).toEqual([]);
    expect(sandbox.count(UPLOAD)).toBe(uploads);
  });
});
