/**
 * The template of the default app (no static egress IP): one function per LAMBDA_FUNCTIONS entry, every
 * route with its auth, least-privilege IAM, queues, rules, alarms, outputs — and a snapshot.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { enabledFunctions, LAMBDA_FUNCTIONS, OPERATION_ENV } from '../../functions/lambda/functions';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from '../../functions/store/table';
import { INBOUND_EVENT_SOURCE as HANDLERS_INBOUND_SOURCE } from '../../functions/context/publisher';
import * as infra from '../../infra/lib/wechat-customer-service';
import {
  actionsOf,
  appStack,
  functionLogicalId,
  nestedStacks,
  nestedTemplateResolved,
  normalizedTemplate,
  resourcesOf,
  roleStatements,
  TEST_APP_ID,
} from './helpers';

/** What the default deployment has: every function but those off by default (route.enabledBy, e.g. token vending). */
const DEPLOYED = enabledFunctions(LAMBDA_FUNCTIONS, () => false);

const { stack } = appStack();
const template = Template.fromStack(stack);
const json = template.toJSON();
// The operations' EventBridge rules live in a nested stack (infra/lib/triggers.ts), its parameters resolved
// to the parent's logical ids.
const [rulesStack] = nestedStacks(stack);
const rules = Template.fromJSON(nestedTemplateResolved(stack, rulesStack!));

const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const only = (type: string) => {
  const found = resourcesOf(template, type);
  expect(found).toHaveLength(1);
  return found[0]![0];
};
const tableId = only('AWS::DynamoDB::Table');
const secretId = only('AWS::SecretsManager::Secret');
const busId = only('AWS::Events::EventBus');

describe('the constants infra repeats agree with the code', () => {
  test('table keys and TTL attribute, inbound event source', () => {
    expect([infra.TABLE_PARTITION_KEY, infra.TABLE_SORT_KEY, infra.TABLE_TTL_ATTRIBUTE]).toEqual([
      TABLE_PARTITION_KEY,
      TABLE_SORT_KEY,
      TABLE_TTL_ATTRIBUTE,
    ]);
    expect(infra.INBOUND_EVENT_SOURCE).toBe(HANDLERS_INBOUND_SOURCE);
    expect(DEPLOYED.filter((f) => f.consumesBulkQueue).map((f) => f.operation)).toEqual(['sendMessage']);
  });
});

describe('functions', () => {
  // The deploy-time key seed (infra/lib/secret-seed.ts) is the one function that serves no LAMBDA_FUNCTIONS entry.
  const functions = resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) => !id.startsWith('WeChatKfEncodingAesKeySeed'));

  test('one function per LAMBDA_FUNCTIONS entry, nodejs24.x on arm64', () => {
    expect(functions).toHaveLength(DEPLOYED.length);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
    }
    for (const spec of DEPLOYED) expect(() => functionLogicalId(template, spec.id)).not.toThrow();
  });

  test.each(DEPLOYED.map((s) => [s.id, s] as const))('%s: environment, log group, timeout', (id, spec) => {
    const fn = json.Resources[functionLogicalId(template, id)].Properties;
    const env = fn.Environment.Variables;
    expect(env).toMatchObject({
      TABLE_NAME: ref(tableId),
      EVENT_BUS_NAME: ref(busId),
      WECHAT_API_BASE_URL: 'https://api.weixin.qq.com',
      WINDOW_POLICY: 'enforce',
      WINDOW_RULES: 'current',
      TOKEN_MODE: 'stable',
      POWERTOOLS_SERVICE_NAME: 'wechat-kf',
      NODE_OPTIONS: '--enable-source-maps',
    });
    if (spec.needs.secret) {
      expect(env.SECRET_ID).toEqual(ref(secretId));
      expect(env.WECHAT_APP_ID).toBeUndefined();
    } else {
      // No secret: the app id (not a secret) comes from the environment.
      expect(env.SECRET_ID).toBeUndefined();
      expect(env.WECHAT_APP_ID).toBe(TEST_APP_ID);
    }
    // Media URLs are fetched from public addresses only when deployed: the local-run switch is never set.
    expect(env.MEDIA_URL_ALLOW_PRIVATE).toBeUndefined();
    if (spec.operation) expect(env[OPERATION_ENV]).toBe(spec.operation);
    else expect(env[OPERATION_ENV]).toBeUndefined();
    expect(env.AWS_NODEJS_CONNECTION_REUSE_ENABLED).toBeUndefined();
    // Its own log group, with a retention.
    const logGroupId = fn.LoggingConfig.LogGroup.Ref;
    expect(json.Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.Timeout).toBeLessThanOrEqual(30);
    // The callback: 10 s in every mode, since an account may choose passive replies at runtime (a try that
    // is not WeChat's last holds ~6 s); Lambda bills the time used, not the timeout.
    if (spec.entry === 'callback') expect(fn.Timeout).toBe(10);
    // No VPC without staticEgressIp.
    expect(fn.VpcConfig).toBeUndefined();
  });
});

describe('HTTP API', () => {
  const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route');
  const expected = DEPLOYED.flatMap((spec) => spec.routes.map((r) => ({ spec, ...r })));

  test('exactly the routes of LAMBDA_FUNCTIONS', () => {
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(expected.map((r) => `${r.method} ${r.path}`).sort());
  });

  test.each(expected.map((r) => [`${r.method} ${r.path}`, r] as const))('%s: auth and integration', (key, route) => {
    const [, resource] = routes.find(([, r]) => r.Properties.RouteKey === key)!;
    expect(resource.Properties.AuthorizationType).toBe(route.auth === 'iam' ? 'AWS_IAM' : 'NONE');
    const integrationId = (resource.Properties.Target['Fn::Join'][1][1] as { Ref: string }).Ref;
    const integration = json.Resources[integrationId].Properties;
    expect(integration.IntegrationUri).toEqual(arnOf(functionLogicalId(template, route.spec.id)));
  });

  test('the callback is the only public route', () => {
    const publicRoutes = routes.filter(([, r]) => r.Properties.AuthorizationType === 'NONE').map(([, r]) => r.Properties.RouteKey);
    expect(publicRoutes.sort()).toEqual(['GET /callback', 'GET /callback/{appId}', 'POST /callback', 'POST /callback/{appId}']);
  });

  test('stage: default throttling, per-route throttling, access logging', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      RouteSettings: {
        'GET /callback': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        'POST /callback': { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
        'GET /callback/{appId}': { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
        'POST /callback/{appId}': { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context\\.requestId') },
    });
  });
});

describe('IAM: least privilege per function', () => {
  test.each(DEPLOYED.map((s) => [s.id, s] as const))('%s', (id, spec) => {
    const statements = roleStatements(template, id);
    // No wildcard resources without the egress VPC.
    for (const s of statements) expect(s.Resource).not.toBe('*');

    const table = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    if (spec.needs.table === 'none') {
      expect(table).toHaveLength(0);
    } else {
      expect(table).toHaveLength(1);
      expect(table[0]!.Resource).toEqual(arnOf(tableId));
      expect(actionsOf(table[0]!).sort()).toEqual([...infra.TABLE_ACTIONS[spec.needs.table]].sort());
    }

    const secret = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    if (spec.needs.secret) {
      expect(secret).toHaveLength(1);
      expect(actionsOf(secret[0]!)).toEqual(['secretsmanager:GetSecretValue']);
      expect(secret[0]!.Resource).toEqual(ref(secretId));
    } else {
      expect(secret).toHaveLength(0);
    }

    const putEvents = statements.filter((s) => actionsOf(s).includes('events:PutEvents'));
    if (spec.needs.publishesEvents) expect(putEvents.map((s) => s.Resource)).toEqual([arnOf(busId)]);
    else expect(putEvents).toHaveLength(0);

    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs).toHaveLength(1);
    const fn = json.Resources[functionLogicalId(template, id)].Properties;
    expect(logs[0]!.Resource).toEqual(arnOf(fn.LoggingConfig.LogGroup.Ref));
  });

  test('Interactions may only read the secret (for the app id that keys window records)', () => {
    expect(
      roleStatements(template, 'Interactions')
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('secretsmanager:')),
    ).toEqual(['secretsmanager:GetSecretValue']);
  });

  test("no AWS managed policies on the functions' roles", () => {
    for (const [, role] of resourcesOf(template, 'AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('state', () => {
  test('table: pk/sk, on demand, PITR, TTL, encryption, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // SSEEnabled without a key: the AWS-managed aws/dynamodb KMS key.
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('secret: the callback token is generated at deploy time (32 random letters and digits), never a placeholder', () => {
    // Act
    const props = json.Resources[secretId].Properties;
    const templateFields = JSON.parse(props.GenerateSecretString.SecretStringTemplate);
    // Assess
    expect(props.GenerateSecretString).toMatchObject({
      GenerateStringKey: 'callbackToken',
      PasswordLength: 32,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(templateFields).not.toHaveProperty('callbackToken');
    expect(Object.keys(templateFields).sort()).toEqual(['appId', 'appSecret', 'encodingAesKey']);
    const output = json.Outputs.SecretArn.Description as string;
    expect(output).toMatch(
      /random callbackToken and encodingAesKey generated at deploy time: copy them .* into the Token and EncodingAESKey of the server configuration/,
    );
    expect(json.Outputs.CallbackSettingsCommand.Value).toEqual({
      'Fn::Join': ['', ['aws secretsmanager get-secret-value --secret-id ', ref(secretId), ' --query SecretString --output text']],
    });
    expect(json.Outputs.CallbackSettingsCommand.Description).toMatch(
      /callbackToken is the Token and its encodingAesKey the EncodingAESKey/,
    );
  });

  test('secret: its resource is exactly what earlier releases deployed, so an update never regenerates its value', () => {
    // CloudFormation generates a whole new value when GenerateSecretString changes: that would wipe the
    // appId and appSecret an existing deployment has put in the secret. Same logical id, same properties.
    // Act
    const resource = json.Resources[secretId];
    // Assess
    expect(secretId).toBe('WeChatKfSecret70AB3E4F');
    expect(resource).toEqual({
      Type: 'AWS::SecretsManager::Secret',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        Description: 'WeChat official account credentials: {"appId","appSecret","callbackToken","encodingAesKey","callbackMode"}',
        GenerateSecretString: {
          ExcludePunctuation: true,
          GenerateStringKey: 'callbackToken',
          IncludeSpace: false,
          PasswordLength: 32,
          SecretStringTemplate: '{"appId":"REPLACE_ME","appSecret":"REPLACE_ME","encodingAesKey":""}',
        },
      },
    });
  });

  test("secret: the EncodingAESKey is generated at deploy time, 43 letters and digits, into the secret's encodingAesKey", () => {
    // Act
    const [seedId, seed] = resourcesOf(template, 'Custom::EncodingAesKeySeed')[0] ?? [];
    const seedFunctions = resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('WeChatKfEncodingAesKeySeed'));
    // Assess: one seed, told to fill the created secret's encodingAesKey with 43 of exactly [A-Za-z0-9]
    expect(seedId).toBeDefined();
    expect(resourcesOf(template, 'Custom::EncodingAesKeySeed')).toHaveLength(1);
    const props = seed!.Properties;
    expect(props.SecretId).toEqual(ref(secretId));
    expect(props.Field).toBe('encodingAesKey');
    expect(props.Length).toBe('43');
    expect([...props.Alphabet].sort().join('')).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
    // Nothing in its properties changes between deployments, so it is created once and never updated.
    expect(Object.keys(props).sort()).toEqual(['Alphabet', 'Field', 'Length', 'SecretId', 'ServiceToken']);
    expect(seedFunctions).toHaveLength(1);
    expect(props.ServiceToken).toEqual(arnOf(seedFunctions[0]![0]));
    expect(seedFunctions[0]![1].Properties.Runtime).toBe('nodejs24.x');
    // Its role may read and write this one secret and write its own log group, nothing else.
    const roleId = seedFunctions[0]![1].Properties.Role['Fn::GetAtt'][0];
    const statements = resourcesOf(template, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
    ]);
    expect(statements.find((st: any) => actionsOf(st).includes('secretsmanager:PutSecretValue')).Resource).toEqual(ref(secretId));
  });

  test('secret: an imported secret is never written to (no seed)', () => {
    // Prepare
    const { stack: imported } = appStack({ secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat-kf-AbCdEf' });
    // Act
    const t = Template.fromStack(imported);
    // Assess
    t.resourceCountIs('Custom::EncodingAesKeySeed', 0);
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('callbackMode reaches the callback function and the secret it creates', () => {
    // Prepare
    const { stack: withMode } = appStack({ callbackMode: 'safe' });
    const t = Template.fromStack(withMode).toJSON();
    // Act
    const fns = Object.values(t.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::Lambda::Function');
    const withEnv = fns.filter((f) => f.Properties.Environment?.Variables?.WECHAT_CALLBACK_MODE === 'safe');
    const secret = Object.values(t.Resources as Record<string, any>).find((r) => r.Type === 'AWS::SecretsManager::Secret');
    // Assess
    expect(withEnv).toHaveLength(1);
    expect(withEnv[0].Properties.Description ?? '').toMatch(/callback|push/i);
    expect(JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate)).toMatchObject({ callbackMode: 'safe' });
  });
});

describe('queues and events', () => {
  const queues = resourcesOf(template, 'AWS::SQS::Queue');
  const bulk = queues.find(([id]) => /^WeChatKfBulkSendQueue[0-9A-F]{8}$/.test(id))!;
  const bulkDlq = queues.find(([id]) => id.startsWith('WeChatKfBulkSendDeadLetterQueue'))!;
  const eventsDlq = queues.find(([id]) => id.startsWith('WeChatKfEventsDeadLetterQueue'))!;

  test('five queues (bulk send, webhook delivery, their dead-letter queues, events DLQ), all SQS-encrypted and TLS-only', () => {
    expect(queues).toHaveLength(5);
    for (const [, q] of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = resourcesOf(template, 'AWS::SQS::QueuePolicy');
    for (const [id] of queues) {
      const policy = policies.find(([, p]) => p.Properties.Queues.some((q: any) => q.Ref === id));
      expect(policy![1].Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  test('bulk-send queue: DLQ after 3 receives, visibility ≥ 6 × the SendMessage timeout', () => {
    expect(bulk[1].Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(bulkDlq[0]), maxReceiveCount: 3 });
    const sendMessage = json.Resources[functionLogicalId(template, 'SendMessage')].Properties;
    expect(bulk[1].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * sendMessage.Timeout);
  });

  test('SendMessage consumes the bulk-send queue, reporting batch item failures', () => {
    // The other mapping is the webhook delivery queue's (test/infra/webhooks.test.ts).
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(bulk[0]),
      FunctionName: ref(functionLogicalId(template, 'SendMessage')),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  const eventSpecs = DEPLOYED.filter((s) => s.acceptsEvents);
  test.each(eventSpecs.map((s) => [s.id, s] as const))('%s: a rule on the bus for its detail-type, with DLQ and retries', (id, spec) => {
    rules.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(busId),
      EventPattern: { 'detail-type': [spec.operation], source: [{ 'anything-but': [infra.INBOUND_EVENT_SOURCE] }] },
      Targets: [
        Match.objectLike({
          Arn: arnOf(functionLogicalId(template, id)),
          DeadLetterConfig: { Arn: arnOf(eventsDlq[0]) },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
    // The bus may invoke the function (from this rule only).
    rules.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(functionLogicalId(template, id)),
      Principal: 'events.amazonaws.com',
      SourceArn: Match.anyValue(),
    });
    // Failed asynchronous invocations land in the same DLQ.
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(functionLogicalId(template, id)),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(eventsDlq[0]) } },
    });
  });

  test('only functions that accept events have rules on the bus: theirs in the nested stack, each with its permission', () => {
    const busRules = [...resourcesOf(template, 'AWS::Events::Rule'), ...resourcesOf(rules, 'AWS::Events::Rule')].filter(
      ([, r]) => r.Properties.EventBusName,
    );
    // Plus the webhook fan-out rule, which matches the product's own events (test/infra/webhooks.test.ts).
    expect(busRules).toHaveLength(eventSpecs.length + 1);
    expect(resourcesOf(rules, 'AWS::Events::Rule')).toHaveLength(eventSpecs.length);
    // Nothing else there: the rules and the permission each needs.
    expect(Object.keys(rules.toJSON().Resources)).toHaveLength(2 * eventSpecs.length);
    // The events DLQ lets each of them (by ARN) send to it.
    const policy = resourcesOf(template, 'AWS::SQS::QueuePolicy').find(([, p]) => p.Properties.Queues[0].Ref === eventsDlq[0])!;
    const fromRules = policy[1].Properties.PolicyDocument.Statement.filter((st: any) => st.Principal?.Service === 'events.amazonaws.com');
    expect(fromRules.length).toBeGreaterThanOrEqual(eventSpecs.length);
  });

  test('the rules stack is the only nested stack, and the data resources keep their logical ids', () => {
    expect(nestedStacks(stack)).toHaveLength(1);
    template.resourceCountIs('AWS::CloudFormation::Stack', 1);
    // An upgrade must not replace the table, the secret or the bus (the secret's id is checked below).
    expect([tableId, busId]).toEqual(['WeChatKfTableA797EC31', 'WeChatKfBus41CFAF63']);
  });

  test('the token refresher runs every 2 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
      Targets: [Match.objectLike({ Arn: arnOf(functionLogicalId(template, 'TokenRefresher')), RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });
});

describe('alarms', () => {
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');

  test('one per dead-letter queue (> 0 visible) and one per ten functions (their errors summed > 0)', () => {
    const dlq = alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq).toHaveLength(3);
    for (const [, a] of dlq)
      expect(a.Properties).toMatchObject({ Namespace: 'AWS/SQS', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const errors = alarms.filter(([, a]) => a.Properties.Metrics !== undefined);
    expect(errors).toHaveLength(Math.ceil(DEPLOYED.length / 10));
    // Every deployed function's Errors metric is watched by exactly one of them.
    const watched = errors.flatMap(([, a]) =>
      (a.Properties.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } } }[])
        .filter((m) => m.MetricStat)
        .map((m) => {
          expect(m.MetricStat!.Metric.MetricName).toBe('Errors');
          return JSON.stringify(m.MetricStat!.Metric.Dimensions[0]!.Value);
        }),
    );
    expect(new Set(watched).size).toBe(DEPLOYED.length);
    expect(watched).toHaveLength(DEPLOYED.length);
    expect(alarms).toHaveLength(errors.length + 3);
  });

  test('no actions without a topic; the topic with alarmEmail', () => {
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toBeUndefined();
    const withTopic = Template.fromStack(appStack({ alarmEmail: 'ops@example.com' }).stack);
    const topicId = resourcesOf(withTopic, 'AWS::SNS::Topic')[0]![0];
    for (const [, a] of resourcesOf(withTopic, 'AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toEqual([ref(topicId)]);
    withTopic.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

test('no CORS on the HTTP API: a page on another site can neither read an answer nor sign a request (docs/cross-site.md)', () => {
  const [[, api]] = resourcesOf(template, 'AWS::ApiGatewayV2::Api') as [[string, { Properties: Record<string, unknown> }]];
  expect(api.Properties.CorsConfiguration).toBeUndefined();
  const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
  for (const route of routes)
    expect([route.RouteKey, route.AuthorizationType]).toEqual([
      route.RouteKey,
      /^(GET|POST) \/callback(\/\{appId\})?$/.test(String(route.RouteKey)) ? 'NONE' : 'AWS_IAM',
    ]);
});

test('outputs', () => {
  expect(Object.keys(json.Outputs).sort()).toEqual([
    'ApiUrl',
    'BulkSendQueueUrl',
    'CallbackSettingsCommand',
    'CallbackUrl',
    'EventBusName',
    'SecretArn',
    'SecretName',
    'TableName',
  ]);
  expect(JSON.stringify(json.Outputs.CallbackUrl.Value)).toContain('/callback');
});

test('no VPC, NAT gateway or Elastic IP without staticEgressIp', () => {
  for (const type of ['AWS::EC2::VPC', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::SecurityGroup'])
    template.resourceCountIs(type, 0);
});

test('template snapshot (asset hashes masked), the nested rules stack too', () => {
  expect(normalizedTemplate(template)).toMatchSnapshot();
  expect(normalizedTemplate(Template.fromStack(rulesStack!))).toMatchSnapshot();
});
