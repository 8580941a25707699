/**
 * Every other WeChat API from a real n8n (2.8.4) with the one managed token: the WeChat node's *WeChat API →
 * Custom API Call* in both credential modes (direct: the node's token for the credential, refreshed after a
 * 40001 by normal mode first; gateway: the product's POST /wechat-api and its token), and n8n's own HTTP Request
 * node using the *WeChat Official Account API* credential as a predefined credential type (the token is
 * added, and renewed once stale). The built package is installed as a community package, credentials and
 * workflows are imported with n8n's CLI and run with `n8n execute --id`, against the sandbox.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`. Without the n8n install
 * it fails when CI=true and is skipped (with the reason printed) otherwise.
 */
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  describeWithN8n,
  N8N_VERSION,
  gatewayCredential,
  importIntoN8n,
  prepareN8n,
  sandboxCredential,
  workflowBase,
  type N8nUnderTest,
} from './support';

const OPENID = 'o_e2e_passthrough';
const DIRECT = { weChatOfficialAccountApi: { id: 'credPassDirect01', name: 'WeChat sandbox (direct)' } };
/** A credential on a sandbox whose tokens live TOKEN_TTL_SECONDS, for the HTTP Request node's renewal. */
const SHORT = { weChatOfficialAccountApi: { id: 'credPassShort001', name: 'WeChat sandbox (short tokens)' } };
const GATEWAY = { weChatKfGatewayApi: { id: 'credPassGatewy01', name: 'WeChat KF gateway (local)' } };
/** Tokens live this long in the sandbox, so that the credential's renewal happens within the test. */
const TOKEN_TTL_SECONDS = 8;

jest.setTimeout(300_000);

/** A workflow of a manual trigger and one node. */
function workflow(id: string, node: Record<string, unknown>) {
  return {
    ...workflowBase(id, id, ['Start', node.name as string]),
    nodes: [
      { id: 's', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      { id: 'n', position: [220, 0], ...node },
    ],
  };
}

/** n8n's HTTP Request node with the WeChat credential as its predefined credential type. */
function httpRequest(parameters: Record<string, unknown>) {
  return {
    name: 'HTTP Request',
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    parameters: { authentication: 'predefinedCredentialType', nodeCredentialType: 'weChatOfficialAccountApi', options: {}, ...parameters },
    credentials: SHORT,
  };
}

/** The WeChat node's Custom API Call. */
function customApiCall(authentication: 'direct' | 'gateway', parameters: Record<string, unknown>) {
  return {
    name: 'WeChat',
    type: 'n8n-nodes-wechat-kf.weChatKf',
    typeVersion: 1,
    parameters: { authentication, resource: 'wechatApi', operation: 'call', ...parameters },
    credentials: authentication === 'direct' ? DIRECT : GATEWAY,
  };
}

const describeE2E = describeWithN8n();

describeE2E(`n8n ${N8N_VERSION}: other WeChat APIs with the managed token`, () => {
  let sandbox: Sandbox;
  let short: Sandbox;
  let product: LocalProduct;
  let setUp: N8nUnderTest;

  const n8n = (...args: string[]) => setUp.cli(...args);
  const execute = async (id: string) => {
    const result = await n8n('execute', `--id=${id}`);
    if (result.code !== 0) throw new Error(`n8n execute --id=${id} failed (${result.code}):\n${result.out.slice(-6000)}`);
    return result;
  };

  beforeAll(async () => {
    // Each test n8n gets its own ports (n8n opens its task broker even for `n8n execute`), so it can run
    // beside the other n8n test files.
    setUp = await prepareN8n('n8n-e2e-pass-');
    sandbox = await startSandbox({ quiet: true });
    short = await startSandbox({ quiet: true, tokenTtlSeconds: TOKEN_TTL_SECONDS });
    product = await startLocal({ port: 0, dataDir: join(setUp.work, 'product'), env: {} });
    const workflows = [
      workflow(
        'wfHttpGetInfo001',
        httpRequest({
          method: 'GET',
          url: `${short.url}/cgi-bin/user/info`,
          sendQuery: true,
          queryParameters: { parameters: [{ name: 'openid', value: OPENID }] },
        }),
      ),
      workflow(
        'wfHttpPostTag001',
        httpRequest({
          method: 'POST',
          url: `${short.url}/cgi-bin/tags/create`,
          sendBody: true,
          specifyBody: 'json',
          jsonBody: '{"tag":{"name":"from n8n"}}',
        }),
      ),
      workflow(
        'wfCustomDirect01',
        customApiCall('direct', { method: 'GET', path: '/cgi-bin/user/info', query: JSON.stringify({ openid: OPENID }) }),
      ),
      workflow(
        'wfCustomGatewy01',
        customApiCall('gateway', { method: 'POST', path: '/cgi-bin/tags/create', body: '{"tag":{"name":"via the gateway"}}' }),
      ),
      workflow(
        'wfCustomRefuse01',
        customApiCall('direct', {
          method: 'POST',
          path: '/cgi-bin/message/custom/send',
          body: '{"touser":"x","msgtype":"text","text":{"content":"x"}}',
        }),
      ),
    ];
    await importIntoN8n(setUp, {
      credentials: [
        sandboxCredential(DIRECT.weChatOfficialAccountApi, sandbox),
        sandboxCredential(SHORT.weChatOfficialAccountApi, short),
        gatewayCredential(GATEWAY.weChatKfGatewayApi, product.url),
      ],
      workflows: { 'workflows.json': workflows },
    });
    await sandbox.simulateUser(OPENID, { type: 'text', content: 'hi' });
    await short.simulateUser(OPENID, { type: 'text', content: 'hi' });
  });

  afterAll(async () => {
    await product?.stop();
    await sandbox?.stop();
    await short?.stop();
    await setUp?.stop();
  });

  it('the HTTP Request node uses the credential as a predefined credential type: the token is added, and renewed once stale', async () => {
    // act: a GET, then (once the first token has expired) a POST, to endpoints the product has no operation for
    await execute('wfHttpGetInfo001');
    const firstFetch = short.requests('/cgi-bin/stable_token')[0]?.at ?? Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, firstFetch + TOKEN_TTL_SECONDS * 1000 + 500 - Date.now())));
    await execute('wfHttpPostTag001');
    // assess
    const [info] = short.requests('/cgi-bin/user/info');
    const [created] = short.requests('/cgi-bin/tags/create');
    expect(info!.answer?.body).toMatchObject({ subscribe: 1, openid: OPENID });
    expect(created!.answer?.body).toEqual({ tag: { id: 100, name: 'from n8n' } });
    expect(info!.query.openid).toBe(OPENID);
    const fetches = short.requests('/cgi-bin/stable_token');
    const issued = fetches.map((r) => (r.answer?.body as { access_token?: string } | undefined)?.access_token);
    // Two tokens, each from one normal-mode fetch: the first was expired by the time of the POST, and the
    // credential renewed it before sending rather than let WeChat answer 42001.
    expect(fetches.map((r) => (r.body as { force_refresh?: boolean }).force_refresh)).toEqual([false, false]);
    expect(info!.query.access_token).toBe(issued[0]);
    expect(created!.query.access_token).toBe(issued[1]);
    expect(issued[1]).not.toBe(issued[0]);
  });

  it("Custom API Call in direct mode: the node's token added, -1 tried again, and a 40001 recovered by normal mode first, a force only when it hands back the refused token", async () => {
    // prepare: WeChat is busy once, then refuses the call's token although stable_token still hands it out
    const infoBefore = sandbox.requests('/cgi-bin/user/info').length;
    const fetchesBefore = sandbox.requests('/cgi-bin/stable_token').length;
    sandbox.injectFault({ path: '/cgi-bin/user/info', kind: 'errcode', errcode: -1 });
    sandbox.injectFault({ path: '/cgi-bin/user/info', kind: 'errcode', errcode: 40001 });
    // act
    await execute('wfCustomDirect01');
    // assess
    const calls = sandbox.requests('/cgi-bin/user/info').slice(infoBefore);
    expect(calls.map((r) => r.answer?.body as Record<string, unknown>)).toEqual([
      expect.objectContaining({ errcode: -1 }),
      expect.objectContaining({ errcode: 40001 }),
      expect.objectContaining({ subscribe: 1, openid: OPENID }),
    ]);
    // `n8n execute` is a process of its own, so its token cache starts empty: one normal-mode fetch; after
    // the 40001 normal mode again, which hands back the refused token, so one forced refresh.
    const fetches = sandbox.requests('/cgi-bin/stable_token').slice(fetchesBefore);
    const issued = fetches.map((r) => (r.answer?.body as { access_token: string } | undefined)?.access_token);
    expect(fetches.map((r) => (r.body as { force_refresh?: boolean }).force_refresh)).toEqual([false, false, true]);
    expect(issued[1]).toBe(issued[0]);
    expect(calls[1]!.query.access_token).toBe(issued[0]);
    expect(calls[2]!.query.access_token).toBe(issued[2]);
  });

  it("Custom API Call in gateway mode: the product's POST /wechat-api, with the product's own token", async () => {
    // act
    await execute('wfCustomGatewy01');
    // assess
    const [created] = product.sandbox!.requests('/cgi-bin/tags/create');
    expect(created!.answer?.body).toEqual({ tag: { id: 100, name: 'via the gateway' } });
    expect(created!.query.access_token).toBe((await product.context.tokens.getToken()).value);
    expect(
      sandbox.requests('/cgi-bin/tags/create').some((r) => (r.body as { tag?: { name?: string } }).tag?.name === 'via the gateway'),
    ).toBe(false);
  });

  it('Custom API Call refuses custom/send with a pointer to the send operation, before WeChat is called', async () => {
    // prepare
    const before = sandbox.requests().length;
    // act
    const result = await n8n('execute', '--id=wfCustomRefuse01');
    // assess
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/sendMessage/);
    expect(
      sandbox
        .requests()
        .slice(before)
        .filter((r) => r.path === '/cgi-bin/message/custom/send'),
    ).toEqual([]);
  });
});
