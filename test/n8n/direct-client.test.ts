/**
 * n8n's direct mode runs through the core WeChat client over n8n's own request helper: the built node
 * (n8n-nodes/dist) on n8n-core's real engine and request helpers, against the sandbox over HTTP. What the
 * core promises must hold in n8n too: retry what provably never reached WeChat (-1, a refused connection,
 * a 5xx on a read), never send a message twice (a reset, a timeout or a 5xx after a send was written), one
 * token fetch for concurrent executions, normal mode before a forced refresh, and the forced-refresh
 * budget per credential. Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { stableToken } from '../sandbox/helpers';
import { createHarness } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
const list = { authentication: 'direct', resource: 'kfAccount', operation: 'list' };
const sendParams = (touser: string, content: string) => ({
  authentication: 'direct',
  resource: 'message',
  operation: 'send',
  touser,
  msgtype: 'text',
  content,
});

/**
 * A sandbox and a harness whose credential points at it. Each gets its own API Base URL, so the node's
 * token cache (per credential, per process) starts empty for each.
 */
async function setup(): Promise<{ sandbox: Sandbox; harness: ReturnType<typeof createHarness> }> {
  const sandbox = await startSandbox({ quiet: true });
  const harness = createHarness({
    credentials: {
      c1: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
      },
    },
  });
  return { sandbox, harness };
}

type Context = { context: Record<string, unknown>; description?: string };
const contextOf = (error: unknown) => (error as Context).context;
let userSeq = 0;

async function activeUser(sandbox: Sandbox): Promise<string> {
  const openid = `o_direct_${++userSeq}`;
  await sandbox.simulateUser(openid, { type: 'text', content: 'hello' });
  return openid;
}

const texts = (sandbox: Sandbox, openid: string) => sandbox.messages(openid).map((m) => (m.body.text as { content: string }).content);

/**
 * A sandbox and a harness with the direct credential for one describe block (a sandbox of its own, so one
 * block's forced refreshes never use up another's budget); spies are restored after each test.
 */
function useDirectCredential(): { sandbox: Sandbox; harness: ReturnType<typeof createHarness> } {
  const env = {} as { sandbox: Sandbox; harness: ReturnType<typeof createHarness> };
  beforeAll(async () => {
    Object.assign(env, await setup());
  });
  afterAll(async () => {
    await env.sandbox?.stop();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  return env;
}

/** Whether each stable_token request since the `since`-th asked for a forced refresh. */
const forcedFlags = (sandbox: Sandbox, since: number) =>
  sandbox
    .requests('/cgi-bin/stable_token')
    .slice(since)
    .map((r) => (r.body as { force_refresh?: boolean }).force_refresh);

describe('retries in direct mode', () => {
  const env = useDirectCredential();

  /**
   * A user who wrote in, a token in the cache (so the only traffic is the send's), backoff waits near their
   * ceilings (about 200 ms, then 400 ms), and WeChat unreachable for `ms`. Answers the user and the sends so far.
   */
  async function sendWhileOffline(ms: number): Promise<{ openid: string; sends: number }> {
    const openid = await activeUser(env.sandbox);
    await env.harness.run(list, [{ json: {} }], CRED);
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    await env.sandbox.goOffline(ms);
    return { openid, sends };
  }

  it('errcode -1 (busy) is tried again, and the user gets the message once', async () => {
    // prepare
    const openid = await activeUser(env.sandbox);
    env.sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: -1 });
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    // act
    const { items, error } = await env.harness.run(sendParams(openid, 'busy then ok'), [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({ errcode: 0, touser: openid });
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 2);
    expect(texts(env.sandbox, openid)).toEqual(['busy then ok']);
  });

  it('an HTTP 5xx on a read is tried again', async () => {
    // prepare
    env.sandbox.injectFault({ path: '/cgi-bin/customservice/getkflist', kind: 'http', status: 502 });
    const lists = env.sandbox.count('/cgi-bin/customservice/getkflist');
    // act
    const { error } = await env.harness.run(list, [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(env.sandbox.count('/cgi-bin/customservice/getkflist')).toBe(lists + 2);
  });

  it('an HTTP 5xx on a send is not tried again (the request reached a server), and says so', async () => {
    // prepare
    const openid = await activeUser(env.sandbox);
    env.sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'http', status: 502 });
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    // act
    const { error } = await env.harness.run(sendParams(openid, 'x'), [{ json: {} }], CRED);
    // assess
    expect(error?.name).toBe('NodeApiError');
    expect(error?.message).toMatch(/HTTP 502.*not retried/);
    expect(contextOf(error).code).toBe('WECHAT_UNAVAILABLE');
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 1);
  });

  it('a reset after the send was written is not tried again: no duplicate message', async () => {
    // prepare
    const openid = await activeUser(env.sandbox);
    env.sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'reset' });
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    // act
    const { error } = await env.harness.run(sendParams(openid, 'x'), [{ json: {} }], CRED);
    // assess
    expect(error?.name).toBe('NodeApiError');
    expect(error?.message).toMatch(/connection to WeChat .* broke \(not retried: the request may have been carried out\)/);
    expect(String((error as unknown as Context).description)).toMatch(/not repeated/);
    expect(contextOf(error).code).toBe('WECHAT_UNAVAILABLE');
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 1);
  });

  it('a refused connection is tried again, and the send then goes out once', async () => {
    // prepare: WeChat unreachable for 150 ms, so the first try is refused and a later one finds WeChat back
    const { openid, sends } = await sendWhileOffline(150);
    // act
    const { items, error } = await env.harness.run(sendParams(openid, 'after a refusal'), [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({ errcode: 0 });
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 1);
    expect(texts(env.sandbox, openid)).toEqual(['after a refusal']);
  });

  it('Custom API Call: a GET is tried again after -1, a POST (unknown effect) is sent once', async () => {
    // prepare
    const openid = await activeUser(env.sandbox);
    const call = (parameters: Record<string, unknown>) =>
      env.harness.run({ authentication: 'direct', resource: 'wechatApi', operation: 'call', ...parameters }, [{ json: {} }], CRED);
    env.sandbox.injectFault({ path: '/cgi-bin/user/info', kind: 'errcode', errcode: -1 });
    env.sandbox.injectFault({ path: '/cgi-bin/tags/create', kind: 'errcode', errcode: -1 });
    const infos = env.sandbox.count('/cgi-bin/user/info');
    const creates = env.sandbox.count('/cgi-bin/tags/create');
    // act
    const read = await call({ method: 'GET', path: '/cgi-bin/user/info', query: JSON.stringify({ openid }) });
    const write = await call({ method: 'POST', path: '/cgi-bin/tags/create', body: '{"tag":{"name":"once"}}' });
    // assess
    expect(read.error).toBeUndefined();
    expect(read.items[0]!.json).toMatchObject({ openid, subscribe: 1 });
    expect(env.sandbox.count('/cgi-bin/user/info')).toBe(infos + 2);
    expect(write.error?.name).toBe('NodeApiError');
    expect(contextOf(write.error)).toMatchObject({ errcode: -1, hint: expect.stringMatching(/busy/) });
    expect(env.sandbox.count('/cgi-bin/tags/create')).toBe(creates + 1);
  });

  it('WeChat unreachable through every try: a NodeApiError after 3 tries, and nothing sent', async () => {
    // prepare: WeChat unreachable for longer than the three tries take
    const { openid, sends } = await sendWhileOffline(1500);
    // act
    const { error } = await env.harness.run(sendParams(openid, 'never'), [{ json: {} }], CRED);
    // assess
    expect(error?.name).toBe('NodeApiError');
    expect(error?.message).toMatch(
      /could not be reached at http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/message\/custom\/send after 3 tries.*ECONNREFUSED/,
    );
    expect(error?.message).not.toMatch(/access_token/);
    expect(contextOf(error).code).toBe('WECHAT_UNAVAILABLE');
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends);
    expect(texts(env.sandbox, openid)).toEqual([]);
  });
});

describe('the token in direct mode (one cache per credential, normal mode first)', () => {
  const env = useDirectCredential();

  it('ten executions that need a token at once fetch one', async () => {
    // prepare
    const lists = env.sandbox.count('/cgi-bin/customservice/getkflist');
    // act
    const runs = await Promise.all(Array.from({ length: 10 }, () => env.harness.run(list, [{ json: {} }], CRED)));
    // assess
    expect(runs.map((r) => r.error)).toEqual(Array(10).fill(undefined));
    expect(env.sandbox.count('/cgi-bin/customservice/getkflist')).toBe(lists + 10);
    expect(forcedFlags(env.sandbox, 0)).toEqual([false]);
  });

  it('a 40001 after another system forced a refresh is recovered in normal mode, without forcing', async () => {
    // prepare: another system on the AppID forces a refresh, which kills the node's token
    const openid = await activeUser(env.sandbox);
    await env.harness.run(list, [{ json: {} }], CRED);
    const other = await stableToken(env.sandbox, true);
    const tokens = env.sandbox.requests('/cgi-bin/stable_token').length;
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    // act
    const { error } = await env.harness.run(sendParams(openid, 'recovered'), [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(forcedFlags(env.sandbox, tokens)).toEqual([false]);
    const [refused, retried] = env.sandbox.requests('/cgi-bin/message/custom/send').slice(sends);
    expect(refused!.answer?.body).toMatchObject({ errcode: 40001 });
    expect(retried!.query.access_token).toBe(other.access_token);
    expect(texts(env.sandbox, openid)).toEqual(['recovered']);
  });
});

describe('the forced-refresh budget in direct mode (per credential: 20 a day, 30 s apart)', () => {
  // A env.sandbox of its own: WeChat's budget is the AppID's, and a force by another test would use it up.
  const env = useDirectCredential();

  it('forces only when normal mode hands back the refused token, and a second force within 30 s is refused with the budget named', async () => {
    // prepare: WeChat refuses a token that stable_token still hands out; the first time a force is allowed
    const openid = await activeUser(env.sandbox);
    await env.harness.run(list, [{ json: {} }], CRED);
    env.sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: 40001 });
    let tokens = env.sandbox.requests('/cgi-bin/stable_token').length;
    const first = await env.harness.run(sendParams(openid, 'after one force'), [{ json: {} }], CRED);
    expect(first.error).toBeUndefined();
    expect(forcedFlags(env.sandbox, tokens)).toEqual([false, true]);
    const forcedAt = Date.now();
    env.sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: 40001 });
    tokens = env.sandbox.requests('/cgi-bin/stable_token').length;
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    // act
    const { error } = await env.harness.run(sendParams(openid, 'needs a second force'), [{ json: {} }], CRED);
    // assess
    expect(error?.name).toBe('NodeApiError');
    expect(error?.message).toMatch(/forced refreshes must be 30 s apart/);
    const context = contextOf(error);
    expect(context).toMatchObject({ code: 'TOKEN_REFRESH_BUDGET_SPENT', limit: 'spacing' });
    const next = Date.parse(String(context.nextForceAt));
    expect(next).toBeGreaterThan(forcedAt);
    expect(next).toBeLessThanOrEqual(forcedAt + 30_000);
    expect(String((error as unknown as Context).description)).toMatch(/^Wait until \d{4}-\d\d-\d\dT.*Stable Token/);
    // Normal mode only, no force asked of WeChat, and the send was not tried again.
    expect(forcedFlags(env.sandbox, tokens)).toEqual([false]);
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 1);
    expect(texts(env.sandbox, openid)).toEqual(['after one force']);
  });

  it('with Continue On Fail, the item carries the budget: code, limit and nextForceAt (and nothing is sent)', async () => {
    // prepare: the token stays refused and the last force was moments ago (the test above)
    const openid = await activeUser(env.sandbox);
    const sends = env.sandbox.count('/cgi-bin/message/custom/send');
    // act
    const { items, error } = await env.harness.run(sendParams(openid, 'x'), [{ json: {} }], CRED, { continueOnFail: true });
    // assess
    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({
      code: 'TOKEN_REFRESH_BUDGET_SPENT',
      limit: 'spacing',
      nextForceAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(String(items[0]!.json.error)).toMatch(/30 s apart/);
    expect(env.sandbox.count('/cgi-bin/message/custom/send')).toBe(sends);
  });
});

describe('the first token fetch of a credential in direct mode', () => {
  const env = useDirectCredential();

  it('is tried again after a refused connection (a normal-mode fetch changes nothing)', async () => {
    // prepare: an empty cache, WeChat unreachable for 150 ms, backoff waits near their ceilings
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    await env.sandbox.goOffline(150);
    // act
    const { error } = await env.harness.run(list, [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(env.sandbox.count('/cgi-bin/customservice/getkflist')).toBe(1);
    expect(forcedFlags(env.sandbox, 0)).toEqual([false]);
  });
});

describe('a direct credential that is set up wrong', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it.each([
    ['no AppSecret', { appSecret: '' }, /has no AppSecret/],
    ['no AppID', { appId: ' ' }, /has no AppID/],
    ['an API Base URL that is not http(s)', { baseUrl: 'file:///etc/passwd' }, /API Base URL .* must be an http\(s\) URL/],
  ])('%s: a NodeOperationError saying what to fix, and nothing sent', async (_, change, message) => {
    // prepare
    const harness = createHarness({
      credentials: {
        c1: {
          type: 'weChatOfficialAccountApi',
          data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', ...change },
        },
      },
    });
    const before = sandbox.requests().length;
    // act
    const { error } = await harness.run(list, [{ json: {} }], CRED);
    // assess
    expect(error?.name).toBe('NodeOperationError');
    expect(error?.message).toMatch(message);
    expect(contextOf(error).code).toBe('CONFIGURATION_ERROR');
    expect(sandbox.requests().length).toBe(before);
  });
});
