/**
 * n8n's Message → Reply (the catalogue's sendReply) in Gateway mode, on an account without the
 * customer-service API (docs/passive-replies.md): the sandbox answers 48001 to custom/send, the product runs
 * with REPLY_MODE=passive, and the built node, signed with SigV4 through the IAM authorizer stand-in,
 * answers the user's message with the openid and msgId of the trigger's item. The sandbox reads the
 * answer of WeChat's push as WeChat would.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { toItem } from '../../n8n-nodes/nodes/WeChatKfTrigger/items';
import { createHarness } from './harness';
import { GATEWAY_KEYS as KEYS, GATEWAY_REGION as REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const CRED = { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } };
const EXAMPLE = JSON.parse(readFileSync(join(__dirname, '../../n8n-nodes/examples/passive-reply-gateway.json'), 'utf8')) as {
  nodes: Array<{ name: string; parameters: Record<string, string> }>;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Message → Reply in Gateway mode, REPLY_MODE=passive, an account without the customer-service API', () => {
  let dataDir: string;
  let product: LocalProduct;
  let authorizer: Authorizer;
  let harness: ReturnType<typeof createHarness>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-n8n-passive-'));
    product = await startLocal({ port: 0, dataDir, env: { REPLY_MODE: 'passive', SANDBOX_NO_KF_API: 'true' } });
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

  it("answers the trigger's message inside WeChat's push, while a send gets 48001", async () => {
    // Prepare: the user writes; the trigger's item is what the workflow gets
    const pushed = product.sandbox!.simulateUser('oN8nPassive', { type: 'text', content: 'hello n8n' });
    while (!product.events.events.some((e) => e.detailType === 'message.text' && e.detail.openid === 'oN8nPassive')) await sleep(10);
    const event = product.events.events.find((e) => e.detailType === 'message.text' && e.detail.openid === 'oN8nPassive')!;
    const item = toItem(event.detail.message as never, 'gateway', null);
    // Act: Message → Reply with the item's openid and msgId; then a customer-service send
    const reply = await harness.run(
      {
        authentication: 'gateway',
        resource: 'message',
        operation: 'reply',
        openid: item.openid,
        msgId: item.msgId,
        message: '{"msgtype":"text","text":{"content":"hi from n8n"}}',
      },
      [{ json: item }],
      CRED,
    );
    const result = await pushed;
    const send = await harness.run(
      { authentication: 'gateway', resource: 'message', operation: 'send', touser: 'oN8nPassive', msgtype: 'text', content: 'custom' },
      [{ json: {} }],
      CRED,
    );
    // Assess
    expect(reply.error).toBeUndefined();
    expect(reply.items[0]!.json).toMatchObject({ openid: 'oN8nPassive', channel: 'passive', push: `msg:${item.msgId}` });
    expect(result.attempts).toBe(1);
    expect(result.reply?.fields).toMatchObject({ MsgType: 'text', Content: 'hi from n8n' });
    expect(send.error?.message).toMatch(/48001/);
    expect(product.sandbox!.messages('oN8nPassive')).toEqual([expect.objectContaining({ channel: 'passive', msgtype: 'text' })]);
    expect(authorizer.refused).toEqual([]);
  });

  it("runs the shipped example's Reply node (examples/passive-reply-gateway.json) on the trigger's item: the answer echoes the user's text", async () => {
    const pushed = product.sandbox!.simulateUser('oN8nExample', { type: 'text', content: 'ping' });
    while (!product.events.events.some((e) => e.detailType === 'message.text' && e.detail.openid === 'oN8nExample')) await sleep(10);
    const event = product.events.events.find((e) => e.detailType === 'message.text' && e.detail.openid === 'oN8nExample')!;
    const parameters = EXAMPLE.nodes.find((n) => n.name === 'Reply')!.parameters;
    const reply = await harness.run(parameters, [{ json: toItem(event.detail.message as never, 'gateway', null) }], CRED);
    const result = await pushed;
    expect(reply.error).toBeUndefined();
    expect(reply.items[0]!.json).toMatchObject({ channel: 'passive' });
    expect(result.reply?.fields).toMatchObject({ MsgType: 'text', Content: 'You wrote: ping' });
  });
});
