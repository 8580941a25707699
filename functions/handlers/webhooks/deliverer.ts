/**
 * One try of one delivery: an event to one subscription. The same code runs in the delivery Lambda (SQS)
 * and under `npm start` (the local queue); only the queue around it differs.
 *
 1. the subscription is read (deleted → the delivery is dropped);
 * 2. one of the subscription's in-flight slots is taken ({@link DeliverySlots}, {@link DEFAULT_MAX_IN_FLIGHT}):
 *    none free → the delivery is **deferred** untried (the queue puts it back for a few seconds; it is not a
 *    try), so a slow receiver holds at most that many delivery workers and every other subscription's
 *    deliveries go on (docs/webhooks.md, "Isolation");
 * 3. the delivery is claimed in the ledger (already delivered → dropped; another try on it → retried later);
 * 4. its secret is unsealed (and the one before a rotation, for 24 hours), the body signed
 *    (`X-WeChat-Kf-Event-Id` is the event's id, the same on every try; the timestamp and signatures are of
 *    this try), and POSTed with a 10 s timeout;
 * 5. a 2xx marks it delivered; anything else gives the claim back, counts the failure on the
 *    subscription, and asks for a retry; after the last try the event is kept as a dead letter
 *    ({@link DeadLetterStore}) for GET /subscriptions/{id}/dead-letters and redrive.
 * A deferred or failed delivery also records when it was queued, so GET shows the oldest pending age.
 *
 * @example
 * ```ts
 * const deliverer = new WebhookDeliverer({ subscriptions, ledger, slots, deadLetters, sealer, addressPolicy: 'public' });
 * const result = await deliverer.deliver(message, { attempt: 1, maxAttempts: 5 });
 * ```
 */
import { randomUUID } from 'crypto';
import type { AddressPolicy } from '../../core/net';
import { signDelivery } from '../../core/webhooks/signature';
import type { DeadLetterStore, DeliveryLedger, DeliverySlots, SealedSubscription, SubscriptionStore } from '../../store';
import { DELIVERY_TIMEOUT_MS, postWebhook, type PostResult } from './http-post';
import type { SecretSealer } from './sealer';

/** An event as a subscriber receives it (the POST body). */
export interface WebhookEvent {
  /** Stable across retries and the same for every subscription: EventBridge's event id when deployed. */
  id: string;
  /** `wechat.kf` for inbound messages and events. */
  source: string;
  /** The detail-type: `message.text`, `event.subscribe`, `delivery.failed`, ... */
  type: string;
  /** When the event was published (ISO 8601). */
  time: string;
  /** The event's detail, e.g. `{appId, openid, receivedAt, message}`. */
  detail: Record<string, unknown>;
}

/** What the delivery queue carries: one event for one subscription. */
export interface DeliveryMessage {
  subscriptionId: string;
  event: WebhookEvent;
  /** When the fan-out (or a redrive, or a test) queued it (ms): the pending age is counted from here. */
  queuedAt?: number;
  /** Tries made before this message was put back on the queue as a new one (deferred deployed: SQS counts receives per message). */
  priorAttempts?: number;
}

/** Tries of one subscription in flight at once, by default (WEBHOOK_MAX_IN_FLIGHT). */
export const DEFAULT_MAX_IN_FLIGHT = 2;
/** How long a deferred delivery waits before it is looked at again. */
export const DEFER_MS = 2_000;

/** The tries of one delivery: the first and four retries. */
export const MAX_DELIVERY_ATTEMPTS = 5;
/** How long to wait before retry n (after try n failed): 10 s, 1 min, 5 min, 30 min. */
export const RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 300_000, 1_800_000];

/** The wait after try `attempt` failed (the last delay repeats). */
export function retryDelayMs(attempt: number, delays: readonly number[] = RETRY_DELAYS_MS): number {
  return delays[Math.min(Math.max(attempt, 1), delays.length) - 1] ?? 0;
}

export type DeliveryOutcome =
  | { outcome: 'delivered'; status: number }
  /** Nothing to do: the subscription is gone or the event was delivered already. */
  | { outcome: 'dropped'; reason: string }
  /** The subscription had its most tries in flight: put back untried for {@link DEFER_MS}. */
  | { outcome: 'deferred' }
  /** `final`: no try left; the event was kept as a dead letter, and the message is done. */
  | { outcome: 'retry'; error: string; final: boolean };

export interface WebhookDelivererOptions {
  subscriptions: SubscriptionStore;
  ledger: DeliveryLedger;
  slots: DeliverySlots;
  deadLetters: DeadLetterStore;
  sealer: SecretSealer;
  addressPolicy: AddressPolicy;
  timeoutMs?: number;
  /** Tries of one subscription in flight at once. Default {@link DEFAULT_MAX_IN_FLIGHT}. */
  maxInFlight?: number;
  now?: () => number;
  /** The POST (tests may count calls; the default is {@link postWebhook}). */
  post?: typeof postWebhook;
}

/**
 * Delivers events to subscriptions; see the module comment.
 */
export class WebhookDeliverer {
  constructor(private readonly options: WebhookDelivererOptions) {}

  async deliver(message: DeliveryMessage, tries: { attempt: number; maxAttempts: number }): Promise<DeliveryOutcome> {
    const { subscriptions, ledger, slots, sealer } = this.options;
    const { subscriptionId, event } = message;
    const found = await subscriptions.sealedSecretOf(subscriptionId);
    if (!found) return { outcome: 'dropped', reason: 'the subscription was deleted' };
    const queuedAt = message.queuedAt ?? (this.options.now ?? Date.now)();
    const owner = randomUUID();
    const slot = await slots.acquire(subscriptionId, owner, this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    if (slot === undefined) {
      await subscriptions.recordPending(subscriptionId, queuedAt);
      return { outcome: 'deferred' };
    }
    try {
      return await this.tryOnce(message, found, owner, queuedAt, tries);
    } finally {
      await slots.release(subscriptionId, slot, owner);
    }
  }

  private async tryOnce(
    message: DeliveryMessage,
    found: SealedSubscription,
    owner: string,
    queuedAt: number,
    tries: { attempt: number; maxAttempts: number },
  ): Promise<DeliveryOutcome> {
    const { subscriptions, ledger, sealer } = this.options;
    const { subscriptionId, event } = message;
    const claim = await ledger.claim(subscriptionId, event.id, owner);
    if (claim === 'delivered') return { outcome: 'dropped', reason: 'already delivered' };
    if (claim === 'busy') return { outcome: 'retry', error: 'another try of this delivery is in progress', final: false };

    let result: PostResult;
    try {
      const secret = await sealer.open(subscriptionId, found.sealedSecret);
      const previousSecret = found.previousSealedSecret ? await sealer.open(subscriptionId, found.previousSealedSecret) : undefined;
      const body = JSON.stringify(event);
      const headers = signDelivery({ secret, previousSecret, eventId: event.id, body, now: (this.options.now ?? Date.now)() });
      result = await (this.options.post ?? postWebhook)(found.subscription.url, headers, body, {
        timeoutMs: this.options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
        addressPolicy: this.options.addressPolicy,
      });
    } catch (error) {
      await ledger.release(subscriptionId, event.id, owner);
      throw error;
    }
    if (result.ok) {
      await ledger.markDelivered(subscriptionId, event.id);
      await subscriptions.recordDelivered(subscriptionId);
      if (found.pendingSince !== undefined) await subscriptions.clearPending(subscriptionId, queuedAt);
      return { outcome: 'delivered', status: result.status! };
    }
    const error = result.error ?? 'connection failed';
    const final = tries.attempt >= tries.maxAttempts;
    await ledger.release(subscriptionId, event.id, owner);
    if (final) await this.options.deadLetters.put(subscriptionId, event, { attempts: tries.attempt, lastError: error });
    await subscriptions.recordFailure(subscriptionId, error, final);
    if (final) {
      // Given up on: no longer pending (the dead letter is what remains of it).
      if (found.pendingSince !== undefined) await subscriptions.clearPending(subscriptionId, queuedAt);
    } else await subscriptions.recordPending(subscriptionId, queuedAt);
    return { outcome: 'retry', error, final };
  }
}
