/**
 * Acting on a subscription over HTTP under npm start (the same catalogue entries the deployed API serves):
 * its dead letters listed and redriven, a test event, PATCH of events and description, and a secret
 * rotated while the old one keeps verifying (docs/webhooks.md).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { signatureOf, verifyDelivery } from '../../functions/core/webhooks';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { startReceiver, waitUntil } from './receiver';

let dataDir: string;
let product: LocalProduct;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-dead-letters-'));
  product = await startLocal({ port: 0, dataDir, env: {}, webhookRetryDelaysMs: [50, 50, 50, 50] });
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

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${product.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

describe('acting on a subscription', () => {
  it('lists a delivery given up on as a dead letter, and a redrive delivers it with the same event id', async () => {
    // Prepare: a receiver that fails five times
    const sub = (await call('POST', '/subscriptions', { url: receiver.url, events: ['message.*'] })).json;
    receiver.answerWith(503, 503, 503, 503, 503);
    await product.sandbox!.simulateUser('oDead1', { type: 'text', content: 'lost and found' });
    await waitUntil(
      'the dead letter',
      async () => (await call('GET', `/subscriptions/${sub.id}/dead-letters`)).json.deadLetters.length === 1,
    );
    // Act
    const dead = await call('GET', `/subscriptions/${sub.id}/dead-letters`);
    const redrive = await call('POST', `/subscriptions/${sub.id}/redrive`);
    await waitUntil('the redriven delivery', () => receiver.received.length >= 6);
    const after = await call('GET', `/subscriptions/${sub.id}/dead-letters`);
    // Assess
    expect(dead.status).toBe(200);
    expect(dead.json).toEqual({
      id: sub.id,
      cursor: null,
      deadLetters: [
        {
          eventId: expect.any(String),
          type: 'message.text',
          deadAt: expect.any(String),
          attempts: 5,
          lastError: 'HTTP 503',
          event: expect.objectContaining({ type: 'message.text' }),
        },
      ],
    });
    expect(dead.json.deadLetters[0].event.detail.message.Content).toBe('lost and found');
    expect(redrive).toEqual({ status: 200, json: { id: sub.id, redriven: 1, eventIds: [dead.json.deadLetters[0].eventId], more: false } });
    expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 200]);
    expect(receiver.received[5]!.headers['x-wechat-kf-event-id']).toBe(dead.json.deadLetters[0].eventId);
    expect(after.json.deadLetters).toEqual([]);
  });

  it('sends a signed test event to that subscription alone, whatever its events', async () => {
    const sub = (await call('POST', '/subscriptions', { url: receiver.url, events: ['event.subscribe'] })).json;
    const other = (await call('POST', '/subscriptions', { url: `${receiver.url}?other`, events: ['*'] })).json;
    const test = await call('POST', `/subscriptions/${sub.id}/test`);
    await waitUntil('the test event', () => receiver.received.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(test).toEqual({
      status: 202,
      json: { id: sub.id, eventId: expect.stringMatching(/^evt_test_/), type: 'webhook.test', queued: true },
    });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.json).toMatchObject({
      id: test.json.eventId,
      type: 'webhook.test',
      detail: { subscriptionId: sub.id, test: true },
    });
    expect(() =>
      verifyDelivery({
        secret: sub.secret,
        headers: receiver.received[0]!.headers as Record<string, unknown>,
        body: receiver.received[0]!.body,
      }),
    ).not.toThrow();
    await call('DELETE', `/subscriptions/${other.id}`);
  });

  it('changes events and description with PATCH, keeping the URL and the secret, and refuses what it cannot change', async () => {
    const sub = (await call('POST', '/subscriptions', { url: receiver.url, events: ['event.subscribe'], description: 'old' })).json;
    const patched = await call('PATCH', `/subscriptions/${sub.id}`, { events: ['message.text'], description: '' });
    await product.sandbox!.simulateUser('oPatch1', { type: 'text', content: 'now you hear me' });
    await waitUntil('the delivery', () => receiver.received.length >= 1);
    const url = await call('PATCH', `/subscriptions/${sub.id}`, { url: 'https://hooks.example.com/x' });
    const secret = await call('PATCH', `/subscriptions/${sub.id}`, { secret: 'whsec_mine' });
    const nothing = await call('PATCH', `/subscriptions/${sub.id}`, {});
    const missing = await call('PATCH', '/subscriptions/sub_AAAAAAAAAAAAAAAAAAAA', { description: 'x' });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: sub.id, url: receiver.url, events: ['message.text'], description: null });
    expect(patched.json.secret).toBeUndefined();
    expect(() =>
      verifyDelivery({
        secret: sub.secret,
        headers: receiver.received[0]!.headers as Record<string, unknown>,
        body: receiver.received[0]!.body,
      }),
    ).not.toThrow();
    expect(url.status).toBe(400);
    expect(JSON.stringify(url.json)).toContain('url');
    expect(secret.status).toBe(400);
    expect(JSON.stringify(secret.json)).toContain('rotate-secret');
    expect(nothing.status).toBe(400);
    expect(missing.status).toBe(404);
    await call('DELETE', `/subscriptions/${sub.id}`);
  });

  it('rotates the secret: both signatures sent, new first, so the old secret still verifies', async () => {
    const sub = (await call('POST', '/subscriptions', { url: receiver.url, events: ['message.*'] })).json;
    const rotated = await call('POST', `/subscriptions/${sub.id}/rotate-secret`);
    await product.sandbox!.simulateUser('oRotate1', { type: 'text', content: 'which key?' });
    await waitUntil('the delivery', () => receiver.received.length >= 1);
    const [delivery] = receiver.received;
    const timestamp = delivery!.headers['x-wechat-kf-timestamp'] as string;
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({
      id: sub.id,
      secret: expect.stringMatching(/^whsec_/),
      previousSecretExpiresAt: expect.any(String),
    });
    expect(rotated.json.secret).not.toBe(sub.secret);
    expect(Date.parse(rotated.json.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    expect(delivery!.headers['x-wechat-kf-signature']).toBe(
      `${signatureOf(rotated.json.secret, timestamp, delivery!.body)},${signatureOf(sub.secret, timestamp, delivery!.body)}`,
    );
    for (const secret of [rotated.json.secret, sub.secret]) {
      expect(() => verifyDelivery({ secret, headers: delivery!.headers as Record<string, unknown>, body: delivery!.body })).not.toThrow();
    }
    await call('DELETE', `/subscriptions/${sub.id}`);
  });

  it('answers 404 for a subscription that does not exist and 400 for a malformed id or cursor', async () => {
    const id = 'sub_AAAAAAAAAAAAAAAAAAAA';
    for (const [method, path] of [
      ['GET', `/subscriptions/${id}/dead-letters`],
      ['POST', `/subscriptions/${id}/redrive`],
      ['POST', `/subscriptions/${id}/test`],
      ['POST', `/subscriptions/${id}/rotate-secret`],
    ]) {
      expect((await call(method!, path!)).status).toBe(404);
    }
    expect((await call('POST', '/subscriptions/nope/redrive')).status).toBe(400);
    expect((await call('GET', `/subscriptions/${id}/dead-letters?cursor=x`)).status).toBe(400);
    expect((await call('GET', `/subscriptions/${id}/dead-letters?limit=0`)).status).toBe(400);
  });
});
