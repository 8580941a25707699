/**
 * Configuration of the deployed functions and of the local server, read once from the environment
 * (docs/configuration.md, "Deployed configuration" and "The local server's contract"). Every value is checked, and a
 * wrong one is refused with the variable's name and the values it may take.
 */
import { ConfigurationError } from '../core/errors';
import { readFlag } from '../core/flags';
import { RULES_PROFILES, type RulesProfile } from '../core/limits';
import { TOKEN_MODES, WECHAT_API_BASE_URL, type TokenMode } from '../core/token';
import { WINDOW_POLICIES, type WindowPolicy } from '../core/window';
import { parseHandoffKeywords, type HandoffKeywordRule } from '../core/inbound/handoff-keywords';
import { DEFAULT_TEXT_MAX_BYTES, MIN_TEXT_MAX_BYTES } from '../core/text-split';
import { REPLY_MODES, type ReplyMode } from '../core/passive-reply';
import { turnSettingsFromEnv, type TurnSettings } from '../core/turns';

export type { WindowPolicy };

export interface AppConfig {
  tableName: string;
  /** Secrets Manager secret id (deployed), or absent locally. */
  secretId?: string;
  eventBusName?: string;
  apiBaseUrl: string;
  windowPolicy: WindowPolicy;
  windowRules: RulesProfile;
  tokenMode: TokenMode;
  /** A DynamoDB-compatible endpoint instead of AWS's (local server, tests). */
  dynamodbEndpoint?: string;
  /** How far a callback's timestamp may be from now, in seconds (`Infinity`: not checked). */
  callbackMaxSkewSeconds: number;
  /** WECHAT_CALLBACK_MODE as set (plain | compatible | safe), or absent: see the core's resolveCallbackMode. */
  callbackMode?: string;
  /** The cap on a text message's content, in bytes of UTF-8 (TEXT_MAX_BYTES; docs/long-text.md). */
  textMaxBytes: number;
  /** Whether delivery records keep the message content (DELIVERY_RECORD_CONTENT=true). */
  deliveryRecordContent: boolean;
  /** How users are answered (REPLY_MODE) and the passive replies' timing (docs/passive-replies.md). */
  passive: PassiveConfig;
  /** Keyword handoff (HANDOFF_KEYWORDS, HANDOFF_WHEN_OFFLINE, HANDOFF_OFFLINE_TEXT; docs/handoff.md). */
  handoff: HandoffConfig;
  /** Whether a send that does not say `aiGenerated` is labelled as AI-generated (AI_LABEL_DEFAULT; docs/ai-label.md). */
  aiLabelDefault: boolean;
  /** Turns (TURN_QUIET_MS and the other TURN_* variables; docs/turns.md); absent: off. */
  turns?: TurnSettings;
  /** Whether each user's conversation is kept (CONVERSATION_RECORD=true; docs/conversations.md). */
  conversationRecord: boolean;
}

/** Keyword handoff as configured. */
export interface HandoffConfig {
  keywords: HandoffKeywordRule[];
  /** `reply`: with no agent online, a keyword is answered with `offlineText`; `queue`: transferred anyway. */
  whenOffline: 'queue' | 'reply';
  offlineText?: string;
}

/** The longest out-of-hours text, in bytes of UTF-8: WeChat's limit of a passive text reply. */
export const HANDOFF_OFFLINE_TEXT_MAX_BYTES = 2048;

/**
 * Reads keyword handoff's variables (also called by the CDK construct, so that a wrong rule fails the synth).
 *
 * @throws {ConfigurationError} naming the variable (and the rule) that is wrong.
 * @example
 * ```ts
 * handoffConfig({ HANDOFF_KEYWORDS: '转人工=agent1@wx' }).keywords[0].kfAccount; // 'agent1@wx'
 * ```
 */
export function handoffConfig(env: NodeJS.ProcessEnv): HandoffConfig {
  const keywords = parseHandoffKeywords(env.HANDOFF_KEYWORDS);
  const whenOffline = oneOf(env, 'HANDOFF_WHEN_OFFLINE', ['queue', 'reply'] as const, 'queue');
  const offlineText = env.HANDOFF_OFFLINE_TEXT?.trim() || undefined;
  if (whenOffline === 'reply' && !offlineText) {
    throw new ConfigurationError(
      'HANDOFF_WHEN_OFFLINE=reply needs HANDOFF_OFFLINE_TEXT: the text a user gets when they ask for a human and no agent is online',
    );
  }
  if (offlineText && Buffer.byteLength(offlineText, 'utf8') > HANDOFF_OFFLINE_TEXT_MAX_BYTES) {
    const max = HANDOFF_OFFLINE_TEXT_MAX_BYTES;
    throw new ConfigurationError(`HANDOFF_OFFLINE_TEXT must be at most ${max} bytes of UTF-8 (a passive text reply)`);
  }
  return { keywords, whenOffline, ...(whenOffline === 'reply' ? { offlineText } : {}) };
}

/** REPLY_MODE and the PASSIVE_* variables (docs/passive-replies.md). */
export interface PassiveConfig {
  replyMode: ReplyMode;
  /** How long one try of a push waits for its reply (PASSIVE_WAIT_MS, default 4500). */
  waitMs: number;
  /** How long WeChat waits for the answer to one try before trying again (PASSIVE_TRY_MS, default 5000). */
  tryMs: number;
  /** What answers the last try in `passive` mode when no reply came (PASSIVE_HOLD_TEXT). */
  holdText: string;
  /** How long a late answer is kept for the user's next message (PASSIVE_KEEP_MS, default 30 minutes). */
  keepMs: number;
}

/** The holding text's default: "Thinking; send anything to get the answer". */
const DEFAULT_PASSIVE_HOLD_TEXT = '正在思考，回复任意内容获取答案';

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be whole milliseconds from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Reads REPLY_MODE and the PASSIVE_* variables. PASSIVE_WAIT_MS must leave WeChat time to receive the
 * answer within its own wait (PASSIVE_TRY_MS): at most PASSIVE_TRY_MS − 100.
 *
 * @example
 * ```ts
 * passiveConfigFromEnv({ REPLY_MODE: 'auto' }); // { replyMode: 'auto', waitMs: 4500, tryMs: 5000, ... }
 * ```
 */
function passiveConfigFromEnv(env: NodeJS.ProcessEnv): PassiveConfig {
  const tryMs = whole(env, 'PASSIVE_TRY_MS', 5000, 200, 15_000);
  const waitMs = whole(env, 'PASSIVE_WAIT_MS', Math.min(4500, tryMs - 100), 50, tryMs - 100);
  const holdText = env.PASSIVE_HOLD_TEXT ?? DEFAULT_PASSIVE_HOLD_TEXT;
  if (holdText.trim() === '' || Buffer.byteLength(holdText, 'utf8') > DEFAULT_TEXT_MAX_BYTES) {
    throw new ConfigurationError(`PASSIVE_HOLD_TEXT must be a text of 1 to ${DEFAULT_TEXT_MAX_BYTES} bytes of UTF-8`);
  }
  return {
    replyMode: oneOf(env, 'REPLY_MODE', REPLY_MODES, 'customer-service'),
    waitMs,
    tryMs,
    holdText,
    keepMs: whole(env, 'PASSIVE_KEEP_MS', 30 * 60_000, 1000, 7 * 86_400_000),
  };
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigurationError(`${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

/**
 * Reads the configuration from environment variables.
 *
 * @example
 * ```ts
 * const config = configFromEnv({ TABLE_NAME: 'wechat-kf', WINDOW_POLICY: 'observe' });
 * ```
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const tableName = env.TABLE_NAME || 'wechat-kf';
  // `off` turns the replay check off (e.g. to replay WeChat's worked examples); the signature is still checked.
  const skew = env.CALLBACK_MAX_SKEW_SECONDS === 'off' ? Infinity : Number(env.CALLBACK_MAX_SKEW_SECONDS || 300);
  if (Number.isNaN(skew) || skew <= 0)
    throw new ConfigurationError(
      `CALLBACK_MAX_SKEW_SECONDS must be a positive number of seconds or off, got ${JSON.stringify(env.CALLBACK_MAX_SKEW_SECONDS)}`,
    );
  const apiBaseUrl = env.WECHAT_API_BASE_URL || WECHAT_API_BASE_URL;
  if (!/^https?:\/\//.test(apiBaseUrl))
    throw new ConfigurationError(`WECHAT_API_BASE_URL must be an http(s) URL, got ${JSON.stringify(apiBaseUrl)}`);
  const textMaxBytes = Number(env.TEXT_MAX_BYTES || DEFAULT_TEXT_MAX_BYTES);
  if (!Number.isInteger(textMaxBytes) || textMaxBytes < MIN_TEXT_MAX_BYTES) {
    throw new ConfigurationError(
      `TEXT_MAX_BYTES must be a whole number of bytes, at least ${MIN_TEXT_MAX_BYTES}, got ${JSON.stringify(env.TEXT_MAX_BYTES)}`,
    );
  }
  const turns = turnSettingsFromEnv(env);
  const conversationRecord = readFlag(env, 'CONVERSATION_RECORD');
  if (turns && turns.history > 0 && !conversationRecord) {
    throw new ConfigurationError(
      'TURN_HISTORY needs CONVERSATION_RECORD=true: the history turn.ready carries is the conversation the product keeps',
    );
  }
  return {
    tableName,
    secretId: env.SECRET_ID || undefined,
    eventBusName: env.EVENT_BUS_NAME || undefined,
    apiBaseUrl,
    windowPolicy: oneOf(env, 'WINDOW_POLICY', WINDOW_POLICIES, 'enforce'),
    windowRules: oneOf(env, 'WINDOW_RULES', RULES_PROFILES, 'current'),
    tokenMode: oneOf(env, 'TOKEN_MODE', TOKEN_MODES, 'stable'),
    dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    callbackMaxSkewSeconds: skew,
    callbackMode: oneOf(env, 'WECHAT_CALLBACK_MODE', ['plain', 'compatible', 'safe'] as const, '' as 'plain') || undefined,
    textMaxBytes,
    deliveryRecordContent: readFlag(env, 'DELIVERY_RECORD_CONTENT'),
    passive: passiveConfigFromEnv(env),
    handoff: handoffConfig(env),
    aiLabelDefault: readFlag(env, 'AI_LABEL_DEFAULT'),
    turns,
    conversationRecord,
  };
}

/** The official account's credentials: the secret's JSON object, or env vars locally. */
export interface WeChatSecrets {
  appId: string;
  appSecret: string;
  callbackToken?: string;
  encodingAesKey?: string;
  /** The callback mode the secret carries (plain | compatible | safe); WECHAT_CALLBACK_MODE wins over it. */
  callbackMode?: string;
}

/**
 * Checks a secret's fields (the Secrets Manager value is `{"appId","appSecret","callbackToken","encodingAesKey"}`).
 * Errors name the field, never its value.
 */
export function checkSecrets(value: unknown, where: string): WeChatSecrets {
  if (typeof value !== 'object' || value === null)
    throw new ConfigurationError(`${where} must be a JSON object {appId, appSecret, callbackToken, encodingAesKey}`);
  const v = value as Record<string, unknown>;
  for (const field of ['appId', 'appSecret'] as const) {
    if (typeof v[field] !== 'string' || v[field] === '') throw new ConfigurationError(`${where}: ${field} is required`);
  }
  for (const field of ['callbackToken', 'encodingAesKey', 'callbackMode'] as const) {
    if (v[field] !== undefined && typeof v[field] !== 'string') throw new ConfigurationError(`${where}: ${field} must be a string`);
  }
  if (typeof v.encodingAesKey === 'string' && v.encodingAesKey !== '' && v.encodingAesKey.length !== 43) {
    throw new ConfigurationError(`${where}: encodingAesKey must have 43 characters`);
  }
  return {
    appId: v.appId as string,
    appSecret: v.appSecret as string,
    callbackToken: (v.callbackToken as string) || undefined,
    encodingAesKey: (v.encodingAesKey as string) || undefined,
    callbackMode: (v.callbackMode as string) || undefined,
  };
}
