/**
 * The app's settings, from CDK context (`npx cdk deploy -c windowPolicy=observe`, or the `context` of
 * cdk.json / cdk.context.json). Every key is optional; a wrong value is refused with the key's name and
 * what it may be. infra/README.md lists them.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { RULES_PROFILES } from '../../functions/core/limits';
import { TOKEN_MODES } from '../../functions/core/token';
import { REPLY_MODES } from '../../functions/core/passive-reply';
import { WINDOW_POLICIES } from '../../functions/core/window';
import type { WeChatKfStackProps } from './stack';
import type { ApiThrottling, ThrottleLimits, WeChatCustomerServiceProps } from './wechat-customer-service';

/** Every context key the app reads, with what it sets. */
export const CONTEXT_KEYS = {
  stackName: 'stack name (default WeChatKf)',
  appId: "the official account's app id, for functions of your own that need it without reading the secret (needs.appId)",
  windowPolicy: 'enforce | observe | off (default enforce)',
  windowRules: 'current | seed (default current)',
  tokenMode: 'stable | classic (default stable)',
  callbackMode: 'plain | compatible | safe: what /callback accepts (default safe with an encodingAesKey, else plain)',
  wechatApiBaseUrl: 'WeChat API base URL (default https://api.weixin.qq.com)',
  textMaxBytes: "the cap on a text's UTF-8 bytes, a whole number of at least 16 (default 2048; TEXT_MAX_BYTES)",
  webhookMaxInFlight: 'tries of one webhook subscription in flight at once, 1 to 20 (default 5; WEBHOOK_MAX_IN_FLIGHT)',
  deliveryRecordContent: 'true | false: delivery records keep the message content (default false; DELIVERY_RECORD_CONTENT)',
  replyMode: 'customer-service | passive | auto: how users are answered (default customer-service; REPLY_MODE, docs/passive-replies.md)',
  passiveWaitMs: 'how long one try of a push waits for its reply, ms 50-4900 (default 4500; PASSIVE_WAIT_MS)',
  passiveHoldText: "what answers WeChat's last try in passive mode when no reply came (PASSIVE_HOLD_TEXT)",
  passiveKeepMs: "how long a late answer is kept for the user's next message, ms (default 1800000; PASSIVE_KEEP_MS)",
  handoffKeywords: 'keyword handoff rules: 转人工=agent1@wxid, *人工客服*, /regex/ (HANDOFF_KEYWORDS)',
  handoffWhenOffline: 'queue | reply: a keyword with no agent online (default queue; HANDOFF_WHEN_OFFLINE)',
  handoffOfflineText: 'the out-of-hours text with handoffWhenOffline=reply (HANDOFF_OFFLINE_TEXT)',
  aiLabelDefault: 'true | false: label every send as AI-generated unless it says aiGenerated false (default false; AI_LABEL_DEFAULT)',
  turnQuietMs: 'turns on turns: a turn closes after this many quiet ms (TURN_QUIET_MS; docs/turns.md; default off)',
  turnMaxWaitMs: 'a turn closes at the latest this many ms after its first message (default 15000)',
  turnMaxMessages: 'a turn closes at this many messages, 1-50 (default 10)',
  turnFlushOn: 'comma-separated message types or events that close a turn at once, e.g. image,CLICK',
  turnLimitPerHour: 'turns per user and hour before turn.limited (default no limit)',
  turnTyping: 'true | false: show typing while a turn is open (default false)',
  turnHistory: 'the last N conversation entries turn.ready carries (default 0)',
  conversationRecord: "true | false: keep each user's conversation 30 days for GET /conversations/{openid} (default false)",
  staticEgressIp: 'true | false: VPC + NAT gateway + Elastic IP for the functions that call WeChat (default false)',
  tokenVending: 'true | false: serve GET /access-token, the shared token, behind its own IAM permission (default false)',
  egressIpAllocationIds: 'comma-separated Elastic IP allocation ids to reuse (with staticEgressIp)',
  natGateways: '1 | 2 NAT gateways, i.e. egress IPs (default 1)',
  secretArn: 'use an existing secret, by complete ARN',
  secretName: 'use an existing secret, by name',
  logRetentionDays: 'log retention in days, a CloudWatch Logs value (default 30)',
  logLevel: 'DEBUG | INFO | WARN | ERROR (default INFO)',
  throttleRateLimit: 'API default rate limit, requests/s (default 100)',
  throttleBurstLimit: 'API default burst limit (default 200)',
  callbackRateLimit: 'POST /callback and POST /callback/{appId} rate limit, requests/s (default 200)',
  callbackBurstLimit: 'POST /callback and POST /callback/{appId} burst limit (default 400)',
  alarmTopicArn: 'send alarms to this SNS topic',
  alarmEmail: 'send alarms to this address through a new SNS topic',
  removalPolicy: 'retain | destroy for the table, secret, queues and logs (default retain)',
  eventSources: 'comma-separated EventBridge sources allowed to ask for operations (default any but wechat.kf)',
  tokenRefreshMinutes: 'token refresher interval, 1–4 minutes (default 2)',
  bulkSendBatchSize: 'bulk-send messages per invocation, 1–10 (default 10)',
  bulkSendMaxConcurrency: 'bulk-send concurrent invocations, 2–1000 (default 5)',
  bulkSendMaxReceiveCount: 'bulk-send receives before the dead-letter queue (default 3)',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** The app's stack name and stack props, from context. */
export function settingsFromContext(node: Node): { stackName: string; props: WeChatKfStackProps } {
  const get = (key: ContextKey): unknown => {
    const value = node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  };
  const str = (key: ContextKey): string | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`context ${key} must be a string (${CONTEXT_KEYS[key]}), got ${JSON.stringify(v)}`);
    return v;
  };
  const oneOf = <T extends string>(key: ContextKey, values: readonly T[]): T | undefined => {
    const v = str(key);
    if (v !== undefined && !(values as readonly string[]).includes(v)) {
      throw new Error(`context ${key} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T | undefined;
  };
  const bool = (key: ContextKey): boolean | undefined => {
    const v = get(key);
    if (v === undefined || typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new Error(`context ${key} must be true or false, got ${JSON.stringify(v)}`);
  };
  const num = (key: ContextKey): number | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`context ${key} must be a positive number (${CONTEXT_KEYS[key]}), got ${JSON.stringify(v)}`);
    return n;
  };
  const list = (key: ContextKey): string[] | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : undefined;
    if (!items) throw new Error(`context ${key} must be a comma-separated list, got ${JSON.stringify(v)}`);
    const clean = items.map((s) => s.trim()).filter(Boolean);
    return clean.length ? clean : undefined;
  };

  const retentionDays = num('logRetentionDays');
  let logRetention: logs.RetentionDays | undefined;
  if (retentionDays !== undefined) {
    const allowed = Object.values(logs.RetentionDays).filter((d): d is logs.RetentionDays => typeof d === 'number');
    if (!allowed.includes(retentionDays))
      throw new Error(`context logRetentionDays must be one of ${allowed.join(', ')}, got ${retentionDays}`);
    logRetention = retentionDays;
  }

  const limits = (rateKey: ContextKey, burstKey: ContextKey, fallback: ThrottleLimits): ThrottleLimits | undefined => {
    const rate = num(rateKey);
    const burst = num(burstKey);
    if (rate === undefined && burst === undefined) return undefined;
    return { rateLimit: rate ?? fallback.rateLimit, burstLimit: burst ?? fallback.burstLimit };
  };
  const defaultLimits = limits('throttleRateLimit', 'throttleBurstLimit', { rateLimit: 100, burstLimit: 200 });
  const callbackLimits = limits('callbackRateLimit', 'callbackBurstLimit', { rateLimit: 200, burstLimit: 400 });
  const throttling: ApiThrottling | undefined =
    defaultLimits || callbackLimits
      ? {
          ...(defaultLimits ? { default: defaultLimits } : {}),
          // The other accounts' pushes (`/callback/{appId}`) get the same limit, on their one route.
          ...(callbackLimits ? { routes: { 'POST /callback': callbackLimits, 'POST /callback/{appId}': callbackLimits } } : {}),
        }
      : undefined;

  const removal = oneOf('removalPolicy', ['retain', 'destroy'] as const);
  const refreshMinutes = num('tokenRefreshMinutes');
  const batchSize = num('bulkSendBatchSize');
  const maxConcurrency = num('bulkSendMaxConcurrency');
  const maxReceiveCount = num('bulkSendMaxReceiveCount');

  const service: Omit<WeChatCustomerServiceProps, 'secret' | 'alarmTopic'> = dropUndefined({
    appId: str('appId'),
    windowPolicy: oneOf('windowPolicy', WINDOW_POLICIES),
    windowRules: oneOf('windowRules', RULES_PROFILES),
    tokenMode: oneOf('tokenMode', TOKEN_MODES),
    callbackMode: oneOf('callbackMode', ['plain', 'compatible', 'safe'] as const),
    wechatApiBaseUrl: str('wechatApiBaseUrl'),
    textMaxBytes: num('textMaxBytes'),
    webhookMaxInFlight: num('webhookMaxInFlight'),
    deliveryRecordContent: bool('deliveryRecordContent'),
    replyMode: oneOf('replyMode', REPLY_MODES),
    passiveWaitMs: num('passiveWaitMs'),
    passiveHoldText: str('passiveHoldText'),
    passiveKeepMs: num('passiveKeepMs'),
    handoffKeywords: str('handoffKeywords'),
    handoffWhenOffline: oneOf('handoffWhenOffline', ['queue', 'reply'] as const),
    handoffOfflineText: str('handoffOfflineText'),
    aiLabelDefault: bool('aiLabelDefault'),
    turnQuietMs: num('turnQuietMs'),
    turnMaxWaitMs: num('turnMaxWaitMs'),
    turnMaxMessages: num('turnMaxMessages'),
    turnFlushOn: list('turnFlushOn'),
    turnLimitPerHour: num('turnLimitPerHour'),
    turnTyping: bool('turnTyping'),
    turnHistory: num('turnHistory'),
    conversationRecord: bool('conversationRecord'),
    staticEgressIp: bool('staticEgressIp'),
    tokenVending: bool('tokenVending'),
    egressIpAllocationIds: list('egressIpAllocationIds'),
    natGateways: num('natGateways'),
    logRetention,
    logLevel: oneOf('logLevel', ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const),
    throttling,
    removalPolicy: removal === undefined ? undefined : removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    eventSources: list('eventSources'),
    tokenRefreshInterval: refreshMinutes === undefined ? undefined : Duration.minutes(refreshMinutes),
    bulkSend: (batchSize ?? maxConcurrency ?? maxReceiveCount) ? dropUndefined({ batchSize, maxConcurrency, maxReceiveCount }) : undefined,
  });

  return {
    stackName: str('stackName') ?? 'WeChatKf',
    props: dropUndefined({
      service,
      secretArn: str('secretArn'),
      secretName: str('secretName'),
      alarmTopicArn: str('alarmTopicArn'),
      alarmEmail: str('alarmEmail'),
    }),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
