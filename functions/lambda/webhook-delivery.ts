/**
 * Lambda entry of the delivery queue (SQS, partial batch responses): each message is one event for one
 * subscription, tried once per receive by {@link WebhookDeliverer}, the records of a batch at the same time
 * and each reported on its own (docs/webhooks.md, "Isolation"):
 *
 * - delivered or dropped: done (SQS deletes it);
 * - deferred (its subscription already has its most tries in flight): sent again as a new message delayed
 *   a few seconds, carrying the tries made so far (`priorAttempts`), and done: a deferral is not a try,
 *   and a slow receiver never holds more than its cap of delivery functions;
 * - failed with tries left: put back with the retry schedule's delay (10 s, 1 min, 5 min, 30 min:
 *   ChangeMessageVisibility) and reported as a batch item failure;
 * - failed for the last time ({@link MAX_DELIVERY_ATTEMPTS}): kept as a dead letter in the table (GET
 *   /subscriptions/{id}/dead-letters, redrive) and done; the subscription is reported as failing. The SQS
 *   dead-letter queue (maxReceiveCount) only gets a message whose every try crashed, with its alarm.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs, type DeliveryMessage } from '../webhooks/deliverer';
import { flushMetrics } from '../http/middleware';
import { lambdaWebhookRuntime, type WebhookRuntime } from '../webhooks/runtime';
import { sqsEnqueue } from '../webhooks/sqs-queue';

/** Puts a received message back on the queue after `seconds`. */
export type ChangeVisibility = (receiptHandle: string, seconds: number) => Promise<void>;
/** Sends a delivery again as a new message, visible after `seconds`. */
export type Requeue = (message: DeliveryMessage, seconds: number) => Promise<void>;

/** A try that failed and will be retried (the record is reported as a batch item failure). */
export class DeliveryRetryError extends Error {
  override readonly name = 'DeliveryRetryError';
}

function sqsChangeVisibility(queueUrl: string | undefined): ChangeVisibility {
  let client: import('@aws-sdk/client-sqs').SQSClient | undefined;
  return async (receiptHandle, seconds) => {
    if (!queueUrl) return;
    // `require`, not `import()`, loaded on first use: where the function uses the runtime's AWS SDK it is found on
    // NODE_PATH, which only `require` reads; where the bundle carries it, this initialises it (docs/bundles.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
    client ??= new sdk.SQSClient({});
    await client.send(
      new sdk.ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
    );
  };
}

/**
 * The delivery handler, for any runtime.
 *
 * @example
 * ```ts
 * const handler = createDeliveryHandler(() => runtime, async (handle, seconds) => {});
 * await handler(sqsEvent, lambdaContext); // { batchItemFailures: [...] }
 * ```
 */
export function createDeliveryHandler(
  getRuntime: () => WebhookRuntime,
  changeVisibility: ChangeVisibility,
  options: { maxAttempts?: number; retryDelaysMs?: readonly number[]; requeue?: Requeue } = {},
) {
  const maxAttempts = options.maxAttempts ?? MAX_DELIVERY_ATTEMPTS;
  return async function handler(event: SQSEvent, context?: Context) {
    const runtime = getRuntime();
    const recordHandler = async (record: SQSRecord) => {
      let message: DeliveryMessage;
      try {
        message = JSON.parse(record.body) as DeliveryMessage;
        if (typeof message?.subscriptionId !== 'string' || typeof message?.event?.id !== 'string') throw new Error('not a delivery');
      } catch {
        // Not ours (nothing but the fan-out writes here): retrying would not make it valid.
        runtime.logger.error('delivery message is malformed; dropped', { messageId: record.messageId });
        return 'dropped';
      }
      // SQS counts receives per message; a deferred delivery is a new message that carries the tries before it.
      const receives = Number(record.attributes?.ApproximateReceiveCount ?? 1) || 1;
      const attempt = (Number.isInteger(message.priorAttempts) ? message.priorAttempts! : 0) + receives;
      const result = await runtime.deliverer.deliver(message, { attempt, maxAttempts });
      const log = { subscriptionId: message.subscriptionId, eventId: message.event.id, type: message.event.type, attempt };
      if (result.outcome === 'delivered') {
        runtime.metrics.addMetric('WebhookDelivered', MetricUnit.Count, 1);
        runtime.logger.info('webhook delivered', { ...log, status: result.status });
        return 'delivered';
      }
      if (result.outcome === 'dropped') {
        runtime.logger.info('webhook delivery dropped', { ...log, reason: result.reason });
        return 'dropped';
      }
      if (result.outcome === 'deferred') {
        runtime.metrics.addMetric('WebhookDeliveryDeferred', MetricUnit.Count, 1);
        const seconds = Math.ceil(result.delayMs / 1000);
        if (options.requeue) {
          await options.requeue({ ...message, priorAttempts: attempt - 1, deferrals: (message.deferrals ?? 0) + 1 }, seconds);
          return 'deferred';
        }
        // No queue to send to (a test's handler): back on this message, which counts a receive.
        await changeVisibility(record.receiptHandle, seconds);
        throw new DeliveryRetryError('deferred: the subscription has its most tries in flight');
      }
      runtime.metrics.addMetric('WebhookDeliveryFailed', MetricUnit.Count, 1);
      if (result.final) {
        runtime.metrics.addMetric('WebhookDeadLettered', MetricUnit.Count, 1);
        runtime.logger.warn('webhook delivery failed for the last time: kept as a dead letter', { ...log, error: result.error });
        return 'dead-lettered';
      }
      runtime.logger.warn('webhook delivery failed; will retry', { ...log, error: result.error });
      await changeVisibility(record.receiptHandle, Math.min(43_200, Math.ceil(retryDelayMs(attempt, options.retryDelaysMs) / 1000)));
      throw new DeliveryRetryError(result.error);
    };
    try {
      return await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
        context: context!,
        throwOnFullBatchFailure: false,
      });
    } finally {
      flushMetrics(runtime.metrics);
    }
  };
}

const deliveryQueue = sqsEnqueue(process.env.WEBHOOK_DELIVERY_QUEUE_URL);
export const handler = createDeliveryHandler(lambdaWebhookRuntime(), sqsChangeVisibility(process.env.WEBHOOK_DELIVERY_QUEUE_URL), {
  requeue: (message, seconds) => deliveryQueue([message], seconds),
});
