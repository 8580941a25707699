/**
 * The passthrough (callApi): its input rules, and the client making the call against the sandbox over
 * real HTTP with the managed token.
 */
import {
  FetchTransport,
  InMemoryTokenProvider,
  isWeChatFile,
  parsePassthrough,
  passthroughUrl,
  ValidationError,
  WeChatApiError,
  WeChatClient,
  WeChatUnavailableError,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
} from '../../functions/core';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { SAMPLE_JPEG } from '../../functions/dev/sandbox/media';

/** The issues a refused input names, as `field: rule`. */
function refusal(input: unknown): string[] {
  try {
    parsePassthrough(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((i) => `${i.field}: ${i.rule}`);
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('parsePassthrough', () => {
  it('accepts a GET with query values and a POST with a body, normalising the method and the values', () => {
    // act
    const get = parsePassthrough({ method: 'get', path: '/cgi-bin/user/info', query: { openid: 'oA', lang: 'zh_CN', n: 3, flag: true } });
    const post = parsePassthrough({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: 'vip' } } });
    // assess
    expect(get).toEqual({ method: 'GET', path: '/cgi-bin/user/info', query: { openid: 'oA', lang: 'zh_CN', n: '3', flag: 'true' } });
    expect(post).toEqual({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: 'vip' } } });
  });

  it.each([
    ['a full URL', 'https://evil.example/cgi-bin/user/info', /not a full URL/],
    ['a URL on WeChat itself', 'https://api.weixin.qq.com/cgi-bin/user/info', /not a full URL/],
    ['a scheme-relative URL', '//evil.example/cgi-bin/user/info', /not a full URL/],
    ['a user-info host change', '@evil.example/x', /must start with \//],
    ['..', '/cgi-bin/../sandbox/users', /must not contain \.\./],
    ['.. at the end', '/cgi-bin/..', /must not contain \.\./],
    ['percent-encoded ..', '/cgi-bin/%2e%2e/sandbox', /percent-encoding %2e/],
    ['percent-encoded / ', '/cgi-bin%2fuser', /percent-encoded/],
    ['a backslash', '/cgi-bin\\..\\x', /backslash/],
    ['//', '/cgi-bin//user/info', /must not contain \/\//],
    ['an access_token in the path', '/cgi-bin/user/info?access_token=mine', /access_token/],
    ['a query in the path', '/cgi-bin/user/info?openid=o', /query or fragment/],
    ['no leading /', 'cgi-bin/user/info', /must start with \//],
    ['a space', '/cgi-bin/user info', /may hold only/],
    ['an empty path', '', /must not be empty/],
  ])('refuses %s in path', (_what, path, rule) => {
    // act
    const issues = refusal({ method: 'GET', path });
    // assess
    expect(issues).toEqual([expect.stringMatching(new RegExp(`^path: .*${rule.source}`))]);
  });

  it('refuses a caller-supplied access_token in query, whatever its case', () => {
    // act
    const lower = refusal({ method: 'GET', path: '/cgi-bin/user/get', query: { access_token: 'mine' } });
    const upper = refusal({ method: 'GET', path: '/cgi-bin/user/get', query: { ACCESS_TOKEN: 'mine' } });
    // assess
    expect(lower).toEqual([expect.stringMatching(/^query\.access_token: must not be given: the product adds its managed access token/)]);
    expect(upper).toEqual([expect.stringMatching(/^query\.ACCESS_TOKEN: must not be given/)]);
  });

  it.each([
    ['/cgi-bin/message/custom/send', /use sendMessage \(POST \/messages\)/],
    ['/CGI-BIN/message/custom/send/', /use sendMessage/],
    ['/cgi-bin/message/custom/typing', /use sendTyping \(POST \/typing\)/],
    ['/cgi-bin/token', /GET \/access-token/],
    ['/cgi-bin/stable_token', /GET \/access-token/],
  ])('refuses the gated path %s with a pointer to the gated operation', (path, pointer) => {
    // act
    const issues = refusal({ method: 'POST', path, body: {} });
    // assess
    expect(issues).toEqual([expect.stringMatching(new RegExp(`^path: is not allowed through callApi: .*${pointer.source}`))]);
  });

  it('names every broken rule at once: method, body on a GET, query value types, unknown fields', () => {
    // act
    const issues = refusal({ method: 'PUT', path: '/cgi-bin/user/info', query: { openid: { a: 1 } }, extra: 1 });
    const getWithBody = refusal({ method: 'GET', path: '/cgi-bin/user/info', body: { a: 1 } });
    const notObject = refusal('GET /cgi-bin/user/info');
    const missing = refusal({});
    // assess
    expect(issues).toEqual([
      'extra: is not a field of callApi: use method, path, query and body',
      'method: must be GET or POST, got "PUT"',
      'query.openid: must be a string, number or boolean, got an object',
    ]);
    expect(getWithBody).toEqual(['body: must be left out for a GET']);
    expect(notObject).toEqual(['(body): must be a JSON object {method, path, query?, body?}, got a string']);
    expect(missing).toEqual([
      'method: is required: GET or POST',
      'path: is required: a path on the WeChat API root, e.g. /cgi-bin/user/info',
    ]);
  });
});

describe('passthroughUrl', () => {
  it('joins the root and the path, keeping a root with a path of its own', () => {
    // act, assess
    expect(passthroughUrl('https://api.weixin.qq.com/', '/cgi-bin/user/info')).toBe('https://api.weixin.qq.com/cgi-bin/user/info');
    expect(passthroughUrl('http://127.0.0.1:9/wechat', '/cgi-bin/user/info')).toBe('http://127.0.0.1:9/wechat/cgi-bin/user/info');
  });

  it('refuses anything URL parsing would move off the root', () => {
    // act, assess
    expect(() => passthroughUrl('http://127.0.0.1:9/wechat', '/../sandbox')).toThrow(ValidationError);
    expect(() => passthroughUrl('http://127.0.0.1:9', '@evil.example/')).toThrow(ValidationError);
  });
});

/** A transport that records what went over the wire (the real FetchTransport underneath). */
class RecordingTransport implements HttpTransport {
  readonly sent: HttpRequest[] = [];
  private readonly inner = new FetchTransport({ timeoutMs: 5000 });
  send(request: HttpRequest): Promise<HttpResponse> {
    this.sent.push(request);
    return this.inner.send(request);
  }
}

describe('WeChatClient.callApi against the sandbox', () => {
  let sandbox: Sandbox;
  let transport: RecordingTransport;
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
    const tokens = new InMemoryTokenProvider({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret });
    client = new WeChatClient({ transport, tokens, baseUrl: sandbox.url, retry: { baseDelayMs: 1, maxDelayMs: 5 } });
  });

  it('makes a GET and a POST the product has no operation for, with the managed token added', async () => {
    // prepare
    await sandbox.simulateUser('oA', { type: 'text', content: 'hi' });
    // act
    const created = await client.callApi({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: '客户' } } });
    const tagged = await client.callApi({
      method: 'POST',
      path: '/cgi-bin/tags/members/batchtagging',
      body: { openid_list: ['oA'], tagid: (created as { tag?: { id: number } }).tag?.id },
    });
    const info = await client.callApi({ method: 'GET', path: '/cgi-bin/user/info', query: { openid: 'oA', lang: 'zh_CN' } });
    // assess
    expect(created).toEqual({ tag: { id: 100, name: '客户' } });
    expect(tagged).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(info).toMatchObject({ subscribe: 1, openid: 'oA', tagid_list: [100] });
    const infoCall = sandbox.requests('/cgi-bin/user/info')[0]!;
    expect(Object.keys(infoCall.query).sort()).toEqual(['access_token', 'lang', 'openid']);
    expect(sandbox.count('/cgi-bin/stable_token')).toBe(1);
  });

  it('answers a WeChat error as WeChatApiError (502 with errcode, errmsg and hint), even a window code', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/user/get', kind: 'errcode', errcode: 45015 });
    // act
    const unknown = await client.callApi({ method: 'GET', path: '/cgi-bin/user/info', query: { openid: 'oNobody' } }).catch((e) => e);
    const windowCode = await client.callApi({ method: 'GET', path: '/cgi-bin/user/get' }).catch((e) => e);
    // assess
    expect(unknown).toBeInstanceOf(WeChatApiError);
    expect(unknown.status).toBe(502);
    expect(unknown.toBody().error).toMatchObject({
      code: 'WECHAT_ERROR',
      errcode: 40003,
      errmsg: expect.stringContaining('invalid openid'),
      hint: expect.any(String),
    });
    expect(windowCode).toBeInstanceOf(WeChatApiError);
    expect(windowCode.errcode).toBe(45015);
  });

  it('retries -1 and 5xx for a GET, and sends a POST once', async () => {
    // prepare
    await client.callApi({ method: 'GET', path: '/cgi-bin/tags/get' });
    sandbox.injectFault({ path: '/cgi-bin/tags/get', kind: 'errcode', errcode: -1 });
    sandbox.injectFault({ path: '/cgi-bin/tags/get', kind: 'http', status: 503 });
    sandbox.injectFault({ path: '/cgi-bin/tags/create', kind: 'errcode', errcode: -1 });
    sandbox.injectFault({ path: '/cgi-bin/tags/getidlist', kind: 'http', status: 502 });
    // act
    const read = await client.callApi({ method: 'GET', path: '/cgi-bin/tags/get' });
    const busy = await client.callApi({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: 'x' } } }).catch((e) => e);
    const down = await client.callApi({ method: 'POST', path: '/cgi-bin/tags/getidlist', body: { openid: 'oA' } }).catch((e) => e);
    // assess
    expect((read as { tags?: unknown }).tags).toEqual([{ id: 2, name: '星标组', count: 0 }]);
    expect(sandbox.count('/cgi-bin/tags/get')).toBe(4);
    expect(busy).toBeInstanceOf(WeChatApiError);
    expect(busy.errcode).toBe(-1);
    expect(sandbox.count('/cgi-bin/tags/create')).toBe(1);
    expect(down).toBeInstanceOf(WeChatUnavailableError);
    expect(sandbox.count('/cgi-bin/tags/getidlist')).toBe(1);
  });

  it('refreshes the token once on 40001, 40014 and 42001 and retries once, for a POST too', async () => {
    // prepare
    await client.callApi({ method: 'GET', path: '/cgi-bin/tags/get' });
    sandbox.expireTokens();
    // act
    const created = await client.callApi({ method: 'POST', path: '/cgi-bin/tags/create', body: { tag: { name: 'after-expiry' } } });
    // assess
    expect(created).toEqual({ tag: { id: 100, name: 'after-expiry' } });
    const answers = sandbox.requests('/cgi-bin/tags/create').map((r) => (r.answer?.body as { errcode?: number } | undefined)?.errcode);
    expect(answers).toEqual([42001, undefined]);
  });

  it('answers a file WeChat sends instead of JSON as its bytes, and an errcode for a missing one as WeChatApiError', async () => {
    // prepare: a user sends a photo, which WeChat keeps as temporary media
    const push = await sandbox.simulateUser('oPhoto', { type: 'image', data: new Uint8Array(SAMPLE_JPEG) });
    const mediaId = String(push.message.MediaId);
    // act
    const file = await client.callApi({ method: 'GET', path: '/cgi-bin/media/get', query: { media_id: mediaId } });
    const missing = await client.callApi({ method: 'GET', path: '/cgi-bin/media/get', query: { media_id: 'nope' } }).catch((e) => e);
    // assess
    expect(isWeChatFile(file)).toBe(true);
    if (!isWeChatFile(file)) return;
    expect(file.contentType).toBe('image/jpeg');
    expect(Buffer.from(file.data).equals(SAMPLE_JPEG)).toBe(true);
    expect(file.filename).toEqual(expect.any(String));
    expect(missing).toBeInstanceOf(WeChatApiError);
    expect(missing.errcode).toBe(40007);
  });

  it('refuses a bad input before any request is made', async () => {
    // act
    const errors = await Promise.all(
      [
        { method: 'GET', path: 'http://127.0.0.1:1/x' },
        { method: 'GET', path: '/cgi-bin/../sandbox/users' },
        { method: 'GET', path: '/cgi-bin/user/get', query: { access_token: 'mine' } },
        { method: 'POST', path: '/cgi-bin/message/custom/send', body: { touser: 'oA', msgtype: 'text', text: { content: 'x' } } },
      ].map((input) => client.callApi(input).catch((e) => e)),
    );
    // assess
    for (const error of errors) expect(error).toBeInstanceOf(ValidationError);
    expect(transport.sent).toEqual([]);
  });
});
