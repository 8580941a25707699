/**
 * The deployed fan-out function with subscriptions filtered by account (docs/webhooks.md "Filtering by
 * account"), on dynalite: EventBridge events of two official accounts, subscriptions naming one, the other,
 * or none; a subscription item stored before `appIds` existed (no such attribute) keeps receiving every
 * account's events; a PATCH changes whose events are fanned out from then on.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createFanOutHandler } from '../../functions/lambda/webhook-fanout';
import type { DeliveryMessage } from '../../functions/webhooks/deliverer';
import { createWebhookRuntime } from '../../functions/webhooks/runtime';
import { LocalKeySealer } from '../../functions/webhooks/sealer';
import { createSubscription, getSubscription, listSubscriptions, updateSubscription } from '../../functions/webhooks/subscriptions-api';
import { eventBridgeEvent } from '../support/aws-events';
import { useTestTable } from '../support/dynamo';

const A = 'wx0123456789abcdef';
const B = 'wxfedcba9876543210';

const { dynamo, table } = useTestTable();

function setUp() {
  const runtime = createWebhookRuntime({
    dynamo: dynamo.client,
    tableName: table.name,
    sealer: new LocalKeySealer(),
    addressPolicy: 'any',
    allowLoopbackHttp: true,
  });
  const queued: DeliveryMessage[] = [];
  const fanOut = createFanOutHandler(
    () => runtime,
    async (messages) => void queued.push(...messages),
  );
  /** Which subscriptions an event of `appId` was queued for. */
  const fannedTo = async (id: string, appId: string | undefined, type = 'message.text') => {
    queued.length = 0;
    const event = eventBridgeEvent(id, type, { ...(appId ? { appId } : {}), openid: 'oUser', message: { MsgType: 'text' } });
    event.source = 'wechat.kf';
    await fanOut(event as never);
    return queued.map((m) => m.subscriptionId).sort();
  };
  return { runtime, fannedTo };
}

describe('the fan-out, by account', () => {
  it("queues an account's event to the subscriptions naming it and to those naming none, never to another account's", async () => {
    // Prepare
    const { runtime, fannedTo } = setUp();
    const onlyA = await createSubscription(runtime, { url: 'http://127.0.0.1:5999/a', appIds: [A] });
    const onlyB = await createSubscription(runtime, { url: 'http://127.0.0.1:5999/b', events: ['message.*'], appIds: [B] });
    const both = await createSubscription(runtime, { url: 'http://127.0.0.1:5999/ab', appIds: [B, A] });
    const every = await createSubscription(runtime, { url: 'http://127.0.0.1:5999/all' });
    // Act
    const ofA = await fannedTo('e-a', A);
    const ofB = await fannedTo('e-b', B);
    const ofOther = await fannedTo('e-c', 'wxsandbox0000000001');
    const ofNone = await fannedTo('e-d', undefined);
    const followOfB = await fannedTo('e-e', B, 'event.subscribe');
    // Assess
    expect(ofA).toEqual([onlyA.id, both.id, every.id].sort());
    expect(ofB).toEqual([onlyB.id, both.id, every.id].sort());
    expect(ofOther).toEqual([every.id]);
    // An event naming no account matches no filter (every event the product publishes names one).
    expect(ofNone).toEqual([every.id]);
    // Both filters apply: onlyB takes message.* only.
    expect(followOfB).toEqual([both.id, every.id].sort());
    expect(onlyA.appIds).toEqual([A]);
    expect(both.appIds).toEqual([B, A]);
    expect(every.appIds).toBeNull();
  });

  it('reads a subscription stored before appIds existed as every account, and fans every account’s events to it', async () => {
    // Prepare: the item as the code before this change wrote it (no appIds attribute)
    const { runtime, fannedTo } = setUp();
    const id = 'sub_OLDxxxxxxxxxxxxxxxxx';
    await dynamo.client.send(
      new PutItemCommand({
        TableName: table.name,
        Item: {
          pk: { S: 'SUBSCRIPTIONS' },
          sk: { S: `SUB#${id}` },
          id: { S: id },
          url: { S: 'http://127.0.0.1:5999/old' },
          events: { S: '["*"]' },
          createdAt: { N: String(Date.now()) },
          sealedSecret: { S: await runtime.sealer.seal(id, 'whsec_old') },
        },
      }),
    );
    // Act
    const got = await getSubscription(runtime, id);
    const listed = await listSubscriptions(runtime);
    const ofA = await fannedTo('e-a', A);
    const ofB = await fannedTo('e-b', B);
    // Assess
    expect(got).toMatchObject({ id, events: ['*'], appIds: null, description: null });
    expect(listed.subscriptions.map((s) => s.appIds)).toEqual([null]);
    expect(ofA).toEqual([id]);
    expect(ofB).toEqual([id]);
  });

  it('fans out by the filter a PATCH set, and to every account again once it is removed with null', async () => {
    // Prepare
    const { runtime, fannedTo } = setUp();
    const sub = await createSubscription(runtime, { url: 'http://127.0.0.1:5999/p', appIds: [A] });
    const before = await fannedTo('e-1', B);
    // Act
    const toB = await updateSubscription(runtime, { id: sub.id, appIds: [B] });
    const afterToB = [await fannedTo('e-2', A), await fannedTo('e-3', B)];
    const described = await updateSubscription(runtime, { id: sub.id, description: 'kept filter' });
    const cleared = await updateSubscription(runtime, { id: sub.id, appIds: null });
    const afterClear = [await fannedTo('e-4', A), await fannedTo('e-5', B)];
    // Assess
    expect(before).toEqual([]);
    expect(toB.appIds).toEqual([B]);
    expect(afterToB).toEqual([[], [sub.id]]);
    expect(described).toMatchObject({ appIds: [B], description: 'kept filter' });
    expect(cleared).toMatchObject({ appIds: null, description: 'kept filter' });
    expect(afterClear).toEqual([[sub.id], [sub.id]]);
  });
});
