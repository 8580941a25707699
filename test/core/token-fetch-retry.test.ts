/**
 * fetchAccessToken tries again only what cannot have issued a token nobody sees: a request that never
 * reached WeChat, WeChat's -1 (busy), and an HTTP 5xx of a normal-mode stable_token (which changes
 * nothing). Against the sandbox over HTTP.
 */
import { WeChatApiError, WeChatUnavailableError } from '../../functions/core/errors';
import { fetchAccessToken, type TokenFetchConfig } from '../../functions/core/token';
import { FetchTransport } from '../../functions/core/transport';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';

let sandbox: Sandbox;
let config: TokenFetchConfig;
const waits: number[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  config = {
    transport: new FetchTransport(),
    baseUrl: sandbox.url,
    appId: sandbox.appId,
    appSecret: sandbox.appSecret,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
  };
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(() => {
  waits.length = 0;
});

const stableCalls = () => sandbox.count('/cgi-bin/stable_token');

describe('fetchAccessToken tries again', () => {
  it('after -1 (busy), with the one backoff', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'errcode', errcode: -1, times: 2 });
    const before = stableCalls();
    // act
    const token = await fetchAccessToken(config);
    // assess
    expect(token.value).toMatch(/.+/);
    expect(stableCalls()).toBe(before + 3);
    expect(waits).toEqual([100, 200]);
  });

  it('after an HTTP 5xx in normal mode', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'http', status: 502 });
    const before = stableCalls();
    // act
    const token = await fetchAccessToken(config);
    // assess
    expect(token.value).toMatch(/.+/);
    expect(stableCalls()).toBe(before + 2);
  });

  it('after a refused connection', async () => {
    // prepare: nothing listens at the first try; the sandbox is back for the second
    const offline = { ...config, sleep: async () => new Promise<void>((resolve) => setTimeout(resolve, 300)) };
    await sandbox.goOffline(100);
    const before = stableCalls();
    // act
    const token = await fetchAccessToken(offline);
    // assess
    expect(token.value).toMatch(/.+/);
    expect(stableCalls()).toBe(before + 1);
  });
});

describe('fetchAccessToken does not try again', () => {
  it('a forced refresh after an HTTP 5xx (it may have issued a new token)', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'http', status: 502 });
    const before = stableCalls();
    // act
    const error = await fetchAccessToken(config, true).catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(WeChatUnavailableError);
    expect((error as Error).message).toMatch(/HTTP 502/);
    expect(stableCalls()).toBe(before + 1);
  });

  it('a refusal such as 40125, and its message keeps the secret out', async () => {
    // prepare
    const before = stableCalls();
    // act
    const error = await fetchAccessToken({ ...config, appSecret: 'wrong-secret-123' }).catch((e: unknown) => e);
    // assess
    expect(error).toBeInstanceOf(WeChatApiError);
    expect(error).toMatchObject({ errcode: 40125 });
    expect((error as Error).message).not.toContain('wrong-secret-123');
    expect(stableCalls()).toBe(before + 1);
  });

  it('past its tries: the last error', async () => {
    // prepare
    sandbox.injectFault({ path: '/cgi-bin/stable_token', kind: 'errcode', errcode: -1, times: 3 });
    const before = stableCalls();
    // act
    const error = await fetchAccessToken(config).catch((e: unknown) => e);
    // assess
    expect(error).toMatchObject({ errcode: -1 });
    expect(stableCalls()).toBe(before + 3);
  });
});
