/**
 * Conversation → Get in the built node, Gateway mode (docs/conversations.md): the node calls
 * GET /conversations/{openid} of the product (the local server, signed with SigV4 as API Gateway checks
 * it) and answers one item per entry, oldest first, with the roles an AI agent's memory needs.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { createHarness } from './harness';
import { GATEWAY_KEYS as KEYS, GATEWAY_REGION as REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };

describe('Conversation → Get (Gateway mode)', () => {
  let dataDir: string;
  let product: LocalProduct;
  let authorizer: Authorizer;
  let harness: ReturnType<typeof createHarness>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-n8n-conversation-'));
    product = await startLocal({ port: 0, dataDir, env: { CONVERSATION_RECORD: 'true' } });
    authorizer = await startIamAuthorizer(product.url);
    harness = createHarness({
      credentials: { gw: { type: 'weChatKfGatewayApi', data: { url: `${authorizer.url}/`, region: REGION, ...KEYS, sessionToken: '' } } },
    });
  });
  afterAll(async () => {
    await authorizer?.stop();
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers the user's conversation, oldest first, user and assistant", async () => {
    // prepare: the user writes, the account answers
    await product.sandbox!.simulateUser('oN8nConv', { type: 'text', content: 'is my order shipped?' });
    const sent = await harness.run(
      {
        authentication: 'gateway',
        resource: 'message',
        operation: 'send',
        touser: 'oN8nConv',
        msgtype: 'text',
        content: 'Yes, yesterday.',
      },
      [{ json: {} }],
      CRED,
    );
    // act
    const { items, error } = await harness.run(
      { authentication: 'gateway', resource: 'conversation', operation: 'get', openid: 'oN8nConv', limit: 10 },
      [{ json: {} }],
      CRED,
    );
    // assess
    expect(sent.error).toBeUndefined();
    expect(error).toBeUndefined();
    const entries = items.flatMap((i) => (Array.isArray(i.json.entries) ? (i.json.entries as Record<string, unknown>[]) : [i.json]));
    expect(entries.map((e) => [e.role, e.text])).toEqual([
      ['user', 'is my order shipped?'],
      ['assistant', 'Yes, yesterday.'],
    ]);
    expect(authorizer.refused).toEqual([]);
  });
});
