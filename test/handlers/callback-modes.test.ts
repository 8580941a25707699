/**
 * No forged push gets in: the callback mode (WECHAT_CALLBACK_MODE) decides what is believed, plain-mode
 * signatures are accepted once, and a placeholder callback token answers 503. Through the callback
 * handler, with pushes built as WeChat builds them, on dynalite.
 */
import { WeChatCrypto, type XmlRecord } from '../../functions/core/callback';
import { buildPush } from '../support/push';
import { createCallbackHandler } from '../../functions/lambda/callback-handler';
import { configFromEnv, type WeChatSecrets } from '../../functions/context/config';
import { createContext, type AppContext } from '../../functions/context/context';
import { MemoryPublisher } from '../../functions/context/publisher';
import { createDynamoClient, ensureTable, startEmbeddedDynamo } from '../../functions/store';
import { httpApiEvent } from '../support/aws-events';

const TOKEN = 'modesToken1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APP_ID = 'wxmodes0000000001';
const NOW = Date.UTC(2026, 5, 1, 8, 0, 0);
const SECOND = Math.floor(NOW / 1000);

describe('callback modes', () => {
  let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let tableCount = 0;
  const crypto = new WeChatCrypto(TOKEN, AES_KEY, APP_ID);

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo({});
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  async function product(env: Record<string, string>, secrets: Partial<WeChatSecrets> = {}) {
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const config = configFromEnv({ TABLE_NAME: `modes-${tableCount++}`, DYNAMODB_ENDPOINT: dynamo.endpoint, ...env });
    await ensureTable(client, config.tableName);
    const events = new MemoryPublisher();
    const ctx: AppContext = await createContext({
      config,
      dynamo: client,
      publisher: events,
      now: () => NOW,
      secrets: async () => ({ appId: APP_ID, appSecret: 's', callbackToken: TOKEN, ...secrets }),
    });
    const handler = createCallbackHandler(async () => ctx);
    const post = async (query: Record<string, string>, body: string) => {
      const result: any = await handler(
        httpApiEvent('POST', '/callback', undefined, { queryStringParameters: query, body, headers: { 'content-type': 'text/xml' } }),
      );
      return { status: result.statusCode as number, body: result.body as string };
    };
    return { ctx, events, post, handler };
  }

  let nonce = 5000;
  const message = (openid: string, content = 'hi'): XmlRecord => ({
    ToUserName: 'gh_modes',
    FromUserName: openid,
    CreateTime: SECOND,
    MsgType: 'text',
    Content: content,
    MsgId: `2443648719182710${nonce}`,
  });
  const push = (msg: XmlRecord, mode: 'plain' | 'safe' | 'compatible' = 'plain') =>
    buildPush({ message: msg, token: TOKEN, crypto, mode, timestamp: SECOND, nonce: String(nonce++) });

  it('with an AES key (safe by default), a plain push is refused with 401 and changes nothing', async () => {
    // Prepare
    const { ctx, events, post } = await product({}, { encodingAesKey: AES_KEY });
    const forged = push(message('oVictim', 'forged'));
    // Act
    const refused = await post(forged.query, forged.body);
    const genuine = push(message('oVictim', 'real'), 'safe');
    const accepted = await post(genuine.query, genuine.body);
    // Assess
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.message).toMatch(/safe mode: a push must carry encrypt_type=aes and a msg_signature/);
    expect(accepted).toEqual({ status: 200, body: 'success' });
    expect(events.events.map((e) => (e.detail.message as Record<string, unknown>).Content)).toEqual(['real']);
    expect((await ctx.windows.state('oVictim')).sendsLeft).toBe(5);
  });

  it('in compatible mode a plain push is refused, and of an encrypted one the encrypted part is believed', async () => {
    // Prepare: a compatible push whose plaintext fields were changed on the way
    const { events, post } = await product({ WECHAT_CALLBACK_MODE: 'compatible' }, { encodingAesKey: AES_KEY });
    const real = push(message('oReal', 'encrypted truth'), 'compatible');
    const tampered = real.body.replace('<FromUserName><![CDATA[oReal]]></FromUserName>', '<FromUserName><![CDATA[oOther]]></FromUserName>');
    const plain = push(message('oPlain'));
    // Act
    const compat = await post(real.query, tampered);
    const refused = await post(plain.query, plain.body);
    // Assess
    expect(tampered).not.toBe(real.body);
    expect(compat.status).toBe(200);
    expect(events.events.map((e) => e.detail.openid)).toEqual(['oReal']);
    expect(refused.status).toBe(401);
  });

  it('a push with encrypt_type=aes but a wrong msg_signature is refused in safe mode', async () => {
    // Prepare
    const { events, post } = await product({ WECHAT_CALLBACK_MODE: 'safe' }, { encodingAesKey: AES_KEY });
    const p = push(message('oSig'), 'safe');
    // Act
    const refused = await post({ ...p.query, msg_signature: '0'.repeat(40) }, p.body);
    // Assess
    expect(refused.status).toBe(401);
    expect(events.events).toHaveLength(0);
  });

  it('WECHAT_CALLBACK_MODE=plain with an AES key reads plain pushes; safe without a key is refused at once', async () => {
    // Act
    const { post } = await product({ WECHAT_CALLBACK_MODE: 'plain' }, { encodingAesKey: AES_KEY });
    const p = push(message('oPlainOk'));
    const accepted = await post(p.query, p.body);
    const noKey = await product({ WECHAT_CALLBACK_MODE: 'safe' });
    const misconfigured = await noKey.post(p.query, p.body);
    // Assess
    expect(accepted.status).toBe(200);
    expect(misconfigured.status).toBe(500);
    expect(JSON.parse(misconfigured.body).error.message).toMatch(/WECHAT_CALLBACK_MODE=safe needs the EncodingAESKey/);
  });

  it('plain mode accepts each (timestamp, nonce, signature) once, even with another body', async () => {
    // Prepare
    const { events, post } = await product({});
    const first = push(message('oOnce', 'first'));
    const replay = push(message('oOnce', 'made up'));
    // Act
    const accepted = await post(first.query, first.body);
    const replayed = await post(first.query, replay.body);
    // Assess
    expect(accepted.status).toBe(200);
    expect(replayed.status).toBe(401);
    expect(JSON.parse(replayed.body).error.message).toMatch(/replayed push/);
    expect(events.events.map((e) => (e.detail.message as Record<string, unknown>).Content)).toEqual(['first']);
  });

  it('a replay is still one when its signature is written in capitals or with a trailing space (it verifies all the same)', async () => {
    // Prepare
    const { events, post } = await product({});
    const first = push(message('oOnceAgain', 'first'));
    const replay = push(message('oOnceAgain', 'made up'));
    const disguised = { ...first.query, signature: `${String(first.query.signature).toUpperCase()} ` };
    // Act
    const accepted = await post(first.query, first.body);
    const replayed = await post(disguised, replay.body);
    // Assess
    expect(accepted.status).toBe(200);
    expect(replayed.status).toBe(401);
    expect(events.events.map((e) => (e.detail.message as Record<string, unknown>).Content)).toEqual(['first']);
  });

  it.each([['REPLACE_ME'], ['']])('a callback token %j answers 503 saying what to set, for the URL check and pushes', async (token) => {
    // Prepare
    const { handler } = await product({}, { callbackToken: token || undefined });
    const p = push(message('oAny'));
    // Act
    const check: any = await handler(
      httpApiEvent('GET', '/callback', undefined, {
        queryStringParameters: { signature: 'x', timestamp: String(SECOND), nonce: '1', echostr: 'e' },
      }),
    );
    const posted: any = await handler(httpApiEvent('POST', '/callback', undefined, { queryStringParameters: p.query, body: p.body }));
    // Assess
    for (const answer of [check, posted]) {
      expect(answer.statusCode).toBe(503);
      expect(JSON.parse(answer.body).error).toMatchObject({ code: 'CALLBACK_NOT_CONFIGURED' });
      expect(JSON.parse(answer.body).error.message).toMatch(/callbackToken of the secret \(WECHAT_CALLBACK_TOKEN locally\)/);
    }
  });
});
