/**
 * What invokes the functions besides HTTP: an EventBridge rule per operation that accepts events
 * (detail-type = its name), the bulk-send queue as the event source of the operation that consumes it,
 * and the token refresher's schedule.
 *
 * The operations' rules (and the Lambda permission each one needs) live in a nested stack,
 * `OperationRules`: two resources per operation that would otherwise take the stack past
 * CloudFormation's 500 (infra/README.md, "Resources"). They hold no data and have generated names, so
 * moving them replaces nothing that matters. The upgrade that moves them creates the new rules before it
 * deletes the old ones, so for those seconds an event reaches its function through both: it changes
 * things once all the same, since operations run from events are idempotent by event id (README, "Events
 * in and out"; reads run twice).
 */
import { Duration, NestedStack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import type { Messaging } from './messaging';
import { INBOUND_EVENT_SOURCE, type WeChatCustomerServiceProps } from './props';

/** The nested stack of the operations' rules: its id in the construct. */
export const OPERATION_RULES_STACK_ID = 'OperationRules';

/** The rules (in their nested stack, returned; none without an operation that accepts events), the queue's event source and the schedule. */
export function buildTriggers(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  specs: readonly LambdaFunctionSpec[],
  functions: Readonly<Record<string, lambda.Function>>,
  m: Messaging,
): NestedStack | undefined {
  const sourceMatch = props.eventSources?.length ? props.eventSources : events.Match.anythingBut(INBOUND_EVENT_SOURCE);
  const eventSpecs = specs.flatMap((spec) => (spec.acceptsEvents && spec.operation ? [{ ...spec, operation: spec.operation }] : []));
  const rules =
    eventSpecs.length > 0
      ? new NestedStack(scope, OPERATION_RULES_STACK_ID, {
          description: 'WeChat customer service: the EventBridge rule of each operation that accepts events',
        })
      : undefined;
  for (const spec of eventSpecs) {
    new events.Rule(rules!, `${spec.id}Rule`, {
      eventBus: m.bus,
      description: `Events asking for ${spec.operation} (detail-type ${spec.operation}) invoke ${spec.id}`,
      eventPattern: { detailType: [spec.operation], source: sourceMatch },
      targets: [
        new targets.LambdaFunction(functions[spec.id]!, {
          deadLetterQueue: m.eventsDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }

  const bulkSpec = specs.find((s) => s.consumesBulkQueue);
  if (bulkSpec) {
    functions[bulkSpec.id]!.addEventSource(
      new SqsEventSource(m.bulkSendQueue, {
        batchSize: props.bulkSend?.batchSize ?? 10,
        maxBatchingWindow: props.bulkSend?.maxBatchingWindow ?? Duration.seconds(1),
        maxConcurrency: props.bulkSend?.maxConcurrency ?? 5,
        reportBatchItemFailures: true,
      }),
    );
  }

  const refresher = specs.find((s) => s.entry === 'token-refresher');
  if (refresher) {
    new events.Rule(scope, 'TokenRefreshSchedule', {
      description: 'Keeps the cached WeChat access token fresh',
      schedule: events.Schedule.rate(props.tokenRefreshInterval ?? Duration.minutes(2)),
      // A missed run is made up by the next one.
      targets: [new targets.LambdaFunction(functions[refresher.id]!, { retryAttempts: 0 })],
    });
  }
  return rules;
}
