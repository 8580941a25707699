/**
 * The trigger started by turns (Gateway mode, docs/turns.md): a user's three messages make one turn.ready,
 * delivered by the product's webhook subscription; the built trigger turns it into one item (the text
 * joined, the messages in order); turn.limited only when asked. Build first: `npm run build --workspace n8n-nodes`.
 */
import type { IncomingHttpHeaders } from 'http';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { useLocalProduct } from '../support/local-product';
import { startReceiver, waitUntil } from '../webhooks/receiver';
import * as gateway from '../../n8n-nodes/nodes/WeChatKfTrigger/gateway';
import { callWebhook, loadPackage } from './harness';

const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

async function runWebhook(
  request: { headers: IncomingHttpHeaders; body: string },
  params: Record<string, unknown>,
  staticData: Record<string, unknown>,
) {
  const { answer, items } = await callWebhook(trigger, {
    headers: request.headers,
    rawBody: Buffer.from(request.body),
    parameters: { messageTypes: [], events: [], options: {}, ...params },
    staticData,
    nodeId: 'trigger-turns',
  });
  return { status: answer.status, items };
}

const product = useLocalProduct('wechat-kf-trigger-turns-', {
  env: { TURN_QUIET_MS: '500', TURN_LIMIT_PER_HOUR: '1' },
  webhookRetryDelaysMs: [100, 100],
});
let endpoint: Awaited<ReturnType<typeof startReceiver>>;
const staticData: Record<string, unknown> = {};

beforeAll(async () => {
  endpoint = await startReceiver();
  // What the trigger's activation subscribes with Start On = Turns and Include Limited Turns.
  const sub = await createSubscription(product.webhooks, { url: endpoint.url, events: gateway.gatewayEvents('turns', true) });
  Object.assign(staticData, { subscriptionId: sub.id, subscriptionSecret: sub.secret, subscriptionUrl: endpoint.url });
});
afterAll(async () => {
  await endpoint?.stop();
});

describe('WeChat Customer Service Trigger: Start On turns (Gateway mode)', () => {
  it('subscribes to turn.ready, and turn.limited when asked', () => {
    expect(gateway.gatewayEvents('turns')).toEqual(['turn.ready']);
    expect(gateway.gatewayEvents('turns', true)).toEqual(['turn.ready', 'turn.limited']);
  });

  it('runs once per burst, with the text joined and the messages in order; a limited turn says so', async () => {
    // prepare / act: three messages, one turn; then a second turn over the hourly limit of 1
    for (const content of ['hi', 'my order', 'is late']) await product.sandbox!.simulateUser('oTurnN8n', { type: 'text', content });
    const ready = await waitUntil('the turn.ready webhook', () =>
      endpoint.received.find((r) => r.body.includes('"turn.ready"') && r.body.includes('oTurnN8n')),
    );
    await product.sandbox!.simulateUser('oTurnN8n', { type: 'text', content: 'hello?' });
    const limited = await waitUntil('the turn.limited webhook', () => endpoint.received.find((r) => r.body.includes('"turn.limited"')));
    const started = await runWebhook(ready, { mode: 'gateway', startOn: 'turns' }, staticData);
    const startedLimited = await runWebhook(limited, { mode: 'gateway', startOn: 'turns', includeLimitedTurns: true }, staticData);
    const onMessages = await runWebhook(ready, { mode: 'gateway', startOn: 'messages', options: { keepRetries: true } }, staticData);

    // assess
    expect(started.status).toBe(200);
    expect(started.items).toHaveLength(1);
    expect(started.items![0]).toMatchObject({ kind: 'turn.ready', openid: 'oTurnN8n', text: 'hi\nmy order\nis late', mode: 'gateway' });
    expect((started.items![0]!.messages as any[]).map((m) => m.message.Content)).toEqual(['hi', 'my order', 'is late']);
    expect(startedLimited.items).toEqual([expect.objectContaining({ kind: 'turn.limited', text: 'hello?', count: 2, limit: 1 })]);
    expect(onMessages.items).toBeUndefined();
    // Exactly one delivery per turn reached the workflow's URL.
    expect(endpoint.received.filter((r) => r.body.includes('"turn.ready"'))).toHaveLength(1);
  }, 20_000);

  it('stays silent for a turn handed to the desk with Skip While a Human Has the User', async () => {
    // prepare: the flow hands the user to a human; their next message is answered with a transfer
    const marked = await fetch(`${product.url}/handoff`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'oTurnHuman' }),
    });
    expect(marked.status).toBe(200);
    await product.sandbox!.simulateUser('oTurnHuman', { type: 'text', content: 'a person please' });
    const ready = await waitUntil('the turn.ready webhook', () =>
      endpoint.received.find((r) => r.body.includes('"turn.ready"') && r.body.includes('oTurnHuman')),
    );
    // act
    const skipping = await runWebhook(ready, { mode: 'gateway', startOn: 'turns', options: { skipHumanSessions: true } }, staticData);
    const notSkipping = await runWebhook(ready, { mode: 'gateway', startOn: 'turns', options: { keepRetries: true } }, staticData);
    // assess
    expect(skipping.status).toBe(200);
    expect(skipping.items).toBeUndefined();
    expect(notSkipping.items).toEqual([expect.objectContaining({ kind: 'turn.ready', openid: 'oTurnHuman', transferred: true })]);
  }, 20_000);
});
