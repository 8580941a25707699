/**
 * Turns in the synthesized stack (docs/turns.md): off by default (no queue, no closer); with turnQuietMs
 * the turn queue and its dead-letter queue with an alarm, the closer consuming it with partial batch
 * responses, the callback allowed only to send to it, the settings in every function's environment,
 * and nothing per user. Wrong props are refused, named as props.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { actionsOf, appStack, appTemplate, functionLogicalId, resourcesOf, roleStatements } from './helpers';
import { TURN_MAX_RECEIVES } from '../../infra/lib/turns';

const queueId = (template: Template, name: string) => resourcesOf(template, 'AWS::SQS::Queue').find(([id]) => id.includes(name))?.[0];
const env = (template: Template, specId: string) =>
  resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id === functionLogicalId(template, specId))![1].Properties.Environment
    .Variables;
const sqsActions = (template: Template, specId: string, queue: string) =>
  roleStatements(template, specId)
    .filter((s) => JSON.stringify(s.Resource).includes(queue))
    .flatMap(actionsOf)
    .sort();

describe('turns in the stack', () => {
  let off: Template;
  let on: Template;
  beforeAll(() => {
    off = appTemplate();
    on = appTemplate({
      turnQuietMs: '3000',
      turnMaxMessages: '8',
      turnFlushOn: 'image,CLICK',
      turnTyping: 'true',
      conversationRecord: 'true',
    });
  });

  test('off by default: no turn queue, no closer, no turn variable', () => {
    expect(queueId(off, 'TurnTimerQueue')).toBeUndefined();
    expect(resourcesOf(off, 'AWS::Lambda::Function').some(([id]) => id.startsWith('WeChatKfTurnCloser'))).toBe(false);
    expect(env(off, 'Callback').TURN_QUIET_MS).toBeUndefined();
    expect(env(off, 'Callback').TURN_QUEUE_URL).toBeUndefined();
  });

  test('on: the turn queue dead-letters after its last try, and its dead-letter queue has an alarm', () => {
    const queue = queueId(on, 'TurnTimerQueue')!;
    const dlq = queueId(on, 'TurnTimerDeadLetterQueue')!;
    on.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: TURN_MAX_RECEIVES },
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
    });
    on.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
    });
    on.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(on, 'TurnCloser') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('on: the callback may only send to the queue; the closer consumes it, re-arms, publishes and calls WeChat from the egress', () => {
    const queue = queueId(on, 'TurnTimerQueue')!;
    expect(sqsActions(on, 'Callback', queue)).toEqual(expect.arrayContaining(['sqs:SendMessage']));
    expect(sqsActions(on, 'Callback', queue).filter((a) => a.startsWith('sqs:Receive') || a.startsWith('sqs:Delete'))).toEqual([]);
    expect(sqsActions(on, 'TurnCloser', queue)).toEqual(
      expect.arrayContaining(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
    expect(roleStatements(on, 'TurnCloser').flatMap(actionsOf)).toEqual(
      expect.arrayContaining(['events:PutEvents', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue']),
    );
    for (const id of ['SendText', 'Interactions', 'WebhookDelivery']) expect(sqsActions(on, id, queue)).toEqual([]);
    const queueUrl = { Ref: queue };
    expect(env(on, 'Callback')).toMatchObject({
      TURN_QUEUE_URL: queueUrl,
      TURN_QUIET_MS: '3000',
      TURN_MAX_MESSAGES: '8',
      TURN_FLUSH_ON: 'image,CLICK',
      TURN_TYPING: 'true',
    });
    expect(env(on, 'TurnCloser')).toMatchObject({ TURN_QUEUE_URL: queueUrl, TURN_QUIET_MS: '3000', CONVERSATION_RECORD: 'true' });
    // The send path keeps the history too (assistant / agent entries).
    expect(env(on, 'SendText').CONVERSATION_RECORD).toBe('true');
  });

  test("nothing per user: two queues (and their TLS-only policies), one function (role, policy, event source; it logs to the stack's one function log group), one alarm", () => {
    const count = (t: Template) => Object.keys(t.toJSON().Resources).length;
    const added = Object.keys(on.toJSON().Resources).filter((id) => !(id in off.toJSON().Resources));
    expect(added.every((id) => /TurnTimer|TurnCloser/.test(id))).toBe(true);
    expect(count(on) - count(off)).toBe(9);
  });

  test('wrong turn props are refused, named as props', () => {
    expect(() => appStack({ turnQuietMs: '50' })).toThrow(/turnQuietMs must be a whole number from 100/);
    expect(() => appStack({ turnQuietMs: '3000', turnMaxMessages: '99' })).toThrow(/turnMaxMessages must be a whole number from 1 to 50/);
    expect(() => appStack({ turnMaxMessages: '5' })).toThrow(/apply only with turnQuietMs/);
    expect(() => appStack({ turnQuietMs: '3000', turnFlushOn: 'image,<script>' })).toThrow(/turnFlushOn/);
  });
});

test('conversationRecord alone keeps the history without turns', () => {
  const t = appTemplate({ conversationRecord: 'true' });
  expect(env(t, 'Callback').CONVERSATION_RECORD).toBe('true');
  expect(queueId(t, 'TurnTimerQueue')).toBeUndefined();
});
