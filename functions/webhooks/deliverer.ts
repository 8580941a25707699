/**
 * One try of one delivery: an event to one subscription. The same code runs in the delivery Lambda (SQS)
 * and under `npm start` (the local queue); only the queue around it differs.
 *
 * 1. the subscription is read (deleted → the delivery is dropped);
 * 2. the delivery is claimed in the ledger (already delivered → dropped; another try on it → retried later);
 * 3. its secret is unsealed, the body signed (`X-WeChat-Kf-Event-Id` is the event's id, the same on every
 *    try; the timestamp and signature are of this try), and POSTed with a 10 s timeout;
 * 4. a 2xx marks it delivered; anything else gives the claim back, counts the failure on the
 *    subscription (the last try also counts it as dead-lettered), and asks for a retry.
 *
 * @example
 * ```ts
 * const deliverer = new WebhookDeliverer({ subscriptions, ledger, sealer, addressPolicy: 'public' });
 * const result = await deliverer.deliver(message, { attempt: 1, maxAttempts: 5 });
 * ```
 */
import { randomUUID } from 'crypto';
import type { AddressPolicy } from '../core/net';
import { signDelivery } from '../core/webhooks/signature';
import type { DeliveryLedger, SubscriptionStore } from '../store';
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
}

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
  | { outcome: 'retry'; error: string; final: boolean };

export interface WebhookDelivererOptions {
  subscriptions: SubscriptionStore;
  ledger: DeliveryLedger;
  sealer: SecretSealer;
  addressPolicy: AddressPolicy;
  timeoutMs?: number;
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
    const { subscriptions, ledger, sealer } = this.options;
    const { subscriptionId, event } = message;
    const found = await subscriptions.sealedSecretOf(subscriptionId);
    if (!found) return { outcome: 'dropped', reason: 'the subscription was deleted' };
    const owner = randomUUID();
    const claim = await ledger.claim(subscriptionId, event.id, owner);
    if (claim === 'delivered') return { outcome: 'dropped', reason: 'already delivered' };
    if (claim === 'busy') return { outcome: 'retry', error: 'another try of this delivery is in progress', final: false };

    let result: PostResult;
    try {
      const secret = await sealer.open(subscriptionId, found.sealedSecret);
      const body = JSON.stringify(event);
      const headers = signDelivery({ secret, eventId: event.id, body, now: (this.options.now ?? Date.now)() });
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
      return { outcome: 'delivered', status: result.status! };
    }
    const final = tries.attempt >= tries.maxAttempts;
    await ledger.release(subscriptionId, event.id, owner);
    await subscriptions.recordFailure(subscriptionId, result.error ?? 'failed', final);
    return { outcome: 'retry', error: result.error ?? 'failed', final };
  }
}
