/**
 * Version 2's *From List* in Gateway mode (n8n-nodes/nodes/WeChatKf/methods/list-search.ts), with n8n-core's
 * LoadOptionsContext as the editor calls it, through the deployed API contract (the local product behind
 * the SigV4-checking authorizer): recent users come from the product's delivery records (the newest first),
 * subscriptions and kf accounts from the product; Direct mode offers no subscriptions.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { createHarness } from './harness';
import { GATEWAY_KEYS as KEYS, GATEWAY_REGION as REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };
const GATEWAY = { authentication: 'gateway' };

describe('From List in Gateway mode', () => {
  let dataDir: string;
  let product: LocalProduct;
  let authorizer: Authorizer;
  let harness: ReturnType<typeof createHarness>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-list-search-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    authorizer = await startIamAuthorizer(product.url);
    harness = createHarness({
      credentials: { gw: { type: 'weChatKfGatewayApi', data: { url: authorizer.url, region: REGION, ...KEYS, sessionToken: '' } } },
    });
  });
  afterAll(async () => {
    await authorizer?.stop();
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the users the product sent to lately, the newest first, from its delivery records', async () => {
    // Prepare: two users wrote in and were answered, in this order
    for (const openid of ['oListFirst', 'oListSecond']) {
      await product.sandbox!.simulateUser(openid, { type: 'text', content: 'hi' });
      const sent = await harness.run(
        { ...GATEWAY, resource: 'message', operation: 'send', touser: openid, msgtype: 'text', content: 'hello' },
        [{ json: {} }],
        CRED,
        { typeVersion: 2 },
      );
      expect(sent.error).toBeUndefined();
      await new Promise((r) => setTimeout(r, 5));
    }
    // Act
    const all = await harness.listSearch('searchUsers', { ...GATEWAY, resource: 'message', operation: 'send' }, CRED);
    const narrowed = await harness.listSearch('searchUsers', { ...GATEWAY, resource: 'message', operation: 'send' }, CRED, 'first');
    // Assess
    expect(all.results.map((r) => r.value)).toEqual(['oListSecond', 'oListFirst']);
    expect(all.results[0]!.name).toMatch(/^oListSecond \(last \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\)$/);
    expect(narrowed.results.map((r) => r.value)).toEqual(['oListFirst']);
    expect(authorizer.refused).toEqual([]);
  });

  it('lists subscriptions (with their URL) and kf accounts from the product; none in Direct mode', async () => {
    // Prepare
    const created = await harness.run(
      {
        ...GATEWAY,
        resource: 'subscription',
        operation: 'create',
        url: 'http://127.0.0.1:9/hook',
        events: ['delivery.failed'],
        description: 'Ops alerts',
      },
      [{ json: {} }],
      CRED,
      { typeVersion: 2 },
    );
    expect(created.error).toBeUndefined();
    const id = String(created.items[0]!.json.id);
    await harness.run(
      { ...GATEWAY, resource: 'kfAccount', operation: 'add', kfAccount: 'kf4001@sandbox', nickname: 'Carol' },
      [{ json: {} }],
      CRED,
      { typeVersion: 2 },
    );
    // Act
    const subscriptions = await harness.listSearch(
      'searchSubscriptions',
      { ...GATEWAY, resource: 'subscription', operation: 'delete' },
      CRED,
    );
    const kfAccounts = await harness.listSearch('searchKfAccounts', { ...GATEWAY, resource: 'kfSession', operation: 'create' }, CRED);
    const direct = await harness.listSearch(
      'searchSubscriptions',
      { authentication: 'direct', resource: 'subscription', operation: 'delete' },
      CRED,
    );
    // Assess
    expect(subscriptions.results).toEqual([{ name: `Ops alerts (${id})`, value: id, url: 'http://127.0.0.1:9/hook' }]);
    expect(kfAccounts.results).toContainEqual({ name: 'Carol (kf4001@sandbox)', value: 'kf4001@sandbox' });
    expect(direct.results).toEqual([]);
    // The events multi-select's values reached the product as the subscription's events
    expect((await product.webhooks.subscriptions.get(id)).events).toEqual(['delivery.failed']);
  });
});
