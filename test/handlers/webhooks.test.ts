/**
 * The deployed webhook functions, invoked with real-shaped events: the fan-out function with EventBridge
 * events from the product's bus, the delivery function with the SQS batches the queue would hand it
 * (ApproximateReceiveCount rising on each redelivery), on dynalite, delivering over HTTP to a receiver.
 */
import type { SQSEvent } from 'aws-lambda';
import { verifyDelivery } from '../../functions/core/webhooks';
import { createDeliveryHandler } from '../../functions/lambda/webhook-delivery';
import { createFanOutHandler } from '../../functions/lambda/webhook-fanout';
import type { DeliveryMessage } from '../../functions/webhooks/deliverer';
import { createWebhookRuntime, type WebhookRuntime } from '../../functions/webhooks/runtime';
import { LocalKeySealer } from '../../functions/webhooks/sealer';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { DeliverySlots, newSubscriptionId } from '../../functions/store';
import { eventBridgeEvent, sqsRecord } from '../support/aws-events';
import { startTestDynamo, type TestDynamo } from '../store/helpers';
import { startReceiver } from '../webhooks/receiver';

let dynamo: TestDynamo;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  dynamo = await startTestDynamo();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.stop();
  await dynamo.stop();
});
beforeEach(() => {
  receiver.received.length = 0;
});

async function setUp(addressPolicy: 'any' | 'public' = 'any') {
  const tableName = await dynamo.newTable();
  const runtime = createWebhookRuntime({
    dynamo: dynamo.client,
    tableName,
    sealer: new LocalKeySealer(),
    addressPolicy,
    allowLoopbackHttp: true,
    timeoutMs: 2_000,
  });
  const queued: DeliveryMessage[] = [];
  const visibility: Array<{ handle: string; seconds: number }> = [];
  const fanOut = createFanOutHandler(
    () => runtime,
    async (messages) => {
      queued.push(...messages);
    },
  );
  const requeued: Array<{ message: DeliveryMessage; seconds: number }> = [];
  const deliver = createDeliveryHandler(
    () => runtime,
    async (handle, seconds) => {
      visibility.push({ handle, seconds });
    },
    { requeue: async (message, seconds) => void requeued.push({ message, seconds }) },
  );
  /** One receive of a queued message, as SQS hands it to the function. */
  const receive = (message: DeliveryMessage, receiveCount: number, messageId = 'msg-1') => {
    const record = sqsRecord(messageId, message);
    record.attributes.ApproximateReceiveCount = String(receiveCount);
    return deliver({ Records: [record] } as SQSEvent, undefined);
  };
  return { runtime, tableName, queued, visibility, requeued, fanOut, receive };
}

const inbound = (id: string, openid = 'oUser') => {
  const event = eventBridgeEvent(id, 'message.text', {
    appId: 'wx1',
    openid,
    receivedAt: '2026-11-24T13:00:00.000Z',
    message: { MsgType: 'text', Content: 'hi', FromUserName: openid },
  });
  event.source = 'wechat.kf';
  return event;
};

describe('the deployed webhook functions', () => {
  it('fan out an inbound event to the matching subscriptions only, delivery events included', async () => {
    // Prepare
    const { runtime, queued, fanOut } = await setUp();
    const messages = await createSubscription(runtime, { url: receiver.url, events: ['message.*'] });
    const failures = await createSubscription(runtime, { url: receiver.url, events: ['delivery.failed'] });
    const everything = await createSubscription(runtime, { url: receiver.url });
    const failed = eventBridgeEvent('evt-df', 'delivery.failed', { openid: 'oUser', errcode: 45015 });
    failed.source = 'wechat.kf';
    // Act
    const first = await fanOut(inbound('evt-in') as never);
    const second = await fanOut(failed as never);
    // Assess
    expect(first).toEqual({ deliveries: 2 });
    expect(second).toEqual({ deliveries: 2 });
    expect(queued.map((m) => `${m.subscriptionId}:${m.event.type}`).sort()).toEqual(
      [
        `${messages.id}:message.text`,
        `${everything.id}:message.text`,
        `${failures.id}:delivery.failed`,
        `${everything.id}:delivery.failed`,
      ].sort(),
    );
    expect(queued[0]!.event).toMatchObject({ id: 'evt-in', source: 'wechat.kf', type: 'message.text', time: '2026-11-24T13:00:00Z' });
  });

  it('retry a receiver answering 500 twice with backoff, and deliver on the third receive with the same event id', async () => {
    // Prepare
    const { runtime, queued, visibility, fanOut, receive } = await setUp();
    const sub = await createSubscription(runtime, { url: receiver.url });
    await fanOut(inbound('evt-retry') as never);
    receiver.answerWith(500, 500);
    // Act
    const tries = [await receive(queued[0]!, 1), await receive(queued[0]!, 2), await receive(queued[0]!, 3)];
    // Assess
    expect(tries).toEqual([
      { batchItemFailures: [{ itemIdentifier: 'msg-1' }] },
      { batchItemFailures: [{ itemIdentifier: 'msg-1' }] },
      { batchItemFailures: [] },
    ]);
    expect(visibility.map((v) => v.seconds)).toEqual([10, 60]);
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(receiver.received.map((r) => r.headers['x-wechat-kf-event-id']))).toEqual(new Set(['evt-retry']));
    for (const r of receiver.received)
      expect(() => verifyDelivery({ secret: sub.secret, headers: r.headers as Record<string, unknown>, body: r.body })).not.toThrow();
    expect((await runtime.subscriptions.get(sub.id)).deliveries).toMatchObject({ delivered: 1, failedAttempts: 2, consecutiveFailures: 0 });
  });

  it('defer a delivery whose subscription has its most tries in flight: sent again untried, its tries carried, the message done', async () => {
    // Prepare: every slot of the subscription held by other tries
    const { runtime, tableName, queued, requeued, fanOut, receive } = await setUp();
    const sub = await createSubscription(runtime, { url: receiver.url });
    const slots = new DeliverySlots({ client: dynamo.client, tableName });
    for (let i = 0; i < 5; i++) await slots.acquire(sub.id, `other-${i}`, 5);
    await fanOut(inbound('evt-capped') as never);
    // Act: the second receive of this message (one try failed before)
    const answer = await receive(queued[0]!, 2);
    // Assess
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(receiver.received).toHaveLength(0);
    expect(requeued).toEqual([
      { message: expect.objectContaining({ subscriptionId: sub.id, priorAttempts: 1, deferrals: 1 }), seconds: 1 },
    ]);
    expect((await runtime.subscriptions.get(sub.id)).deliveries).toMatchObject({
      failedAttempts: 0,
      oldestPendingAgeSeconds: expect.any(Number),
    });
  });

  it('hold a first try behind a subscription whose last try just failed, and let its retry probe it', async () => {
    const { runtime, queued, requeued, fanOut, receive } = await setUp();
    const sub = await createSubscription(runtime, { url: receiver.url });
    receiver.answerWith(500);
    await fanOut(inbound('evt-first') as never);
    await fanOut(inbound('evt-second') as never);
    const failed = await receive(queued[0]!, 1, 'm1');
    const held = await receive(queued[1]!, 1, 'm2');
    const retried = await receive(queued[0]!, 2, 'm1');
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(held).toEqual({ batchItemFailures: [] });
    expect(requeued.map((r) => [r.message.event.id, r.seconds])).toEqual([['evt-second', 5]]);
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(receiver.received.map((r) => [r.headers['x-wechat-kf-event-id'], r.status])).toEqual([
      ['evt-first', 500],
      ['evt-first', 200],
    ]);
    expect((await runtime.subscriptions.get(sub.id)).deliveries.status).toBe('ok');
  });

  it('deliver an event once even when EventBridge and SQS hand it over twice', async () => {
    const { runtime, queued, fanOut, receive } = await setUp();
    await createSubscription(runtime, { url: receiver.url });
    await fanOut(inbound('evt-twice') as never);
    await fanOut(inbound('evt-twice') as never); // EventBridge's at-least-once
    await receive(queued[0]!, 1, 'm1');
    await receive(queued[1]!, 1, 'm2');
    await receive(queued[0]!, 2, 'm1'); // SQS's at-least-once
    expect(receiver.received).toHaveLength(1);
  });

  it('after the last try: kept as a dead letter of the subscription, the message done, and the subscription reported as failing', async () => {
    const { runtime, queued, visibility, fanOut, receive } = await setUp();
    const sub = await createSubscription(runtime, { url: receiver.url });
    await fanOut(inbound('evt-dead') as never);
    receiver.answerWith(503, 503, 503, 503, 503);
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push(await receive(queued[0]!, i));
    expect(visibility.map((v) => v.seconds)).toEqual([10, 60, 300, 1800]);
    expect(answers.at(-1)).toEqual({ batchItemFailures: [] });
    expect((await runtime.deadLetters.list(sub.id)).deadLetters).toEqual([
      {
        eventId: 'evt-dead',
        type: 'message.text',
        deadAt: expect.any(String),
        attempts: 5,
        lastError: 'HTTP 503',
        event: expect.objectContaining({ id: 'evt-dead' }),
      },
    ]);
    expect((await runtime.subscriptions.get(sub.id)).deliveries).toMatchObject({
      failedAttempts: 5,
      deadLettered: 1,
      status: 'failing',
      lastError: 'HTTP 503',
    });
  });

  it('drop deliveries of a deleted subscription, and a malformed message, without retrying', async () => {
    const { runtime, queued, fanOut, receive } = await setUp();
    const sub = await createSubscription(runtime, { url: receiver.url });
    await fanOut(inbound('evt-gone') as never);
    await runtime.subscriptions.delete(sub.id);
    const gone = await receive(queued[0]!, 1);
    const malformed = await receive('not json' as never, 1, 'bad');
    expect(gone).toEqual({ batchItemFailures: [] });
    expect(malformed).toEqual({ batchItemFailures: [] });
    expect(receiver.received).toHaveLength(0);
  });

  it('refuse to connect to an internal address when deployed, even for a URL stored before its DNS changed', async () => {
    // Prepare: a subscription whose URL now points at loopback (as after a DNS re-pointing)
    const { runtime, receive } = await setUp('public');
    const id = newSubscriptionId();
    await runtime.subscriptions.create({ id, url: receiver.url, events: ['*'], sealedSecret: await runtime.sealer.seal(id, 'whsec_x') });
    // Act
    const result = await receive(
      { subscriptionId: id, event: { id: 'evt-ssrf', source: 'wechat.kf', type: 'message.text', time: '', detail: {} } },
      1,
    );
    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    expect(receiver.received).toHaveLength(0);
    expect((await runtime.subscriptions.get(id)).deliveries.lastError).toBe('address refused');

    // The same through a host name: refused on the socket's own lookup
    const named = newSubscriptionId();
    await runtime.subscriptions.create({
      id: named,
      url: receiver.url.replace('127.0.0.1', 'localhost'),
      events: ['*'],
      sealedSecret: await runtime.sealer.seal(named, 'whsec_x'),
    });
    await receive(
      { subscriptionId: named, event: { id: 'evt-ssrf2', source: 'wechat.kf', type: 'message.text', time: '', detail: {} } },
      1,
    );
    expect(receiver.received).toHaveLength(0);
    expect((await runtime.subscriptions.get(named)).deliveries.lastError).toBe('address refused');
  });

  it('time out a receiver that does not answer in time', async () => {
    const { runtime, queued, fanOut, receive } = await setUp();
    const sub = await createSubscription(runtime, { url: receiver.url });
    await fanOut(inbound('evt-slow') as never);
    receiver.hang(3_000);
    try {
      await receive(queued[0]!, 1);
    } finally {
      receiver.hang(0);
    }
    expect((await runtime.subscriptions.get(sub.id)).deliveries.lastError).toBe('timeout');
  });
});

export type { WebhookRuntime };
