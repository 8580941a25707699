/**
 * The core client against the sandbox over real HTTP: every operation, token sharing, the forced refresh
 * after 40001, retries on -1 / 5xx / network errors, and error mapping.
 */
import { createServer } from 'http';
import type { AddressInfo } from 'net';
import {
  FetchTransport,
  InMemoryTokenProvider,
  md5Hex,
  MESSAGE_TYPES,
  SendWindowClosedError,
  TypingActiveError,
  TypingNotAllowedError,
  WeChatApiError,
  WeChatClient,
  WeChatUnavailableError,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
} from '../../functions/core';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { uploadMedia } from '../sandbox/helpers';
import { amr, jpeg, mp4 } from '../support/media-samples';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const SEND = '/cgi-bin/message/custom/send';

/** A transport that records what went over the wire (the real FetchTransport underneath). */
class RecordingTransport implements HttpTransport {
  readonly sent: HttpRequest[] = [];
  private readonly inner = new FetchTransport({ timeoutMs: 5000 });
  send(request: HttpRequest): Promise<HttpResponse> {
    this.sent.push(request);
    return this.inner.send(request);
  }
}

describe('WeChatClient against the sandbox', () => {
  let sandbox: Sandbox;
  let transport: RecordingTransport;
  let tokens: InMemoryTokenProvider;
  let client: WeChatClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    transport = new RecordingTransport();
    tokens = new InMemoryTokenProvider({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret });
    client = new WeChatClient({ transport, tokens, baseUrl: sandbox.url, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
  });

  it('manages kf accounts: add, list, update, upload avatar, delete', async () => {
    // Act
    await client.call('addKfAccount', { kf_account: 'kf1@sandbox', nickname: 'Agent One', password: 'pw', hash_password: true });
    await client.call('updateKfAccount', { kf_account: 'kf1@sandbox', nickname: 'Agent 1' });
    await client.call('uploadKfAvatar', { kf_account: 'kf1@sandbox', media: new Uint8Array(JPEG) });
    const list = await client.call('listKfAccounts', {});
    // Assess
    expect(list.kf_list).toEqual([expect.objectContaining({ kf_account: 'kf1@sandbox', kf_nick: 'Agent 1' })]);
    expect(sandbox.kfAccounts()[0]).toEqual(expect.objectContaining({ password: md5Hex('pw') }));
    const upload = transport.sent.find((r) => r.url.includes('uploadheadimg'))!;
    expect(upload.url).toContain('kf_account=kf1@sandbox');
    expect(upload.headers?.['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    await client.call('deleteKfAccount', { kf_account: 'kf1@sandbox' });
    expect(sandbox.kfAccounts()).toEqual([]);
  });

  it('deletes in the 2017 GET form when configured', async () => {
    const getClient = new WeChatClient({ transport, tokens, baseUrl: sandbox.url, options: { kfDeleteMethod: 'GET' } });
    await getClient.call('addKfAccount', { kf_account: 'kf2@sandbox', nickname: 'Two' });
    await getClient.call('deleteKfAccount', { kf_account: 'kf2@sandbox' });
    const del = transport.sent.find((r) => r.url.includes('/kfaccount/del'))!;
    expect(del.method).toBe('GET');
    expect(del.url).toContain('kf_account=kf2@sandbox');
    expect(sandbox.kfAccounts()).toEqual([]);
  });

  it('maps kf account errcodes to WeChatApiError with errcode, errmsg and a hint', async () => {
    await client.call('addKfAccount', { kf_account: 'kf1@sandbox', nickname: 'A' });
    const error = await client.call('addKfAccount', { kf_account: 'kf1@sandbox', nickname: 'A' }).catch((e) => e);
    expect(error).toBeInstanceOf(WeChatApiError);
    expect(error).toMatchObject({ errcode: 61453, status: 502, code: 'WECHAT_ERROR' });
    expect(error.hint).toMatch(/already exists/);
  });

  it('sends every message type, as WeChat documents it, within a user window', async () => {
    // Prepare
    await client.call('addKfAccount', { kf_account: 'kf1@sandbox', nickname: 'A' });
    // The sandbox refuses made-up media_ids, as WeChat does: upload real ones first.
    const token = (await tokens.getToken()).value;
    const upload = async (type: string, data: Buffer) => String((await uploadMedia(sandbox, token, type, data)).media_id);
    const [I, V, VID, T] = [
      await upload('image', jpeg()),
      await upload('voice', amr(1)),
      await upload('video', mp4()),
      await upload('thumb', jpeg()),
    ];
    const bodies: Record<string, Record<string, unknown>> = {
      text: { text: { content: '你好' } },
      image: { image: { media_id: I } },
      voice: { voice: { media_id: V } },
      video: { video: { media_id: VID, thumb_media_id: T } },
      music: { music: { musicurl: 'http://m', hqmusicurl: 'http://h', thumb_media_id: T } },
      news: { news: { articles: [{ title: 't', description: 'd', url: 'http://u', picurl: 'http://p' }] } },
      mpnews: { mpnews: { media_id: 'M' } },
      mpnewsarticle: { mpnewsarticle: { article_id: 'A' } },
      msgmenu: { msgmenu: { head_content: 'h', list: [{ id: '1', content: 'yes' }], tail_content: 't' } },
      wxcard: { wxcard: { card_id: 'C', card_ext: { code: '' } } },
      miniprogrampage: { miniprogrampage: { title: 't', appid: 'wxa', pagepath: 'p', thumb_media_id: T } },
    };
    // Act: each type to its own user (a message opens 5 sends), as a kf account
    for (const type of MESSAGE_TYPES) {
      await sandbox.simulateUser(`o_${type}`, { type: 'text', content: 'hi' });
      await client.call('sendMessage', {
        touser: `o_${type}`,
        msgtype: type,
        ...bodies[type],
        customservice: { kf_account: 'kf1@sandbox' },
      });
    }
    // Assess
    for (const type of MESSAGE_TYPES) {
      const [sent] = sandbox.messages(`o_${type}`);
      expect(sent).toBeDefined();
      expect(JSON.stringify(sent)).toContain(`"msgtype":"${type}"`);
    }
    expect(sandbox.count(SEND)).toBe(MESSAGE_TYPES.length);
    expect(sandbox.messages().map((m) => m.msgtype)).toEqual([...MESSAGE_TYPES]);
  });

  it('maps 45015 and 45047 to SendWindowClosedError, 45080 / 45081 to the typing errors, 40003 to WeChatApiError', async () => {
    // Prepare: a sandbox whose clock the test moves
    let clock = Date.now();
    const timed = await startSandbox({ quiet: true, now: () => clock });
    const t = new FetchTransport();
    const c = new WeChatClient({
      transport: t,
      baseUrl: timed.url,
      tokens: new InMemoryTokenProvider({
        transport: t,
        baseUrl: timed.url,
        appId: timed.appId,
        appSecret: timed.appSecret,
        now: () => clock,
      }),
    });
    try {
      await timed.simulateUser('oU', { type: 'event', event: 'subscribe' });
      await timed.simulateUser('oT', { type: 'text', content: 'hi' });
      // Act
      const unknown = await c.call('sendText', { touser: 'oNever', text: { content: 'x' } }).catch((e) => e);
      for (let i = 0; i < 3; i++) await c.call('sendText', { touser: 'oU', text: { content: `${i}` } });
      const quota = await c.call('sendText', { touser: 'oU', text: { content: 'x' } }).catch((e) => e);
      await c.call('sendTyping', { touser: 'oT', command: 'Typing' });
      const active = await c.call('sendTyping', { touser: 'oT', command: 'Typing' }).catch((e) => e);
      clock += 61_000;
      const expired = await c.call('sendText', { touser: 'oU', text: { content: 'late' } }).catch((e) => e);
      const stale = await c.call('sendTyping', { touser: 'oT', command: 'Typing' }).catch((e) => e);
      // Assess
      expect(unknown).toBeInstanceOf(WeChatApiError);
      expect(unknown.errcode).toBe(40003);
      expect(quota).toBeInstanceOf(SendWindowClosedError);
      expect(quota).toMatchObject({ code: 'SEND_WINDOW_CLOSED', errcode: 45047, reason: 'quota-used', status: 409, openid: 'oU' });
      expect(active).toBeInstanceOf(TypingActiveError);
      expect(active.errcode).toBe(45081);
      expect(expired).toMatchObject({ code: 'SEND_WINDOW_CLOSED', errcode: 45015 });
      expect(stale).toBeInstanceOf(TypingNotAllowedError);
      expect(stale.errcode).toBe(45080);
    } finally {
      await timed.stop();
    }
  });

  it('shares one token fetch between 20 concurrent calls', async () => {
    await sandbox.simulateUser('oMany', { type: 'text', content: 'hi' });
    await Promise.all(Array.from({ length: 20 }, () => client.call('listKfAccounts', {})));
    expect(sandbox.count('/cgi-bin/stable_token')).toBe(1);
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(20);
  });

  it('uses cgi-bin/token in classic mode', async () => {
    const classic = new WeChatClient({
      transport,
      baseUrl: sandbox.url,
      tokens: new InMemoryTokenProvider({
        transport,
        baseUrl: sandbox.url,
        appId: sandbox.appId,
        appSecret: sandbox.appSecret,
        mode: 'classic',
      }),
    });
    await classic.call('listKfAccounts', {});
    expect(sandbox.count('/cgi-bin/token')).toBe(1);
    expect(sandbox.count('/cgi-bin/stable_token')).toBe(0);
  });

  it('refreshes the token once and retries once after 40001, in normal mode when WeChat hands a new token', async () => {
    // Prepare
    await client.call('listKfAccounts', {});
    sandbox.invalidateTokens();
    // Act
    const result = await client.call('listKfAccounts', {});
    // Assess
    expect(result.kf_list).toEqual([]);
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(3);
    const fetches = sandbox.requests('/cgi-bin/stable_token');
    expect(fetches).toHaveLength(2);
    expect(fetches[1]!.body).toMatchObject({ force_refresh: false });
  });

  it('gives up after one retry when the fresh token is refused too', async () => {
    await client.call('listKfAccounts', {});
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'errcode', errcode: 40001, times: 2 });
    const error = await client.call('listKfAccounts', {}).catch((e) => e);
    expect(error).toMatchObject({ errcode: 40001 });
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(3);
  });

  it('retries -1 and HTTP 5xx with backoff, then succeeds', async () => {
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'errcode', errcode: -1, times: 1 });
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'http', status: 503, times: 1 });
    const result = await client.call('listKfAccounts', {});
    expect(result.kf_list).toEqual([]);
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(3);
  });

  it('reports WeChatUnavailableError (503) after bounded retries', async () => {
    await client.call('listKfAccounts', {});
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'http', status: 502, times: 5 });
    const error = await client.call('listKfAccounts', {}).catch((e) => e);
    expect(error).toBeInstanceOf(WeChatUnavailableError);
    expect(error.status).toBe(503);
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(4);
  });

  it('does not retry a send that timed out, since it may have reached the user', async () => {
    await sandbox.simulateUser('oSlow', { type: 'text', content: 'hi' });
    await client.call('listKfAccounts', {});
    const slow = new WeChatClient({ transport, tokens, baseUrl: sandbox.url, timeoutMs: 100 });
    sandbox.injectFault({ path: SEND, kind: 'delay', ms: 500, times: 3 });
    const error = await slow.call('sendText', { touser: 'oSlow', text: { content: 'x' } }).catch((e) => e);
    expect(error).toMatchObject({ code: 'WECHAT_TIMEOUT', status: 504 });
    expect(sandbox.count(SEND)).toBe(1);
  });

  it('never puts the access token or the app secret in an error message', async () => {
    const wrong = new InMemoryTokenProvider({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: 'not-the-secret' });
    const error = await new WeChatClient({ transport, tokens: wrong, baseUrl: sandbox.url }).call('listKfAccounts', {}).catch((e) => e);
    expect(error).toMatchObject({ errcode: 40125 });
    expect(JSON.stringify(error.toBody())).not.toContain('not-the-secret');
    const token = (await tokens.getToken()).value;
    sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'http', status: 500, times: 5 });
    const unavailable = await client.call('listKfAccounts', {}).catch((e) => e);
    expect(unavailable.message).not.toContain(token);
  });
});

describe('FetchTransport', () => {
  it('reports a refused connection as an unreached TransportError (it provably never arrived)', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const error = await new FetchTransport().send({ method: 'GET', url: `http://127.0.0.1:${port}/x?access_token=secret` }).catch((e) => e);
    expect(error).toMatchObject({ name: 'TransportError', kind: 'unreached' });
    expect(error.message).not.toContain('secret');
  });
});
