/**
 * Turns in the stack (docs/turns.md), only with the `turnQuietMs` prop: the turn queue, whose delayed
 * messages are the turn timers, its dead-letter queue, and the closer function consuming it (partial
 * batch responses). Nothing per user: every user's buffer is an item of the one table, every timer a
 * message on the one queue.
 *
 * Least privilege: the callback may only send to the queue (it arms a turn's first timer); the closer
 * consumes it and sends to it (it re-arms), from the `turnTimer` queue of its `needs`.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import type { WeChatCustomerServiceProps } from './props';

/** The environment variable that holds the turn queue's URL (functions/context/turns/create.ts). */
export const TURN_QUEUE_ENV = 'TURN_QUEUE_URL';
/** Receives of a timer before it is parked in the dead-letter queue. */
export const TURN_MAX_RECEIVES = 5;

export interface TurnResources {
  queue: sqs.Queue;
  deadLetterQueue: sqs.Queue;
}

/**
 * The environment of the turn settings, from the props: only what is set, so the functions' defaults
 * (functions/core/turns.ts) stay the one source.
 *
 * @example
 * ```ts
 * turnEnvironment({ turnQuietMs: 3000, turnFlushOn: ['image', 'CLICK'] }); // { TURN_QUIET_MS: '3000', TURN_FLUSH_ON: 'image,CLICK' }
 * ```
 */
export function turnEnvironment(props: WeChatCustomerServiceProps): Record<string, string> {
  const env: Record<string, string> = {};
  if (props.turnQuietMs !== undefined) {
    env.TURN_QUIET_MS = String(props.turnQuietMs);
    if (props.turnMaxWaitMs !== undefined) env.TURN_MAX_WAIT_MS = String(props.turnMaxWaitMs);
    if (props.turnMaxMessages !== undefined) env.TURN_MAX_MESSAGES = String(props.turnMaxMessages);
    if (props.turnFlushOn !== undefined) env.TURN_FLUSH_ON = props.turnFlushOn.join(',');
    if (props.turnLimitPerHour !== undefined) env.TURN_LIMIT_PER_HOUR = String(props.turnLimitPerHour);
    if (props.turnTyping !== undefined) env.TURN_TYPING = String(props.turnTyping);
    if (props.turnHistory !== undefined) env.TURN_HISTORY = String(props.turnHistory);
  }
  if (props.conversationRecord !== undefined) env.CONVERSATION_RECORD = String(props.conversationRecord);
  return env;
}

/** The turn queue and its dead-letter queue, when turns are on. */
export function buildTurnResources(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  specs: readonly LambdaFunctionSpec[],
  removalPolicy: RemovalPolicy,
): TurnResources | undefined {
  if (props.turnQuietMs === undefined) return undefined;
  const queueDefaults = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy } satisfies sqs.QueueProps;
  const deadLetterQueue = new sqs.Queue(scope, 'TurnTimerDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });
  const closer = specs.find((s) => s.entry === 'turn-closer');
  const queue = new sqs.Queue(scope, 'TurnTimerQueue', {
    ...queueDefaults,
    // AWS guidance for a Lambda event source: at least 6 × the function's timeout; also well above the
    // publication's claim lease (30 s), so a crashed closer's timer comes back after its claim lapsed.
    visibilityTimeout: Duration.seconds((closer?.sizing.timeoutSeconds ?? 30) * 6),
    retentionPeriod: Duration.days(1),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: TURN_MAX_RECEIVES },
  });
  return { queue, deadLetterQueue };
}

/** The closer's event source, and the callback's right to arm timers. */
export function buildTurnTriggers(
  specs: readonly LambdaFunctionSpec[],
  functions: Readonly<Record<string, lambda.Function>>,
  t: TurnResources | undefined,
): void {
  if (!t) return;
  for (const spec of specs) {
    const fn = functions[spec.id]!;
    if (spec.entry === 'callback') {
      t.queue.grantSendMessages(fn);
      fn.addEnvironment(TURN_QUEUE_ENV, t.queue.queueUrl);
    }
    if (spec.entry === 'turn-closer') {
      fn.addEnvironment(TURN_QUEUE_ENV, t.queue.queueUrl);
      fn.addEventSource(
        new SqsEventSource(t.queue, { batchSize: 10, maxBatchingWindow: Duration.seconds(0), reportBatchItemFailures: true }),
      );
    }
  }
}
