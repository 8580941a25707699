/**
 * Every other WeChat API through the product's one token, over HTTP against the sandbox on the embedded
 * DynamoDB: POST /wechat-api (callApi) and GET /access-token (token vending, off by default).
 */
import type { LocalProduct } from '../../functions/dev/local/server';
import { callProduct as call, useLocalProduct } from '../support/local-product';

const STABLE = '/cgi-bin/stable_token';
const forced = (product: LocalProduct) =>
  product.sandbox!.requests(STABLE).map((r) => (r.body as { force_refresh?: boolean }).force_refresh);

describe('POST /wechat-api: the passthrough', () => {
  const product = useLocalProduct('wechat-kf-pass-');

  it('makes a GET and a POST to endpoints the product has no operation for, with its managed token', async () => {
    // prepare
    await product.sandbox!.simulateUser('oPass1', { type: 'text', content: 'hi' });
    // act
    const created = await call(product, 'POST', '/wechat-api', {
      method: 'POST',
      path: '/cgi-bin/tags/create',
      body: { tag: { name: 'vip' } },
    });
    const info = await call(product, 'POST', '/wechat-api', {
      method: 'GET',
      path: '/cgi-bin/user/info',
      query: { openid: 'oPass1', lang: 'zh_CN' },
    });
    // assess
    expect(created).toMatchObject({ status: 200, json: { tag: { id: expect.any(Number), name: 'vip' } } });
    expect(info).toMatchObject({ status: 200, json: { subscribe: 1, openid: 'oPass1', tagid_list: [] } });
    const token = (await product.context.tokens.getToken()).value;
    expect(product.sandbox!.requests('/cgi-bin/user/info').at(-1)!.query).toEqual({ access_token: token, openid: 'oPass1', lang: 'zh_CN' });
    expect(product.sandbox!.requests('/cgi-bin/tags/create').at(-1)!.query).toEqual({ access_token: token });
  });

  it.each([
    ['a full URL', { method: 'GET', path: 'https://evil.example/cgi-bin/user/info' }, /not a full URL/],
    ['..', { method: 'GET', path: '/cgi-bin/../sandbox/users' }, /must not contain \.\./],
    [
      'a caller-supplied token',
      { method: 'GET', path: '/cgi-bin/user/get', query: { access_token: 'mine' } },
      /the product adds its managed access token/,
    ],
    [
      'custom/send',
      { method: 'POST', path: '/cgi-bin/message/custom/send', body: { touser: 'oPass1', msgtype: 'text', text: { content: 'x' } } },
      /use sendMessage \(POST \/messages\)/,
    ],
  ])('refuses %s with a 400 naming the field, before WeChat is called', async (_what, input, rule) => {
    // prepare
    const before = product.sandbox!.requests().length;
    // act
    const answer = await call(product, 'POST', '/wechat-api', input);
    // assess
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe('INVALID_INPUT');
    expect(answer.json.error.issues).toEqual([
      expect.objectContaining({ field: expect.stringMatching(/^(path|query\.access_token)$/), rule: expect.stringMatching(rule) }),
    ]);
    expect(product.sandbox!.requests().length).toBe(before);
  });

  it('answers a WeChat error as the same 502 {errcode, errmsg, hint} as every other operation', async () => {
    // act
    const answer = await call(product, 'POST', '/wechat-api', {
      method: 'GET',
      path: '/cgi-bin/user/info',
      query: { openid: 'oNobodyHere' },
    });
    // assess
    expect(answer.status).toBe(502);
    expect(answer.json.error).toMatchObject({
      code: 'WECHAT_ERROR',
      errcode: 40003,
      errmsg: expect.stringContaining('invalid openid'),
      hint: expect.any(String),
    });
  });

  it('recovers from a 40001 with one normal-mode fetch when another system has refreshed the token', async () => {
    // prepare: the product holds a token; another system on the AppID forces a refresh, which kills it
    await call(product, 'POST', '/wechat-api', { method: 'GET', path: '/cgi-bin/tags/get' });
    const sandbox = product.sandbox!;
    const other = await fetch(`${sandbox.url}${STABLE}`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', appid: sandbox.appId, secret: sandbox.appSecret, force_refresh: true }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const fetchesBefore = forced(product).length;
    const callsBefore = sandbox.requests('/cgi-bin/tags/get').length;
    // act
    const answer = await call(product, 'POST', '/wechat-api', { method: 'GET', path: '/cgi-bin/tags/get' });
    // assess
    expect(answer.status).toBe(200);
    const calls = sandbox.requests('/cgi-bin/tags/get').slice(callsBefore);
    expect(calls.map((r) => (r.answer?.body as { errcode?: number } | undefined)?.errcode)).toEqual([40001, undefined]);
    expect(calls[1]!.query.access_token).toBe(other.access_token);
    expect(forced(product).slice(fetchesBefore)).toEqual([false]);
  });

  it('answers a file WeChat sends instead of JSON as that file', async () => {
    // prepare
    const push = await product.sandbox!.simulateUser('oPass2', { type: 'image' });
    // act
    const answer = await fetch(`${product.url}/wechat-api`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path: '/cgi-bin/media/get', query: { media_id: String(push.message.MediaId) } }),
    });
    const bytes = Buffer.from(await answer.arrayBuffer());
    // assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^image\/jpeg/);
    expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
  });

  it('serves no /access-token while token vending is off (the default)', async () => {
    // act
    const answer = await call(product, 'GET', '/access-token');
    // assess
    expect(answer.status).toBe(404);
    expect(answer.text).not.toMatch(/access_token"/);
    // a JSON 404 that says how to turn it on, not a bare "no route"
    expect(answer.json.error).toEqual({
      code: 'ROUTE_OFF',
      message:
        "GET /access-token is off: start npm start with TOKEN_VENDING=on to serve it (deployed: the construct property enable: ['TOKEN_VENDING']); see docs/configuration.md",
    });
  });
});

describe('GET /access-token: token vending, with TOKEN_VENDING=on', () => {
  const product = useLocalProduct('wechat-kf-vend-', { env: { TOKEN_VENDING: 'on' } });

  it('hands out the one token the product itself uses, with its expiry, fetching it once', async () => {
    // act
    const first = await call(product, 'GET', '/access-token');
    const second = await call(product, 'GET', '/access-token');
    await call(product, 'POST', '/wechat-api', { method: 'GET', path: '/cgi-bin/tags/get' });
    // assess
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      access_token: expect.any(String),
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expires_in: expect.any(Number),
    });
    expect(first.json.expires_in).toBeGreaterThan(7000);
    expect(Date.parse(first.json.expires_at)).toBeGreaterThan(Date.now() + 7000_000);
    expect(second.json.access_token).toBe(first.json.access_token);
    expect(product.sandbox!.requests('/cgi-bin/tags/get').at(-1)!.query.access_token).toBe(first.json.access_token);
    expect(product.sandbox!.count(STABLE)).toBe(1);
  });
});

describe('GET /access-token/{appId}: token vending for an added account, with TOKEN_VENDING=on', () => {
  const B = { appId: 'wxbbbbbbbbbbbbbbbb', appSecret: 'secretOfVendB7c1', token: 'tokenOfVendB26' };
  const product = useLocalProduct('wechat-kf-vend-accounts-', {
    env: { TOKEN_VENDING: 'on', SANDBOX_ACCOUNTS: `${B.appId}:${B.appSecret}:${B.token}` },
  });

  it("hands out that account's own token, the one the product uses for it, and never the default's", async () => {
    // act
    const vended = await call(product, 'GET', `/access-token/${B.appId}`);
    const ofDefault = await call(product, 'GET', '/access-token');
    await call(product, 'POST', `/accounts/${B.appId}/wechat-api`, { method: 'GET', path: '/cgi-bin/tags/get' });
    // assess
    expect(vended.status).toBe(200);
    expect(vended.json).toEqual({ access_token: expect.any(String), expires_at: expect.any(String), expires_in: expect.any(Number) });
    expect(vended.json.access_token).not.toBe(ofDefault.json.access_token);
    // WeChat (the sandbox) issued it to B's AppID: B's own passthrough call carries the same token
    const tokenRequests = product.sandbox!.requests(STABLE).map((r) => (r.body as { appid?: string }).appid);
    expect(tokenRequests.filter((appid) => appid === B.appId)).toHaveLength(1);
    expect(product.sandbox!.requests('/cgi-bin/tags/get').at(-1)!.query.access_token).toBe(vended.json.access_token);
  });

  it.each([
    ['an unknown account', '/access-token/wxcccccccccccccccc', 404, 'ACCOUNT_NOT_FOUND'],
    ['a malformed AppID', '/access-token/gh_notAnAppId', 400, 'INVALID_INPUT'],
    // not under the accounts' prefix: a grant of an account's operations (a wildcard there) must not reach it
    ['the accounts prefix', `/accounts/${B.appId}/access-token`, 404, 'NOT_FOUND'],
  ])('refuses %s without handing out a token', async (_what, path, status, code) => {
    // act
    const answer = await call(product, 'GET', path);
    // assess
    expect(answer.status).toBe(status);
    expect(answer.text).not.toMatch(/access_token/);
    expect(answer.json.error.code).toBe(code);
  });

  it("says where an account's token is when it is asked for under the accounts prefix", async () => {
    // act
    const answer = await call(product, 'GET', `/accounts/${B.appId}/access-token`);
    // assess
    expect(answer.json.error.message).toMatch(/GET \/access-token for an account is GET \/access-token\/\{appId\}/);
  });
});
