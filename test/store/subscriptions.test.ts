/**
 * Subscriptions, the delivery ledger and the local queue, on dynalite.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DeliveryLedger,
  DeliverySlots,
  LocalQueue,
  marshallKey,
  MAX_SUBSCRIPTIONS,
  newSubscriptionId,
  SubscriptionStore,
} from '../../functions/store';
import { SubscriptionNotFoundError } from '../../functions/core/webhooks';
import { fakeClock, startTestDynamo, type TestDynamo } from './helpers';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

describe('SubscriptionStore', () => {
  it('creates, lists, gets and deletes, never answering with the sealed secret', async () => {
    // Prepare
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const store = new SubscriptionStore({ client: dynamo.client, tableName, now: clock.now });
    const id = newSubscriptionId();
    // Act
    const created = await store.create({
      id,
      url: 'https://hooks.example.com/a',
      events: ['message.*'],
      description: 'n8n',
      sealedSecret: 'local:v1:sealed',
    });
    const listed = await store.list();
    const got = await store.get(id);
    const forDelivery = await store.sealedSecretOf(id);
    await store.delete(id);
    // Assess
    expect(created).toEqual({
      id,
      url: 'https://hooks.example.com/a',
      events: ['message.*'],
      // No account filter: every account's events (docs/webhooks.md, "Filtering by account").
      appIds: null,
      description: 'n8n',
      createdAt: new Date(clock.t).toISOString(),
      deliveries: {
        delivered: 0,
        failedAttempts: 0,
        consecutiveFailures: 0,
        deadLettered: 0,
        status: 'ok',
        oldestPendingAgeSeconds: null,
        lastDeliveredAt: null,
        lastFailureAt: null,
        lastError: null,
      },
    });
    expect(listed).toEqual([created]);
    expect(got).toEqual(created);
    expect(JSON.stringify([created, listed, got])).not.toContain('sealed');
    expect(forDelivery?.sealedSecret).toBe('local:v1:sealed');
    await expect(store.get(id)).rejects.toThrow(SubscriptionNotFoundError);
    await expect(store.delete(id)).rejects.toThrow(SubscriptionNotFoundError);
    expect(await store.sealedSecretOf(id)).toBeUndefined();
  });

  it('counts failures, reports a subscription as failing, and clears the run on a delivery', async () => {
    // Prepare
    const tableName = await dynamo.newTable();
    const store = new SubscriptionStore({ client: dynamo.client, tableName });
    const id = newSubscriptionId();
    await store.create({ id, url: 'https://hooks.example.com/a', events: ['*'], sealedSecret: 'x' });
    // Act
    await store.recordFailure(id, 'HTTP 500');
    await store.recordFailure(id, 'HTTP 502');
    const twice = await store.get(id);
    await store.recordFailure(id, 'timed out after 10000 ms');
    const thrice = await store.get(id);
    await store.recordDelivered(id);
    const after = await store.get(id);
    // Assess
    expect(twice.deliveries).toMatchObject({ failedAttempts: 2, consecutiveFailures: 2, status: 'ok', lastError: 'HTTP 502' });
    expect(thrice.deliveries).toMatchObject({
      failedAttempts: 3,
      consecutiveFailures: 3,
      status: 'failing',
      lastError: 'timed out after 10000 ms',
    });
    expect(after.deliveries).toMatchObject({ delivered: 1, failedAttempts: 3, consecutiveFailures: 0, status: 'ok' });
  });

  it('reports a dead-lettered delivery as failing until one gets through', async () => {
    const tableName = await dynamo.newTable();
    const store = new SubscriptionStore({ client: dynamo.client, tableName });
    const id = newSubscriptionId();
    await store.create({ id, url: 'https://hooks.example.com/a', events: ['*'], sealedSecret: 'x' });
    await store.recordFailure(id, 'HTTP 410', true);
    expect((await store.get(id)).deliveries).toMatchObject({ deadLettered: 1, status: 'failing' });
    await store.recordDelivered(id);
    expect((await store.get(id)).deliveries).toMatchObject({ deadLettered: 1, status: 'ok' });
  });

  it('never brings a deleted subscription back when a late delivery reports on it', async () => {
    // Prepare
    const tableName = await dynamo.newTable();
    const store = new SubscriptionStore({ client: dynamo.client, tableName });
    const id = newSubscriptionId();
    await store.create({ id, url: 'https://hooks.example.com/a', events: ['*'], sealedSecret: 'x' });
    await store.delete(id);
    // Act
    await store.recordFailure(id, 'HTTP 500');
    await store.recordDelivered(id);
    // Assess
    const raw = await dynamo.client.send(
      new GetItemCommand({ TableName: tableName, Key: marshallKey({ pk: 'SUBSCRIPTIONS', sk: `SUB#${id}` }) }),
    );
    expect(raw.Item).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it(`refuses more than ${MAX_SUBSCRIPTIONS} subscriptions`, async () => {
    const tableName = await dynamo.newTable();
    const store = new SubscriptionStore({ client: dynamo.client, tableName });
    for (let i = 0; i < MAX_SUBSCRIPTIONS; i++)
      await store.create({ id: newSubscriptionId(), url: 'https://hooks.example.com/a', events: ['*'], sealedSecret: 'x' });
    await expect(
      store.create({ id: newSubscriptionId(), url: 'https://hooks.example.com/a', events: ['*'], sealedSecret: 'x' }),
    ).rejects.toThrow(`at most ${MAX_SUBSCRIPTIONS} subscriptions`);
  });
});

describe('DeliveryLedger', () => {
  it('lets one try claim a delivery, tells the others it is busy, then that it was delivered', async () => {
    // Prepare
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const ledger = new DeliveryLedger({ client: dynamo.client, tableName, now: clock.now, leaseMs: 30_000 });
    // Act
    const first = await ledger.claim('sub_a', 'evt_1', 'try-1');
    const concurrent = await ledger.claim('sub_a', 'evt_1', 'try-2');
    const otherSubscription = await ledger.claim('sub_b', 'evt_1', 'try-3');
    await ledger.markDelivered('sub_a', 'evt_1');
    clock.advance(60_000);
    const later = await ledger.claim('sub_a', 'evt_1', 'try-4');
    // Assess
    expect([first, concurrent, otherSubscription, later]).toEqual(['claimed', 'busy', 'claimed', 'delivered']);
  });

  it('lets the next try claim after a release, or after a dead try’s lease ran out', async () => {
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const ledger = new DeliveryLedger({ client: dynamo.client, tableName, now: clock.now, leaseMs: 30_000 });
    expect(await ledger.claim('sub_a', 'evt_1', 'try-1')).toBe('claimed');
    await ledger.release('sub_a', 'evt_1', 'someone-else');
    expect(await ledger.claim('sub_a', 'evt_1', 'try-2')).toBe('busy');
    await ledger.release('sub_a', 'evt_1', 'try-1');
    expect(await ledger.claim('sub_a', 'evt_1', 'try-2')).toBe('claimed');
    clock.advance(30_001);
    expect(await ledger.claim('sub_a', 'evt_1', 'try-3')).toBe('claimed');
  });
});

describe('LocalQueue', () => {
  it('hides a received message, brings it back after a delay or the visibility timeout, and dead-letters it', async () => {
    // Prepare
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const queue = new LocalQueue({ client: dynamo.client, tableName, name: 'q', visibilityMs: 60_000, now: clock.now });
    await queue.send([{ id: 'm1', body: '{"n":1}' }]);
    // Act
    const first = await queue.receive(10);
    const whileHidden = await queue.receive(10);
    await queue.retryLater(first[0]!, 5_000);
    clock.advance(4_999);
    const tooEarly = await queue.receive(10);
    clock.advance(1);
    const second = await queue.receive(10);
    clock.advance(60_001); // its worker died: the visibility timeout brings it back
    const third = await queue.receive(10);
    await queue.delete(second[0]!); // the older receive's delete must not remove the newer one's message
    const stillThere = await queue.deadLetters();
    await queue.deadLetter(third[0]!, 'HTTP 500');
    clock.advance(120_000);
    const afterDead = await queue.receive(10);
    // Assess
    expect(first).toMatchObject([{ id: 'm1', body: '{"n":1}', receives: 1 }]);
    expect(whileHidden).toEqual([]);
    expect(tooEarly).toEqual([]);
    expect(second.map((m) => m.receives)).toEqual([2]);
    expect(third.map((m) => m.receives)).toEqual([3]);
    expect(stillThere).toEqual([]);
    expect(afterDead).toEqual([]);
    expect(await queue.deadLetters()).toEqual([{ id: 'm1', body: '{"n":1}', receives: 3, reason: 'HTTP 500' }]);
  });

  it('gives a message to one of two concurrent receivers only', async () => {
    const tableName = await dynamo.newTable();
    const queue = new LocalQueue({ client: dynamo.client, tableName, name: 'q' });
    await queue.send([{ id: 'm1', body: 'x' }]);
    const [a, b] = await Promise.all([queue.receive(10), queue.receive(10)]);
    expect(a.length + b.length).toBe(1);
  });
});

describe('LocalQueue, grouped and due first', () => {
  it('reads a due message behind 150 that are not due yet, and a group never sees another group’s messages', async () => {
    // Prepare: 150 retries due in a minute queued first, then one due now, in the same group; one in another group
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const queue = new LocalQueue({ client: dynamo.client, tableName, name: 'q', now: clock.now });
    await queue.send(Array.from({ length: 150 }, (_, i) => ({ id: `later-${i}`, body: 'later', group: 'sub_a', delayMs: 60_000 })));
    clock.advance(1);
    await queue.send([{ id: 'now', body: 'now', group: 'sub_a' }]);
    await queue.send([{ id: 'other', body: 'other', group: 'sub_b' }]);
    // Act
    const a = await queue.receive(10, 'sub_a');
    const b = await queue.receive(10, 'sub_b');
    // Assess
    expect(a.map((m) => m.id)).toEqual(['now']);
    expect(b.map((m) => m.id)).toEqual(['other']);
    expect(await queue.groups()).toEqual(['sub_a', 'sub_b']);
  });

  it('defers a message without counting a try, and forgets an empty group', async () => {
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const queue = new LocalQueue({ client: dynamo.client, tableName, name: 'q', now: clock.now });
    await queue.send([{ id: 'm', body: 'x', group: 'g' }]);
    const [first] = await queue.receive(1, 'g');
    await queue.defer(first!, 1_000, 'y');
    const hidden = await queue.receive(1, 'g');
    clock.advance(1_000);
    const [again] = await queue.receive(1, 'g');
    const notEmpty = await queue.forgetIfEmpty('g');
    await queue.delete(again!);
    const empty = await queue.forgetIfEmpty('g');
    expect(first!.receives).toBe(1);
    expect(hidden).toEqual([]);
    expect(again).toMatchObject({ id: 'm', body: 'y', receives: 1 });
    expect([notEmpty, empty]).toEqual([false, true]);
    expect(await queue.groups()).toEqual([]);
  });
});

describe('DeliverySlots', () => {
  it('holds at most the cap per subscription, gives a slot back, and takes over one whose lease ran out', async () => {
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const slots = new DeliverySlots({ client: dynamo.client, tableName, leaseMs: 30_000, now: clock.now });
    const a = await slots.acquire('sub_1', 'a', 2);
    const b = await slots.acquire('sub_1', 'b', 2);
    const c = await slots.acquire('sub_1', 'c', 2);
    const otherSub = await slots.acquire('sub_2', 'd', 2);
    await slots.release('sub_1', a!, 'not-a');
    const stillFull = await slots.acquire('sub_1', 'e', 2);
    await slots.release('sub_1', a!, 'a');
    const freed = await slots.acquire('sub_1', 'f', 2);
    clock.advance(30_001);
    const expired = await slots.acquire('sub_1', 'g', 2);
    expect([a, b, c, otherSub, stillFull, freed, expired]).toEqual([0, 1, undefined, 0, undefined, 0, 0]);
  });
});

describe('SubscriptionStore: pending age, rotation, change', () => {
  it('reports backlogged once a delivery has waited over a minute, until it gets through', async () => {
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const store = new SubscriptionStore({ client: dynamo.client, tableName, now: clock.now });
    const id = newSubscriptionId();
    await store.create({ id, url: 'https://hooks.example.com/a', events: ['*'], sealedSecret: 's1' });
    const queuedAt = clock.t;
    await store.recordPending(id, queuedAt + 5);
    await store.recordPending(id, queuedAt);
    await store.recordPending(id, queuedAt + 10);
    clock.advance(61_000);
    const backlogged = (await store.get(id)).deliveries;
    await store.clearPending(id, queuedAt);
    const cleared = (await store.get(id)).deliveries;
    expect(backlogged).toMatchObject({ status: 'backlogged', oldestPendingAgeSeconds: 61 });
    expect(cleared).toMatchObject({ status: 'ok', oldestPendingAgeSeconds: null });
  });

  it('rotates a secret keeping the old one for 24 hours, and changes events and description only', async () => {
    const tableName = await dynamo.newTable();
    const clock = fakeClock();
    const store = new SubscriptionStore({ client: dynamo.client, tableName, now: clock.now });
    const id = newSubscriptionId();
    await store.create({ id, url: 'https://hooks.example.com/a', events: ['*'], description: 'd', sealedSecret: 's1' });
    await store.rotateSecret(id, async () => 's2');
    const during = await store.sealedSecretOf(id);
    clock.advance(24 * 3_600_000 + 1);
    const after = await store.sealedSecretOf(id);
    const changed = await store.change(id, { events: ['message.*'], description: null });
    expect([during?.sealedSecret, during?.previousSealedSecret]).toEqual(['s2', 's1']);
    expect([after?.sealedSecret, after?.previousSealedSecret]).toEqual(['s2', undefined]);
    expect(changed).toMatchObject({ url: 'https://hooks.example.com/a', events: ['message.*'], description: null });
    await expect(store.change(newSubscriptionId(), { description: 'x' })).rejects.toThrow(SubscriptionNotFoundError);
  });
});
