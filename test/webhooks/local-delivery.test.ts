/**
 * Webhook subscriptions end to end under `npm start` (startLocal): a user writes in through the sandbox,
 * the product's /callback records and publishes it, the fan-out queues a delivery in the embedded table,
 * and the same delivery code the Lambda runs POSTs it, signed, to a receiver over HTTP. A reply's
 * delivery event reaches the subscriptions too, with `npm start`'s terminal log listening (functions/dev/local/main.ts).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { verifyDelivery } from '../../functions/core/webhooks';
import { SANDBOX_CALLBACK_TOKEN, startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { deliverPush, renderPush } from '../../functions/dev/sandbox/push';
import { createSubscription, deleteSubscription, getSubscription } from '../../functions/webhooks/subscriptions-api';
import { logEvents } from '../../functions/dev/local/event-log';
import { startReceiver, waitUntil } from './receiver';

let dataDir: string;
let product: LocalProduct;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-webhooks-'));
  // Retries after 100 ms instead of 10 s; the schedule's shape (five tries, then the dead letters) is the deployed one.
  product = await startLocal({ port: 0, dataDir, env: {}, webhookRetryDelaysMs: [100, 100, 100, 100] });
  receiver = await startReceiver();
});
afterAll(async () => {
  await product?.stop();
  await receiver?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  for (const s of await product.webhooks.subscriptions.list()) await product.webhooks.subscriptions.delete(s.id);
  receiver.received.length = 0;
});

/** The same push again, as WeChat sends it when it got no answer in time (same MsgId, new timestamp). */
async function repeatPush(message: Record<string, string | number | Record<string, string | number>>) {
  const stamp = { timestamp: String(Math.floor(Date.now() / 1000)), nonce: '42' };
  const request = renderPush(
    message,
    { url: `${product.url}/callback`, token: SANDBOX_CALLBACK_TOKEN, mode: 'plain', format: 'xml' },
    product.sandbox!.appId,
    stamp,
  );
  return deliverPush(request, 5_000);
}

describe('webhook delivery under npm start', () => {
  it('delivers exactly one signed event per push, and none for WeChat’s retry of it', async () => {
    // Prepare
    const sub = await createSubscription(product.webhooks, { url: receiver.url, events: ['message.*'] });
    // Act
    const push = await product.sandbox!.simulateUser('oWebhook1', { type: 'text', content: 'hello hook' });
    await waitUntil('the delivery', () => receiver.received.length >= 1);
    const retry = await repeatPush(push.message);
    await new Promise((r) => setTimeout(r, 1_500));
    // Assess
    expect(push.delivered).toBe(true);
    expect(retry.delivered).toBe(true);
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    expect(() =>
      verifyDelivery({ secret: sub.secret, headers: delivery!.headers as Record<string, unknown>, body: delivery!.body }),
    ).not.toThrow();
    expect(delivery!.json).toMatchObject({
      id: delivery!.headers['x-wechat-kf-event-id'],
      source: 'wechat.kf',
      type: 'message.text',
      detail: {
        openid: 'oWebhook1',
        appId: product.sandbox!.appId,
        message: { MsgType: 'text', Content: 'hello hook', FromUserName: 'oWebhook1' },
      },
    });
    expect((await getSubscription(product.webhooks, sub.id)).deliveries).toMatchObject({ delivered: 1, failedAttempts: 0, status: 'ok' });
  });

  it('retries a receiver answering 500 twice and delivers on the third try with the same event id', async () => {
    // Prepare
    const sub = await createSubscription(product.webhooks, { url: receiver.url });
    receiver.answerWith(500, 500);
    // Act
    await product.sandbox!.simulateUser('oWebhook2', { type: 'text', content: 'third time lucky' });
    await waitUntil('the third try', () => receiver.received.length >= 3);
    await waitUntil(
      'the delivery to be recorded',
      async () => (await getSubscription(product.webhooks, sub.id)).deliveries.delivered === 1,
    );
    // Assess
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200]);
    const ids = new Set(receiver.received.map((r) => r.headers['x-wechat-kf-event-id']));
    expect(ids.size).toBe(1);
    for (const r of receiver.received)
      expect(() => verifyDelivery({ secret: sub.secret, headers: r.headers as Record<string, unknown>, body: r.body })).not.toThrow();
    expect((await getSubscription(product.webhooks, sub.id)).deliveries).toMatchObject({
      delivered: 1,
      failedAttempts: 2,
      consecutiveFailures: 0,
      lastError: 'HTTP 500',
    });
  });

  it('gives up after five tries, dead-letters the delivery and reports the subscription as failing', async () => {
    // Prepare
    const sub = await createSubscription(product.webhooks, { url: receiver.url });
    receiver.answerWith(503, 503, 503, 503, 503);
    // Act
    await product.sandbox!.simulateUser('oWebhook3', { type: 'text', content: 'nobody home' });
    await waitUntil('the dead letter', async () => (await product.webhooks.deadLetters.list(sub.id)).deadLetters.length === 1);
    await new Promise((r) => setTimeout(r, 500));
    // Assess
    expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect((await getSubscription(product.webhooks, sub.id)).deliveries).toMatchObject({
      delivered: 0,
      failedAttempts: 5,
      consecutiveFailures: 5,
      deadLettered: 1,
      status: 'failing',
      lastError: 'HTTP 503',
    });
  });

  it('delivers only the events a subscription asked for, and nothing once it is deleted', async () => {
    // Prepare
    const follows = await createSubscription(product.webhooks, { url: `${receiver.url}?only=follows`, events: ['event.subscribe'] });
    // Act
    await product.sandbox!.simulateUser('oWebhook4', { type: 'text', content: 'not for you' });
    await product.sandbox!.simulateUser('oWebhook4', { type: 'event', event: 'subscribe' });
    await waitUntil('the follow event', () => receiver.received.length >= 1);
    await deleteSubscription(product.webhooks, follows.id);
    await product.sandbox!.simulateUser('oWebhook5', { type: 'event', event: 'subscribe' });
    await new Promise((r) => setTimeout(r, 1_500));
    // Assess
    expect(receiver.received.map((r) => r.json.type)).toEqual(['event.subscribe']);
    expect(receiver.received[0]!.json.detail.openid).toBe('oWebhook4');
  });

  it('refuses a URL that breaks the rules with 400 naming the field', async () => {
    await expect(createSubscription(product.webhooks, { url: 'http://hooks.example.com/x' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('url: must use https'),
    });
    await expect(createSubscription(product.webhooks, { url: receiver.url, events: ['message'] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('events[0]'),
    });
    await expect(createSubscription(product.webhooks, { url: receiver.url, secret: 'mine' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('secret: is not a field'),
    });
    expect(await product.webhooks.subscriptions.list()).toEqual([]);
  });

  it("delivers a reply's delivery.sent while npm start prints its log line, and a listener that throws stops nothing", async () => {
    // Prepare: npm start's terminal log and a broken listener both listen; a subscription to delivery events
    const lines: string[] = [];
    const stopLog = logEvents(product.events, (line) => lines.push(line));
    const stopBroken = product.events.onEvent(() => {
      throw new Error('a listener that fails');
    });
    const sub = await createSubscription(product.webhooks, { url: receiver.url, events: ['delivery.*'] });
    await product.sandbox!.simulateUser('oWebhook6', { type: 'text', content: 'answer me' });
    // Act
    const reply = await fetch(`${product.url}/messages/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: 'oWebhook6', text: { content: 'here is the answer' } }),
    });
    await waitUntil('the delivery event', () => receiver.received.length >= 1);
    stopLog();
    stopBroken();
    // Assess
    expect(reply.status).toBe(200);
    expect(receiver.received.map((r) => [r.json.type, r.json.detail.openid, r.json.detail.operation])).toEqual([
      ['delivery.sent', 'oWebhook6', 'sendText'],
    ]);
    expect(() =>
      verifyDelivery({
        secret: sub.secret,
        headers: receiver.received[0]!.headers as Record<string, unknown>,
        body: receiver.received[0]!.body,
      }),
    ).not.toThrow();
    expect(lines).toEqual(['[inbound] message.text from oWebhook6: answer me', '[delivery] delivery.sent to oWebhook6 (sendText)']);
  });
});
