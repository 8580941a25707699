/**
 * `WeChatCustomerService`: the whole product as one reusable CDK construct.
 *
 * It deploys exactly the functions listed in functions/lambda/functions.ts (`LAMBDA_FUNCTIONS`): one
 * NodejsFunction per entry, its HTTP routes on one HTTP API, an EventBridge rule per operation that accepts
 * events, the bulk-send SQS queue in front of the function whose operation consumes it, the scheduled
 * token refresher, the one DynamoDB table and the one Secrets Manager secret — with least-privilege
 * grants derived from each function's `needs`. A new catalogue operation becomes a new function, route
 * and rule here without touching this file.
 *
 * Each part is built by its own module (state, messaging, egress, lambda-functions, api, triggers,
 * alarms) in this construct's own scope, so the logical ids are those of the single-file construct:
 * splitting the file replaces no deployed resource.
 *
 * @example
 * ```ts
 * const kf = new WeChatCustomerService(stack, 'WeChatKf', { windowPolicy: 'enforce', staticEgressIp: true });
 * kf.grantInvoke(myRole); // lets a role sign requests to the IAM-protected routes
 * ```
 */
import * as path from 'path';
import { Annotations, type NestedStack, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ACCOUNT_ROUTE_PREFIX, getOperation, TOKEN_VENDING } from '../../functions/core/catalogue';
import { enabledFunctions, LAMBDA_FUNCTIONS, TURNS_SETTING, type RouteSpec } from '../../functions/lambda/functions';
import { buildAccountKey, checkGrantAppId } from './accounts';
import { buildAlarms } from './alarms';
import { buildApi } from './api';
import { behaviourEnvironment } from './behaviour-environment';
import { buildDeployTimeAccounts } from './deploy-time-accounts';
import { buildEgress } from './egress';
import { buildFunctions, REPO_ROOT } from './lambda-functions';
import { buildMessaging } from './messaging';
import { checkProps, type WeChatCustomerServiceProps } from './props';
import { buildSecretSeed } from './secret-seed';
import { buildState } from './state';
import { buildTriggers } from './triggers';
import { buildWebhookResources, buildWebhookTriggers, type WebhookResources } from './webhooks';
import { buildTurnResources, buildTurnTriggers, type TurnResources } from './turns';

export * from './props';
export { ACCOUNT_KEY_ENV, TABLE_ACTIONS } from './lambda-functions';
export { WeChatEgress, type WeChatEgressProps } from './egress';

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
  /** The VPC the functions that call WeChat run in: the one `staticEgressIp` made, or the `vpc` given. */
  readonly vpc?: ec2.IVpc;
  /**
   * The egress addresses to whitelist, when `staticEgressIp` is on and the construct made the Elastic IPs
   * (with `egressIpAllocationIds`, the addresses are those of the allocations given).
   */
  readonly egressIps?: string[];
  /** The Elastic IP allocation ids of the NAT gateways, when `staticEgressIp` is on. */
  readonly egressIpAllocationIds?: string[];
  /** The alarms: one per dead-letter queue and one per function. */
  readonly alarms: cloudwatch.Alarm[];
  /** Webhook delivery: the key sealing subscription secrets, the delivery queue and its dead-letter queue. */
  readonly webhooks: WebhookResources;
  /** Turns (the `turnQuietMs` prop): the turn queue of timers and its dead-letter queue. */
  readonly turns?: TurnResources;
  /** The key that seals each account's secrets in the table (encryption context `{ appId }`). */
  readonly accountKey: kms.Key;
  /**
   * The nested stack holding the EventBridge rule of each operation that accepts events (and its Lambda
   * permission), which keeps this stack within CloudFormation's 500 resources (infra/README.md).
   */
  readonly operationRules?: NestedStack;
  /** The routes of the deployed functions. */
  private readonly routes: RouteSpec[];

  constructor(scope: Construct, id: string, props: WeChatCustomerServiceProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const handlersDir = props.handlersDir ?? path.join(REPO_ROOT, 'functions', 'lambda');
    checkProps(this, props, props.functions ?? LAMBDA_FUNCTIONS);
    // Operations off by default (their entry's route.enabledBy) are deployed only when `enable` names their setting.
    const enable = [
      ...(props.enable ?? []),
      ...(props.tokenVending ? [TOKEN_VENDING] : []),
      ...(props.turnQuietMs !== undefined ? [TURNS_SETTING] : []),
    ];
    const specs = enabledFunctions(props.functions ?? LAMBDA_FUNCTIONS, (setting) => enable.includes(setting));
    this.routes = specs.flatMap((spec) => spec.routes);
    // Only a function that needs the app id without the secret (needs.appId) is short of it: the built-in
    // functions without the secret (the webhook ones) use none, so a stack of built-ins warns about nothing.
    const wantAppId = specs.filter((s) => !s.needs.secret && s.needs.appId).map((s) => s.id);
    if (wantAppId.length > 0 && !props.appId) {
      Annotations.of(this).addWarningV2(
        'wechat-kf:appIdMissing',
        `${wantAppId.join(', ')} need the app id and do not read the secret: set appId (context appId) so they get WECHAT_APP_ID`,
      );
    }

    const { table, secret } = buildState(this, props, removalPolicy);
    this.table = table;
    this.secret = secret;
    // A secret the construct creates gets a random EncodingAESKey at deploy time; an imported one is the user's.
    if (!props.secret) buildSecretSeed(this, secret, { logRetention, removalPolicy });
    const messaging = buildMessaging(this, props, specs, removalPolicy);
    this.webhooks = buildWebhookResources(this, specs, removalPolicy);
    this.turns = buildTurnResources(this, props, specs, removalPolicy);
    this.accountKey = buildAccountKey(this, removalPolicy);
    // The accounts the stack declares: one custom resource for all of them, none without the prop.
    if (props.accounts && props.accounts.length > 0)
      buildDeployTimeAccounts(
        this,
        props.accounts,
        { table, accountKey: this.accountKey },
        { logRetention, removalPolicy, behaviour: behaviourEnvironment(props) },
      );
    this.bus = messaging.bus;
    this.bulkSendQueue = messaging.bulkSendQueue;
    this.bulkSendDeadLetterQueue = messaging.bulkSendDeadLetterQueue;
    this.eventsDeadLetterQueue = messaging.eventsDeadLetterQueue;
    const egress = buildEgress(this, props, logRetention, removalPolicy);
    this.vpc = egress?.vpc;
    this.egressIps = egress?.egressIps;
    this.egressIpAllocationIds = egress?.allocationIds;

    const functions = buildFunctions(
      this,
      props,
      specs,
      {
        table,
        secret,
        bus: this.bus,
        eventsDeadLetterQueue: this.eventsDeadLetterQueue,
        queues: {
          bulkSend: this.bulkSendQueue,
          webhookDelivery: this.webhooks.queue,
          ...(this.turns ? { turnTimer: this.turns.queue } : {}),
        },
        webhookKey: this.webhooks.key,
        accountKey: this.accountKey,
      },
      egress,
      { handlersDir, logRetention, removalPolicy },
    );
    this.functions = functions;

    const { api, stage } = buildApi(this, props, specs, functions, { logRetention, removalPolicy });
    this.api = api;
    this.stage = stage;
    this.apiUrl = stage.url;
    this.callbackUrl = `${stage.url}callback`;

    this.operationRules = buildTriggers(this, props, specs, functions, messaging);
    buildWebhookTriggers(this, specs, functions, messaging, this.webhooks);
    buildTurnTriggers(specs, functions, this.turns);
    this.alarms = buildAlarms(this, props, specs, functions, messaging, this.webhooks, this.turns);
  }

  /**
   * Lets a principal call the IAM-protected routes (execute-api:Invoke on each of them), except the routes
   * with a permission of their own (`GET /access-token`): those only {@link grantRoute} grants.
   */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const routes = this.routes.filter((r) => r.auth === 'iam' && !r.ownPermission);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: routes.map((r) => this.routeArn(r)) });
    // The per-account route covers every account's operations, but never a route with a permission of its own.
    if (routes.some(isAccountRoute)) this.denyOwnPermissionRoutes(grantee, '*');
    return grant;
  }

  /**
   * Lets a principal call the operations of one account and read it, and nothing of another account:
   * execute-api:Invoke on `<api>/<any stage>/<any method>/accounts/<appId>/*` (every operation of that
   * account: the per-account route `ANY /accounts/{appId}/{proxy+}`) and on `GET /accounts/<appId>`. Routes
   * with a permission of their own (token vending) stay out, as with {@link grantInvoke}: an explicit deny.
   * Creating and deleting accounts, the default account's routes and other accounts are not granted.
   *
   * @throws when `appId` is not a plain AppID (a wildcard or `/` would widen the grant), or the API has no
   *   per-account route.
   */
  grantAccount(grantee: iam.IGrantable, appId: string): iam.Grant {
    checkGrantAppId(appId);
    if (!this.routes.some(isAccountRoute))
      throw new Error(
        `WeChatCustomerService ${this.node.path}: there is no per-account route ANY ${ACCOUNT_ROUTE_PREFIX}/{proxy+} to grant`,
      );
    const resourceArns = [this.api.arnForExecuteApi('ANY', `/accounts/${appId}/*`)];
    if (this.routes.some((r) => r.method === 'GET' && r.path === ACCOUNT_ROUTE_PREFIX))
      resourceArns.push(this.api.arnForExecuteApi('GET', `/accounts/${appId}`));
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns });
    this.denyOwnPermissionRoutes(grantee, appId);
    return grant;
  }

  /**
   * Denies the per-account forms of the routes with a permission of their own (e.g.
   * `/accounts/<appId>/access-token`), which a wildcard grant of an account's routes would cover.
   */
  private denyOwnPermissionRoutes(grantee: iam.IGrantable, appId: string): void {
    // Their own per-account routes (`/access-token/{appId}`) lie outside /accounts/: no grant here covers them.
    const own = this.routes.filter((r) => r.ownPermission && !r.path.includes('{appId}'));
    if (own.length === 0) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['execute-api:Invoke'],
        resources: own.map((r) => this.api.arnForExecuteApi(r.method, `/accounts/${appId}${r.path.replace(/\{[^}]+\}/g, '*')}`)),
      }),
    );
  }

  /**
   * Lets a principal call one route of this API, e.g. a route with a permission of its own.
   *
   * @throws when the API has no such route (for example an operation whose setting is off).
   */
  grantRoute(grantee: iam.IGrantable, method: RouteSpec['method'], path: string): iam.Grant {
    const route = this.routes.find((r) => r.method === method && r.path === path);
    if (!route)
      throw new Error(`WeChatCustomerService ${this.node.path}: there is no route ${method} ${path} (is the setting that enables it on?)`);
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.routeArn(route)] });
  }

  /**
   * Lets a principal read the shared access token (`GET /access-token`, with `tokenVending` on) of the
   * default account, or with `appId` of that one added account alone (`GET /access-token/<appId>`). Nothing
   * else grants it: whoever holds the token can use the whole WeChat API as the official account.
   *
   * @example
   * ```ts
   * service.grantTokenVending(reportingRole); // the default account's token
   * service.grantTokenVending(brandRole, { appId: 'wx0123456789abcdef' }); // that account's, no other's
   * ```
   * @throws when token vending is off, or `appId` is not a plain AppID (a wildcard would widen the grant).
   */
  grantTokenVending(grantee: iam.IGrantable, options: { appId?: string } = {}): iam.Grant {
    const { route } = getOperation('getAccessToken');
    if (options.appId === undefined || !route.accountPath) return this.grantRoute(grantee, route.method, route.path);
    const { appId } = options;
    checkGrantAppId(appId);
    if (!this.routes.some((r) => r.method === route.method && r.path === route.accountPath))
      throw new Error(
        `WeChatCustomerService ${this.node.path}: there is no route ${route.method} ${route.accountPath} (is tokenVending on?)`,
      );
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi(route.method, route.accountPath.replace('{appId}', appId))],
    });
  }

  /** The execute-api ARN of a route, any stage; `{param}` and `{proxy+}` segments match any value, `ANY` any method. */
  private routeArn(route: RouteSpec): string {
    return this.api.arnForExecuteApi(route.method, route.path.replace(/\{[^}]+\}/g, '*'));
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

/** Whether a route is the per-account greedy route (`ANY /accounts/{appId}/{proxy+}`). */
function isAccountRoute(route: RouteSpec): boolean {
  return route.path.startsWith(`${ACCOUNT_ROUTE_PREFIX}/`) && route.path.endsWith('{proxy+}');
}
