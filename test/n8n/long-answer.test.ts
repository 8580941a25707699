/**
 * A workflow sends a long model answer with splitting on: the built node, run by n8n-core's
 * WorkflowExecute in Direct mode against the sandbox over HTTP. Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { joinParts, utf8Bytes } from '../../functions/core/text-split';
import { mixedAnswer } from '../support/long-text';
import { createHarness } from './harness';

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
afterAll(async () => {
  await sandbox?.stop();
});

const send = (touser: string, content: string, split?: string) => ({
  authentication: 'direct',
  resource: 'message',
  operation: 'send',
  touser,
  msgtype: 'text',
  content,
  options: split ? { split } : {},
});

describe('n8n: a long model answer', () => {
  it('goes out in numbered parts, in order, each within the cap, with Split Long Text on', async () => {
    // prepare
    await sandbox.simulateUser('o_n8n_long', { type: 'text', content: 'explain everything' });
    const answer = mixedAnswer(6_000, 21);

    // act
    const { items, error } = await harness.run(send('o_n8n_long', answer, 'numbered'), [{ json: {} }], CRED);

    // assess
    expect(error).toBeUndefined();
    const parts = sandbox.messages('o_n8n_long').map((m) => (m.body.text as { content: string }).content);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(items[0]!.json).toMatchObject({ errcode: 0, parts: parts.length, touser: 'o_n8n_long' });
    expect(parts.every((p) => utf8Bytes(p) <= 2048)).toBe(true);
    expect(joinParts(parts, true)).toBe(answer);
    expect(sandbox.messages('o_n8n_long').every((m) => !('split' in m.body))).toBe(true);
  });

  it('is refused before WeChat is called without it, naming the size, the cap and the option', async () => {
    // prepare
    await sandbox.simulateUser('o_n8n_long2', { type: 'text', content: 'explain everything' });

    // act
    const { error } = await harness.run(send('o_n8n_long2', mixedAnswer(3_000, 22)), [{ json: {} }], CRED);

    // assess
    expect(String((error as Error)?.message ?? error)).toMatch(/text\.content: is \d+ bytes of UTF-8, over the cap of 2048/);
    expect(sandbox.messages('o_n8n_long2')).toEqual([]);
  });
});
