/**
 * A WeChat customer-service API stand-in over real HTTP, written from docs/wechat-reference.md alone.
 *
 * @example
 * ```ts
 * import { startSandbox } from '.';
 * const sandbox = await startSandbox();
 * await sandbox.simulateUser('o_user', { type: 'text', content: 'hi' }); // opens the 48 h window
 * // ... point a client at sandbox.url, with sandbox.appId / sandbox.appSecret ...
 * sandbox.messages('o_user'); // what custom/send accepted
 * await sandbox.stop();
 * ```
 *
 * @example Several official accounts (docs/configuration.md, "The sandbox's official accounts")
 * ```ts
 * const sandbox = await startSandbox({ accounts: [{ appId: 'wxB', appSecret: 'secretB', callback: { url, token: 'tokenB' } }] });
 * await sandbox.account('wxB').simulateUser('o_user_of_b', { type: 'text', content: 'hi' }); // pushed to wxB's callback
 * ```
 */
export { startSandbox, SANDBOX_TO_USER_NAME } from './server';
export { parseSandboxAccounts, defaultGhId } from './accounts';
export type { SandboxAccountEntry } from './accounts';
export { SandboxUsageError, ERRMSG } from './errcodes';
export { sha1Signature, encryptMessage, decryptMessage } from './crypto';
export { WINDOW_RULES, TYPING_RULES, WINDOW_OPENING_EVENTS } from './rules';
export { API_PATHS, MSGTYPES, MAX_KF_ACCOUNTS, MAX_AVATAR_BYTES, MAX_NEWS_ARTICLES, MAX_TEXT_BYTES } from './api';
export { MEDIA_LIMITS, MEDIA_LIFETIME_MS, SAMPLE_JPEG, SAMPLE_AMR } from './media';
export type {
  CallbackConfig,
  CallbackMode,
  CallbackVerification,
  DelayFault,
  ErrcodeFault,
  Fault,
  HttpFault,
  KfAccountRecord,
  MediaRecord,
  PushAttempt,
  PushMessage,
  PushResult,
  PushValue,
  RecordedAnswer,
  RecordedRequest,
  ResetFault,
  Sandbox,
  SandboxAccountHandle,
  SandboxAccountOptions,
  SandboxOptions,
  RulesProfile,
  SentMessage,
  SimulatedEvent,
  TypingEvent,
  UserAction,
  UserSnapshot,
} from './types';
