/**
 * Configuration of the deployed functions and of the local server, read once from the environment
 * (docs/configuration.md, "Deployed configuration" and "The local server's contract"). Every value is checked, and a
 * wrong one is refused with the variable's name and the values it may take.
 */
import { ConfigurationError } from '../core/errors';
import { RULES_PROFILES, type RulesProfile } from '../core/limits';
import { TOKEN_MODES, WECHAT_API_BASE_URL, type TokenMode } from '../core/token';
import { WINDOW_POLICIES, type WindowPolicy } from '../core/window';
import { DEFAULT_TEXT_MAX_BYTES, MIN_TEXT_MAX_BYTES } from '../core/text-split';
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
  /** Turns (TURN_QUIET_MS and the other TURN_* variables; docs/turns.md); absent: off. */
  turns?: TurnSettings;
  /** Whether each user's conversation is kept (CONVERSATION_RECORD=true; docs/conversations.md). */
  conversationRecord: boolean;
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
  if (Number.isNaN(skew) || skew <= 0) throw new ConfigurationError(`CALLBACK_MAX_SKEW_SECONDS must be a positive number of seconds or off, got ${JSON.stringify(env.CALLBACK_MAX_SKEW_SECONDS)}`);
  const apiBaseUrl = env.WECHAT_API_BASE_URL || WECHAT_API_BASE_URL;
  if (!/^https?:\/\//.test(apiBaseUrl)) throw new ConfigurationError(`WECHAT_API_BASE_URL must be an http(s) URL, got ${JSON.stringify(apiBaseUrl)}`);
  const textMaxBytes = Number(env.TEXT_MAX_BYTES || DEFAULT_TEXT_MAX_BYTES);
  if (!Number.isInteger(textMaxBytes) || textMaxBytes < MIN_TEXT_MAX_BYTES) {
    throw new ConfigurationError(`TEXT_MAX_BYTES must be a whole number of bytes, at least ${MIN_TEXT_MAX_BYTES}, got ${JSON.stringify(env.TEXT_MAX_BYTES)}`);
  }
  const turns = turnSettingsFromEnv(env);
  const conversationRecord = oneOf(env, 'CONVERSATION_RECORD', ['true', 'false'] as const, 'false') === 'true';
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
    deliveryRecordContent: oneOf(env, 'DELIVERY_RECORD_CONTENT', ['true', 'false'] as const, 'false') === 'true',
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
  if (typeof value !== 'object' || value === null) throw new ConfigurationError(`${where} must be a JSON object {appId, appSecret, callbackToken, encodingAesKey}`);
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
