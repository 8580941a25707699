/**
 * Passive replies from a real n8n 2.8.4 (docs/passive-replies.md): an account without the customer-service
 * API (the sandbox answers 48001 to custom/send), the product in REPLY_MODE=passive, and the shipped
 * example `examples/passive-reply-gateway.json` imported as a user imports it (credentials picked) and
 * published: the user's message reaches /callback, the product's delivery starts the workflow, its
 * Message → Reply posts POST /replies, and the product answers WeChat's waiting push with it. No
 * custom/send is made.
 *
 * Needs: `bash test/n8n-e2e/install.sh` (or N8N_E2E_DIR) and `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import {
  describeWithN8n,
  gatewayCredential,
  importIntoN8n,
  PACKAGE_DIR,
  prepareN8n,
  waitFor,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const OPENID = 'o_e2e_passive';
const WORKFLOW_ID = 'wfPassiveE2E0001';
const GATEWAY_CRED = { id: 'credPassiveE2E01', name: 'Product gateway' };

jest.setTimeout(300_000);

/** The shipped example, with an id and the gateway credential picked in place of its placeholders. */
function example() {
  const workflow = JSON.parse(readFileSync(join(PACKAGE_DIR, 'examples', 'passive-reply-gateway.json'), 'utf8')) as {
    nodes: Array<Record<string, unknown>>;
  };
  return {
    ...workflow,
    id: WORKFLOW_ID,
    active: false,
    nodes: workflow.nodes.map((node) => ({ ...node, credentials: { weChatKfGatewayApi: GATEWAY_CRED } })),
  };
}

describeWithN8n()('n8n 2.8.4: passive replies through the product, on an account without the customer-service API', () => {
  let product: LocalProduct | undefined;
  let setUp: N8nUnderTest;
  let n8n: N8nServer | undefined;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'product-passive-e2e-'));
    product = await startLocal({ port: 0, dataDir, env: { REPLY_MODE: 'passive', SANDBOX_NO_KF_API: 'true' } });
    setUp = await prepareN8n('n8n-passive-e2e-');
    await importIntoN8n(setUp, {
      credentials: [gatewayCredential(GATEWAY_CRED, product.url)],
      workflows: { 'workflow.json': example() },
      publish: [WORKFLOW_ID],
    });
    n8n = await setUp.start();
  });

  afterAll(async () => {
    await setUp?.stop();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers the user's message inside WeChat's push with the workflow's Message → Reply", async () => {
    // prepare: the workflow subscribed itself when n8n published it
    const webhookUrl = setUp.triggerUrl('wechat-kf-passive-reply');
    await waitFor(
      'the subscription',
      async () => (await product!.webhooks.subscriptions.list()).find((s) => s.url === webhookUrl),
      60_000,
      n8n!.log,
    );
    // act: a user writes in; WeChat (the sandbox) waits for the answer of its push, trying up to three times
    const push = await product!.sandbox!.simulateUser(OPENID, { type: 'text', content: 'hello passive' });
    // assess: the answer of the push is the workflow's reply; nothing went through custom/send
    expect(push.delivered).toBe(true);
    expect(push.reply?.fields).toMatchObject({ MsgType: 'text', Content: 'You wrote: hello passive' });
    expect(product!.sandbox!.count('/cgi-bin/message/custom/send')).toBe(0);
    expect(product!.sandbox!.messages(OPENID)).toEqual([
      expect.objectContaining({ channel: 'passive', body: expect.objectContaining({ text: { content: 'You wrote: hello passive' } }) }),
    ]);
  });
});
