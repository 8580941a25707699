/**
 * One try of one delivery: an event to one subscription. The same code runs in the delivery Lambda (SQS)
 * and under `npm start` (the local queue); only the queue around it differs.
 *
 1. the subscription is read (deleted → the delivery is dropped);
 * 2. a subscription whose last try failed less than {@link PROBE_DEFER_MS} ago gets no first try (a circuit
 *    breaker; retries keep their schedule): the delivery is **deferred** untried, for longer each time it is (5 s, 10 s, 20 s … 60 s);
 *    after that, one try at a time probes it;
 * 3. one of the subscription's in-flight slots is taken ({@link DeliverySlots}): {@link DEFAULT_MAX_IN_FLIGHT}
 *    while its deliveries get through, **one** once its last try failed (the probe). None free → deferred
 *    ({@link DEFER_MS}). A deferral is not a try, so a slow or failing receiver holds at most that many
 *    delivery workers, costs one read per deferred delivery, and every other subscription's deliveries go
 *    on (docs/webhooks.md, "Isolation"). A delivery still pending {@link MAX_PENDING_MS} after it was queued
 *    (longer than the whole retry schedule) is given up on as after its last try;
 * 4. the delivery is claimed in the ledger (already delivered → dropped; another try on it → retried later);
 * 5. its secret is unsealed (and the one before a rotation, for 24 hours), the body signed
 *    (`X-WeChat-Kf-Event-Id` is the event's id, the same on every try; the timestamp and signatures are of
 *    this try), and POSTed with a 10 s timeout;
 * 6. a 2xx marks it delivered; anything else gives the claim back, counts the failure on the
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
import type { AddressPolicy } from '../core/net';
import { signDelivery } from '../core/webhooks/signature';
import type { DeadLetterStore, DeliveryLedger, DeliverySlots, SealedSubscription, SubscriptionStore } from '../store';
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
  /** How many times it was deferred: each deferral behind a failing subscription waits twice as long. */
  deferrals?: number;
}

/** Tries of one subscription in flight at once while its deliveries get through, by default (WEBHOOK_MAX_IN_FLIGHT). */
export const DEFAULT_MAX_IN_FLIGHT = 5;
/** How long a delivery deferred because its subscription had its most tries in flight waits. */
export const DEFER_MS = 1_000;
/** How long a delivery deferred behind a failing subscription's probe waits (the probe may take the whole timeout). */
export const PROBE_DEFER_MS = 5_000;
/** The longest a deferral waits. */
export const MAX_DEFER_MS = 60_000;
/** A delivery still pending this long after it was queued is given up on (the retry schedule takes ~36 min). */
export const MAX_PENDING_MS = 3_600_000;

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
  /** The subscription had its most tries in flight: put back untried for `delayMs`. */
  | { outcome: 'deferred'; delayMs: number }
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

/** How long a delivery deferred behind an open circuit waits: twice as long each time, up to {@link MAX_DEFER_MS}. */
function deferral(message: DeliveryMessage): number {
  return Math.min(MAX_DEFER_MS, PROBE_DEFER_MS * 2 ** Math.min(message.deferrals ?? 0, 8));
}

/**
 * Delivers events to subscriptions; see the module comment.
 */
export class WebhookDeliverer {
  /**
   * Until when each subscription's circuit is known to be open, as this process saw its last failure: a
   * first try of such a subscription is deferred without reading the table (at most one entry per
   * subscription, removed once past).
   */
  private readonly openUntil = new Map<string, number>();

  constructor(private readonly options: WebhookDelivererOptions) {}

  async deliver(message: DeliveryMessage, tries: { attempt: number; maxAttempts: number }): Promise<DeliveryOutcome> {
    const { subscriptions, ledger, slots, sealer } = this.options;
    const { subscriptionId, event } = message;
    const now = (this.options.now ?? Date.now)();
    const knownOpen = this.openUntil.get(subscriptionId);
    if (knownOpen !== undefined && knownOpen <= now) this.openUntil.delete(subscriptionId);
    else if (knownOpen !== undefined && tries.attempt === 1 && message.queuedAt !== undefined && now - message.queuedAt <= MAX_PENDING_MS) {
      // Only a deferral, which is harmless whatever changed since: no read.
      return { outcome: 'deferred', delayMs: deferral(message) };
    }
    const found = await subscriptions.sealedSecretOf(subscriptionId);
    if (!found) return { outcome: 'dropped', reason: 'the subscription was deleted' };
    const queuedAt = message.queuedAt ?? now;
    const health = found.subscription.deliveries;
    const probing = health.consecutiveFailures > 0;
    const defer = async (delayMs: number): Promise<DeliveryOutcome> => {
      if (now - queuedAt > MAX_PENDING_MS) {
        // Pending longer than the retry schedule: given up on, as after a last try.
        const error = health.lastError ?? 'timeout';
        await this.options.deadLetters.put(subscriptionId, event, { attempts: tries.attempt - 1, lastError: error });
        await subscriptions.recordFailure(subscriptionId, error, true);
        return { outcome: 'retry', error, final: true };
      }
      if (!(found.pendingSince! <= queuedAt)) await subscriptions.recordPending(subscriptionId, queuedAt);
      return { outcome: 'deferred', delayMs };
    };
    // The circuit is open: the last try failed a moment ago. Wait longer each time this delivery is deferred.
    // A retry is not held (its own schedule spaces it, and it is what probes the receiver); a first try is.
    if (probing && tries.attempt === 1 && health.lastFailureAt && now - Date.parse(health.lastFailureAt) < PROBE_DEFER_MS) {
      this.openUntil.set(subscriptionId, Date.parse(health.lastFailureAt) + PROBE_DEFER_MS);
      return defer(deferral(message));
    }
    const owner = randomUUID();
    const slot = await slots.acquire(subscriptionId, owner, probing ? 1 : (this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT));
    if (slot === undefined) return defer(probing ? deferral(message) : DEFER_MS);
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
      this.openUntil.delete(subscriptionId);
      await ledger.markDelivered(subscriptionId, event.id);
      await subscriptions.recordDelivered(subscriptionId);
      if (found.pendingSince !== undefined) await subscriptions.clearPending(subscriptionId, queuedAt);
      return { outcome: 'delivered', status: result.status! };
    }
    const error = result.error ?? 'connection failed';
    const final = tries.attempt >= tries.maxAttempts;
    this.openUntil.set(subscriptionId, (this.options.now ?? Date.now)() + PROBE_DEFER_MS);
    await ledger.release(subscriptionId, event.id, owner);
    if (final) await this.options.deadLetters.put(subscriptionId, event, { attempts: tries.attempt, lastError: error });
    await subscriptions.recordFailure(subscriptionId, error, final);
    if (final) {
      // Given up on: no longer pending (the dead letter is what remains of it).
      if (found.pendingSince !== undefined) await subscriptions.clearPending(subscriptionId, queuedAt);
      // Known already when an older delivery is recorded as pending: no write.
    } else if (!(found.pendingSince! <= queuedAt)) await subscriptions.recordPending(subscriptionId, queuedAt);
    return { outcome: 'retry', error, final };
  }
}
