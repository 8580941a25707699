/**
 * The deployed-with-n8n set-up, end to end in a real n8n 2.8.4: the product (`startLocal`, the same
 * handlers as the stack, with the sandbox as WeChat) receives the user's message at /callback; a
 * Gateway-mode trigger workflow subscribed itself when n8n activated it; the product's signed delivery
 * starts the workflow; its reply, sent through the gateway, passes the product's window gate and reaches
 * the sandbox; deactivating the workflow (n8n's REST API, as the editor does) deletes the subscription.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/local/server';
import { describeWithN8n, freePort, installPackage, MISSING, N8N_BIN, n8nEnv, nodeType, ownerSession, run, startN8n, waitFor } from './support';

const OPENID = 'o_e2e_gateway';
const WEBHOOK_ID = 'wechat-gateway-e2e';
const WORKFLOW_ID = 'wfGatewayE2E0001';

jest.setTimeout(300_000);

function gatewayWorkflow() {
  const credentials = { weChatKfGatewayApi: { id: 'credGatewayE2E01', name: 'Product gateway' } };
  return {
    id: WORKFLOW_ID,
    name: 'E2E gateway trigger',
    active: false,
    settings: { executionOrder: 'v1' },
    connections: { 'WeChat Trigger': { main: [[{ node: 'Reply', type: 'main', index: 0 }]] } },
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

describeWithN8n()('n8n 2.8.4 with the product as gateway', () => {
  let product: LocalProduct | undefined;
  let n8n: ReturnType<typeof startN8n> | undefined;
  let work = '';
  let dataDir = '';
  let port = 0;

  beforeAll(async () => {
    if (!existsSync(N8N_BIN)) throw new Error(MISSING);
    work = mkdtempSync(join(tmpdir(), 'n8n-gateway-e2e-'));
    dataDir = mkdtempSync(join(tmpdir(), 'product-gateway-e2e-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    port = await freePort();
    const env = n8nEnv(work, port, await freePort());
    await installPackage(work);
    writeFileSync(
      join(work, 'credentials.json'),
      JSON.stringify([
        {
          id: 'credGatewayE2E01',
          name: 'Product gateway',
          type: 'weChatKfGatewayApi',
          data: { url: product.url, region: 'eu-west-1', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: '' },
        },
      ]),
    );
    writeFileSync(join(work, 'workflow.json'), JSON.stringify(gatewayWorkflow()));
    for (const args of [['import:credentials', `--input=${join(work, 'credentials.json')}`], ['import:workflow', `--input=${join(work, 'workflow.json')}`], ['publish:workflow', `--id=${WORKFLOW_ID}`]]) {
      const result = await run(process.execPath, [N8N_BIN, ...args], { env, cwd: work });
      if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${result.code}):\n${result.out.slice(-4000)}`);
    }
    n8n = startN8n(env, work);
    await waitFor('n8n to answer /healthz', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok || undefined, 120_000, n8n.log);
  });

  afterAll(async () => {
    await n8n?.stop();
    await product?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('activating subscribes the workflow; a push to /callback starts it; its reply passes the window gate; deactivating unsubscribes', async () => {
    // Assess activation: the trigger subscribed its own production URL, nobody copied a URL or a secret
    const webhookUrl = `http://127.0.0.1:${port}/webhook/${WEBHOOK_ID}/wechat`;
    const subscription = await waitFor('the subscription', async () => (await product!.webhooks.subscriptions.list()).find((s) => s.url === webhookUrl), 60_000, n8n!.log);
    expect(subscription.events).toEqual(['message.*', 'event.*']);

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
    const rest = await ownerSession(`http://127.0.0.1:${port}`);
    const deactivated = await rest('POST', `/workflows/${WORKFLOW_ID}/deactivate`, {});
    expect(deactivated.status).toBe(200);

    // Assess: the subscription is gone
    await waitFor('the subscription to be deleted', async () => (await product!.webhooks.subscriptions.list()).every((s) => s.url !== webhookUrl) || undefined, 30_000, n8n!.log);
  });
});
