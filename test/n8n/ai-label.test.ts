/**
 * The action node's Label as AI-Generated (docs/ai-label.md), built and run by n8n-core against the
 * sandbox over HTTP in Direct mode: off by default, on when asked, on by default when the node runs as an
 * AI agent's tool (n8n's `…Tool` variant of the node), and carried by every part of a split text.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { mixedAnswer } from '../support/long-text';
import { createHarness, PACKAGE } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };

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
afterAll(async () => sandbox?.stop());

const send = (touser: string, content: string, extra: Record<string, unknown> = {}, nodeType?: string) =>
  harness.run(
    { authentication: 'direct', resource: 'message', operation: 'send', touser, msgtype: 'text', content, ...extra },
    [{ json: {} }],
    CRED,
    nodeType ? { nodeType } : {},
  );
const labels = (openid: string) => sandbox.messages(openid).map((m) => m.body.aimsgcontext ?? null);

describe('WeChat Customer Service node: Label as AI-Generated', () => {
  it('is off by default and labels the send when turned on', async () => {
    await sandbox.simulateUser('o_ai_node', { type: 'text', content: 'hi' });

    const plain = await send('o_ai_node', 'by a person');
    const labelled = await send('o_ai_node', 'by a model', { aiGenerated: true });

    expect([plain.error, labelled.error]).toEqual([undefined, undefined]);
    expect(labels('o_ai_node')).toEqual([null, { is_ai_msg: 1 }]);
  });

  it('is on by default when an AI agent runs the node as its tool, and may be turned off there', async () => {
    await sandbox.simulateUser('o_ai_tool', { type: 'text', content: 'hi' });

    const byDefault = await send('o_ai_tool', 'the agent answers', {}, `${PACKAGE}.weChatKfTool`);
    const off = await send('o_ai_tool', 'the agent quotes a person', { aiGenerated: false }, `${PACKAGE}.weChatKfTool`);

    expect([byDefault.error, off.error]).toEqual([undefined, undefined]);
    expect(labels('o_ai_tool')).toEqual([{ is_ai_msg: 1 }, null]);
  });

  it('labels every part of a split text', async () => {
    await sandbox.simulateUser('o_ai_split', { type: 'text', content: 'explain' });

    const { error, items } = await send('o_ai_split', mixedAnswer(5000), { aiGenerated: true, options: { split: 'true' } });

    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({ parts: 3 });
    expect(labels('o_ai_split')).toEqual([{ is_ai_msg: 1 }, { is_ai_msg: 1 }, { is_ai_msg: 1 }]);
  });
});
