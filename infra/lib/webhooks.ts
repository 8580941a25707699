/**
 * Webhook delivery in the stack (docs/webhooks.md): the KMS key that seals subscription secrets, the
 * delivery queue and its dead-letter queue, the EventBridge rule that sends every event the product
 * publishes (source `wechat.kf…`) to the fan-out function, and the delivery queue as the delivery
 * function's event source (partial batch responses).
 *
 * Least privilege: the subscription-creating function may only `kms:Encrypt` with the key and the
 * delivery function only `kms:Decrypt` (lambda-functions.ts, from `needs.webhookKey`); the fan-out
 * function may only send to the delivery queue, the delivery function only consume it.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import type { Messaging } from './messaging';
import { INBOUND_EVENT_SOURCE } from './props';

/**
 * Tries of one delivery: the delivery queue's maxReceiveCount. The same number as the delivery code's
 * MAX_DELIVERY_ATTEMPTS (functions/webhooks/deliverer.ts; test/infra checks they agree).
 */
export const WEBHOOK_MAX_ATTEMPTS = 5;
/** The environment variable that holds the delivery queue's URL. */
export const WEBHOOK_QUEUE_ENV = 'WEBHOOK_DELIVERY_QUEUE_URL';
/**
 * Delivery functions running at once. A subscription whose last try failed is tried one delivery at a
 * time (the rest deferred), so a slow receiver holds one of them (five, WEBHOOK_MAX_IN_FLIGHT, for the
 * first timeout before it is known to be slow): this many lets many receivers be slow at once while every
 * other subscription's deliveries go on (docs/webhooks.md, "Isolation").
 */
export const WEBHOOK_DELIVERY_CONCURRENCY = 20;

export interface WebhookResources {
  key: kms.Key;
  queue: sqs.Queue;
  deadLetterQueue: sqs.Queue;
}

/** The key and the queues. */
export function buildWebhookResources(
  scope: Construct,
  specs: readonly LambdaFunctionSpec[],
  removalPolicy: RemovalPolicy,
): WebhookResources {
  const key = new kms.Key(scope, 'WebhookKey', {
    description: 'Seals webhook subscription secrets: only the delivery function may decrypt them',
    enableKeyRotation: true,
    removalPolicy,
  });
  const queueDefaults = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy } satisfies sqs.QueueProps;
  const deadLetterQueue = new sqs.Queue(scope, 'WebhookDeliveryDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });
  const delivery = specs.find((s) => s.entry === 'webhook-delivery');
  const timeout = delivery?.sizing.timeoutSeconds ?? 30;
  const queue = new sqs.Queue(scope, 'WebhookDeliveryQueue', {
    ...queueDefaults,
    // AWS guidance for a Lambda event source: at least 6 × the function's timeout. A failed try shortens
    // it to the retry delay (ChangeMessageVisibility), so this only matters for a try that crashed.
    visibilityTimeout: Duration.seconds(timeout * 6),
    // The whole retry schedule (10 s, 1 min, 5 min, 30 min) fits many times over.
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: WEBHOOK_MAX_ATTEMPTS },
  });
  return { key, queue, deadLetterQueue };
}

/** The fan-out rule and the delivery function's event source. */
export function buildWebhookTriggers(
  scope: Construct,
  specs: readonly LambdaFunctionSpec[],
  functions: Readonly<Record<string, lambda.Function>>,
  m: Messaging,
  w: WebhookResources,
): void {
  const fanOut = specs.find((s) => s.entry === 'webhook-fanout');
  if (fanOut) {
    const fn = functions[fanOut.id]!;
    fn.addEnvironment(WEBHOOK_QUEUE_ENV, w.queue.queueUrl);
    new events.Rule(scope, 'WebhookFanOutRule', {
      eventBus: m.bus,
      description: `Every event the product publishes (source ${INBOUND_EVENT_SOURCE}…) goes to the webhook subscriptions`,
      eventPattern: { source: events.Match.prefix(INBOUND_EVENT_SOURCE) },
      targets: [
        new targets.LambdaFunction(fn, { deadLetterQueue: m.eventsDeadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(2) }),
      ],
    });
  }
  // Every function that sends deliveries (the fan-out, the delivery function deferring, redrive, test events).
  for (const spec of specs.filter((s) => s.needs.queues?.includes('webhookDelivery'))) {
    if (spec.id !== fanOut?.id) functions[spec.id]?.addEnvironment(WEBHOOK_QUEUE_ENV, w.queue.queueUrl);
  }
  const delivery = specs.find((s) => s.entry === 'webhook-delivery');
  if (delivery) {
    const fn = functions[delivery.id]!;
    // No batching window: a delivery is tried as soon as it is queued. The records of a batch are tried at
    // once and reported one by one, so a healthy receiver's delivery never waits on a slow one's.
    fn.addEventSource(
      new SqsEventSource(w.queue, { batchSize: 10, maxConcurrency: WEBHOOK_DELIVERY_CONCURRENCY, reportBatchItemFailures: true }),
    );
  }
}
