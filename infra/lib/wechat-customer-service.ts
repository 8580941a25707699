/**
 * `WeChatCustomerService`: the whole product as one reusable CDK construct.
 *
 * It deploys exactly the functions listed in functions/handlers/functions.ts (`LAMBDA_FUNCTIONS`): one
 * NodejsFunction per entry, its HTTP routes on one HTTP API, an EventBridge rule per operation that accepts
 * events, the bulk-send SQS queue in front of the generic `SendMessage` function, the scheduled token
 * refresher, the one DynamoDB table and the one Secrets Manager secret — with least-privilege grants
 * derived from each function's `needs`. A new catalogue operation becomes a new function, route and rule
 * here without touching this file.
 *
 * @example
 * ```ts
 * const kf = new WeChatCustomerService(stack, 'WeChatKf', { windowPolicy: 'enforce', staticEgressIp: true });
 * kf.grantInvoke(myRole); // lets a role sign requests to the IAM-protected routes
 * ```
 */
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LAMBDA_FUNCTIONS, OPERATION_ENV, type LambdaFunctionSpec } from '../../functions/handlers/functions';

// The table's key and TTL attributes, as functions/store/table.ts defines them (TABLE_PARTITION_KEY,
// TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE). They are repeated here rather than imported so that synthesizing
// the app does not load the store and the AWS SDK; test/infra checks that the two agree.
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_SORT_KEY = 'sk';
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

/** The EventBridge source of the inbound WeChat messages the callback publishes (handlers/publisher.ts). */
export const INBOUND_EVENT_SOURCE = 'wechat.kf';

/** The catalogue operation whose function consumes the bulk-send queue. */
export const BULK_SEND_OPERATION = 'sendMessage';

/** Send-window policy: refuse before calling WeChat (`enforce`), only record (`observe`), or skip (`off`). */
export type WindowPolicy = 'enforce' | 'observe' | 'off';
/** Which window rules apply: today's official ones (`current`) or the 2017 rule (`seed`). */
export type WindowRules = 'current' | 'seed';
/** How access tokens are fetched: `cgi-bin/stable_token` (`stable`) or `cgi-bin/token` (`classic`). */
export type TokenMode = 'stable' | 'classic';
/** Powertools log level of every function. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** A rate and burst limit, in requests per second. */
export interface ThrottleLimits {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** API Gateway throttling. */
export interface ApiThrottling {
  /** The stage's default for every route. @default { rateLimit: 100, burstLimit: 200 } */
  readonly default?: ThrottleLimits;
  /**
   * Per-route overrides, keyed by route key (`'POST /callback'`, `'POST /messages'`, ...).
   * @default { 'GET /callback': {20, 40}, 'POST /callback': {200, 400} } — WeChat's pushes come in bursts;
   *   the URL check (GET) happens once when the server URL is configured.
   */
  readonly routes?: Readonly<Record<string, ThrottleLimits>>;
}

/** The bulk-send queue's consumer settings. */
export interface BulkSendOptions {
  /** Messages per invocation. @default 10 */
  readonly batchSize?: number;
  /** How long to gather a batch. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent invocations the queue may drive (2–1000), which paces bulk sends. @default 5 */
  readonly maxConcurrency?: number;
  /** Receives before a message is parked in the dead-letter queue. @default 3 */
  readonly maxReceiveCount?: number;
}

export interface WeChatCustomerServiceProps {
  /**
   * The official account's app id (not a secret). Given to the functions that do not read the secret
   * (`needs.secret` false, e.g. Interactions) as `WECHAT_APP_ID`, since they key their records by it.
   * @default - not set
   */
  readonly appId?: string;
  /** `WINDOW_POLICY`. @default 'enforce' */
  readonly windowPolicy?: WindowPolicy;
  /** `WINDOW_RULES`. @default 'current' */
  readonly windowRules?: WindowRules;
  /** `TOKEN_MODE`. @default 'stable' */
  readonly tokenMode?: TokenMode;
  /** `WECHAT_API_BASE_URL`. @default 'https://api.weixin.qq.com' */
  readonly wechatApiBaseUrl?: string;
  /**
   * Put the functions that call WeChat (`needs.callsWeChat`) in the private subnets of a VPC behind a NAT
   * gateway with an Elastic IP, so that their calls come from a fixed address to put on the official
   * account's IP whitelist (errcode 40164 otherwise). Off: no VPC at all, and WeChat sees Lambda's
   * changing addresses.
   * @default false
   */
  readonly staticEgressIp?: boolean;
  /**
   * Existing Elastic IP allocation ids (one per NAT gateway) to reuse, e.g. the address already on the
   * whitelist. Only with `staticEgressIp`.
   * @default - new Elastic IPs, kept (RemovalPolicy.RETAIN) when the stack is deleted
   */
  readonly egressIpAllocationIds?: string[];
  /** NAT gateways (and so egress IPs) when `staticEgressIp` is on; 2 survives the loss of one AZ. @default 1 */
  readonly natGateways?: number;
  /**
   * An existing secret holding `{"appId","appSecret","callbackToken","encodingAesKey"}`.
   * @default - a new secret with placeholder values, to be set with `aws secretsmanager put-secret-value`
   */
  readonly secret?: secretsmanager.ISecret;
  /** Retention of every log group (functions, API access log, VPC flow log). @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** `POWERTOOLS_SERVICE_NAME`. @default 'wechat-kf' */
  readonly serviceName?: string;
  /** API Gateway throttling. @default see {@link ApiThrottling} */
  readonly throttling?: ApiThrottling;
  /** Where the alarms notify. @default - alarms without actions */
  readonly alarmTopic?: sns.ITopic;
  /**
   * What happens to the stateful resources (table, secret, log groups, queues) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** The bulk-send queue's consumer. */
  readonly bulkSend?: BulkSendOptions;
  /**
   * The EventBridge sources allowed to ask for operations on the bus.
   * @default - any source except `wechat.kf` (the callback's own inbound messages)
   */
  readonly eventSources?: string[];
  /**
   * How often the token refresher runs. The token cache refreshes a token once it is within 5 minutes of
   * expiry, and a run that finds it fresh costs one DynamoDB read, so the interval must be well under 5
   * minutes for the refresher (not a sender) to be the one that refreshes.
   * @default Duration.minutes(2)
   */
  readonly tokenRefreshInterval?: Duration;
  /**
   * The directory of the handler entries (`<entry>.ts`).
   * @default - functions/handlers of this repository
   */
  readonly handlersDir?: string;
  /**
   * The functions to deploy.
   * @default LAMBDA_FUNCTIONS
   */
  readonly functions?: readonly LambdaFunctionSpec[];
}

/** Memory and timeout of a function. */
interface Sizing {
  memorySize: number;
  timeout: Duration;
}

const DEFAULT_THROTTLE: ThrottleLimits = { rateLimit: 100, burstLimit: 200 };
const DEFAULT_ROUTE_THROTTLES: Readonly<Record<string, ThrottleLimits>> = {
  'GET /callback': { rateLimit: 20, burstLimit: 40 },
  'POST /callback': { rateLimit: 200, burstLimit: 400 },
};

/**
 * Memory and timeout by function. WeChat waits 5 s for the callback's answer, so its timeout is 5 s (and
 * 512 MB for a faster cold start); a single WeChat call with one token refresh and one retry fits in 15 s;
 * SendMessage also drains the bulk queue in batches, so it gets 30 s; the avatar upload holds up to 5 MB.
 */
function sizing(spec: LambdaFunctionSpec): Sizing {
  switch (spec.entry) {
    case 'callback':
      return { memorySize: 512, timeout: Duration.seconds(5) };
    case 'interactions':
      return { memorySize: 256, timeout: Duration.seconds(10) };
    case 'token-refresher':
      return { memorySize: 256, timeout: Duration.seconds(30) };
    case 'operation':
      if (spec.operation === BULK_SEND_OPERATION) return { memorySize: 512, timeout: Duration.seconds(30) };
      if (spec.operation === 'uploadKfAvatar') return { memorySize: 512, timeout: Duration.seconds(15) };
      return { memorySize: 256, timeout: Duration.seconds(15) };
  }
}

/** DynamoDB actions per access level (the store uses GetItem, PutItem, UpdateItem, DeleteItem; Query for reads). */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
} as const;

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The product's AWS resources. See the module comment and infra/README.md.
 */
export class WeChatCustomerService extends Construct {
  /** The one table: access tokens, windows, idempotency records, inbound dedup. */
  readonly table: dynamodb.Table;
  /** The secret `{"appId","appSecret","callbackToken","encodingAesKey"}`. */
  readonly secret: secretsmanager.ISecret;
  /** The bus operations are asked for on, and inbound messages are published to. */
  readonly bus: events.EventBus;
  /** Bulk sends: each message is a custom/send body for the SendMessage function. */
  readonly bulkSendQueue: sqs.Queue;
  /** Bulk sends that failed `maxReceiveCount` times. */
  readonly bulkSendDeadLetterQueue: sqs.Queue;
  /** Operation events EventBridge could not deliver, and asynchronous invocations that failed all retries. */
  readonly eventsDeadLetterQueue: sqs.Queue;
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  /** The functions by their id in LAMBDA_FUNCTIONS. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;
  /** The API's base URL (ends with `/`). */
  readonly apiUrl: string;
  /** The URL to paste into WeChat's server configuration. */
  readonly callbackUrl: string;
  /** The VPC, when `staticEgressIp` is on. */
  readonly vpc?: ec2.Vpc;
  /**
   * The egress addresses to whitelist, when `staticEgressIp` is on and the construct made the Elastic IPs
   * (with `egressIpAllocationIds`, the addresses are those of the allocations given).
   */
  readonly egressIps?: string[];
  /** The Elastic IP allocation ids of the NAT gateways, when `staticEgressIp` is on. */
  readonly egressIpAllocationIds?: string[];
  /** The alarms: one per dead-letter queue and one per function. */
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: WeChatCustomerServiceProps = {}) {
    super(scope, id);
    const specs = props.functions ?? LAMBDA_FUNCTIONS;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const handlersDir = props.handlersDir ?? path.join(REPO_ROOT, 'functions', 'handlers');
    checkProps(this, props, specs);
    const withoutSecret = specs.filter((s) => !s.needs.secret).map((s) => s.id);
    if (withoutSecret.length > 0 && !props.appId) {
      Annotations.of(this).addWarningV2(
        'wechat-kf:appIdMissing',
        `${withoutSecret.join(', ')} do not read the secret and key their records by app id: set appId (context appId) so they get WECHAT_APP_ID`,
      );
    }

    // ---------------------------------------------------------------------------------------------
    // State: table and secret
    // ---------------------------------------------------------------------------------------------
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      // The AWS-managed key (aws/dynamodb): encrypted at rest with key use visible in CloudTrail, and no
      // key policy or grants to manage.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });

    if (props.secret) {
      this.secret = props.secret;
    } else {
      const secret = new secretsmanager.Secret(this, 'Secret', {
        description: 'WeChat official account credentials: {"appId","appSecret","callbackToken","encodingAesKey"}',
        generateSecretString: {
          // Placeholders: replace the whole value with `aws secretsmanager put-secret-value` (infra/README.md).
          secretStringTemplate: JSON.stringify({ appId: 'REPLACE_ME', callbackToken: 'REPLACE_ME', encodingAesKey: '' }),
          generateStringKey: 'appSecret',
          excludePunctuation: true,
        },
        removalPolicy,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          "The secret holds the official account's AppSecret, callback Token and EncodingAESKey, which are issued and " +
          'changed in the WeChat admin console (mp.weixin.qq.com), not by an API a rotation Lambda could call; they are ' +
          'updated with put-secret-value after a change there.',
      });
      this.secret = secret;
    }

    // ---------------------------------------------------------------------------------------------
    // Queues and bus
    // ---------------------------------------------------------------------------------------------
    const queueDefaults = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy,
    } satisfies sqs.QueueProps;

    this.eventsDeadLetterQueue = new sqs.Queue(this, 'EventsDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });
    Validations.of(this.eventsDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue: of the EventBridge rule targets and of the functions\' asynchronous invocations.',
    });
    this.bulkSendDeadLetterQueue = new sqs.Queue(this, 'BulkSendDeadLetterQueue', { ...queueDefaults, retentionPeriod: Duration.days(14) });

    const bulkSpec = specs.find((s) => s.operation === BULK_SEND_OPERATION);
    const bulkTimeout = bulkSpec ? sizing(bulkSpec).timeout : Duration.seconds(30);
    this.bulkSendQueue = new sqs.Queue(this, 'BulkSendQueue', {
      ...queueDefaults,
      // AWS guidance for a Lambda event source: at least 6 × the function's timeout.
      visibilityTimeout: Duration.seconds(bulkTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.bulkSendDeadLetterQueue, maxReceiveCount: props.bulkSend?.maxReceiveCount ?? 3 },
    });

    this.bus = new events.EventBus(this, 'Bus', {
      description: `Operations asked for by detail-type, and inbound WeChat messages (source ${INBOUND_EVENT_SOURCE})`,
    });

    // ---------------------------------------------------------------------------------------------
    // Network: fixed egress IP for the functions that call WeChat
    // ---------------------------------------------------------------------------------------------
    let egressSecurityGroup: ec2.SecurityGroup | undefined;
    if (props.staticEgressIp) {
      const natGateways = props.egressIpAllocationIds?.length ?? props.natGateways ?? 1;
      let allocationIds = props.egressIpAllocationIds;
      if (!allocationIds) {
        const eips = Array.from({ length: natGateways }, (_, i) => {
          const eip = new ec2.CfnEIP(this, `EgressIp${i + 1}`, {
            domain: 'vpc',
            tags: [{ key: 'Name', value: `${Stack.of(this).stackName}-wechat-egress-${i + 1}` }],
          });
          // The address is on WeChat's whitelist: keep it even if the stack goes, so it can be reused
          // through egressIpAllocationIds.
          eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
          return eip;
        });
        allocationIds = eips.map((e) => e.attrAllocationId);
        this.egressIps = eips.map((e) => e.attrPublicIp);
      }
      this.egressIpAllocationIds = [...allocationIds];
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways,
        natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: allocationIds }),
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
        ],
        gatewayEndpoints: { DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
        flowLogs: {
          Rejected: {
            destination: ec2.FlowLogDestination.toCloudWatchLogs(
              new logs.LogGroup(this, 'VpcFlowLog', { retention: logRetention, removalPolicy }),
            ),
            trafficType: ec2.FlowLogTrafficType.REJECT,
          },
        },
      });
      egressSecurityGroup = new ec2.SecurityGroup(this, 'EgressSecurityGroup', {
        vpc: this.vpc,
        description: 'Functions that call WeChat: HTTPS out only (WeChat and AWS APIs), nothing in',
        allowAllOutbound: false,
      });
      egressSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to WeChat and AWS APIs');
    }

    // ---------------------------------------------------------------------------------------------
    // Functions
    // ---------------------------------------------------------------------------------------------
    const commonEnv: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.bus.eventBusName,
      WECHAT_API_BASE_URL: props.wechatApiBaseUrl ?? 'https://api.weixin.qq.com',
      WINDOW_POLICY: props.windowPolicy ?? 'enforce',
      WINDOW_RULES: props.windowRules ?? 'current',
      TOKEN_MODE: props.tokenMode ?? 'stable',
      POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'wechat-kf',
      POWERTOOLS_METRICS_NAMESPACE: 'WeChatKf',
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };
    const secretId = this.secret.secretFullArn ?? this.secret.secretName;
    const secretPolicyArn = this.secret.secretFullArn ?? `${this.secret.secretArn}-??????`;

    const functions: Record<string, nodejs.NodejsFunction> = {};
    for (const spec of specs) {
      const { memorySize, timeout } = sizing(spec);
      const inVpc = Boolean(this.vpc && spec.needs.callsWeChat);
      const logGroup = new logs.LogGroup(this, `${spec.id}Logs`, { retention: logRetention, removalPolicy });

      // Each function has its own role with inline, resource-scoped statements only (no AWS managed
      // policies): its log group, the table actions its access level needs, the secret if it reads it.
      const role = new iam.Role(this, `${spec.id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        // IAM descriptions accept Latin-1 only (the catalogue's may hold typographic quotes).
        description: latin1(`${spec.id}: ${spec.description}`).slice(0, 1000),
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      );
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...TABLE_ACTIONS[spec.needs.table]], resources: [this.table.tableArn] }));
      if (spec.needs.secret) {
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretPolicyArn] }));
        this.secret.encryptionKey?.grantDecrypt(role);
      }
      if (spec.needs.publishesEvents) this.bus.grantPutEventsTo(role);
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

      const fn = new nodejs.NodejsFunction(this, spec.id, {
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
        ...(inVpc && this.vpc && egressSecurityGroup
          ? { vpc: this.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [egressSecurityGroup] }
          : {}),
        // Failed asynchronous invocations (EventBridge rules, the schedule) after Lambda's own retries.
        ...(spec.acceptsEvents
          ? { retryAttempts: 2, maxEventAge: Duration.hours(1), onFailure: new destinations.SqsDestination(this.eventsDeadLetterQueue) }
          : spec.entry === 'token-refresher'
            ? { retryAttempts: 0 }
            : {}),
        bundling: {
          // esbuild is a dev dependency, so CDK bundles locally; never fall back to Docker.
          forceDockerBundling: false,
          minify: true,
          sourceMap: true,
          sourcesContent: false,
          format: nodejs.OutputFormat.CJS,
          // Prefer the ES module builds (AWS SDK v3, Powertools) so esbuild can tree-shake them.
          mainFields: ['module', 'main'],
          // Bundle the AWS SDK v3 instead of using the runtime's copy: the functions run the SDK version
          // they were tested with (package-lock.json), not whatever the runtime ships that month, and the
          // tree-shaken, minified clients load faster than the runtime's full ones.
          externalModules: [],
          logLevel: nodejs.LogLevel.WARNING,
        },
      });
      functions[spec.id] = fn;
    }
    this.functions = functions;

    // ---------------------------------------------------------------------------------------------
    // HTTP API
    // ---------------------------------------------------------------------------------------------
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'WeChat customer-service messaging: operations (IAM) and the WeChat callback (public)',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
    const throttleDefault = props.throttling?.default ?? DEFAULT_THROTTLE;
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: throttleDefault,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: accessLogFormat(),
      },
    });

    const iamAuthorizer = new HttpIamAuthorizer();
    const noneAuthorizer = new apigwv2.HttpNoneAuthorizer();
    const routeKeys = new Map<string, apigwv2.HttpRoute>();
    for (const spec of specs) {
      if (spec.routes.length === 0) continue;
      const integration = new HttpLambdaIntegration(`${spec.id}Integration`, functions[spec.id]!);
      for (const route of spec.routes) {
        const [httpRoute] = this.api.addRoutes({
          path: route.path,
          methods: [apigwv2.HttpMethod[route.method]],
          integration,
          authorizer: route.auth === 'iam' ? iamAuthorizer : noneAuthorizer,
        });
        const key = `${route.method} ${route.path}`;
        routeKeys.set(key, httpRoute!);
        if (route.auth === 'none') {
          Validations.of(httpRoute!).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              "WeChat's servers call this route and cannot sign requests with SigV4 or send a token; the function " +
              "verifies WeChat's signature (sha1 of the callback Token, timestamp and nonce, and msg_signature in safe " +
              'mode) and answers 401 otherwise.',
          });
        }
      }
    }

    const routeThrottles = { ...DEFAULT_ROUTE_THROTTLES, ...props.throttling?.routes };
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    const cfnStage = this.stage.node.defaultChild as apigwv2.CfnStage;
    for (const [key, limits] of Object.entries(routeThrottles).sort(([a], [b]) => a.localeCompare(b))) {
      const route = routeKeys.get(key);
      if (!route) continue;
      routeSettings[key] = { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit };
      // A stage's route settings may only name routes that exist.
      cfnStage.node.addDependency(route);
    }
    if (Object.keys(routeSettings).length > 0) cfnStage.routeSettings = routeSettings;

    this.apiUrl = this.stage.url;
    this.callbackUrl = `${this.stage.url}callback`;

    // ---------------------------------------------------------------------------------------------
    // EventBridge rules, the bulk-send queue, the schedule
    // ---------------------------------------------------------------------------------------------
    const sourceMatch = props.eventSources?.length ? props.eventSources : events.Match.anythingBut(INBOUND_EVENT_SOURCE);
    for (const spec of specs) {
      if (!spec.acceptsEvents || !spec.operation) continue;
      new events.Rule(this, `${spec.id}Rule`, {
        eventBus: this.bus,
        description: `Events asking for ${spec.operation} (detail-type ${spec.operation}) invoke ${spec.id}`,
        eventPattern: { detailType: [spec.operation], source: sourceMatch },
        targets: [
          new targets.LambdaFunction(functions[spec.id]!, {
            deadLetterQueue: this.eventsDeadLetterQueue,
            retryAttempts: 8,
            maxEventAge: Duration.hours(2),
          }),
        ],
      });
    }

    if (bulkSpec) {
      functions[bulkSpec.id]!.addEventSource(
        new SqsEventSource(this.bulkSendQueue, {
          batchSize: props.bulkSend?.batchSize ?? 10,
          maxBatchingWindow: props.bulkSend?.maxBatchingWindow ?? Duration.seconds(1),
          maxConcurrency: props.bulkSend?.maxConcurrency ?? 5,
          reportBatchItemFailures: true,
        }),
      );
    }

    const refresher = specs.find((s) => s.entry === 'token-refresher');
    if (refresher) {
      new events.Rule(this, 'TokenRefreshSchedule', {
        description: 'Keeps the cached WeChat access token fresh',
        schedule: events.Schedule.rate(props.tokenRefreshInterval ?? Duration.minutes(2)),
        // A missed run is made up by the next one.
        targets: [new targets.LambdaFunction(functions[refresher.id]!, { retryAttempts: 0 })],
      });
    }

    // ---------------------------------------------------------------------------------------------
    // Alarms
    // ---------------------------------------------------------------------------------------------
    const action = props.alarmTopic ? new cwActions.SnsAction(props.alarmTopic) : undefined;
    const addAlarm = (alarm: cloudwatch.Alarm) => {
      if (action) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.alarms.push(alarm);
    };
    for (const [name, queue] of [
      ['BulkSendDeadLetterQueue', this.bulkSendDeadLetterQueue],
      ['EventsDeadLetterQueue', this.eventsDeadLetterQueue],
    ] as const) {
      addAlarm(
        queue
          .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
          .createAlarm(this, `${name}Alarm`, {
            alarmDescription: `Messages are waiting in ${name}: look at them, fix the cause, redrive or delete them`,
            threshold: 0,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    for (const spec of specs) {
      addAlarm(
        functions[spec.id]!.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }).createAlarm(this, `${spec.id}ErrorsAlarm`, {
          alarmDescription: `${spec.id} failed (an uncaught error or timeout, not a WeChat error answer)`,
          threshold: 0,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

  }

  /** Lets a principal call the IAM-protected routes (execute-api:Invoke on this API). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.api.arnForExecuteApi()] });
  }

  /** Lets a principal queue bulk sends. */
  grantBulkSend(grantee: iam.IGrantable): iam.Grant {
    return this.bulkSendQueue.grantSendMessages(grantee);
  }

  /** Lets a principal put operation events on the bus. */
  grantPutEvents(grantee: iam.IGrantable): iam.Grant {
    return this.bus.grantPutEventsTo(grantee);
  }
}

/** The access log line: JSON with the fields of an HTTP API request, including the IAM caller. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.userArn',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      latency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
    }),
  );
}

/** Replaces what IAM descriptions refuse (outside Latin-1) with ASCII look-alikes or `?`. */
function latin1(text: string): string {
  return text.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/[–—]/g, '-').replace(/[^\t\n\r\x20-\x7e\xa1-\xff]/g, '?');
}

/** Refuses props that cannot work, naming the prop. */
function checkProps(scope: Construct, props: WeChatCustomerServiceProps, specs: readonly LambdaFunctionSpec[]): void {
  const fail = (message: string) => {
    throw new Error(`WeChatCustomerService ${scope.node.path}: ${message}`);
  };
  const oneOf = (name: string, value: string | undefined, values: readonly string[]) => {
    if (value !== undefined && !values.includes(value)) fail(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  };
  oneOf('windowPolicy', props.windowPolicy, ['enforce', 'observe', 'off']);
  oneOf('windowRules', props.windowRules, ['current', 'seed']);
  oneOf('tokenMode', props.tokenMode, ['stable', 'classic']);
  oneOf('logLevel', props.logLevel, ['DEBUG', 'INFO', 'WARN', 'ERROR']);
  if (props.wechatApiBaseUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(props.wechatApiBaseUrl)) {
    fail(`wechatApiBaseUrl must be an http(s) URL, got ${JSON.stringify(props.wechatApiBaseUrl)}`);
  }
  if (!props.staticEgressIp && (props.egressIpAllocationIds || props.natGateways !== undefined)) {
    fail('egressIpAllocationIds and natGateways only apply with staticEgressIp: true');
  }
  if (props.natGateways !== undefined && (!Number.isInteger(props.natGateways) || props.natGateways < 1 || props.natGateways > 2)) {
    fail(`natGateways must be 1 or 2, got ${props.natGateways}`);
  }
  if (props.egressIpAllocationIds && (props.egressIpAllocationIds.length < 1 || props.egressIpAllocationIds.length > 2)) {
    fail('egressIpAllocationIds must hold 1 or 2 allocation ids (one per NAT gateway)');
  }
  const bulk = props.bulkSend ?? {};
  if (bulk.batchSize !== undefined && (!Number.isInteger(bulk.batchSize) || bulk.batchSize < 1 || bulk.batchSize > 10)) {
    fail(`bulkSend.batchSize must be 1–10, got ${bulk.batchSize}`);
  }
  if (bulk.maxConcurrency !== undefined && (!Number.isInteger(bulk.maxConcurrency) || bulk.maxConcurrency < 2 || bulk.maxConcurrency > 1000)) {
    fail(`bulkSend.maxConcurrency must be 2–1000, got ${bulk.maxConcurrency}`);
  }
  if (bulk.maxReceiveCount !== undefined && (!Number.isInteger(bulk.maxReceiveCount) || bulk.maxReceiveCount < 1 || bulk.maxReceiveCount > 1000)) {
    fail(`bulkSend.maxReceiveCount must be 1–1000, got ${bulk.maxReceiveCount}`);
  }
  if (props.tokenRefreshInterval && (props.tokenRefreshInterval.toSeconds() < 60 || props.tokenRefreshInterval.toSeconds() > 240)) {
    fail('tokenRefreshInterval must be between 1 and 4 minutes: the token is refreshed in its last 5 minutes');
  }
  const ids = new Set<string>();
  for (const spec of specs) {
    if (ids.has(spec.id)) fail(`two functions have the id ${spec.id}`);
    ids.add(spec.id);
    if (spec.entry === 'operation' && !spec.operation) fail(`${spec.id} uses the operation entry without an operation`);
  }
  if (props.handlersDir !== undefined && !fs.existsSync(props.handlersDir)) fail(`handlersDir ${props.handlersDir} does not exist`);
}
