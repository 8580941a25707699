/**
 * Queues and bus: the bulk-send queue (in front of the function whose operation consumes it) and its
 * dead-letter queue, the events dead-letter queue, and the bus operations are asked for on.
 */
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import { INBOUND_EVENT_SOURCE, type WeChatCustomerServiceProps } from './props';

export interface Messaging {
  bus: events.EventBus;
  bulkSendQueue: sqs.Queue;
  bulkSendDeadLetterQueue: sqs.Queue;
  eventsDeadLetterQueue: sqs.Queue;
}

/** The queues and the bus. */
export function buildMessaging(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  specs: readonly LambdaFunctionSpec[],
  removalPolicy: RemovalPolicy,
): Messaging {
  const queueDefaults = {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    removalPolicy,
  } satisfies sqs.QueueProps;

  const eventsDeadLetterQueue = new sqs.Queue(scope, 'EventsDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });
  Validations.of(eventsDeadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: "This queue is itself a dead-letter queue: of the EventBridge rule targets and of the functions' asynchronous invocations.",
  });
  const bulkSendDeadLetterQueue = new sqs.Queue(scope, 'BulkSendDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });

  const bulkSpec = specs.find((s) => s.consumesBulkQueue);
  const bulkTimeout = Duration.seconds(bulkSpec?.sizing.timeoutSeconds ?? 30);
  const bulkSendQueue = new sqs.Queue(scope, 'BulkSendQueue', {
    ...queueDefaults,
    // AWS guidance for a Lambda event source: at least 6 × the function's timeout.
    visibilityTimeout: Duration.seconds(bulkTimeout.toSeconds() * 6),
    retentionPeriod: Duration.days(4),
    deadLetterQueue: { queue: bulkSendDeadLetterQueue, maxReceiveCount: props.bulkSend?.maxReceiveCount ?? 3 },
  });

  const bus = new events.EventBus(scope, 'Bus', {
    description: `Operations asked for by detail-type, and inbound WeChat messages (source ${INBOUND_EVENT_SOURCE})`,
  });
  return { bus, bulkSendQueue, bulkSendDeadLetterQueue, eventsDeadLetterQueue };
}
