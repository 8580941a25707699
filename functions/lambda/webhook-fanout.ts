/**
 * Lambda entry of the fan-out: an EventBridge rule on the product's bus (every event the product
 * publishes: inbound messages and events, delivery events) invokes it, and it queues one delivery per
 * matching subscription on the delivery queue. A failure throws, so Lambda retries the event and then
 * parks it in the events dead-letter queue.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeEvent } from 'aws-lambda';
import { ConfigurationError } from '../core/errors';
import type { DeliveryMessage } from '../webhooks/deliverer';
import { webhookEventOf, WebhookFanOut } from '../webhooks/fan-out';
import { flushMetrics } from '../http/middleware';
import { lambdaWebhookRuntime, type WebhookRuntime } from '../webhooks/runtime';

/** Sends deliveries to SQS in batches of 10; any entry refused is an error (the event is retried). */
function sqsEnqueue(queueUrl: string | undefined) {
  let client: import('@aws-sdk/client-sqs').SQSClient | undefined;
  return async (messages: DeliveryMessage[]) => {
    if (!queueUrl) throw new ConfigurationError('WEBHOOK_DELIVERY_QUEUE_URL is not set: the webhook delivery queue');
    // `require`, not `import()`, loaded on first use: where the function uses the runtime's AWS SDK it is found on
    // NODE_PATH, which only `require` reads; where the bundle carries it, this initialises it (docs/bundles.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
    client ??= new sdk.SQSClient({});
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const out = await client.send(
        new sdk.SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) })) }),
      );
      if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} delivery message(s): ${out.Failed[0]!.Code ?? ''}`);
    }
  };
}

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
