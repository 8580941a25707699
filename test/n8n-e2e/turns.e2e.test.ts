/**
 * Turns in a real n8n 2.8.4 (docs/turns.md): the shipped example `turn-ai-agent.json` (Turns trigger →
 * AI Agent → Send Text with splitting), imported with the gateway credential picked and the AI Agent and
 * its chat model replaced by a Code node that answers from the turn's text (no model is called in tests).
 * The product (`startLocal`, TURN_QUIET_MS) gathers a user's burst of three messages into one turn.ready;
 * the trigger, subscribed by n8n's activation to turn.ready only, runs once; the answer, longer than one
 * WeChat text, goes out through the gateway in parts, once.
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
  PACKAGE_DIR,
  prepareN8n,
  waitFor,
  type N8nServer,
  type N8nUnderTest,
} from './support';

const OPENID = 'o_e2e_turns';
const WORKFLOW_ID = 'wfTurnsAgentE2E1';
const GATEWAY_CRED = { id: 'credTurnsGw0001', name: 'Product gateway' };

jest.setTimeout(300_000);

/** The example as a user imports it, the gateway credential picked, the model replaced by a Code node. */
function exampleWithCodeModel() {
  const workflow = JSON.parse(readFileSync(join(PACKAGE_DIR, 'examples', 'turn-ai-agent.json'), 'utf8')) as {
    nodes: any[];
    connections: Record<string, unknown>;
  } & Record<string, unknown>;
  const nodes = workflow.nodes
    .filter((n) => n.name !== 'Chat Model')
    .map((n) =>
      n.name === 'AI Agent'
        ? {
            id: n.id,
            name: 'AI Agent',
            type: 'n8n-nodes-base.code',
            typeVersion: 2,
            position: n.position,
            // The agent's output field is `output`; the answer is long enough to need two WeChat texts.
            parameters: {
              jsCode:
                "const more = 'Here is more detail. '.repeat(120);\n" +
                "return $input.all().map((i) => ({ json: { output: 'You wrote: ' + i.json.text.split('\\n').join(' / ') + '\\n\\n' + more } }));",
            },
          }
        : { ...n, ...(n.credentials ? { credentials: { weChatKfGatewayApi: GATEWAY_CRED } } : {}) },
    );
  const { ['Chat Model']: _model, ...connections } = workflow.connections;
  return { ...workflow, id: WORKFLOW_ID, active: false, nodes, connections };
}

describeWithN8n()('n8n 2.8.4: the Turns trigger and the AI agent example', () => {
  let product: LocalProduct | undefined;
  let setUp: N8nUnderTest;
  let n8n: N8nServer | undefined;
  let dataDir = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'product-turns-e2e-'));
    product = await startLocal({ port: 0, dataDir, env: { TURN_QUIET_MS: '1500' } });
    setUp = await prepareN8n('n8n-turns-e2e-');
    await importIntoN8n(setUp, {
      credentials: [gatewayCredential(GATEWAY_CRED, product.url)],
      workflows: { 'workflow.json': exampleWithCodeModel() },
      publish: [WORKFLOW_ID],
    });
    n8n = await setUp.start();
  });

  afterAll(async () => {
    await setUp?.stop();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs once per burst and answers once, in parts', async () => {
    // Assess activation: subscribed to turns only
    const webhookUrl = setUp.triggerUrl('wechat-kf-turns');
    const subscription = await waitFor(
      'the subscription',
      async () => (await product!.webhooks.subscriptions.list()).find((s) => s.url === webhookUrl),
      60_000,
      n8n!.log,
    );
    expect(subscription.events).toEqual(['turn.ready']);

    // Act: a burst of three messages
    for (const content of ['hi', 'my lamp arrived', 'it is broken'])
      await product!.sandbox!.simulateUser(OPENID, { type: 'text', content });
    const parts = await waitFor(
      'the answer',
      () => (product!.sandbox!.messages(OPENID).length >= 2 ? product!.sandbox!.messages(OPENID) : undefined),
      60_000,
      n8n!.log,
    );
    await new Promise((r) => setTimeout(r, 4000)); // anything more would arrive by now

    // Assess: one turn, one delivery, one answer in two parts, starting with the whole turn's text
    const all = product!.sandbox!.messages(OPENID).map((m) => (m.body as { text: { content: string } }).text.content);
    expect(parts.length).toBe(2);
    expect(all).toHaveLength(2);
    expect(all[0]).toMatch(/^You wrote: hi \/ my lamp arrived \/ it is broken/);
    expect(product!.events.events.filter((e) => e.detailType === 'turn.ready')).toHaveLength(1);
    expect((await product!.webhooks.subscriptions.get(subscription.id)).deliveries).toMatchObject({ delivered: 1, failedAttempts: 0 });
  });
});
