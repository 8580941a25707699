/**
 * Webhook subscriptions: where inbound events (and delivery events) are POSTed, signed with a secret of
 * their own. All of them live in one partition, `SUBSCRIPTIONS`, one item each (`sk = SUB#<id>`), so the
 * fan-out lists them with one Query; a deployment has a handful, capped at {@link MAX_SUBSCRIPTIONS}.
 *
 * The secret is stored **sealed** (`sealedSecret`): encrypted by a {@link SecretSealer} whose key only the
 * delivery code can use to open it (KMS in the stack: the subscriptions function may only Encrypt, the
 * delivery function only Decrypt; locally a key file under DATA_DIR). Nothing that answers the API reads
 * it back: {@link SubscriptionStore.get} and {@link SubscriptionStore.list} never project it, and only
 * {@link SubscriptionStore.sealedSecretOf} does, for the delivery function.
 *
 * Delivery health is kept on the item and shown by GET: counts of delivered events and failed tries,
 * the failures in a row, dead-lettered deliveries, the last error. Every update is conditional on the item
 * still existing, so a late delivery never brings a deleted subscription back.
 *
 * @example
 * ```ts
 * const subscriptions = new SubscriptionStore({ client, tableName: 'wechat-kf' });
 * const sub = await subscriptions.create({ url, events: ['message.*'], sealedSecret });
 * await subscriptions.list(); // [{ id, url, events, description, appIds, createdAt, deliveries: {...} }]
 * ```
 */
import { randomBytes } from 'crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ValidationError } from '../core/errors';
import { SubscriptionNotFoundError } from '../core/webhooks/errors';
import { isConditionalCheckFailed, marshallKey, n, names, numberAttr, s, stringAttr, TABLE_PARTITION_KEY, type TableKey } from './table';
import { TableStore } from './table-store';
import type { UpdateWrite } from './update';

/** Most subscriptions one deployment keeps (each event is fanned out to all of them). */
export const MAX_SUBSCRIPTIONS = 100;
/** Failed tries in a row after which a subscription is reported as failing. */
export const FAILING_AFTER = 3;
/** How old its oldest pending delivery may get before a subscription is reported as backlogged. */
export const BACKLOGGED_AFTER_MS = 60_000;
/** How long the secret before a rotation still signs deliveries (as Stripe: 24 hours). */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;

const PARTITION = 'SUBSCRIPTIONS';
const key = (id: string): TableKey => ({ pk: PARTITION, sk: `SUB#${id}` });

/** How a subscription's deliveries are going. */
export interface DeliveryHealth {
  /** Events delivered (a 2xx answer). */
  delivered: number;
  /** Tries that failed (non-2xx, timeout, refused connection), retried or not. */
  failedAttempts: number;
  /** Tries that failed since the last delivered one. */
  consecutiveFailures: number;
  /** Events given up on after the last try (in the dead-letter queue). */
  deadLettered: number;
  /**
   * `failing` after {@link FAILING_AFTER} failures in a row or any dead-lettered event since the last success;
   * else `backlogged` when a delivery has been pending longer than {@link BACKLOGGED_AFTER_MS}; else `ok`.
   */
  status: 'ok' | 'backlogged' | 'failing';
  /**
   * Seconds since the oldest delivery still pending was queued, as the last try (failed or deferred because
   * the subscription had its most tries in flight) saw it; `null` when nothing is known to be waiting.
   */
  oldestPendingAgeSeconds: number | null;
  lastDeliveredAt: string | null;
  lastFailureAt: string | null;
  /** The class of the last failure, e.g. `HTTP 500`, `timeout`, `connection refused` (http-post.ts, FailureClass). */
  lastError: string | null;
}

/** A subscription as the API shows it (never its secret). */
export interface Subscription {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  /**
   * Only the events of these official accounts (their `detail.appId`); `null`: every account. Items kept
   * before accounts existed have no `appIds` attribute and read as `null`, as they always behaved.
   */
  appIds: string[] | null;
  createdAt: string;
  deliveries: DeliveryHealth;
}

/** A subscription as the delivery code reads it: with its sealed secrets. */
export interface SealedSubscription {
  subscription: Subscription;
  sealedSecret: string;
  /** The secret before the last rotation, while it still signs (24 hours). */
  previousSealedSecret?: string;
  /** When the oldest delivery known to be pending was queued (ms). */
  pendingSince?: number;
}

/** A new subscription's id: `sub_` and 20 random base32-ish characters. */
export function newSubscriptionId(): string {
  return `sub_${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function fromItem(item: Record<string, AttributeValue>, now: number): Subscription {
  const consecutiveFailures = numberAttr(item, 'consecutiveFailures') ?? 0;
  const deadLetteredSinceSuccess = numberAttr(item, 'deadLetteredSinceSuccess') ?? 0;
  const pendingSince = numberAttr(item, 'pendingSince');
  const pendingMs = pendingSince === undefined ? undefined : Math.max(0, now - pendingSince);
  const failing = consecutiveFailures >= FAILING_AFTER || deadLetteredSinceSuccess > 0;
  return {
    id: stringAttr(item, 'id')!,
    url: stringAttr(item, 'url')!,
    events: JSON.parse(stringAttr(item, 'events') ?? '["*"]') as string[],
    description: stringAttr(item, 'description') ?? null,
    appIds: appIdsOf(item),
    createdAt: iso(numberAttr(item, 'createdAt'))!,
    deliveries: {
      delivered: numberAttr(item, 'delivered') ?? 0,
      failedAttempts: numberAttr(item, 'failedAttempts') ?? 0,
      consecutiveFailures,
      deadLettered: numberAttr(item, 'deadLettered') ?? 0,
      status: failing ? 'failing' : pendingMs !== undefined && pendingMs > BACKLOGGED_AFTER_MS ? 'backlogged' : 'ok',
      oldestPendingAgeSeconds: pendingMs === undefined ? null : Math.floor(pendingMs / 1000),
      lastDeliveredAt: iso(numberAttr(item, 'lastDeliveredAt')),
      lastFailureAt: iso(numberAttr(item, 'lastFailureAt')),
      lastError: stringAttr(item, 'lastError') ?? null,
    },
  };
}

/** The account filter, kept as JSON like `events`; absent (every account) on items older than it. */
function appIdsOf(item: Record<string, AttributeValue>): string[] | null {
  const raw = stringAttr(item, 'appIds');
  return raw === undefined ? null : (JSON.parse(raw) as string[]);
}

/** Every attribute but the sealed secret: what the API may read. */
const PUBLIC_ATTRIBUTES = [
  'id',
  'url',
  'events',
  'description',
  'appIds',
  'createdAt',
  'delivered',
  'failedAttempts',
  'consecutiveFailures',
  'deadLettered',
  'deadLetteredSinceSuccess',
  'lastDeliveredAt',
  'lastFailureAt',
  'lastError',
  'pendingSince',
];
const projection = {
  ProjectionExpression: PUBLIC_ATTRIBUTES.map((a) => `#${a}`).join(', '),
  ExpressionAttributeNames: names(...PUBLIC_ATTRIBUTES),
};

/**
 * Subscriptions in the product's table.
 *
 * @example
 * ```ts
 * await store.recordFailure('sub_1', 'HTTP 500');
 * (await store.get('sub_1')).deliveries.consecutiveFailures; // 1
 * ```
 */
export class SubscriptionStore extends TableStore {
  /**
   * Stores a new subscription. The caller generated its id and sealed its secret.
   *
   * `PutItem IF attribute_not_exists(pk)`: an id is never reused (a collision of 120 random bits would be
   * refused, not overwrite). The cap is checked by counting first; two concurrent creates at the cap may
   * both pass, which only lets the count exceed it by the number of racing callers.
   */
  async create(input: {
    id: string;
    url: string;
    events: string[];
    description?: string;
    appIds?: string[];
    sealedSecret: string;
  }): Promise<Subscription> {
    const existing = await this.count();
    if (existing >= MAX_SUBSCRIPTIONS) {
      throw new ValidationError([{ field: '(body)', rule: `at most ${MAX_SUBSCRIPTIONS} subscriptions may exist; delete one first` }]);
    }
    const createdAt = this.now();
    const item: Record<string, AttributeValue> = {
      ...marshallKey(key(input.id)),
      id: s(input.id),
      url: s(input.url),
      events: s(JSON.stringify(input.events)),
      createdAt: n(createdAt),
      sealedSecret: s(input.sealedSecret),
    };
    if (input.description) item.description = s(input.description);
    if (input.appIds) item.appIds = s(JSON.stringify(input.appIds));
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: names(TABLE_PARTITION_KEY),
      }),
    );
    return fromItem(item, createdAt);
  }

  /** Every subscription, oldest first. */
  async list(): Promise<Subscription[]> {
    const items = await this.queryPartition(PARTITION, projection, MAX_SUBSCRIPTIONS * 2);
    const out = items.map((item) => fromItem(item, this.now()));
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  private count(): Promise<number> {
    return this.countPartition(PARTITION);
  }

  /**
   * One subscription.
   *
   * @throws {SubscriptionNotFoundError} when there is none with this id.
   */
  async get(id: string): Promise<Subscription> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(key(id)), ConsistentRead: true, ...projection }),
    );
    if (!out.Item) throw new SubscriptionNotFoundError(id);
    return fromItem(out.Item, this.now());
  }

  /**
   * The subscription and its sealed secret, for the delivery code only; `undefined` once deleted.
   */
  async sealedSecretOf(id: string): Promise<SealedSubscription | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshallKey(key(id)), ConsistentRead: true }));
    if (!out.Item) return undefined;
    const previousUntil = numberAttr(out.Item, 'previousSecretUntil');
    const previous = stringAttr(out.Item, 'previousSealedSecret');
    return {
      subscription: fromItem(out.Item, this.now()),
      sealedSecret: stringAttr(out.Item, 'sealedSecret') ?? '',
      // Checked in code: dynalite (npm start) has no TTL, and a kept attribute outlives its day anyway.
      previousSealedSecret: previous && previousUntil !== undefined && previousUntil > this.now() ? previous : undefined,
      pendingSince: numberAttr(out.Item, 'pendingSince'),
    };
  }

  /**
   * Changes what a subscription receives (its events, its accounts) and its description; the URL and the
   * secret stay. `appIds: null` removes the account filter.
   *
   * @throws {SubscriptionNotFoundError} when there is none with this id.
   */
  async change(id: string, change: { events?: string[]; description?: string | null; appIds?: string[] | null }): Promise<Subscription> {
    try {
      const out = await this.update({
        key: key(id),
        set: {
          events: change.events ? s(JSON.stringify(change.events)) : undefined,
          description: change.description ? s(change.description) : undefined,
          appIds: change.appIds ? s(JSON.stringify(change.appIds)) : undefined,
        },
        remove: [...(change.description === null ? ['description'] : []), ...(change.appIds === null ? ['appIds'] : [])],
        condition: `attribute_exists(#${TABLE_PARTITION_KEY})`,
        returnValues: 'ALL_NEW',
      });
      return fromItem(out.Attributes!, this.now());
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new SubscriptionNotFoundError(id);
      throw error;
    }
  }

  /**
   * A new sealed secret; the one it replaces keeps signing beside it for {@link PREVIOUS_SECRET_MS}.
   *
   * ```
   * UpdateItem SET sealedSecret = <new>, previousSealedSecret = <current>, previousSecretUntil = now + 24 h
   *            IF sealedSecret = <current, as read>    (two rotations at once: one wins, the other retries
   *                                                      on what it now reads, so no secret is lost unseen)
   * ```
   *
   * @throws {SubscriptionNotFoundError} when there is none with this id.
   */
  async rotateSecret(id: string, seal: () => Promise<string>): Promise<Subscription> {
    for (;;) {
      const found = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: marshallKey(key(id)), ConsistentRead: true }),
      );
      if (!found.Item) throw new SubscriptionNotFoundError(id);
      const current = found.Item.sealedSecret!;
      try {
        const out = await this.update({
          key: key(id),
          set: { sealedSecret: s(await seal()), previousSealedSecret: current, previousSecretUntil: n(this.now() + PREVIOUS_SECRET_MS) },
          condition: '#sealedSecret = :current',
          values: { ':current': current },
          returnValues: 'ALL_NEW',
        });
        return fromItem(out.Attributes!, this.now());
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
  }

  /** A delivery queued at `queuedAt` is still waiting: the oldest such time is kept (`oldestPendingAgeSeconds`). */
  async recordPending(id: string, queuedAt: number): Promise<void> {
    try {
      await this.update({
        key: key(id),
        set: { pendingSince: n(queuedAt) },
        condition: `attribute_exists(#${TABLE_PARTITION_KEY}) AND (attribute_not_exists(#pendingSince) OR #pendingSince > :pendingSince)`,
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** The delivery queued at `queuedAt` got through: it is no longer the oldest pending (if it was, or an older one was). */
  async clearPending(id: string, queuedAt: number): Promise<void> {
    try {
      await this.update({
        key: key(id),
        remove: ['pendingSince'],
        condition: '#pendingSince >= :queuedAt',
        values: { ':queuedAt': n(queuedAt) },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /**
   * Deletes a subscription: nothing is delivered to it afterwards (deliveries already queued find it gone
   * and are dropped).
   *
   * @throws {SubscriptionNotFoundError} when there is none with this id.
   */
  async delete(id: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshallKey(key(id)),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new SubscriptionNotFoundError(id);
      throw error;
    }
  }

  /** A delivered event: counts it and ends a run of failures. */
  async recordDelivered(id: string): Promise<void> {
    await this.updateIfExists(id, {
      add: { delivered: n(1) },
      set: { consecutiveFailures: n(0), deadLetteredSinceSuccess: n(0), lastDeliveredAt: n(this.now()) },
    });
  }

  /**
   * A failed try. `final` when no try is left (the delivery goes to the dead-letter queue): the
   * subscription is then reported as failing until an event gets through again.
   */
  async recordFailure(id: string, error: string, final = false): Promise<void> {
    await this.updateIfExists(id, {
      add: {
        failedAttempts: ':one',
        consecutiveFailures: ':one',
        deadLettered: final ? ':one' : undefined,
        deadLetteredSinceSuccess: final ? ':one' : undefined,
      },
      set: { lastFailureAt: n(this.now()), lastError: s(error.slice(0, 500)) },
      values: { ':one': n(1) },
    });
  }

  private async updateIfExists(id: string, write: Pick<UpdateWrite, 'set' | 'add' | 'values'>): Promise<void> {
    try {
      await this.update({ key: key(id), ...write, condition: `attribute_exists(#${TABLE_PARTITION_KEY})` });
    } catch (error) {
      // Deleted meanwhile: there is nothing left to report on.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}
