/**
 * The action node's versions and the Gateway examples, in a real n8n (N8N_E2E_DIR; npm test runs this on
 * 2.8.4 and on 2.40.7), with the product (`startLocal`, the sandbox as WeChat):
 * - a workflow saved with version 1 using the first release's *Typing → Typing* is imported and run
 *   (`n8n execute`): the user sees "typing…";
 * - `examples/gateway-reply.json` (a Gateway trigger and a version 2 reply with a resource locator),
 *   imported as shipped with the user's credential picked and published: a user's message is answered
 *   through the product;
 * - `examples/failed-deliveries.json` (*Start On: Failed Deliveries* → *Hand Off*): a send the product
 *   refuses (the user never wrote in) starts it, and the user's next message is transferred to a person.
 *
 * Needs: `bash test/n8n-e2e/install.sh` and `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import {
  describeWithN8n,
  gatewayCredential,
  importIntoN8n,
  N8N_VERSION,
  nodeType,
  PACKAGE_DIR,
  prepareN8n,
  sandboxCredential,
  waitFor,
  workflowBase,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const API_CRED = { id: 'credVersionsApi1', name: 'WeChat sandbox' };
const GATEWAY_CRED = { id: 'credVersionsGw01', name: 'Product gateway' };
const TYPING_USER = 'o_e2e_v1_typing';
const REPLY_USER = 'o_e2e_gateway_example';
const SILENT_USER = 'o_e2e_never_wrote';

jest.setTimeout(300_000);

type Workflow = { name: string; nodes: Array<Record<string, any>> } & Record<string, unknown>;

/** An example as shipped, with an id, inactive, and the gateway credential picked for every node. */
function example(file: string, id: string): Workflow {
  const workflow = JSON.parse(readFileSync(join(PACKAGE_DIR, 'examples', file), 'utf8')) as Workflow;
  return {
    ...workflow,
    id,
    active: false,
    nodes: workflow.nodes.map((node) => ({ ...node, credentials: { weChatKfGatewayApi: GATEWAY_CRED } })),
  };
}

/** A workflow as version 1 of the first release saved it: Typing → Typing, the user in `touser`. */
function typingV1() {
  return {
    ...workflowBase('wfVersionOne0001', 'Typing, saved with version 1', ['Start', 'Typing']),
    nodes: [
      { id: 'v1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'v2',
        name: 'Typing',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: { resource: 'typing', operation: 'typing', touser: TYPING_USER },
        credentials: { weChatOfficialAccountApi: API_CRED },
      },
    ],
  };
}

describeWithN8n()(`n8n ${N8N_VERSION}: a version 1 workflow and the Gateway examples`, () => {
  let product: LocalProduct | undefined;
  let setUp: N8nUnderTest;
  let n8n: N8nServer | undefined;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'product-versions-e2e-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    setUp = await prepareN8n('n8n-versions-e2e-');
    await importIntoN8n(setUp, {
      credentials: [sandboxCredential(API_CRED, product.sandbox!), gatewayCredential(GATEWAY_CRED, product.url)],
      workflows: {
        'typing-v1.json': typingV1(),
        'gateway-reply.json': example('gateway-reply.json', 'wfExampleGwReply'),
        'failed-deliveries.json': example('failed-deliveries.json', 'wfExampleFailed1'),
      },
      publish: ['wfExampleGwReply', 'wfExampleFailed1'],
    });
  });

  afterAll(async () => {
    await setUp?.stop();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a version 1 workflow with Typing → Typing: the user sees typing', async () => {
    // Prepare: the user just wrote (typing needs a message in the last 30 s)
    await product!.sandbox!.simulateUser(TYPING_USER, { type: 'text', content: 'hello' });
    // Act
    const result = await setUp.cli('execute', '--id=wfVersionOne0001');
    // Assess
    const typing = product!.sandbox!.requests('/cgi-bin/message/custom/typing').map((r) => r.body);
    if (typing.length === 0) throw new Error(`the sandbox saw no typing; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    expect(typing).toEqual([{ touser: TYPING_USER, command: 'Typing' }]);
    expect(result.code).toBe(0);
  });

  it('gateway-reply.json answers a user through the product', async () => {
    // Prepare: n8n started with both examples published: each subscribed its URL
    n8n = await setUp.start();
    await waitFor(
      'both subscriptions',
      async () => ((await product!.webhooks.subscriptions.list()).length >= 2 ? true : undefined),
      60_000,
      n8n.log,
    );
    // Act
    await product!.sandbox!.simulateUser(REPLY_USER, { type: 'text', content: 'is the shop open?' });
    const reply = await waitFor('the example reply', () => product!.sandbox!.messages(REPLY_USER)[0], 60_000, n8n.log);
    // Assess
    expect(reply.body).toEqual({ touser: REPLY_USER, msgtype: 'text', text: { content: 'Thanks! We received: is the shop open?' } });
  });

  it('failed-deliveries.json hands a user to a person when a send to them fails', async () => {
    // Act: another system sends through the product to a user who never wrote in: the window refuses it
    const refused = await fetch(`${product!.url}/messages/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: SILENT_USER, text: { content: 'your parcel is late' } }),
    });
    expect(refused.status).toBe(409);
    // Assess: the example's Hand Off marked the user, so their next message goes to the human desk
    await waitFor(
      'the handoff mark',
      async () => ((await product!.context.handoffs.read(SILENT_USER)).mark ? true : undefined),
      60_000,
      n8n!.log,
    );
    const push = await product!.sandbox!.simulateUser(SILENT_USER, { type: 'text', content: 'where is it?' });
    expect(push.reply?.MsgType).toBe('transfer_customer_service');
    expect(product!.sandbox!.messages(SILENT_USER)).toEqual([]);
  });
});
