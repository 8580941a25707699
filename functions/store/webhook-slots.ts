/**
 * How many tries of one subscription's deliveries may be in flight at once, across every delivery
 * function (deployed) or worker (locally): the per-subscription cap that keeps a slow receiver from
 * taking every delivery worker (docs/webhooks.md, "Isolation").
 *
 * One item per slot: `pk = WEBHOOK_SLOT#<subscriptionId>`, `sk = SLOT#<i>` for i < cap, with `leaseOwner`
 * and `leaseUntil` (ms) and `expiresAt` (a day, for the table's TTL).
 *
 * ```
 * acquire   for i in 0..cap-1: PutItem {leaseOwner, leaseUntil: now + lease}
 *                IF attribute_not_exists(pk) OR leaseUntil < now        first that holds wins
 *           none holds → undefined: the delivery is put back untried (deferred)
 * release   DeleteItem IF leaseOwner = owner                             (a lease that ran out and was
 *                                                                         taken since stays the taker's)
 * ```
 *
 * A try whose process died keeps its slot until the lease runs out (longer than one try), so a crash
 * costs the subscription one slot for that long, never forever.
 *
 * @example
 * ```ts
 * const slots = new DeliverySlots({ client, tableName });
 * const slot = await slots.acquire('sub_1', 'try-7', 2);
 * if (slot !== undefined) try { await post(); } finally { await slots.release('sub_1', slot, 'try-7'); }
 * ```
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  epochSeconds,
  isConditionalCheckFailed,
  marshallKey,
  n,
  names,
  s,
  TABLE_PARTITION_KEY,
  TABLE_TTL_ATTRIBUTE,
  type TableKey,
} from './table';
import { TableStore, type TableStoreOptions } from './table-store';

const key = (subscriptionId: string, slot: number): TableKey => ({ pk: `WEBHOOK_SLOT#${subscriptionId}`, sk: `SLOT#${slot}` });

export interface DeliverySlotsOptions extends TableStoreOptions {
  /** How long a slot holds: longer than one try (its timeout and bookkeeping). Default 30 s. */
  leaseMs?: number;
}

/** Per-subscription in-flight slots; see the module comment. */
export class DeliverySlots extends TableStore {
  private readonly leaseMs: number;

  constructor(options: DeliverySlotsOptions) {
    super(options);
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** A free slot of the subscription's `cap`, now held by `owner`; `undefined` when all are taken. */
  async acquire(subscriptionId: string, owner: string, cap: number): Promise<number | undefined> {
    const now = this.now();
    for (let slot = 0; slot < cap; slot++) {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...marshallKey(key(subscriptionId, slot)),
              leaseOwner: s(owner),
              leaseUntil: n(now + this.leaseMs),
              [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(now + 86_400_000)),
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR #leaseUntil < :now',
            ExpressionAttributeNames: names(TABLE_PARTITION_KEY, 'leaseUntil'),
            ExpressionAttributeValues: { ':now': n(now) },
          }),
        );
        return slot;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    return undefined;
  }

  /** Gives a slot back. */
  async release(subscriptionId: string, slot: number, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshallKey(key(subscriptionId, slot)),
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
