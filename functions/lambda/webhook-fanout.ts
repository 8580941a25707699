/**
 * Lambda entry of the fan-out: an EventBridge rule on the product's bus (every event the product
 * publishes: inbound messages and events, delivery events) invokes it, and it queues one delivery per
 * matching subscription on the delivery queue. A failure throws, so Lambda retries the event and then
 * parks it in the events dead-letter queue.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeEvent } from 'aws-lambda';
import type { DeliveryMessage } from '../webhooks/deliverer';
import { webhookEventOf, WebhookFanOut } from '../webhooks/fan-out';
import { flushMetrics } from '../http/middleware';
import { lambdaWebhookRuntime, type WebhookRuntime } from '../webhooks/runtime';
import { sqsEnqueue } from '../webhooks/sqs-queue';

/**
 * The fan-out handler, for any runtime and queue.
 *
 * @example
 * ```ts
 * const handler = createFanOutHandler(() => runtime, async (messages) => queue.send(messages));
 * ```
 */
export function createFanOutHandler(getRuntime: () => WebhookRuntime, enqueue: (messages: DeliveryMessage[]) => Promise<void>) {
  return async function handler(event: EventBridgeEvent<string, Record<string, unknown>>): Promise<{ deliveries: number }> {
    const runtime = getRuntime();
    try {
      const deliveries = await new WebhookFanOut({ subscriptions: runtime.subscriptions, enqueue }).fanOut(webhookEventOf(event));
      runtime.metrics.addMetric('WebhookDeliveriesQueued', MetricUnit.Count, deliveries);
      return { deliveries };
    } finally {
      flushMetrics(runtime.metrics);
    }
  };
}

export const handler = createFanOutHandler(lambdaWebhookRuntime(), sqsEnqueue(process.env.WEBHOOK_DELIVERY_QUEUE_URL));
