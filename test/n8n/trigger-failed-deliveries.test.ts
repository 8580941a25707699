/**
 * The trigger started by failed deliveries (Gateway mode): a send through the product that the window
 * refuses is published as delivery.failed, delivered by the product's webhook subscription, and the
 * built trigger turns it into an item. Build first: `npm run build --workspace n8n-nodes`.
 */
import type { IncomingHttpHeaders } from 'http';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { useLocalProduct } from '../support/local-product';
import { startReceiver, waitUntil } from '../webhooks/receiver';
import * as gateway from '../../n8n-nodes/nodes/WeChatKfTrigger/gateway';
import { callWebhook, loadPackage } from './harness';

const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

interface Call {
  status?: number;
  items?: Record<string, unknown>[];
}

/** Runs the trigger's webhook() on one delivery, as n8n's webhook server would. */
async function runWebhook(
  request: { headers: IncomingHttpHeaders; body: string },
  params: Record<string, unknown>,
  staticData: Record<string, unknown>,
): Promise<Call> {
  const { answer, items } = await callWebhook(trigger, {
    headers: request.headers,
    rawBody: Buffer.from(request.body),
    parameters: { messageTypes: [], events: [], options: {}, ...params },
    staticData,
    nodeId: 'trigger-failed',
  });
  return { status: answer.status, items };
}

const product = useLocalProduct('wechat-kf-trigger-failed-', { webhookRetryDelaysMs: [100, 100] });
/** Where the product delivers (as to n8n's webhook URL); each delivery is recorded and answered 200. */
let endpoint: Awaited<ReturnType<typeof startReceiver>>;
const staticData: Record<string, unknown> = {};

beforeAll(async () => {
  endpoint = await startReceiver();
  // What the trigger's activation subscribes with Start On = Failed Deliveries.
  const sub = await createSubscription(product.webhooks, { url: endpoint.url, events: gateway.gatewayEvents('failedDeliveries') });
  Object.assign(staticData, { subscriptionId: sub.id, subscriptionSecret: sub.secret, subscriptionUrl: endpoint.url });
});
afterAll(async () => {
  await endpoint?.stop();
});

describe('WeChat Customer Service Trigger: Start On failed deliveries (Gateway mode)', () => {
  it('subscribes to delivery.failed only, or with messages and events for Both', () => {
    // act + assess
    expect(gateway.gatewayEvents('failedDeliveries')).toEqual(['delivery.failed']);
    expect(gateway.gatewayEvents('both')).toEqual(['message.*', 'event.*', 'handoff.*', 'delivery.failed']);
    expect(gateway.gatewayEvents('messages')).toEqual(['message.*', 'event.*', 'handoff.*']);
  });

  it('starts the workflow with who, what and why when a send is refused, and not when it starts on messages', async () => {
    // prepare: a user who never wrote in has no send window
    const res = await fetch(`${product.url}/messages/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: 'oNoWindow', text: { content: 'your order shipped' } }),
    });
    expect(res.status).toBe(409);
    const delivery = await waitUntil('the delivery.failed webhook', () => endpoint.received.find((r) => r.body.includes('oNoWindow')));

    // act
    const started = await runWebhook(delivery, { mode: 'gateway', startOn: 'failedDeliveries' }, staticData);
    const onMessages = await runWebhook(delivery, { mode: 'gateway', startOn: 'messages', options: { keepRetries: true } }, staticData);

    // assess
    expect(started.status).toBe(200);
    expect(started.items).toEqual([
      expect.objectContaining({
        kind: 'delivery.failed',
        openid: 'oNoWindow',
        operation: 'sendText',
        messageType: 'text',
        outcome: 'refused_by_window',
        reason: 'no-interaction',
        mode: 'gateway',
      }),
    ]);
    expect(JSON.stringify(started.items)).not.toContain('your order shipped');
    expect(onMessages.status).toBe(200);
    expect(onMessages.items).toBeUndefined();
  });
});
