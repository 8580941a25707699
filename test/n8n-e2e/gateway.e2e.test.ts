/**
 * The deployed-with-n8n set-up, end to end in a real n8n (2.8.4 and 2.40.7): the product (`startLocal`, the same
 * handlers as the stack, with the sandbox as WeChat) receives the user's message at /callback; a
 * Gateway-mode trigger workflow subscribed itself when n8n activated it; the product's signed delivery
 * starts the workflow; its reply, sent through the gateway, passes the product's window gate and reaches
 * the sandbox; deactivating the workflow (n8n's REST API, as the editor does) deletes the subscription.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import {
  describeWithN8n,
  N8N_VERSION,
  gatewayCredential,
  importIntoN8n,
  nodeType,
  ownerSession,
  prepareN8n,
  waitFor,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const OPENID = 'o_e2e_gateway';
const WEBHOOK_ID = 'wechat-gateway-e2e';
const WORKFLOW_ID = 'wfGatewayE2E0001';
const GATEWAY_CRED = { weChatKfGatewayApi: { id: 'credGatewayE2E01', name: 'Product gateway' } };

jest.setTimeout(300_000);

function gatewayWorkflow() {
  const credentials = GATEWAY_CRED;
  return {
    ...workflowBase(WORKFLOW_ID, 'E2E gateway trigger', ['WeChat Trigger', 'Reply']),
    nodes: [
      {
        id: 'g1',
        name: 'WeChat Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: WEBHOOK_ID,
        parameters: { mode: 'gateway', messageTypes: ['text'] },
        credentials,
      },
      {
        id: 'g2',
        name: 'Reply',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: {
          authentication: 'gateway',
          resource: 'message',
          operation: 'send',
          touser: '={{ $json.openid }}',
          msgtype: 'text',
          content: '=gateway echo: {{ $json.content }} ({{ $json.mode }})',
        },
        credentials,
      },
    ],
  };
}

describeWithN8n()(`n8n ${N8N_VERSION} with the product as gateway`, () => {
  let product: LocalProduct | undefined;
  let setUp: N8nUnderTest;
  let n8n: N8nServer | undefined;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'product-gateway-e2e-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    setUp = await prepareN8n('n8n-gateway-e2e-');
    await importIntoN8n(setUp, {
      credentials: [gatewayCredential(GATEWAY_CRED.weChatKfGatewayApi, product.url)],
      workflows: { 'workflow.json': gatewayWorkflow() },
      publish: [WORKFLOW_ID],
    });
    n8n = await setUp.start();
  });

  afterAll(async () => {
    await setUp?.stop();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('activating subscribes the workflow; a push to /callback starts it; its reply passes the window gate; deactivating unsubscribes', async () => {
    // Assess activation: the trigger subscribed its own production URL, nobody copied a URL or a secret
    const webhookUrl = setUp.triggerUrl(WEBHOOK_ID);
    const subscription = await waitFor(
      'the subscription',
      async () => (await product!.webhooks.subscriptions.list()).find((s) => s.url === webhookUrl),
      60_000,
      n8n!.log,
    );
    expect(subscription.events).toEqual(['message.*', 'event.*', 'handoff.*']);

    // Act: a user writes in through WeChat (the sandbox), to the product's /callback
    const push = await product!.sandbox!.simulateUser(OPENID, { type: 'text', content: 'hello gateway' });
    const reply = await waitFor('the reply of the workflow', () => product!.sandbox!.messages(OPENID)[0], 60_000, n8n!.log);

    // Assess: the reply went through the product (its window gate counted it) and reached WeChat
    expect(push.delivered).toBe(true);
    expect(reply.body).toEqual({ touser: OPENID, msgtype: 'text', text: { content: 'gateway echo: hello gateway (gateway)' } });
    const state = (await (await fetch(`${product!.url}/interactions/${OPENID}`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ openid: OPENID, canSend: true, sendsLeft: 4 });
    expect((await product!.webhooks.subscriptions.get(subscription.id)).deliveries).toMatchObject({ delivered: 1, failedAttempts: 0 });

    // Act: deactivate the workflow as the editor does
    const rest = await ownerSession(`http://127.0.0.1:${setUp.port}`);
    const deactivated = await rest('POST', `/workflows/${WORKFLOW_ID}/deactivate`, {});
    expect(deactivated.status).toBe(200);

    // Assess: the subscription is gone
    await waitFor(
      'the subscription to be deleted',
      async () => (await product!.webhooks.subscriptions.list()).every((s) => s.url !== webhookUrl) || undefined,
      30_000,
      n8n!.log,
    );
  });
});
