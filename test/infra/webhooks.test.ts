/**
 * Webhook delivery in the synthesized stack: the sealing key and who may use it how, the delivery queue
 * with its dead-letter queue and alarm, the fan-out rule, and the grants (least privilege).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { enabledFunctions, LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';

/** The functions the default stack deploys (token vending and other off-by-default operations are not among them). */
const DEPLOYED = enabledFunctions(LAMBDA_FUNCTIONS, () => false);
import { MAX_DELIVERY_ATTEMPTS } from '../../functions/webhooks/deliverer';
import { WEBHOOK_DELIVERY_CONCURRENCY, WEBHOOK_MAX_ATTEMPTS } from '../../infra/lib/webhooks';
import { actionsOf, appTemplate, functionLogicalId, resourcesOf, roleStatements } from './helpers';

let template: Template;
beforeAll(() => {
  template = appTemplate();
});

const keyId = () => resourcesOf(template, 'AWS::KMS::Key').find(([, k]) => String(k.Properties.Description).includes('webhook'))![0];
const queueId = (name: string) => resourcesOf(template, 'AWS::SQS::Queue').find(([id]) => id.includes(name))![0];
const env = (specId: string) =>
  resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id === functionLogicalId(template, specId))![1].Properties.Environment
    .Variables;
const kmsActions = (specId: string) =>
  roleStatements(template, specId).flatMap((s) =>
    actionsOf(s)
      .filter((a) => a.startsWith('kms:'))
      .map((a) => ({ action: a, resource: s.Resource })),
  );

describe('webhook delivery in the stack', () => {
  test('a rotated KMS key seals the secrets: the create and rotate functions may only encrypt, the delivery function only decrypt', () => {
    // Prepare
    const key = keyId();
    const keyArn = { 'Fn::GetAtt': [key, 'Arn'] };
    // Assess
    expect(resourcesOf(template, 'AWS::KMS::Key').find(([id]) => id === key)![1].Properties.EnableKeyRotation).toBe(true);
    expect(kmsActions('CreateSubscription')).toEqual([{ action: 'kms:Encrypt', resource: keyArn }]);
    expect(kmsActions('RotateSubscriptionSecret')).toEqual([{ action: 'kms:Encrypt', resource: keyArn }]);
    expect(kmsActions('WebhookDelivery')).toEqual([{ action: 'kms:Decrypt', resource: keyArn }]);
    for (const spec of DEPLOYED.filter((s) => !['CreateSubscription', 'RotateSubscriptionSecret', 'WebhookDelivery'].includes(s.id))) {
      expect(kmsActions(spec.id).filter((k) => JSON.stringify(k.resource).includes(key))).toEqual([]);
    }
    expect(env('CreateSubscription')).toMatchObject({ WEBHOOK_KEY_ID: keyArn, WEBHOOK_ADDRESS_POLICY: 'public' });
    expect(env('WebhookDelivery')).toMatchObject({ WEBHOOK_KEY_ID: keyArn, WEBHOOK_ADDRESS_POLICY: 'public' });
    expect(env('ListSubscriptions').WEBHOOK_KEY_ID).toBeUndefined();
  });

  test('the subscription and webhook functions read no secret and call no WeChat', () => {
    for (const id of [
      'CreateSubscription',
      'ListSubscriptions',
      'GetSubscription',
      'DeleteSubscription',
      'WebhookFanOut',
      'WebhookDelivery',
    ]) {
      const actions = roleStatements(template, id).flatMap(actionsOf);
      expect(actions).not.toContain('secretsmanager:GetSecretValue');
      expect(env(id).SECRET_ID).toBeUndefined();
      expect(
        resourcesOf(template, 'AWS::Lambda::Function').find(([fid]) => fid === functionLogicalId(template, id))![1].Properties.VpcConfig,
      ).toBeUndefined();
    }
    expect(
      roleStatements(template, 'ListSubscriptions')
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:')),
    ).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  test('the delivery queue dead-letters after the delivery code’s last try, and its DLQ has an alarm', () => {
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(MAX_DELIVERY_ATTEMPTS);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [queueId('WebhookDeliveryDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: MAX_DELIVERY_ATTEMPTS,
      },
      VisibilityTimeout: 180,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId('WebhookDeliveryDeadLetterQueue'), 'QueueName'] } }],
      Threshold: 0,
    });
  });

  test('the delivery function consumes the queue with partial batch responses, no batching window and room for slow receivers; only the fan-out, the delivery function (deferring) and redrive and test may send to it', () => {
    const queue = queueId('WebhookDeliveryQueue');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: functionLogicalId(template, 'WebhookDelivery') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: WEBHOOK_DELIVERY_CONCURRENCY },
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
    const senders = DEPLOYED.filter((s) =>
      roleStatements(template, s.id).some((st) => actionsOf(st).includes('sqs:SendMessage') && JSON.stringify(st.Resource).includes(queue)),
    );
    expect(senders.map((s) => s.id).sort()).toEqual(['RedriveSubscription', 'TestSubscription', 'WebhookDelivery', 'WebhookFanOut']);
    expect(env('RedriveSubscription').WEBHOOK_DELIVERY_QUEUE_URL).toEqual({ Ref: queue });
    expect(env('TestSubscription').WEBHOOK_DELIVERY_QUEUE_URL).toEqual({ Ref: queue });
    expect(env('WebhookFanOut').WEBHOOK_DELIVERY_QUEUE_URL).toEqual({ Ref: queue });
    expect(env('WebhookDelivery').WEBHOOK_DELIVERY_QUEUE_URL).toEqual({ Ref: queue });
  });

  test('every event the product publishes (source wechat.kf…) goes to the fan-out, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [{ prefix: 'wechat.kf' }] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionLogicalId(template, 'WebhookFanOut'), 'Arn'] },
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });

  test('the subscription routes are IAM-protected', () => {
    const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) =>
      String(r.Properties.RouteKey).includes('/subscriptions'),
    );
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual([
      'DELETE /subscriptions/{id}',
      'GET /subscriptions',
      'GET /subscriptions/{id}',
      'GET /subscriptions/{id}/dead-letters',
      'PATCH /subscriptions/{id}',
      'POST /subscriptions',
      'POST /subscriptions/{id}/redrive',
      'POST /subscriptions/{id}/rotate-secret',
      'POST /subscriptions/{id}/test',
    ]);
    for (const [, r] of routes) expect(r.Properties.AuthorizationType).toBe('AWS_IAM');
  });
});

describe('webhookMaxInFlight', () => {
  test('reaches the delivery function as WEBHOOK_MAX_IN_FLIGHT, and a value outside 1-20 is refused naming the prop', () => {
    const custom = appTemplate({ webhookMaxInFlight: 3 });
    const deliveryEnv = resourcesOf(custom, 'AWS::Lambda::Function').find(([id]) => id === functionLogicalId(custom, 'WebhookDelivery'))![1]
      .Properties.Environment.Variables;
    expect(deliveryEnv.WEBHOOK_MAX_IN_FLIGHT).toBe('3');
    expect(() => appTemplate({ webhookMaxInFlight: 0 })).toThrow(/webhookMaxInFlight must be a positive number/);
    expect(() => appTemplate({ webhookMaxInFlight: 21 })).toThrow(/webhookMaxInFlight must be a whole number from 1 to 20/);
  });
});
