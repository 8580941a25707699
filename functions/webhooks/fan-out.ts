/**
 * Fan-out: every event published by the product (inbound messages and events, delivery events) becomes
 * one delivery per subscription whose `events` match its detail-type and whose `appIds`, when it has them,
 * name the event's account (`detail.appId`; docs/webhooks.md "Filtering by account"). Deployed, an EventBridge rule on the
 * bus invokes the fan-out function with each event; locally the publisher calls it after publishing.
 *
 * WeChat's retried pushes never get here twice (the callback deduplicates them before publishing); a
 * repeated fan-out of the same event (EventBridge delivers at least once) queues the same (subscription,
 * event id) again, and the delivery ledger drops it.
 *
 * @example
 * ```ts
 * const fanOut = new WebhookFanOut({ subscriptions, enqueue: async (messages) => queue.send(messages) });
 * await fanOut.fanOut({ id: 'evt_1', source: 'wechat.kf', type: 'message.text', time, detail });
 * ```
 */
import { matchesAccount, matchesEvents } from '../core/webhooks/event-filter';
import type { SubscriptionStore } from '../store';
import type { DeliveryMessage, WebhookEvent } from './deliverer';

export interface WebhookFanOutOptions {
  subscriptions: SubscriptionStore;
  /** Puts deliveries on the delivery queue. */
  enqueue: (messages: DeliveryMessage[]) => Promise<void>;
  now?: () => number;
}

/** Turns events into deliveries. */
export class WebhookFanOut {
  constructor(private readonly options: WebhookFanOutOptions) {}

  /** Queues one delivery per matching subscription; returns how many. */
  async fanOut(event: WebhookEvent): Promise<number> {
    const matching = (await this.options.subscriptions.list()).filter(
      (s) => matchesEvents(s.events, event.type) && matchesAccount(s.appIds ?? undefined, event.detail),
    );
    if (matching.length === 0) return 0;
    const queuedAt = (this.options.now ?? Date.now)();
    await this.options.enqueue(matching.map((s) => ({ subscriptionId: s.id, event, queuedAt })));
    return matching.length;
  }
}

/**
 * The webhook form of an EventBridge event.
 *
 * @example
 * ```ts
 * webhookEventOf({ id: 'e1', source: 'wechat.kf', 'detail-type': 'message.text', time: '…', detail: {} });
 * ```
 */
export function webhookEventOf(event: { id: string; source: string; 'detail-type': string; time: string; detail: unknown }): WebhookEvent {
  return {
    id: event.id,
    source: event.source,
    type: event['detail-type'],
    time: event.time,
    detail: (event.detail ?? {}) as Record<string, unknown>,
  };
}
