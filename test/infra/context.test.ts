/**
 * Context values set the construct's props (infra/README.md lists them); wrong values are refused with the
 * key's name. Props the construct cannot work with are refused too.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { configFromEnv } from '../../functions/context/config';
import { LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';
import { settingsFromContext } from '../../infra/lib/context';
import { WeChatCustomerService } from '../../infra/lib/wechat-customer-service';
import { actionsOf, appStack, appTemplate, functionLogicalId, nestedStacks, resourcesOf, roleStatements, testApp } from './helpers';

const settings = (context: Record<string, unknown>) => settingsFromContext(testApp(context).node);

describe('settingsFromContext', () => {
  test('nothing set: defaults', () => {
    expect(settings({})).toEqual({ stackName: 'WeChatKf', props: { service: {} } });
  });

  test('every key, as the CLI passes them (strings)', () => {
    const { stackName, props } = settings({
      stackName: 'Kf-Prod',
      appId: 'wx1234567890abcdef',
      windowPolicy: 'observe',
      windowRules: 'seed',
      tokenMode: 'classic',
      wechatApiBaseUrl: 'https://sandbox.example.com',
      textMaxBytes: '1500',
      deliveryRecordContent: 'true',
      staticEgressIp: 'true',
      egressIpAllocationIds: 'eipalloc-1, eipalloc-2',
      natGateways: '2',
      secretName: 'wechat/kf',
      logRetentionDays: '90',
      logLevel: 'DEBUG',
      throttleRateLimit: '10',
      callbackBurstLimit: '50',
      alarmEmail: 'ops@example.com',
      removalPolicy: 'destroy',
      eventSources: 'crm.orders,crm.tickets',
      tokenRefreshMinutes: '3',
      bulkSendBatchSize: '5',
      bulkSendMaxConcurrency: '2',
      bulkSendMaxReceiveCount: '4',
    });
    expect(stackName).toBe('Kf-Prod');
    expect(props).toEqual({
      secretName: 'wechat/kf',
      alarmEmail: 'ops@example.com',
      service: {
        appId: 'wx1234567890abcdef',
        windowPolicy: 'observe',
        windowRules: 'seed',
        tokenMode: 'classic',
        wechatApiBaseUrl: 'https://sandbox.example.com',
        textMaxBytes: 1500,
        deliveryRecordContent: true,
        staticEgressIp: true,
        egressIpAllocationIds: ['eipalloc-1', 'eipalloc-2'],
        natGateways: 2,
        logRetention: logs.RetentionDays.THREE_MONTHS,
        logLevel: 'DEBUG',
        throttling: {
          default: { rateLimit: 10, burstLimit: 200 },
          routes: { 'POST /callback': { rateLimit: 200, burstLimit: 50 }, 'POST /callback/{appId}': { rateLimit: 200, burstLimit: 50 } },
        },
        removalPolicy: RemovalPolicy.DESTROY,
        eventSources: ['crm.orders', 'crm.tickets'],
        tokenRefreshInterval: Duration.minutes(3),
        bulkSend: { batchSize: 5, maxConcurrency: 2, maxReceiveCount: 4 },
      },
    });
  });

  test('JSON types from cdk.json work too', () => {
    expect(settings({ staticEgressIp: true, natGateways: 1, egressIpAllocationIds: ['eipalloc-1'] }).props.service).toEqual({
      staticEgressIp: true,
      natGateways: 1,
      egressIpAllocationIds: ['eipalloc-1'],
    });
  });

  test.each([
    [{ windowPolicy: 'strict' }, /windowPolicy must be one of enforce, observe, off/],
    [{ windowRules: 'old' }, /windowRules must be one of current, seed/],
    [{ tokenMode: 'fast' }, /tokenMode must be one of stable, classic/],
    [{ staticEgressIp: 'yes' }, /staticEgressIp must be true or false/],
    [{ logRetentionDays: '31' }, /logRetentionDays must be one of/],
    [{ throttleRateLimit: 'lots' }, /throttleRateLimit must be a positive number/],
    [{ removalPolicy: 'snapshot' }, /removalPolicy must be one of retain, destroy/],
    [{ textMaxBytes: 'big' }, /textMaxBytes must be a positive number/],
    [{ deliveryRecordContent: 'yes' }, /deliveryRecordContent must be true or false/],
  ])('%j is refused', (context, message) => {
    expect(() => settings(context)).toThrow(message);
  });
});

describe('context reaches the template', () => {
  test('window, rules, token mode, base URL, app id, log level', () => {
    const template = appTemplate({
      windowPolicy: 'off',
      windowRules: 'seed',
      tokenMode: 'classic',
      wechatApiBaseUrl: 'https://sandbox.example.com',
      appId: 'wx1',
      logLevel: 'WARN',
    });
    const json = template.toJSON();
    const send = json.Resources[functionLogicalId(template, 'SendText')].Properties.Environment.Variables;
    expect(send).toMatchObject({
      WINDOW_POLICY: 'off',
      WINDOW_RULES: 'seed',
      TOKEN_MODE: 'classic',
      WECHAT_API_BASE_URL: 'https://sandbox.example.com',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    // Every function reads the app id from the secret; none needs it in its environment.
    expect(send.WECHAT_APP_ID).toBeUndefined();
  });

  test('textMaxBytes and deliveryRecordContent reach every function as TEXT_MAX_BYTES and DELIVERY_RECORD_CONTENT; unset, neither is in any environment', () => {
    // Prepare
    const set = appTemplate({ textMaxBytes: '1500', deliveryRecordContent: 'true' });
    const unset = appTemplate({});
    const envs = (t: ReturnType<typeof appTemplate>) =>
      resourcesOf(t, 'AWS::Lambda::Function')
        .filter(([id]) => !id.startsWith('WeChatKfEncodingAesKeySeed'))
        .map(([, fn]) => fn.Properties.Environment.Variables as Record<string, string>);
    // Act
    const withSettings = envs(set);
    const withDefaults = envs(unset);
    // Assess
    expect(withSettings.length).toBeGreaterThan(10);
    for (const env of withSettings) expect(env).toMatchObject({ TEXT_MAX_BYTES: '1500', DELIVERY_RECORD_CONTENT: 'true' });
    for (const env of withDefaults) {
      expect(env.TEXT_MAX_BYTES).toBeUndefined();
      expect(env.DELIVERY_RECORD_CONTENT).toBeUndefined();
    }
    // What the functions make of them: the same config as locally.
    const config = configFromEnv({ ...withSettings[0], TABLE_NAME: 't' });
    expect(config).toMatchObject({ textMaxBytes: 1500, deliveryRecordContent: true });
  });

  test('replyMode and the passive settings reach the functions as REPLY_MODE and PASSIVE_*; the callback has the time to wait inside the push in every mode', () => {
    // Prepare
    const passive = appTemplate({ replyMode: 'passive', passiveWaitMs: '4000', passiveHoldText: 'one moment', passiveKeepMs: '600000' });
    const unset = appTemplate({});
    const callbackOf = (t: ReturnType<typeof appTemplate>) => t.toJSON().Resources[functionLogicalId(t, 'Callback')].Properties;
    // Act
    const withPassive = callbackOf(passive);
    const withDefaults = callbackOf(unset);
    // Assess: the environment, and the callback's timeout (a try that is not the last holds ~6 s), in every
    // mode since an account may choose passive replies at runtime
    expect(withPassive.Environment.Variables).toMatchObject({
      REPLY_MODE: 'passive',
      PASSIVE_WAIT_MS: '4000',
      PASSIVE_HOLD_TEXT: 'one moment',
      PASSIVE_KEEP_MS: '600000',
    });
    expect(withPassive.Timeout).toBe(10);
    expect(withDefaults.Environment.Variables.REPLY_MODE).toBeUndefined();
    expect(withDefaults.Timeout).toBe(10);
    // What the functions make of them: the same config as locally.
    const config = configFromEnv({ ...withPassive.Environment.Variables, TABLE_NAME: 't' });
    expect(config.passive).toEqual({ replyMode: 'passive', waitMs: 4000, tryMs: 5000, holdText: 'one moment', keepMs: 600000 });
  });

  test('keyword handoff and the AI label reach every function from context; a wrong keyword rule fails the synth naming it', () => {
    // Prepare / act
    const keywords = '转人工=agent1@wx, *人工客服*';
    const set = appTemplate({
      handoffKeywords: keywords,
      handoffWhenOffline: 'reply',
      handoffOfflineText: 'back at 9',
      aiLabelDefault: 'true',
    });
    const envs = resourcesOf(set, 'AWS::Lambda::Function')
      .filter(([id]) => !id.startsWith('WeChatKfEncodingAesKeySeed'))
      .map(([, fn]) => fn.Properties.Environment.Variables as Record<string, string>);
    // Assess
    expect(envs.length).toBeGreaterThan(10);
    for (const env of envs) {
      expect(env).toMatchObject({
        HANDOFF_KEYWORDS: keywords,
        HANDOFF_WHEN_OFFLINE: 'reply',
        HANDOFF_OFFLINE_TEXT: 'back at 9',
        AI_LABEL_DEFAULT: 'true',
      });
    }
    const config = configFromEnv({ ...envs[0], TABLE_NAME: 't' });
    expect(config.handoff.keywords.map((k) => [k.rule, k.kfAccount])).toEqual([
      ['转人工', 'agent1@wx'],
      ['*人工客服*', undefined],
    ]);
    expect(config.aiLabelDefault).toBe(true);
    expect(() => appTemplate({ handoffKeywords: '/(a+)+/' })).toThrow(/HANDOFF_KEYWORDS: the rule "\/\(a\+\)\+\/" repeats a group/);
    expect(() => appTemplate({ handoffWhenOffline: 'reply' })).toThrow(/needs HANDOFF_OFFLINE_TEXT/);
  });

  test('an existing secret by name: SECRET_ID is the name, the grant covers its ARN suffix', () => {
    const template = appTemplate({ secretName: 'wechat/kf' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const json = template.toJSON();
    expect(json.Resources[functionLogicalId(template, 'Callback')].Properties.Environment.Variables.SECRET_ID).toBe('wechat/kf');
    const secret = roleStatements(template, 'Callback').find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))!;
    expect(JSON.stringify(secret.Resource)).toContain(':secret:wechat/kf-??????');
  });

  test('an existing secret by ARN: SECRET_ID and the grant are that ARN', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat-kf-AbCdEf';
    const template = appTemplate({ secretArn: arn });
    expect(template.toJSON().Resources[functionLogicalId(template, 'SendText')].Properties.Environment.Variables.SECRET_ID).toBe(arn);
    expect(roleStatements(template, 'SendText').find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))!.Resource).toBe(arn);
  });

  test('throttling, event sources, schedule, bulk send, retention, removal policy', () => {
    const { stack } = appStack({
      throttleRateLimit: '10',
      throttleBurstLimit: '20',
      callbackRateLimit: '30',
      eventSources: 'crm.orders',
      tokenRefreshMinutes: '1',
      bulkSendBatchSize: '5',
      bulkSendMaxReceiveCount: '7',
      logRetentionDays: '7',
      removalPolicy: 'destroy',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      RouteSettings: Match.objectLike({
        'POST /callback': { ThrottlingRateLimit: 30, ThrottlingBurstLimit: 400 },
        'POST /callback/{appId}': { ThrottlingRateLimit: 30, ThrottlingBurstLimit: 400 },
      }),
    });
    // The operations' rules are in the nested stack (infra/lib/triggers.ts).
    const [rules] = nestedStacks(stack);
    Template.fromStack(rules!).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['sendText'], source: ['crm.orders'] },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 5 });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: { maxReceiveCount: 7 } });
    for (const [, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(7);
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});

describe('props the construct refuses', () => {
  const make = (props: ConstructorParameters<typeof WeChatCustomerService>[2]) => () =>
    new WeChatCustomerService(new Stack(testApp(), 'S'), 'Kf', props);

  test.each([
    [{ windowPolicy: 'strict' as never }, /windowPolicy must be one of/],
    [{ wechatApiBaseUrl: 'api.weixin.qq.com' }, /wechatApiBaseUrl must be an http\(s\) URL/],
    [{ natGateways: 2 }, /only apply with staticEgressIp/],
    [{ staticEgressIp: true, natGateways: 3 }, /natGateways must be 1 or 2/],
    [{ bulkSend: { batchSize: 11 } }, /bulkSend.batchSize must be 1–10/],
    [{ bulkSend: { maxConcurrency: 1 } }, /bulkSend.maxConcurrency must be 2–1000/],
    [{ tokenRefreshInterval: Duration.minutes(5) }, /tokenRefreshInterval must be between 1 and 4 minutes/],
    [{ handlersDir: '/nonexistent' }, /handlersDir \/nonexistent does not exist/],
    [{ textMaxBytes: 15 }, /textMaxBytes must be a whole number of bytes, at least 16, got 15/],
    [{ textMaxBytes: 2048.5 }, /textMaxBytes must be a whole number of bytes/],
    [{ replyMode: 'instant' as never }, /replyMode must be one of customer-service, passive, auto/],
    [{ passiveWaitMs: 5000 }, /passiveWaitMs must be whole milliseconds from 50 to 4900/],
    [{ passiveHoldText: ' ' }, /passiveHoldText must be a text of 1 to 2048 bytes/],
  ])('%o', (props, message) => {
    expect(make(props)).toThrow(message);
  });

  test('the stack refuses two secret sources', () => {
    expect(() => appStack({ secretName: 'a', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf' })).toThrow(
      /secretArn or secretName/,
    );
  });
});

test('the construct in another app: imported secret and no stack-level extras', () => {
  const stack = new Stack(testApp(), 'Other');
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'S', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf');
  const kf = new WeChatCustomerService(stack, 'Kf', { secret, windowPolicy: 'observe', appId: 'wx1' });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  expect(kf.functions.SendText).toBeDefined();
  expect(kf.callbackUrl).toBeDefined();
});

test('no appId: a stack of built-in functions warns about nothing; a function of its own that needs the app id without the secret is named', () => {
  // Prepare: the built-ins alone, and beside them a function of one's own that declares needs.appId
  const fanOut = LAMBDA_FUNCTIONS.find((s) => s.id === 'WebhookFanOut')!;
  const ownFunction = { ...fanOut, id: 'NightlyReport', needs: { ...fanOut.needs, appId: true } };
  const builtIns = new Stack(testApp(), 'BuiltIns');
  const withOwn = new Stack(testApp(), 'WithOwn');
  // Act
  new WeChatCustomerService(builtIns, 'Kf', {});
  new WeChatCustomerService(withOwn, 'Kf', { functions: [...LAMBDA_FUNCTIONS, ownFunction] });
  // Assess
  const appIdWarnings = (stack: Stack) =>
    Annotations.fromStack(stack)
      .findWarning('*', Match.stringLikeRegexp('app id'))
      .map((w) => String(w.entry.data));
  expect(appIdWarnings(builtIns)).toEqual([]);
  expect(appIdWarnings(withOwn)).toEqual([expect.stringMatching(/^NightlyReport need the app id and do not read the secret: set appId/)]);
});
