/**
 * The trigger started by failed deliveries (Gateway mode): a send through the product that the window
 * refuses is published as delivery.failed, delivered by the product's webhook subscription, and the
 * built trigger turns it into an item. Build first: `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync } from 'fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { createSubscription } from '../../functions/handlers/webhooks/subscriptions-api';
import { startLocal, type LocalProduct } from '../../functions/local/server';
import { waitUntil } from '../webhooks/receiver';
import * as gateway from '../../n8n-nodes/nodes/WeChatKfTrigger/gateway';
import { callWebhook, loadPackage } from './harness';

const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

interface Call {
  status?: number;
  items?: Record<string, unknown>[];
}

/** Runs the trigger's webhook() on one delivery, as n8n's webhook server would. */
async function runWebhook(request: { headers: IncomingHttpHeaders; body: string }, params: Record<string, unknown>, staticData: Record<string, unknown>): Promise<Call> {
  const { answer, items } = await callWebhook(trigger, {
    headers: request.headers,
    rawBody: Buffer.from(request.body),
    parameters: { messageTypes: [], events: [], options: {}, ...params },
    staticData,
    nodeId: 'trigger-failed',
  });
  return { status: answer.status, items };
}

let dataDir: string;
let product: LocalProduct;
let endpoint: Server;
const requests: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const staticData: Record<string, unknown> = {};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-trigger-failed-'));
  product = await startLocal({ port: 0, dataDir, env: {}, webhookRetryDelaysMs: [100, 100] });
  endpoint = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/webhook/failed/wechat`;
  // What the trigger's activation subscribes with Start On = Failed Deliveries.
  const sub = await createSubscription(product.webhooks, { url, events: gateway.gatewayEvents('failedDeliveries') });
  Object.assign(staticData, { subscriptionId: sub.id, subscriptionSecret: sub.secret, subscriptionUrl: url });
});
afterAll(async () => {
  endpoint?.closeAllConnections();
  await new Promise((r) => endpoint?.close(r));
  await product?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('WeChat Customer Service Trigger: Start On failed deliveries (Gateway mode)', () => {
  it('subscribes to delivery.failed only, or with messages and events for Both', () => {
    // act + assess
    expect(gateway.gatewayEvents('failedDeliveries')).toEqual(['delivery.failed']);
    expect(gateway.gatewayEvents('both')).toEqual(['message.*', 'event.*', 'delivery.failed']);
    expect(gateway.gatewayEvents('messages')).toEqual(['message.*', 'event.*']);
  });

  it('starts the workflow with who, what and why when a send is refused, and not when it starts on messages', async () => {
    // prepare: a user who never wrote in has no send window
    const res = await fetch(`${product.url}/messages/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: 'oNoWindow', text: { content: 'your order shipped' } }),
    });
    expect(res.status).toBe(409);
    const delivery = await waitUntil('the delivery.failed webhook', () => requests.find((r) => r.body.includes('oNoWindow')));

    // act
    const started = await runWebhook(delivery, { mode: 'gateway', startOn: 'failedDeliveries' }, staticData);
    const onMessages = await runWebhook(delivery, { mode: 'gateway', startOn: 'messages', options: { keepRetries: true } }, staticData);

    // assess
    expect(started.status).toBe(200);
    expect(started.items).toEqual([
      expect.objectContaining({ kind: 'delivery.failed', openid: 'oNoWindow', operation: 'sendText', messageType: 'text', outcome: 'refused_by_window', reason: 'no-interaction', mode: 'gateway' }),
    ]);
    expect(JSON.stringify(started.items)).not.toContain('your order shipped');
    expect(onMessages.status).toBe(200);
    expect(onMessages.items).toBeUndefined();
  });
});
