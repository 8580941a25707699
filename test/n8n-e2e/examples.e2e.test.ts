/**
 * The shipped example workflows (n8n-nodes/examples/*.json) in a real n8n (2.8.4 and 2.40.7), as n8n-nodes/README.md
 * tells a user to use them: imported as they are (*Import from File*), then with the user's credentials
 * picked, run against the sandbox in Direct mode:
 * - every file imports with n8n's own CLI, credentials still unset, without an error;
 * - `batch-send.json` (`n8n execute`): one text per item, personalised; the item whose user never wrote in
 *   fails (WeChat refuses it) and, Continue On Fail being on, the batch goes on;
 * - `reply-with-menu.json` (published, `n8n start`): a user's text is answered with the menu message the
 *   file describes, and an event (not among its Message Types) starts nothing.
 * `photo-back.json` runs in test/n8n-e2e/media.e2e.test.ts, `passive-reply-gateway.json` in passive-reply.e2e.test.ts,
 * `passive-reply-direct.json` in passive-reply-direct.e2e.test.ts,
 * `turn-ai-agent.json` in turns.e2e.test.ts; `gateway-reply.json` and `failed-deliveries.json` in
 * test/n8n-e2e/versions.e2e.test.ts (they need the product as gateway).
 *
 * Needs: n8n installed (N8N_E2E_DIR or test/n8n-e2e/install.sh) and `npm run build --workspace n8n-nodes`.
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import {
  callbackCredential,
  N8N_VERSION,
  connectCallback,
  describeWithN8n,
  importIntoN8n,
  PACKAGE_DIR,
  prepareN8n,
  publishWorkflow,
  sandboxCredential,
  waitFor,
  type N8nUnderTest,
} from './support';

const EXAMPLES = join(PACKAGE_DIR, 'examples');
const CALLBACK_TOKEN = 'e2eExampleToken1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const API_CRED = { id: 'credExampleApi01', name: 'WeChat sandbox' };
const CALLBACK_CRED = { id: 'credExampleCb001', name: 'WeChat callback' };
/** The openids batch-send.json's Recipients node lists. */
const LI = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M';
const WANG = 'o6_bmjrPTlm6_2sgVt7hMZOPfL2N';

jest.setTimeout(300_000);

type Workflow = { name: string; nodes: Array<Record<string, any>> } & Record<string, unknown>;
const example = (file: string) => JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as Workflow;

/** The example with an id, inactive, and the user's credentials picked in place of its placeholders. */
function withCredentials(file: string, id: string): Workflow {
  const workflow = example(file);
  const pick = (credentials: Record<string, unknown> | undefined) =>
    credentials &&
    Object.fromEntries(Object.keys(credentials).map((type) => [type, type === 'weChatCallbackApi' ? CALLBACK_CRED : API_CRED]));
  return {
    ...workflow,
    id,
    active: false,
    nodes: workflow.nodes.map((node) => ({ ...node, ...(node.credentials ? { credentials: pick(node.credentials) } : {}) })),
  };
}

describeWithN8n()(`n8n ${N8N_VERSION}: the shipped example workflows`, () => {
  let sandbox: Sandbox;
  let n8n: N8nUnderTest;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-examples-');
    await importIntoN8n(n8n, {
      credentials: [
        sandboxCredential(API_CRED, sandbox),
        callbackCredential(CALLBACK_CRED, { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId }),
      ],
      workflows: {
        'batch.json': withCredentials('batch-send.json', 'wfExampleBatch01'),
        'menu.json': withCredentials('reply-with-menu.json', 'wfExampleMenu001'),
      },
    });
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  it('imports every example file as it is shipped, before any credential is picked', async () => {
    // Prepare
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    // Act
    const results = [];
    for (const file of files) results.push({ file, ...(await n8n.cli('import:workflow', `--input=${join(EXAMPLES, file)}`)) });
    // Assess
    expect(files.sort()).toEqual([
      'batch-send.json',
      'failed-deliveries.json',
      'gateway-reply.json',
      'passive-reply-direct.json',
      'passive-reply-gateway.json',
      'photo-back.json',
      'reply-with-menu.json',
      'turn-ai-agent.json',
    ]);
    for (const r of results)
      expect({ file: r.file, code: r.code, error: /error/i.test(r.out) ? r.out.slice(-2000) : null }).toEqual({
        file: r.file,
        code: 0,
        error: null,
      });
  });

  it('batch-send.json sends one personalised text per item and goes on past the user who never wrote in', async () => {
    // Prepare: Li wrote in; Wang never did
    await sandbox.simulateUser(LI, { type: 'text', content: 'where is my order?' });
    // Act
    const result = await n8n.cli('execute', '--id=wfExampleBatch01');
    // Assess
    const toLi = sandbox.messages(LI).map((m) => m.body);
    if (toLi.length === 0)
      throw new Error(`the sandbox received no message; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    expect(toLi).toEqual([{ touser: LI, msgtype: 'text', text: { content: 'Hi Li, your order A1001 has shipped.' } }]);
    expect(sandbox.messages(WANG)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/40003|invalid openid/);
  });

  it("reply-with-menu.json, published, answers a user's text with its menu message and ignores a follow", async () => {
    // Prepare
    await publishWorkflow(n8n, 'wfExampleMenu001');
    const server = await n8n.start();
    const webhookId = example('reply-with-menu.json').nodes.find((n) => n.webhookId)!.webhookId as string;
    await connectCallback(
      sandbox,
      n8n.triggerUrl(webhookId),
      { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' },
      server.log,
    );
    // Act
    await sandbox.simulateUser('o_e2e_example_follow', { type: 'event', event: 'subscribe' });
    const push = await sandbox.simulateUser('o_e2e_example_menu', { type: 'text', content: 'hello' });
    // Assess
    expect(push.delivered).toBe(true);
    const menu = await waitFor('the menu message', () => sandbox.messages('o_e2e_example_menu')[0], 60_000, server.log);
    expect(menu.body).toEqual({
      touser: 'o_e2e_example_menu',
      msgtype: 'msgmenu',
      msgmenu: {
        head_content: 'Thanks for your message! How can we help?',
        list: [
          { id: 'order', content: 'Where is my order?' },
          { id: 'refund', content: 'I want a refund' },
          { id: 'human', content: 'Talk to a person' },
        ],
        tail_content: 'Tap an answer.',
      },
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sandbox.messages('o_e2e_example_follow')).toEqual([]);
  });
});
