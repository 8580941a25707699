/**
 * The props of the `WeChatCustomerService` construct, the constants it shares with the functions, and the
 * check that refuses props that cannot work.
 */
import * as fs from 'fs';
// The allowed values, from their one home in the functions. core.
import { RULES_PROFILES } from '../../functions/core/limits';
import { MIN_TEXT_MAX_BYTES } from '../../functions/core/text-split';
import { REPLY_MODES } from '../../functions/core/passive-reply';
import { turnSettingsFromEnv } from '../../functions/core/turns';
import { turnEnvironment } from './turns';
import { behaviourEnvironment } from './behaviour-environment';
import { checkNatProps } from './egress';
import { TOKEN_MODES } from '../../functions/core/token';
import { WINDOW_POLICIES } from '../../functions/core/window';
import {
  ACCOUNT_SETTINGS,
  accountSettingsEnv,
  APP_ID_RULE,
  isAppId,
  settingOfVariable,
  type AccountSettings,
} from '../../functions/core/accounts';
import { configFromEnv } from '../../functions/context/config';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import type { RulesProfile } from '../../functions/core/limits';
import type { TokenMode } from '../../functions/core/token';
import type { WindowPolicy } from '../../functions/core/window';

// The table's key and TTL attributes, as functions/store/table.ts defines them (TABLE_PARTITION_KEY,
// TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE). They are repeated here rather than imported so that synthesizing
// the app does not load the store and the AWS SDK; test/infra checks that the two agree.
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_SORT_KEY = 'sk';
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

/** The EventBridge source of the inbound WeChat messages the callback publishes (handlers/publisher.ts). */
export const INBOUND_EVENT_SOURCE = 'wechat.kf';

// One home per type: the window policy, rules profile and token mode are the functions' own (core).
export type { WindowPolicy } from '../../functions/core/window';
export type { RulesProfile } from '../../functions/core/limits';
export type { TokenMode } from '../../functions/core/token';
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
   * @default { 'GET /callback': {20, 40}, 'POST /callback': {200, 400} }, the same for `/callback/{appId}` (every
   *   other account's, one limit for them all) — WeChat's pushes come in bursts;
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

/** Most accounts the `accounts` prop declares: their secrets' ARNs share one IAM policy (10 KB). */
export const MAX_DEPLOY_TIME_ACCOUNTS = 100;

/**
 * An official account the stack declares (the `accounts` prop; docs/accounts.md, "Accounts known at deploy
 * time").
 */
export interface DeployTimeAccount {
  /** The account's AppID (`wx…`); its secret's `appId` must be the same. */
  readonly appId: string;
  /**
   * The account's secret, the same JSON as the default secret: `{"appId","appSecret","callbackToken"?,
   * "encodingAesKey"?}`. Read at deploy time only, by the one custom resource, and sealed into the table.
   */
  readonly secret: secretsmanager.ISecret;
  /** A name for people (the console, GET /accounts). */
  readonly name?: string;
  /** The account's settings, as `POST /accounts` takes them (docs/accounts.md, "Settings"). @default - the deployment's */
  readonly settings?: AccountSettings;
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
  readonly windowRules?: RulesProfile;
  /** `TOKEN_MODE`. @default 'stable' */
  readonly tokenMode?: TokenMode;
  /**
   * `WECHAT_CALLBACK_MODE` of the callback function: `plain`, `compatible` or `safe`, as chosen in the
   * official account's server configuration. In `safe` and `compatible` mode a push that is not
   * encrypted with a valid msg_signature is refused (docs/callback-modes.md). The secret the construct
   * creates carries it too (`callbackMode`).
   * @default - `safe` when the secret holds an encodingAesKey, else `plain`
   */
  readonly callbackMode?: 'plain' | 'compatible' | 'safe';
  /** `WECHAT_API_BASE_URL`. @default 'https://api.weixin.qq.com' */
  readonly wechatApiBaseUrl?: string;
  /**
   * `TEXT_MAX_BYTES`: the cap on a text message's content, in bytes of UTF-8. A text over it is refused
   * (400) unless the send asks to split it into parts (docs/long-text.md). A whole number, at least 16.
   * @default 2048 (WeChat answers 45002 from about 2 048 bytes)
   */
  readonly textMaxBytes?: number;
  /**
   * `WEBHOOK_MAX_IN_FLIGHT`: tries of one webhook subscription in flight at once while its deliveries get
   * through (one once a try failed), 1 to 20 (docs/webhooks.md, "Isolation").
   * @default 5
   */
  readonly webhookMaxInFlight?: number;
  /**
   * `DELIVERY_RECORD_CONTENT`: whether delivery records (and delivery events) keep each message's content
   * (docs/deliveries.md). Off, they keep who, what kind, when and what happened only.
   * @default false
   */
  readonly deliveryRecordContent?: boolean;
  /**
   * `REPLY_MODE`: how users are answered (docs/passive-replies.md). `customer-service`: custom/send only;
   * `passive`: only inside WeChat's push (accounts without the customer-service API: 48001); `auto`:
   * inside the push when the answer comes in time, else custom/send. In passive and auto mode each of
   * WeChat's tries of a push keeps its callback invocation up to ~6 s, polling one table item (4 reads/s).
   * @default 'customer-service'
   */
  readonly replyMode?: 'customer-service' | 'passive' | 'auto';
  /** `PASSIVE_WAIT_MS`: how long one try of a push waits for its reply, 50 to 4900. @default 4500 */
  readonly passiveWaitMs?: number;
  /**
   * `PASSIVE_HOLD_TEXT`: what answers WeChat's last try in passive mode when no reply came.
   * @default '正在思考，回复任意内容获取答案'
   */
  readonly passiveHoldText?: string;
  /** `PASSIVE_KEEP_MS`: how long a late answer is kept for the user's next message (passive mode). @default 1800000 (30 minutes) */
  readonly passiveKeepMs?: number;
  /**
   * `HANDOFF_KEYWORDS`: keyword handoff (docs/handoff.md). A user's text matching one of these rules is
   * answered, on that very push, with a transfer to WeChat's customer-service desk, and `handoff.requested`
   * is published instead of `message.text`. Comma- or newline-separated: an exact word (`转人工`), a
   * substring (`*人工客服*`) or a `/regex/`, each optionally `=kf account` (`转人工=agent1@mywechatid`).
   * A wrong rule (or a regex that could backtrack without end) stops every function at startup, naming it.
   * @default - no keyword
   */
  readonly handoffKeywords?: string;
  /**
   * `HANDOFF_WHEN_OFFLINE`: what a keyword does when no kf account is online (getonlinekflist, cached for a
   * minute): `queue` transfers anyway (WeChat queues the user silently), `reply` answers
   * `handoffOfflineText` instead and publishes `handoff.unavailable`.
   * @default 'queue'
   */
  readonly handoffWhenOffline?: 'queue' | 'reply';
  /** `HANDOFF_OFFLINE_TEXT`: the out-of-hours text (at most 2048 bytes), required with `handoffWhenOffline: 'reply'`. */
  readonly handoffOfflineText?: string;
  /**
   * `AI_LABEL_DEFAULT`: whether every send that does not say `"aiGenerated": false` carries WeChat's AI
   * label (`aimsgcontext.is_ai_msg = 1`: 内容由第三方AI生成 under the message; docs/ai-label.md).
   * @default false
   */
  readonly aiLabelDefault?: boolean;
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
   * An existing VPC for the functions that call WeChat, instead of `staticEgressIp`'s own: several
   * deployments in one CDK app share one VPC and NAT (one egress IP to whitelist) by giving each the same
   * VPC, e.g. a {@link WeChatEgress}'s, or one of your own with a NAT instance (infra/README.md, "One
   * egress"). The construct then adds only its security group. Not with `staticEgressIp`,
   * `natGateways` or `egressIpAllocationIds` (the VPC brings its own egress).
   * @default - none (`staticEgressIp` decides)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` (or of `staticEgressIp`'s VPC) the functions that call WeChat run in: subnets whose
   * internet traffic leaves through the NAT whose address is whitelisted.
   * @default { subnetType: SubnetType.PRIVATE_WITH_EGRESS }
   */
  readonly egressSubnets?: ec2.SubnetSelection;
  /**
   * The security group of the functions that call WeChat, only with `vpc`.
   * @default - a new one in the VPC: HTTPS out only, nothing in
   */
  readonly egressSecurityGroup?: ec2.ISecurityGroup;
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
   * @default - functions/lambda of this repository
   */
  readonly handlersDir?: string;
  /**
   * The functions to deploy.
   * @default LAMBDA_FUNCTIONS
   */
  readonly functions?: readonly LambdaFunctionSpec[];
  /**
   * Settings that turn on operations that are off by default (their catalogue entry's `route.enabledBy`),
   * e.g. `['TOKEN_VENDING']`.
   * @default - none: only the operations that are always on
   */
  readonly enable?: readonly string[];
  /**
   * Token vending: serves `GET /access-token` → `{access_token, expires_at, expires_in}`, the one token of
   * this AppID, for systems that must call WeChat themselves. Its route has its own IAM permission, which
   * `grantInvoke` never covers: grant it with `grantTokenVending`. Whoever holds the token can use the whole
   * WeChat API as the official account until it expires (README, "Token vending"). Same as
   * `enable: ['TOKEN_VENDING']`.
   * @default false
   */
  readonly tokenVending?: boolean;
  /**
   * `TURN_QUIET_MS`: turns on turns (docs/turns.md): a user's messages are gathered into one `turn.ready`,
   * closed when they have been quiet this long (ms, 100–900 000). Deploys the turn queue and the closer.
   * @default - off
   */
  readonly turnQuietMs?: number;
  /** `TURN_MAX_WAIT_MS`: a turn closes at the latest this long after its first message (ms). @default 15000 */
  readonly turnMaxWaitMs?: number;
  /** `TURN_MAX_MESSAGES`: a turn closes when it holds this many messages (1–50). @default 10 */
  readonly turnMaxMessages?: number;
  /** `TURN_FLUSH_ON`: message types or events that close the turn at once, e.g. `['image', 'CLICK']`. @default - none */
  readonly turnFlushOn?: readonly string[];
  /** `TURN_LIMIT_PER_HOUR`: turns a user may start per hour before they are published as `turn.limited`. @default - no limit */
  readonly turnLimitPerHour?: number;
  /** `TURN_TYPING`: show "typing…" while a turn is open. @default false */
  readonly turnTyping?: boolean;
  /** `TURN_HISTORY`: the last N conversation entries `turn.ready` carries (needs `conversationRecord`). @default 0 */
  readonly turnHistory?: number;
  /**
   * `CONVERSATION_RECORD`: keep each user's messages and sends for 30 days, for `GET /conversations/{openid}`
   * (docs/conversations.md). It stores message content.
   * @default false
   */
  readonly conversationRecord?: boolean;
  /**
   * Official accounts known at deploy time, besides the default one: each is written to the table by ONE
   * custom resource for all of them (its secret read at deploy time and sealed with the account key), and
   * served like an account added with `POST /accounts`, except that the API does not delete it (`409
   * ACCOUNT_MANAGED_BY_STACK`): removing it from this list and deploying does. Changing a secret's value
   * takes effect at the next deployment that changes this list (docs/accounts.md). At most 100.
   * @default - none, and no custom resource
   */
  readonly accounts?: readonly DeployTimeAccount[];
}

/** Refuses props that cannot work, naming the prop. */
export function checkProps(scope: Construct, props: WeChatCustomerServiceProps, specs: readonly LambdaFunctionSpec[]): void {
  const fail = (message: string) => {
    throw new Error(`WeChatCustomerService ${scope.node.path}: ${message}`);
  };
  const oneOf = (name: string, value: string | undefined, values: readonly string[]) => {
    if (value !== undefined && !values.includes(value)) fail(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
  };
  oneOf('windowPolicy', props.windowPolicy, WINDOW_POLICIES);
  oneOf('windowRules', props.windowRules, RULES_PROFILES);
  oneOf('tokenMode', props.tokenMode, TOKEN_MODES);
  oneOf('callbackMode', props.callbackMode, ['plain', 'compatible', 'safe']);
  oneOf('logLevel', props.logLevel, ['DEBUG', 'INFO', 'WARN', 'ERROR']);
  if (props.textMaxBytes !== undefined && (!Number.isInteger(props.textMaxBytes) || props.textMaxBytes < MIN_TEXT_MAX_BYTES)) {
    fail(`textMaxBytes must be a whole number of bytes, at least ${MIN_TEXT_MAX_BYTES}, got ${props.textMaxBytes}`);
  }
  oneOf('replyMode', props.replyMode, REPLY_MODES);
  const outside = (v: number, min: number, max: number) => !Number.isInteger(v) || v < min || v > max;
  if (props.passiveWaitMs !== undefined && outside(props.passiveWaitMs, 50, 4900)) {
    fail(`passiveWaitMs must be whole milliseconds from 50 to 4900 (WeChat waits 5000 per try), got ${props.passiveWaitMs}`);
  }
  if (props.passiveKeepMs !== undefined && outside(props.passiveKeepMs, 1000, 7 * 86_400_000)) {
    fail(`passiveKeepMs must be whole milliseconds from 1000 to 604800000 (a week), got ${props.passiveKeepMs}`);
  }
  const holdText = props.passiveHoldText;
  if (holdText !== undefined && (holdText.trim() === '' || Buffer.byteLength(holdText, 'utf8') > 2048)) {
    fail('passiveHoldText must be a text of 1 to 2048 bytes of UTF-8');
  }
  if (
    props.webhookMaxInFlight !== undefined &&
    (!Number.isInteger(props.webhookMaxInFlight) || props.webhookMaxInFlight < 1 || props.webhookMaxInFlight > 20)
  ) {
    fail(`webhookMaxInFlight must be a whole number from 1 to 20, got ${props.webhookMaxInFlight}`);
  }
  if (props.wechatApiBaseUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(props.wechatApiBaseUrl)) {
    fail(`wechatApiBaseUrl must be an http(s) URL, got ${JSON.stringify(props.wechatApiBaseUrl)}`);
  }
  if (!props.staticEgressIp && (props.egressIpAllocationIds || props.natGateways !== undefined)) {
    fail('egressIpAllocationIds and natGateways only apply with staticEgressIp: true');
  }
  if (props.vpc && props.staticEgressIp) {
    fail('give vpc (an existing VPC and its NAT) or staticEgressIp (a VPC of its own), not both');
  }
  if (props.egressSecurityGroup && !props.vpc) fail('egressSecurityGroup only applies with vpc');
  if (props.egressSubnets && !props.vpc && !props.staticEgressIp) fail('egressSubnets only applies with vpc or staticEgressIp');
  checkNatProps(scope, props);
  const bulk = props.bulkSend ?? {};
  if (bulk.batchSize !== undefined && (!Number.isInteger(bulk.batchSize) || bulk.batchSize < 1 || bulk.batchSize > 10)) {
    fail(`bulkSend.batchSize must be 1–10, got ${bulk.batchSize}`);
  }
  if (
    bulk.maxConcurrency !== undefined &&
    (!Number.isInteger(bulk.maxConcurrency) || bulk.maxConcurrency < 2 || bulk.maxConcurrency > 1000)
  ) {
    fail(`bulkSend.maxConcurrency must be 2–1000, got ${bulk.maxConcurrency}`);
  }
  if (
    bulk.maxReceiveCount !== undefined &&
    (!Number.isInteger(bulk.maxReceiveCount) || bulk.maxReceiveCount < 1 || bulk.maxReceiveCount > 1000)
  ) {
    fail(`bulkSend.maxReceiveCount must be 1–1000, got ${bulk.maxReceiveCount}`);
  }
  if (props.tokenRefreshInterval && (props.tokenRefreshInterval.toSeconds() < 60 || props.tokenRefreshInterval.toSeconds() > 240)) {
    fail('tokenRefreshInterval must be between 1 and 4 minutes: the token is refreshed in its last 5 minutes');
  }
  // The turn settings, checked by the functions' own reader (functions/core/turns.ts), named as props.
  try {
    turnSettingsFromEnv(turnEnvironment(props));
  } catch (error) {
    // TURN_MAX_MESSAGES → turnMaxMessages: the prop's name, not the variable's.
    const propName = (variable: string) => variable.toLowerCase().replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase());
    fail((error as Error).message.replace(/TURN_[A-Z_]+/g, propName));
  }
  if ((props.turnHistory ?? 0) > 0 && props.conversationRecord !== true) {
    fail('turnHistory needs conversationRecord: true (the history turn.ready carries is the conversation the product keeps)');
  }
  const turnProps = ['turnMaxWaitMs', 'turnMaxMessages', 'turnFlushOn', 'turnLimitPerHour', 'turnTyping', 'turnHistory'] as const;
  if (props.turnQuietMs === undefined && turnProps.some((k) => props[k] !== undefined)) {
    fail(`the turn props (${turnProps.join(', ')}) apply only with turnQuietMs`);
  }
  checkDeployTimeAccounts(props, fail);
  const ids = new Set<string>();
  for (const spec of specs) {
    if (ids.has(spec.id)) fail(`two functions have the id ${spec.id}`);
    ids.add(spec.id);
    if (spec.entry === 'operation' && !spec.operation) fail(`${spec.id} uses the operation entry without an operation`);
  }
  if (props.handlersDir !== undefined && !fs.existsSync(props.handlersDir)) fail(`handlersDir ${props.handlersDir} does not exist`);
}

/** The `accounts` prop: AppIDs, no duplicate, not the default account, settings by name and value. */
function checkDeployTimeAccounts(props: WeChatCustomerServiceProps, fail: (message: string) => never): void {
  const accounts = props.accounts ?? [];
  if (accounts.length > MAX_DEPLOY_TIME_ACCOUNTS)
    fail(`accounts declares ${accounts.length} accounts; at most ${MAX_DEPLOY_TIME_ACCOUNTS} (add more with POST /accounts)`);
  const seen = new Set<string>();
  accounts.forEach((account, i) => {
    const entry = `accounts[${i}]${typeof account.appId === 'string' ? ` (${account.appId})` : ''}`;
    if (!isAppId(account.appId)) fail(`${entry}: appId ${APP_ID_RULE}`);
    if (seen.has(account.appId)) fail(`${entry}: the AppID is declared twice`);
    seen.add(account.appId);
    if (account.appId === props.appId) fail(`${entry}: this is the default account (appId); declare only the other accounts`);
    if (!account.secret) fail(`${entry}: secret is required (a secret holding {appId, appSecret, callbackToken?, encodingAesKey?})`);
    if (account.name !== undefined && !/^\P{Cc}{1,100}$/u.test(account.name))
      fail(`${entry}: name must be 1 to 100 characters without control characters`);
    const settings = account.settings ?? {};
    for (const [key, value] of Object.entries(settings)) {
      if (!(key in ACCOUNT_SETTINGS))
        fail(`${entry}: settings.${key} is not an account setting (${Object.keys(ACCOUNT_SETTINGS).join(', ')})`);
      if (!['string', 'number', 'boolean'].includes(typeof value))
        fail(`${entry}: settings.${key} must be a string, a number or a boolean`);
    }
    // The values, by the functions' own reader (the rule of each setting's variable), named as the setting,
    // laid over the deployment's variables as the functions lay them (HANDOFF_WHEN_OFFLINE=reply with the
    // deployment's HANDOFF_OFFLINE_TEXT is a whole setting).
    try {
      configFromEnv({ ...behaviourEnvironment(props), ...accountSettingsEnv(settings) });
    } catch (error) {
      const message = (error as Error).message;
      const variable = /^[A-Z_]+/.exec(message)?.[0] ?? '';
      fail(`${entry}: ${settingOfVariable(variable) ?? 'settings'}: ${message}`);
    }
  });
}
