/**
 * The functions: one NodejsFunction per LambdaFunctionSpec, each with its own role holding inline,
 * resource-scoped statements derived from the spec's `needs` (least privilege), its own log group, and
 * its memory and timeout from the spec's `sizing`.
 */
import * as path from 'path';
import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { handoffConfig } from '../../functions/context/config';
import { OPERATION_ENV, type LambdaFunctionSpec } from '../../functions/lambda/functions';
import { LAMBDA_BUNDLING, sdkBundlingFor } from './bundling';
import type { Egress } from './egress';
import type { WeChatCustomerServiceProps } from './props';
import { behaviourEnvironment } from './behaviour-environment';

/** DynamoDB actions per access level (the store uses GetItem, PutItem, UpdateItem, DeleteItem; Query for reads). */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
} as const;

/** The repository root (bundling reads its package-lock.json). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** What the functions are granted access to. */
export interface FunctionResources {
  table: dynamodb.ITable;
  secret: secretsmanager.ISecret;
  bus: events.IEventBus;
  eventsDeadLetterQueue: sqs.IQueue;
  /** The queues a function may name in `needs.queues`, by name (e.g. `bulkSend`). */
  queues: Readonly<Record<string, sqs.IQueue>>;
  /** The key that seals webhook subscription secrets (`needs.webhookKey`). */
  webhookKey?: kms.IKey;
  /** The key that seals each account's secrets in the table (`needs.accountKey`; see accountKeyUse). */
  accountKey?: kms.IKey;
}

/** The environment variable naming the account key (its ARN). */
export const ACCOUNT_KEY_ENV = 'ACCOUNT_KEY_ID';

/**
 * What a function may do with the account key: what its needs say, else `open` when it reads the secret
 * (every account's secret is sealed with the key, encryption context `{ appId }`), else nothing.
 */
export function accountKeyUse(spec: LambdaFunctionSpec): 'seal' | 'open' | undefined {
  return spec.needs.accountKey ?? (spec.needs.secret ? 'open' : undefined);
}

/** The functions, by spec id. */
export function buildFunctions(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  specs: readonly LambdaFunctionSpec[],
  m: FunctionResources,
  egress: Egress | undefined,
  options: { handlersDir: string; logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
): Record<string, nodejs.NodejsFunction> {
  const { handlersDir, logRetention, removalPolicy } = options;
  const commonEnv: Record<string, string> = {
    TABLE_NAME: m.table.tableName,
    EVENT_BUS_NAME: m.bus.eventBusName,
    WECHAT_API_BASE_URL: props.wechatApiBaseUrl ?? 'https://api.weixin.qq.com',
    POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'wechat-kf',
    POWERTOOLS_METRICS_NAMESPACE: 'WeChatKf',
    POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
    ...behaviourEnvironment(props),
  };
  // Keyword handoff and the AI label are read by the functions at startup: a wrong rule fails the synth
  // here, naming it, instead of every function's first invocation.
  if (props.handoffKeywords !== undefined || props.handoffWhenOffline !== undefined) {
    const { handoffKeywords, handoffWhenOffline, handoffOfflineText } = props;
    handoffConfig({
      HANDOFF_KEYWORDS: handoffKeywords,
      HANDOFF_WHEN_OFFLINE: handoffWhenOffline,
      HANDOFF_OFFLINE_TEXT: handoffOfflineText,
    });
  }
  const secretId = m.secret.secretFullArn ?? m.secret.secretName;
  const secretPolicyArn = m.secret.secretFullArn ?? `${m.secret.secretArn}-??????`;

  const functions: Record<string, nodejs.NodejsFunction> = {};
  for (const spec of specs) {
    const sizing = spec.sizing;
    const memorySize = sizing.memoryMb;
    const timeout = Duration.seconds(sizing.timeoutSeconds);
    const inVpc = Boolean(egress && spec.needs.callsWeChat);
    // One log group for every function of the stack (each writes its own streams, named by the function):
    // a group per function took a stack with every option on past CloudFormation's 500 resources
    // (infra/README.md, "Resources").
    const logGroup = functionLogs(scope, { retention: logRetention, removalPolicy });

    // Each function has its own role with inline, resource-scoped statements only (no AWS managed
    // policies): its log group, the table actions its access level needs, the secret if it reads it.
    const role = new iam.Role(scope, `${spec.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      // IAM descriptions accept Latin-1 only (the catalogue's may hold typographic quotes).
      description: latin1(`${spec.id}: ${spec.description}`).slice(0, 1000),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    if (spec.needs.table !== 'none') {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...TABLE_ACTIONS[spec.needs.table]], resources: [m.table.tableArn] }));
    }
    if (spec.needs.secret) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretPolicyArn] }));
      m.secret.encryptionKey?.grantDecrypt(role);
    }
    if (spec.needs.publishesEvents) m.bus.grantPutEventsTo(role);
    for (const name of spec.needs.queues ?? []) {
      const queue = m.queues[name];
      if (!queue)
        throw new Error(
          `${spec.id} needs the queue ${JSON.stringify(name)}, which the construct does not have (it has ${Object.keys(m.queues).join(', ')})`,
        );
      queue.grantSendMessages(role);
    }
    if (spec.needs.webhookKey) {
      if (!m.webhookKey) throw new Error(`${spec.id} needs the webhook key, which the construct does not have`);
      // One action each, not the grant helpers (which add kms:ReEncrypt* and kms:GenerateDataKey*): creating
      // a subscription can only seal a secret, delivering can only open one.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [spec.needs.webhookKey === 'seal' ? 'kms:Encrypt' : 'kms:Decrypt'],
          resources: [m.webhookKey.keyArn],
        }),
      );
    }
    const accountKey = accountKeyUse(spec);
    if (accountKey) {
      if (!m.accountKey) throw new Error(`${spec.id} needs the account key, which the construct does not have`);
      role.addToPrincipalPolicy(accountKeyStatement(m.accountKey, accountKey));
    }
    if (inVpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, inline.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Lambda creates and deletes the network interfaces of a function in a VPC itself; EC2 does not support ' +
          'resource-level permissions on ec2:Describe* and the interfaces do not exist before the function does ' +
          '(the same statement as the AWSLambdaVPCAccessExecutionRole managed policy).',
      });
    }

    const environment: Record<string, string> = { ...commonEnv };
    if (spec.needs.secret) environment.SECRET_ID = secretId;
    else if (props.appId) environment.WECHAT_APP_ID = props.appId;
    if (spec.operation) environment[OPERATION_ENV] = spec.operation;
    if (spec.entry === 'callback' && props.callbackMode) environment.WECHAT_CALLBACK_MODE = props.callbackMode;
    if (spec.entry === 'webhook-delivery' && props.webhookMaxInFlight !== undefined)
      environment.WEBHOOK_MAX_IN_FLIGHT = String(props.webhookMaxInFlight);
    if (spec.needs.webhookKey && m.webhookKey) {
      environment.WEBHOOK_KEY_ID = m.webhookKey.keyArn;
      // Deployed, webhooks reach public addresses only (docs/webhooks.md).
      environment.WEBHOOK_ADDRESS_POLICY = 'public';
    }

    if (accountKey && m.accountKey) environment[ACCOUNT_KEY_ENV] = m.accountKey.keyArn;

    const sdk = sdkBundlingFor(spec.entry);
    const fn = new nodejs.NodejsFunction(scope, spec.id, {
      description: spec.description,
      entry: path.join(handlersDir, `${spec.entry}.ts`),
      handler: 'handler',
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      role,
      logGroup,
      environment,
      awsSdkConnectionReuse: false,
      ...(inVpc && egress ? { vpc: egress.vpc, vpcSubnets: egress.subnets, securityGroups: [egress.securityGroup] } : {}),
      // Failed asynchronous invocations (EventBridge rules, the schedule) after Lambda's own retries.
      ...(spec.acceptsEvents
        ? { retryAttempts: 2, maxEventAge: Duration.hours(1), onFailure: new destinations.SqsDestination(m.eventsDeadLetterQueue) }
        : spec.entry === 'token-refresher'
          ? { retryAttempts: 0 }
          : {}),
      bundling: {
        // esbuild is a dev dependency, so CDK bundles locally; never fall back to Docker.
        forceDockerBundling: false,
        // The one set of options the size test and the bench build with too (bundling.ts).
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        format: LAMBDA_BUNDLING.format as nodejs.OutputFormat,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        target: LAMBDA_BUNDLING.target,
        // The runtime's AWS SDK, or the clients bundled with the environment as their credentials (bundling.ts).
        externalModules: sdk.externalModules,
        ...(Object.keys(sdk.alias).length > 0
          ? { esbuildArgs: { '--alias': Object.entries(sdk.alias).map(([from, to]) => `${from}=${to}`) } }
          : {}),
        logLevel: LAMBDA_BUNDLING.logLevel as nodejs.LogLevel,
      },
    });
    functions[spec.id] = fn;
  }
  return functions;
}

/** Replaces what IAM descriptions refuse (outside Latin-1) with ASCII look-alikes or `?`. */
function latin1(text: string): string {
  return text
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—]/g, '-')
    .replace(/[^\t\n\r\x20-\x7e\xa1-\xff]/g, '?');
}

/** The stack's one log group of its functions, made on first use. */
function functionLogs(scope: Construct, props: logs.LogGroupProps): logs.LogGroup {
  const existing = scope.node.tryFindChild('FunctionLogs');
  return existing instanceof logs.LogGroup ? existing : new logs.LogGroup(scope, 'FunctionLogs', props);
}

/**
 * The one use of the account key a role gets (docs/accounts.md): as with the webhook key, one action, and
 * only with an encryption context of exactly `appId`, so a ciphertext sealed for one account cannot be
 * opened as another's or without naming the account.
 *
 * @example
 * ```ts
 * role.addToPrincipalPolicy(accountKeyStatement(accountKey, 'seal')); // kms:Encrypt with {appId}
 * ```
 */
export function accountKeyStatement(key: kms.IKey, use: 'seal' | 'open'): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [use === 'seal' ? 'kms:Encrypt' : 'kms:Decrypt'],
    resources: [key.keyArn],
    conditions: {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['appId'] },
      Null: { 'kms:EncryptionContext:appId': 'false' },
    },
  });
}
