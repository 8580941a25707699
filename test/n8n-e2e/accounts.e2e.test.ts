/**
 * Gateway mode's *Account* field in a real n8n (N8N_E2E_DIR; 2.8.4 and 2.40.7), what n8n itself makes of
 * the saved parameters (defaults, `@version` and Gateway-only display rules, resource locators, an
 * expression in one), with every request recorded by a stand-in for the deployed API
 * (test/n8n/gateway-recorder.ts):
 * - `n8n execute`: a version 2 node with an account By ID sends under `/accounts/<appId>`; the same node
 *   saved without the field (a workflow made before accounts) and a version 1 node send today's paths;
 * - `n8n start` with a published Gateway trigger for one account: activation subscribes with
 *   `appIds: [<appId>]`; a signed delivery of that account's message starts the workflow, whose reply
 *   (Account By ID `{{ $json.appId }}`) goes under that account's path;
 * - with the product itself (`startLocal`, a second sandbox account from SANDBOX_ACCOUNTS): a trigger for
 *   that account starts on its user's message only, and the reply reaches that user through that account.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { signDelivery } from '../../functions/core/webhooks/signature';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { APP_B, startGatewayRecorder } from '../n8n/gateway-recorder';
import {
  describeWithN8n,
  gatewayCredential,
  importIntoN8n,
  N8N_VERSION,
  nodeType,
  prepareN8n,
  waitFor,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const GATEWAY_CRED = { id: 'credAccountsGw01', name: 'Product gateway' };
const credentials = { weChatKfGatewayApi: GATEWAY_CRED };
const WEBHOOK_ID = 'wechat-accounts-e2e';
const OPENID = 'o_e2e_account_b';

jest.setTimeout(300_000);

const send = (id: string, name: string, typeVersion: number, extra: Record<string, unknown>, x: number) => ({
  id,
  name,
  type: nodeType('weChatKf'),
  typeVersion,
  position: [x, 0],
  parameters: {
    authentication: 'gateway',
    resource: 'message',
    operation: 'send',
    touser: OPENID,
    msgtype: 'text',
    content: `from ${name}`,
    ...extra,
  },
  credentials,
});

/** Manual start → four sends: an account By ID, one by expression, none (saved before accounts), version 1. */
function sendsWorkflow() {
  const names = ['Start', 'For B', 'For B by expression', 'Default', 'Version 1'];
  return {
    ...workflowBase('wfAccountsSend01', 'Sends for an account', names),
    nodes: [
      { id: 'a0', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      send('a1', 'For B', 2, { account: { __rl: true, mode: 'id', value: APP_B } }, 200),
      send('a2', 'For B by expression', 2, { account: { __rl: true, mode: 'id', value: `={{ '${APP_B}' }}` } }, 400),
      send('a3', 'Default', 2, {}, 600),
      send('a4', 'Version 1', 1, {}, 800),
    ],
  };
}

/**
 * A Gateway trigger for one account (`account`: the trigger's Account value) whose Reply answers each
 * message with `<prefix> <content>` through the account the message came to (`{{ $json.appId }}`).
 */
function echoWorkflow(id: string, name: string, webhookId: string, account: Record<string, unknown>, prefix: string, trigger = {}) {
  return {
    ...workflowBase(id, name, ['Trigger', 'Reply']),
    nodes: [
      {
        id: `${id}-t`,
        name: 'Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId,
        parameters: { mode: 'gateway', ...trigger, account: { __rl: true, ...account } },
        credentials,
      },
      send(
        `${id}-r`,
        'Reply',
        2,
        {
          account: { __rl: true, mode: 'id', value: '={{ $json.appId }}' },
          touser: { __rl: true, mode: 'id', value: '={{ $json.openid }}' },
          content: `=${prefix} {{ $json.content }}`,
        },
        220,
      ),
    ],
  };
}

/** A Gateway trigger for account B, picked From List; the reply goes through the account the message came to. */
const triggerWorkflow = () =>
  echoWorkflow(
    'wfAccountsTrig01',
    'Trigger for an account',
    WEBHOOK_ID,
    { mode: 'list', value: APP_B, cachedResultName: 'Shop B' },
    'echo:',
  );

describeWithN8n()(`n8n ${N8N_VERSION}: Gateway mode's Account`, () => {
  let recorder: Awaited<ReturnType<typeof startGatewayRecorder>>;
  let setUp: N8nUnderTest;
  let n8n: N8nServer | undefined;

  beforeAll(async () => {
    recorder = await startGatewayRecorder();
    setUp = await prepareN8n('n8n-accounts-e2e-');
    await importIntoN8n(setUp, {
      credentials: [gatewayCredential(GATEWAY_CRED, recorder.url)],
      workflows: { 'sends.json': sendsWorkflow(), 'trigger.json': triggerWorkflow() },
      publish: ['wfAccountsTrig01'],
    });
  });

  afterAll(async () => {
    await setUp?.stop();
    recorder?.server.closeAllConnections();
    await new Promise((r) => recorder?.server.close(r));
  });

  it('`n8n execute`: an account’s sends go under /accounts/<appId>; no Account and version 1 send today’s', async () => {
    // Act
    const result = await setUp.cli('execute', '--id=wfAccountsSend01');
    // Assess
    const sends = recorder.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages/text'));
    if (sends.length !== 4)
      throw new Error(`expected 4 sends, got ${JSON.stringify(sends)}; n8n said (${result.code}):\n${result.out.slice(-6000)}`);
    expect(sends.map((r) => [r.path, (r.body as { text: { content: string } }).text.content])).toEqual([
      [`/accounts/${APP_B}/messages/text`, 'from For B'],
      [`/accounts/${APP_B}/messages/text`, 'from For B by expression'],
      ['/messages/text', 'from Default'],
      ['/messages/text', 'from Version 1'],
    ]);
    expect(result.code).toBe(0);
  });

  it('`n8n start`: the trigger subscribes for its account; a delivery of that account’s message is answered through it', async () => {
    // Act: n8n activates the published trigger
    n8n = await setUp.start();
    const subscription = await waitFor('the subscription', async () => [...recorder.subscriptions.values()][0], 60_000, n8n.log);
    // Assess: the filter, on the deployment's route (never under /accounts)
    expect(subscription).toMatchObject({
      url: setUp.triggerUrl(WEBHOOK_ID),
      events: ['message.*', 'event.*', 'handoff.*'],
      appIds: [APP_B],
    });
    expect(recorder.requests.filter((r) => r.path.includes('subscriptions')).every((r) => r.path.startsWith('/subscriptions'))).toBe(true);

    // Act: the product delivers account B's message, signed with the subscription's secret
    const body = JSON.stringify({
      id: 'evt-accounts-e2e-1',
      type: 'message.text',
      detail: {
        appId: APP_B,
        message: {
          ToUserName: 'gh_b',
          FromUserName: OPENID,
          CreateTime: Math.floor(Date.now() / 1000),
          MsgType: 'text',
          Content: 'hi B',
          MsgId: '42',
        },
      },
    });
    const delivered = await fetch(setUp.triggerUrl(WEBHOOK_ID), {
      method: 'POST',
      headers: signDelivery({ secret: `whsec_${String(subscription.id)}`, eventId: 'evt-accounts-e2e-1', body, now: Date.now() }),
      body,
    });
    // Assess: the reply went through account B
    expect(delivered.status).toBe(200);
    const reply = await waitFor(
      'the reply',
      async () => recorder.requests.find((r) => r.method === 'POST' && JSON.stringify(r.body ?? {}).includes('echo: ')),
      60_000,
      n8n.log,
    );
    expect(reply).toMatchObject({
      path: `/accounts/${APP_B}/messages/text`,
      body: { touser: OPENID, msgtype: 'text', text: { content: 'echo: hi B' } },
    });
  });
});

const C = { appId: 'wxc4c4c4c4c4c4c4c4', appSecret: 'secretOfAccountC04', token: 'tokenOfC2026' };
const PRODUCT_WEBHOOK_ID = 'wechat-accounts-product-e2e';

/** A Gateway trigger for account C, By ID, text only, answering through the account of the message. */
const productWorkflow = () =>
  echoWorkflow('wfAccountsProd01', 'Account C echo', PRODUCT_WEBHOOK_ID, { mode: 'id', value: C.appId }, 'C echo:', {
    messageTypes: ['text'],
  });

describeWithN8n()(`n8n ${N8N_VERSION}: a trigger for one account of the product`, () => {
  let product: LocalProduct | undefined;
  let setUp: N8nUnderTest;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'product-accounts-e2e-'));
    product = await startLocal({ port: 0, dataDir, env: { SANDBOX_ACCOUNTS: `${C.appId}:${C.appSecret}:${C.token}` } });
    setUp = await prepareN8n('n8n-accounts-product-e2e-');
    await importIntoN8n(setUp, {
      credentials: [gatewayCredential(GATEWAY_CRED, product.url)],
      workflows: { 'account-c.json': productWorkflow() },
      publish: ['wfAccountsProd01'],
    });
  });

  afterAll(async () => {
    await setUp?.stop();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The sandbox's control plane (docs/accounts.md). */
  const sandboxCall = async (method: string, path: string, body?: unknown): Promise<any> =>
    (
      await fetch(`${product!.sandbox!.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    ).json();
  const received = async (appId: string, openid: string): Promise<Array<Record<string, any>>> =>
    (await sandboxCall('GET', `/sandbox/messages?appId=${appId}&openid=${openid}`)).messages;

  it('starts on account C’s user only, and answers that user through account C', async () => {
    // Act: n8n activates the trigger; a user of the default account, then a user of C, write in
    const n8n = await setUp.start();
    const url = setUp.triggerUrl(PRODUCT_WEBHOOK_ID);
    const subscription = await waitFor(
      'the subscription',
      async () => (await product!.webhooks.subscriptions.list()).find((s) => s.url === url),
      60_000,
      n8n.log,
    );
    await sandboxCall('POST', `/sandbox/users/o_e2e_default_user/messages?appId=${product!.sandbox!.appId}`, { content: 'to default' });
    await sandboxCall('POST', `/sandbox/users/o_e2e_c_user/messages?appId=${C.appId}`, { content: 'to C' });
    const reply = await waitFor('the reply to C’s user', async () => (await received(C.appId, 'o_e2e_c_user'))[0], 60_000, n8n.log);
    // Assess
    expect(subscription.appIds).toEqual([C.appId]);
    expect(reply.body).toEqual({ touser: 'o_e2e_c_user', msgtype: 'text', text: { content: 'C echo: to C' } });
    expect(await received(product!.sandbox!.appId, 'o_e2e_default_user')).toEqual([]);
    expect((await product!.webhooks.subscriptions.get(subscription.id)).deliveries).toMatchObject({ delivered: 1 });
  });
});
