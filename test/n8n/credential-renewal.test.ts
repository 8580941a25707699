/**
 * The direct credential (WeChat Official Account API) renews its token by itself once it is stale, so that
 * n8n's HTTP Request node, which never sees WeChat's errcodes, can use it as a predefined credential type.
 * Built nodes (n8n-nodes/dist) on n8n-core's real request helpers, against the sandbox over HTTP.
 */
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { createHarness, loadPackage } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
/** What n8n's HTTP Request node sends with this credential as a predefined credential type. */
const httpRequestNode = () => ({ credentialType: 'weChatOfficialAccountApi', url: `${sandbox.url}/cgi-bin/customservice/getkflist` });
const asHttpRequestNode = { nodeType: 'test.predefinedCredentialRequest' };

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  harness = createHarness({
    credentials: {
      c1: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
      },
    },
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('the direct credential', () => {
  const credential = () => loadPackage().credentials.weChatOfficialAccountApi!;
  const authenticate = (data: ICredentialDataDecryptedObject, options: IHttpRequestOptions) =>
    (credential().authenticate as unknown as (c: ICredentialDataDecryptedObject, r: IHttpRequestOptions) => Promise<IHttpRequestOptions>)(
      data,
      options,
    );

  it('adds the stored token as access_token, beside the query values already there', async () => {
    // act
    const options = await authenticate(
      { accessToken: 'TOKEN', renewAfter: Date.now() + 60_000 },
      { url: 'https://api.weixin.qq.com/cgi-bin/user/info', qs: { openid: 'oA' } },
    );
    // assess
    expect(options.qs).toEqual({ openid: 'oA', access_token: 'TOKEN' });
  });

  it('refuses a stale token with a 401-shaped error, which makes n8n run preAuthentication again', async () => {
    // act
    const error = await authenticate({ accessToken: 'OLD', renewAfter: Date.now() - 1 }, { url: 'https://api.weixin.qq.com/x' }).catch(
      (e) => e,
    );
    // assess
    expect(error).toMatchObject({ name: 'AccessTokenExpiredError', response: { status: 401 } });
    expect(error.message).not.toContain('OLD');
  });

  it('stores when the token stops being used, and renews it with one normal-mode fetch once that has passed', async () => {
    // prepare
    const fetchesAtStart = sandbox.requests('/cgi-bin/stable_token').length;
    const first = await harness.run(httpRequestNode(), [{ json: {} }], CRED, asHttpRequestNode);
    const stored = harness.credentialsHelper.store.c1!.data;
    const oldToken = stored.accessToken as string;
    expect(first.error).toBeUndefined();
    expect(first.items[0]!.json).toMatchObject({ kf_list: expect.any(Array) });
    expect(sandbox.requests('/cgi-bin/stable_token').length).toBe(fetchesAtStart + 1);
    expect(oldToken).toMatch(/.+/);
    expect(Number(stored.renewAfter)).toBeGreaterThan(Date.now() + 60 * 60_000);
    // The token outlived its use-by time and WeChat no longer takes it.
    stored.renewAfter = Date.now() - 1;
    sandbox.expireTokens();
    const fetchesBefore = sandbox.requests('/cgi-bin/stable_token').length;
    const listsBefore = sandbox.count('/cgi-bin/customservice/getkflist');
    // act
    const second = await harness.run(httpRequestNode(), [{ json: {} }], CRED, asHttpRequestNode);
    // assess
    expect(second.error).toBeUndefined();
    expect(second.items[0]!.json.errcode ?? 0).toBe(0);
    const fetches = sandbox.requests('/cgi-bin/stable_token').slice(fetchesBefore);
    expect(fetches.map((r) => (r.body as { force_refresh?: boolean }).force_refresh)).toEqual([false]);
    const lists = sandbox.requests('/cgi-bin/customservice/getkflist').slice(listsBefore);
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(listsBefore + 1);
    const renewed = harness.credentialsHelper.store.c1!.data;
    expect(lists[0]!.query.access_token).toBe(renewed.accessToken);
    expect(renewed.accessToken).not.toBe(oldToken);
    expect(Number(renewed.renewAfter)).toBeGreaterThan(Date.now());
  });

  it("a refused token fetch fails with the core's errcode hint, and stores nothing", async () => {
    // prepare
    harness.credentialsHelper.store.bad = {
      type: 'weChatOfficialAccountApi',
      data: { appId: sandbox.appId, appSecret: 'not-the-secret', baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
    };
    // act
    const { error } = await harness.run(
      httpRequestNode(),
      [{ json: {} }],
      { weChatOfficialAccountApi: { id: 'bad', name: 'bad' } },
      asHttpRequestNode,
    );
    // assess
    // n8n wraps it (as it wraps every failed request) in a NodeApiError: the core's words are its description.
    const shown = `${String(error?.message)} ${String(error?.description)}`;
    expect(shown).toMatch(/40125 \(invalid appsecret\).*check the AppSecret/);
    expect(shown).not.toContain('not-the-secret');
    expect(harness.credentialsHelper.store.bad!.data.accessToken).toBe('');
  });
});
