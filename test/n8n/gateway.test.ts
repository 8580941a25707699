/**
 * Gateway mode: the built node calls the product's API (the local server, the same routes and handlers as
 * API Gateway) through a stand-in for API Gateway's IAM authorizer that recomputes every request's SigV4
 * signature with the AWS SDK's own signer (@smithy/signature-v4) and refuses (403) any that does not
 * match. So the node's requests are signed exactly as API Gateway checks them, and sends go through the
 * deployment's window gate and token cache.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { createHarness } from './harness';
import { GATEWAY_KEYS as KEYS, GATEWAY_REGION as REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 1), Buffer.from([0xff, 0xd9])]);

describe('gateway mode: the node through the deployed API contract, signed with SigV4', () => {
  let dataDir: string;
  let product: LocalProduct;
  let authorizer: Authorizer;
  let harness: ReturnType<typeof createHarness>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-gateway-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    authorizer = await startIamAuthorizer(product.url);
    harness = createHarness({
      credentials: {
        gw: { type: 'weChatKfGatewayApi', data: { url: `${authorizer.url}/`, region: REGION, ...KEYS, sessionToken: '' } },
        forged: {
          type: 'weChatKfGatewayApi',
          data: { url: authorizer.url, region: REGION, accessKeyId: KEYS.accessKeyId, secretAccessKey: 'not-the-key', sessionToken: '' },
        },
      },
    });
  });
  afterAll(async () => {
    await authorizer?.stop();
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends a message to a user who wrote in, through the window gate', async () => {
    // Prepare
    await product.sandbox!.simulateUser('oGw', { type: 'text', content: 'hi' });
    // Act
    const { items, error } = await harness.run(
      { authentication: 'gateway', resource: 'message', operation: 'send', touser: 'oGw', msgtype: 'text', content: 'via the gateway' },
      [{ json: {} }],
      CRED,
    );
    // Assess
    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({ errcode: 0 });
    expect(product.sandbox!.messages('oGw')).toEqual([
      expect.objectContaining({ body: { touser: 'oGw', msgtype: 'text', text: { content: 'via the gateway' } } }),
    ]);
    expect(authorizer.refused).toEqual([]);
  });

  it("reports the deployment's window refusal (409 SEND_WINDOW_CLOSED) as a NodeApiError, and WeChat is never called", async () => {
    const before = product.sandbox!.count('/cgi-bin/message/custom/send');
    const { error } = await harness.run(
      { authentication: 'gateway', resource: 'message', operation: 'send', touser: 'oStranger', msgtype: 'text', content: 'x' },
      [{ json: {} }],
      CRED,
    );
    expect(error?.name).toBe('NodeApiError');
    expect(error?.message).toMatch(/409.*SEND_WINDOW_CLOSED/);
    expect(product.sandbox!.count('/cgi-bin/message/custom/send')).toBe(before);
  });

  it('signs path parameters, JSON bodies and raw image bodies as API Gateway checks them: kf accounts end to end', async () => {
    const verifiedBefore = authorizer.verified;
    const run = (parameters: Record<string, unknown>, items = [{ json: {} }]) =>
      harness.run({ authentication: 'gateway', resource: 'kfAccount', ...parameters }, items, CRED);
    const added = await run({ operation: 'add', kfAccount: 'gw1@sandbox', nickname: 'Gateway agent' });
    const updated = await run({ operation: 'update', kfAccount: 'gw1@sandbox', nickname: 'Agent GW' });
    const avatar = await run({ operation: 'uploadAvatar', kfAccount: 'gw1@sandbox', binaryPropertyName: 'data' }, [
      { json: {}, binary: { data: { data: JPEG.toString('base64'), mimeType: 'image/jpeg', fileName: 'a.jpg' } } },
    ] as never);
    const listed = await run({ operation: 'list' });
    const deleted = await run({ operation: 'delete', kfAccount: 'gw1@sandbox' });
    for (const result of [added, updated, avatar, listed, deleted]) expect(result.error).toBeUndefined();
    expect(JSON.stringify(listed.items.map((i) => i.json))).toContain('Agent GW');
    expect(product.sandbox!.kfAccounts()).toEqual([]);
    expect(authorizer.verified - verifiedBefore).toBe(5);
    expect(authorizer.refused).toEqual([]);
  });

  it('acts on a subscription through the Subscription resource: PATCH, rotate-secret, test, dead letters, redrive', async () => {
    const run = (parameters: Record<string, unknown>) =>
      harness.run({ authentication: 'gateway', resource: 'subscription', ...parameters }, [{ json: {} }], CRED);
    const created = await run({ operation: 'create', url: 'http://127.0.0.1:9/hook', events: '["message.*"]' });
    const id = created.items[0]!.json.id as string;
    const updated = await run({ operation: 'update', id, events: '["event.subscribe"]', description: 'from n8n' });
    const rotated = await run({ operation: 'rotateSecret', id });
    const tested = await run({ operation: 'test', id });
    const dead = await run({ operation: 'listDeadLetters', id, limit: 10 });
    const redriven = await run({ operation: 'redrive', id });
    await run({ operation: 'delete', id });
    for (const result of [created, updated, rotated, tested, dead, redriven]) expect(result.error).toBeUndefined();
    expect(updated.items[0]!.json).toMatchObject({ id, events: ['event.subscribe'], description: 'from n8n' });
    expect(rotated.items[0]!.json).toMatchObject({ id, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.items[0]!.json.secret).not.toBe(created.items[0]!.json.secret);
    expect(tested.items[0]!.json).toMatchObject({ id, type: 'webhook.test', queued: true });
    expect(redriven.items[0]!.json).toMatchObject({ id, redriven: 0, more: false });
    expect(dead.items).toEqual([]);
  });

  it('is refused (403) with the wrong secret key, so the signature is really checked', async () => {
    const { error } = await harness.run({ authentication: 'gateway', resource: 'kfAccount', operation: 'list' }, [{ json: {} }], {
      weChatKfGatewayApi: { id: 'forged', name: 'Forged' },
    });
    expect(error?.message).toMatch(/403/);
    expect(authorizer.refused.length).toBeGreaterThan(0);
  });
});
