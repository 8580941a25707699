/**
 * The direct credential (WeChat Official Account API) renews its token by itself once it is stale, so that
 * n8n's HTTP Request node, which never sees WeChat's errcodes, can use it as a predefined credential type.
 * Built nodes (n8n-nodes/dist) on n8n-core's real request helpers, against the sandbox over HTTP.
 */
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../functions/sandbox';
import { createHarness, loadPackage } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
const list = { authentication: 'direct', resource: 'kfAccount', operation: 'list' };

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  harness = createHarness({
    credentials: {
      c1: { type: 'weChatOfficialAccountApi', data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' } },
    },
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

describe('the direct credential', () => {
  const credential = () => loadPackage().credentials.weChatOfficialAccountApi!;
  const authenticate = (data: ICredentialDataDecryptedObject, options: IHttpRequestOptions) =>
    (credential().authenticate as unknown as (c: ICredentialDataDecryptedObject, r: IHttpRequestOptions) => Promise<IHttpRequestOptions>)(data, options);

  it('adds the stored token as access_token, beside the query values already there', async () => {
    // act
    const options = await authenticate({ accessToken: 'TOKEN', renewAfter: Date.now() + 60_000 }, { url: 'https://api.weixin.qq.com/cgi-bin/user/info', qs: { openid: 'oA' } });
    // assess
    expect(options.qs).toEqual({ openid: 'oA', access_token: 'TOKEN' });
  });

  it('refuses a stale token with a 401-shaped error, which makes n8n run preAuthentication again', async () => {
    // act
    const error = await authenticate({ accessToken: 'OLD', renewAfter: Date.now() - 1 }, { url: 'https://api.weixin.qq.com/x' }).catch((e) => e);
    // assess
    expect(error).toMatchObject({ name: 'AccessTokenExpiredError', response: { status: 401 } });
    expect(error.message).not.toContain('OLD');
  });

  it('stores when the token stops being used, and renews it with one normal-mode fetch once that has passed', async () => {
    // prepare
    const first = await harness.run(list, [{ json: {} }], CRED);
    const stored = harness.credentialsHelper.store.c1!.data;
    const oldToken = stored.accessToken as string;
    expect(first.error).toBeUndefined();
    expect(Number(stored.renewAfter)).toBeGreaterThan(Date.now() + 60 * 60_000);
    // The token outlived its use-by time and WeChat no longer takes it.
    stored.renewAfter = Date.now() - 1;
    sandbox.expireTokens();
    const fetchesBefore = sandbox.requests('/cgi-bin/stable_token').length;
    const listsBefore = sandbox.count('/cgi-bin/customservice/getkflist');
    // act
    const second = await harness.run(list, [{ json: {} }], CRED);
    // assess
    expect(second.error).toBeUndefined();
    const fetches = sandbox.requests('/cgi-bin/stable_token').slice(fetchesBefore);
    expect(fetches.map((r) => (r.body as { force_refresh?: boolean }).force_refresh)).toEqual([false]);
    const lists = sandbox.requests('/cgi-bin/customservice/getkflist').slice(listsBefore);
    expect(sandbox.count('/cgi-bin/customservice/getkflist')).toBe(listsBefore + 1);
    const renewed = harness.credentialsHelper.store.c1!.data;
    expect(lists[0]!.query.access_token).toBe(renewed.accessToken);
    expect(renewed.accessToken).not.toBe(oldToken);
    expect(Number(renewed.renewAfter)).toBeGreaterThan(Date.now());
  });
});
