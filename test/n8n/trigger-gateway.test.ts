/**
 * The built trigger in Gateway mode, fed by the product's real deliveries: startLocal delivers a user's
 * message (pushed by the sandbox to /callback) to an HTTP endpoint that hands each request to the
 * trigger's webhook(), as n8n's webhook server would. The trigger checks the signature and timestamp with
 * the subscription's secret, emits the same fields as Direct mode, and refuses forged or stale deliveries.
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'http';
import type { AddressInfo } from 'net';
import { computeSignature } from '../../functions/core/callback';
import { signDelivery } from '../../functions/core/webhooks/signature';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { useLocalProduct } from '../support/local-product';
import { waitUntil } from '../webhooks/receiver';
import { callWebhook, loadPackage } from './harness';

const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;

interface Call {
  status?: number;
  body?: string;
  items?: Record<string, unknown>[];
}

/** Runs the trigger's webhook() on one request, with a minimal IWebhookFunctions. */
async function runWebhook(
  request: { headers: IncomingHttpHeaders; body: string; query?: Record<string, string> },
  params: Record<string, unknown>,
  staticData: Record<string, unknown>,
  credentials: Record<string, unknown> = {},
): Promise<Call> {
  const { answer, items } = await callWebhook(trigger, {
    headers: request.headers,
    rawBody: Buffer.from(request.body),
    query: request.query,
    parameters: { messageTypes: [], events: [], options: {}, ...params },
    staticData,
    credentials,
    nodeId: 'trigger-gw',
  });
  return { status: answer.status, body: answer.body, items };
}

const product = useLocalProduct('wechat-kf-trigger-gw-', {
  webhookRetryDelaysMs: [100, 100, 100, 100],
  env: { HANDOFF_KEYWORDS: '转人工' },
});
let endpoint: Server;
let endpointUrl = '';
const staticData: Record<string, unknown> = {};
const calls: Array<{ request: { headers: IncomingHttpHeaders; body: string }; call: Call }> = [];
let params: Record<string, unknown> = { mode: 'gateway' };

beforeAll(async () => {
  endpoint = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const call = await runWebhook(request, params, staticData);
      calls.push({ request, call });
      res.writeHead(call.status ?? 500).end(call.body ?? '');
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/webhook/gw/wechat`;
  // What webhookMethods.create keeps in the workflow's static data (test/n8n-e2e activates it for real).
  const sub = await createSubscription(product.webhooks, { url: endpointUrl, events: ['message.*', 'event.*', 'handoff.*'] });
  Object.assign(staticData, { subscriptionId: sub.id, subscriptionSecret: sub.secret, subscriptionUrl: endpointUrl });
});
afterAll(async () => {
  endpoint?.closeAllConnections();
  await new Promise((r) => endpoint?.close(r));
});
beforeEach(() => {
  calls.length = 0;
  params = { mode: 'gateway' };
});

describe('WeChat Customer Service Trigger, Gateway mode', () => {
  it('starts the workflow with the same fields as Direct mode for a delivery of a user’s message', async () => {
    // Prepare: the same push in Direct mode, for the field list
    const ts = String(Math.floor(Date.now() / 1000));
    const xml =
      '<xml><ToUserName>gh_a</ToUserName><FromUserName>oGw1</FromUserName><CreateTime>1714112445</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>99</MsgId></xml>';
    const direct = await runWebhook(
      {
        headers: { 'content-type': 'text/xml' },
        body: xml,
        query: { timestamp: ts, nonce: '1', signature: computeSignature('directTok', ts, '1') },
      },
      { mode: 'direct' },
      {},
      { token: 'directTok', encodingAesKey: '' },
    );
    // Act
    await product.sandbox!.simulateUser('oGw1', { type: 'text', content: 'via the gateway' });
    const { call } = await waitUntil('the delivery', () => calls[0]);
    // Assess
    expect(call.status).toBe(200);
    expect(call.items).toHaveLength(1);
    const item = call.items![0]!;
    expect(item).toMatchObject({ openid: 'oGw1', messageType: 'text', content: 'via the gateway', mode: 'gateway', event: null });
    expect(Object.keys(item).sort()).toEqual(Object.keys(direct.items![0]!).sort());
  });

  it("starts the workflow with a handoff.requested item when the product's callback transferred a keyword (HANDOFF_KEYWORDS)", async () => {
    const asked = await product.sandbox!.simulateUser('oGwKw', { type: 'text', content: '转人工' });
    const { call } = await waitUntil('the delivery', () => calls[0]);

    expect(asked.reply).toMatchObject({ MsgType: 'transfer_customer_service' });
    expect(call.items).toEqual([
      expect.objectContaining({
        kind: 'handoff.requested',
        rule: '转人工',
        text: '转人工',
        transferred: true,
        openid: 'oGwKw',
        mode: 'gateway',
      }),
    ]);
    expect(calls).toHaveLength(1);
  });

  it('starts nothing for a second delivery of the same event', async () => {
    await product.sandbox!.simulateUser('oGw2', { type: 'text', content: 'once' });
    const first = await waitUntil('the delivery', () => calls[0]);
    const again = await runWebhook(first.request, params, staticData);
    expect(first.call.items).toHaveLength(1);
    expect(again.status).toBe(200);
    expect(again.items).toBeUndefined();
  });

  it('refuses a forged, a stale and an unsigned delivery with 401 and starts nothing', async () => {
    // Prepare: a genuine delivery to tamper with
    await product.sandbox!.simulateUser('oGw3', { type: 'text', content: 'genuine' });
    const { request } = await waitUntil('the delivery', () => calls[0]);
    const eventId = String(request.headers['x-wechat-kf-event-id']);
    const forgedBody = request.body.replace('genuine', 'forged');
    const staleHeaders = signDelivery({
      secret: String(staticData.subscriptionSecret),
      eventId: 'evt_stale',
      body: request.body,
      now: Date.now() - 10 * 60_000,
    });
    const otherSecret = signDelivery({ secret: 'whsec_not_the_one', eventId, body: request.body, now: Date.now() });
    // Act
    const forged = await runWebhook({ headers: request.headers, body: forgedBody }, params, {});
    const forgedWithData = await runWebhook({ headers: request.headers, body: forgedBody }, params, { ...staticData });
    const stale = await runWebhook({ headers: staleHeaders, body: request.body }, params, { ...staticData });
    const wrongKey = await runWebhook({ headers: otherSecret, body: request.body }, params, { ...staticData });
    const unsigned = await runWebhook({ headers: { 'content-type': 'application/json' }, body: request.body }, params, { ...staticData });
    // Assess
    for (const refused of [forged, forgedWithData, stale, wrongKey, unsigned]) {
      expect(refused.status).toBe(401);
      expect(refused.items).toBeUndefined();
    }
    expect(stale.body).toContain('more than 300 s');
    expect(wrongKey.body).toContain('does not match');
  });

  it('applies the Message Types filter as in Direct mode', async () => {
    params = { mode: 'gateway', messageTypes: ['image'] };
    await product.sandbox!.simulateUser('oGw4', { type: 'text', content: 'not an image' });
    const { call } = await waitUntil('the delivery', () => calls[0]);
    expect(call.status).toBe(200);
    expect(call.items).toBeUndefined();
  });
});
