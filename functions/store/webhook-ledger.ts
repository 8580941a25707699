/**
 * The webhook delivery ledger: which event has been delivered to which subscription, so that no event is POSTed
 * twice to one subscription even though every stage before it may repeat (EventBridge invokes its target
 * at least once, SQS delivers a message at least once, a Lambda may time out after its POST succeeded but
 * before it deleted the message).
 *
 * One item per (subscription, event): `pk = WEBHOOK#<subscriptionId>#<eventId>`, `sk = LEDGER`, with
 * `status` (`sending` | `delivered`), `leaseOwner`, `leaseUntil` (ms) and `expiresAt` (7 days).
 *
 * ```
 * claim(owner)   PutItem {status: sending, leaseOwner: owner, leaseUntil: now + lease}
 *                IF attribute_not_exists(pk) OR (status = sending AND leaseUntil < now) OR expiresAt < now
 *                fails → read it: delivered → 'delivered' (drop the message); sending → 'busy' (retry later)
 * delivered      UpdateItem SET status = delivered REMOVE leaseOwner, leaseUntil     (unconditional: the POST
 *                got a 2xx, nothing may send it again, even if the lease ran out meanwhile)
 * release(owner) DeleteItem IF leaseOwner = owner    (a failed try: the next try may claim at once)
 * ```
 *
 * Timeline of the race this closes: try A claims at t0 and POSTs; SQS redelivers the same message to B at
 * t0 + 3 s (A's visibility ran out because of a slow batch): B's claim fails (A's lease lasts until
 * t0 + lease), B answers 'busy' and its message goes back to the queue; A gets a 2xx and writes
 * `delivered`; B's next try finds `delivered` and drops the message. Only a try whose process died
 * mid-POST (its lease runs out unreleased) can lead to a second POST: the receiver then sees the same
 * X-WeChat-Kf-Event-Id twice, which is why that header exists.
 *
 * @example
 * ```ts
 * const ledger = new DeliveryLedger({ client, tableName });
 * const claim = await ledger.claim('sub_1', 'evt_1', 'try-7');
 * if (claim === 'claimed') { await post(); await ledger.markDelivered('sub_1', 'evt_1'); }
 * ```
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  epochSeconds,
  isConditionalCheckFailed,
  marshallKey,
  n,
  names,
  s,
  stringAttr,
  TABLE_PARTITION_KEY,
  TABLE_TTL_ATTRIBUTE,
  type TableKey,
} from './table';
import { TableStore, type TableStoreOptions } from './table-store';

/** How long a delivered mark is kept (longer than any retry schedule and the DLQ's redrive). */
export const WEBHOOK_LEDGER_DAYS = 7;

const key = (subscriptionId: string, eventId: string): TableKey => ({ pk: `WEBHOOK#${subscriptionId}#${eventId}`, sk: 'LEDGER' });

export interface DeliveryLedgerOptions extends TableStoreOptions {
  /** How long a claim holds; longer than one try (the 10 s timeout and the bookkeeping). Default 30 s. */
  leaseMs?: number;
}

/** What a claim found: the try may go ahead, the event was delivered already, or another try is on it. */
export type ClaimResult = 'claimed' | 'delivered' | 'busy';

/**
 * Claims and records deliveries; see the module comment for the writes.
 */
export class DeliveryLedger extends TableStore {
  private readonly leaseMs: number;

  constructor(options: DeliveryLedgerOptions) {
    super(options);
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** Claims the delivery of `eventId` to `subscriptionId` for one try by `owner`. */
  async claim(subscriptionId: string, eventId: string, owner: string): Promise<ClaimResult> {
    const now = this.now();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...marshallKey(key(subscriptionId, eventId)),
            status: s('sending'),
            leaseOwner: s(owner),
            leaseUntil: n(now + this.leaseMs),
            [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(now + WEBHOOK_LEDGER_DAYS * 86_400_000)),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR (#status = :sending AND #leaseUntil < :now) OR #expiresAt < :nowSeconds',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY, 'status', 'leaseUntil', TABLE_TTL_ATTRIBUTE),
          ExpressionAttributeValues: { ':sending': s('sending'), ':now': n(now), ':nowSeconds': n(Math.floor(now / 1000)) },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(key(subscriptionId, eventId)), ConsistentRead: true }),
    );
    // Gone between the failed put and this read (a release): another try may claim; this one retries.
    return stringAttr(out.Item, 'status') === 'delivered' ? 'delivered' : 'busy';
  }

  /** The POST got a 2xx: nothing sends this event to this subscription again. */
  async markDelivered(subscriptionId: string, eventId: string): Promise<void> {
    await this.update({
      key: key(subscriptionId, eventId),
      set: {
        status: s('delivered'),
        deliveredAt: n(this.now()),
        [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(this.now() + WEBHOOK_LEDGER_DAYS * 86_400_000)),
      },
      remove: ['leaseOwner', 'leaseUntil'],
    });
  }

  /** A failed try gives its claim back, so the next try need not wait for the lease to run out. */
  async release(subscriptionId: string, eventId: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshallKey(key(subscriptionId, eventId)),
          ConditionExpression: '#leaseOwner = :owner',
          ExpressionAttributeNames: names('leaseOwner'),
          ExpressionAttributeValues: { ':owner': s(owner) },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}
