/**
 * Alarms: one per dead-letter queue (anything visible) and one per ten functions (errors: an uncaught error
 * or a timeout, not a WeChat error answer), notifying the alarm topic when there is one.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import type { Messaging } from './messaging';
import type { WebhookResources } from './webhooks';
import type { TurnResources } from './turns';
import type { WeChatCustomerServiceProps } from './props';

/** CloudWatch lets a metric-math alarm use at most ten metrics. */
const FUNCTIONS_PER_ALARM = 10;

/** The alarms. */
export function buildAlarms(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  specs: readonly LambdaFunctionSpec[],
  functions: Readonly<Record<string, lambda.Function>>,
  m: Messaging,
  webhooks?: WebhookResources,
  turns?: TurnResources,
): cloudwatch.Alarm[] {
  const alarms: cloudwatch.Alarm[] = [];
  const action = props.alarmTopic ? new cwActions.SnsAction(props.alarmTopic) : undefined;
  const addAlarm = (alarm: cloudwatch.Alarm) => {
    if (action) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    alarms.push(alarm);
  };
  for (const [name, queue] of [
    ['BulkSendDeadLetterQueue', m.bulkSendDeadLetterQueue],
    ['EventsDeadLetterQueue', m.eventsDeadLetterQueue],
    // Webhook deliveries given up on after the last try (the subscription is reported as failing too).
    ...(webhooks ? ([['WebhookDeliveryDeadLetterQueue', webhooks.deadLetterQueue]] as const) : []),
    // Turn timers whose closer kept failing: their turns wait in the table (docs/turns.md).
    ...(turns ? ([['TurnTimerDeadLetterQueue', turns.deadLetterQueue]] as const) : []),
  ] as const) {
    addAlarm(
      queue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(scope, `${name}Alarm`, {
          alarmDescription: `Messages are waiting in ${name}: look at them, fix the cause, redrive or delete them`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );
  }
  // Function errors: one alarm per group of up to ten functions (a metric-math alarm takes at most ten
  // metrics), not one per function. One alarm per function cost ~45 of CloudFormation's 500 resources a
  // stack, and the stack is already near that limit (test/infra/resource-budget.test.ts). The alarm's
  // description names every function it watches; the metric graph shows which one failed.
  for (let start = 0, group = 1; start < specs.length; start += FUNCTIONS_PER_ALARM, group++) {
    const members = specs.slice(start, start + FUNCTIONS_PER_ALARM);
    const usingMetrics = Object.fromEntries(
      members.map((spec, i) => [
        `e${i}`,
        functions[spec.id]!.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ]),
    );
    addAlarm(
      new cloudwatch.MathExpression({
        expression: Object.keys(usingMetrics).join(' + '),
        usingMetrics,
        period: Duration.minutes(5),
        label: 'Errors',
      }).createAlarm(scope, `FunctionErrorsAlarm${group}`, {
        alarmDescription: `A function failed (an uncaught error or timeout, not a WeChat error answer): one of ${members.map((s) => s.id).join(', ')}`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
  return alarms;
}
