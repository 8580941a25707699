/**
 * The sandbox's public types: its options, the handle {@link Sandbox} that `startSandbox` returns, and
 * what it records.
 *
 * The sandbox is a stand-in for WeChat's customer-service API written from
 * `docs/wechat-reference.md` alone. It shares no code with `functions/core`, so that it catches the
 * client's mistakes instead of repeating them.
 */
// A type name only (erased at run time): the two rule sets are named once, the rules themselves are not shared.
import type { RulesProfile } from '../../core/limits';

/** Which send-window rules apply: WeChat's current ones, or those of the 2017 seed documents (one name, core/limits.ts). */
export type { RulesProfile };

/** How pushes to the developer's server are protected. */
export type CallbackMode = 'plain' | 'safe' | 'compatible';

/** Where and how the sandbox pushes what users do, like WeChat's "server configuration". */
export interface CallbackConfig {
  /** The developer's callback URL. */
  url: string;
  /** The Token of the server configuration; signs every push. */
  token: string;
  /** 43 characters; required in `safe` and `compatible` mode. */
  encodingAesKey?: string;
  /** Default `safe` when an `encodingAesKey` is given, else `plain`. */
  mode?: CallbackMode;
  /** Default `xml`. */
  format?: 'xml' | 'json';
}

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** 0 = a random free port (default 0). The sandbox listens on 127.0.0.1. */
  port?: number;
  /** Default `wxsandbox0000000001`. */
  appId?: string;
  /** Default `sandbox-secret`. */
  appSecret?: string;
  /** The clock, in ms. Every window, typing and token-expiry rule uses it. Default `Date.now`. */
  now?: () => number;
  /** Lifetime of an access token. Default 7200. */
  tokenTtlSeconds?: number;
  /** Send-window rules. Default `current`. */
  rules?: RulesProfile;
  /** Where to push what simulated users do. None by default. */
  callback?: CallbackConfig;
  /** The official account's WeChat ID: the part after `@` of every kf_account. Default `sandbox`. */
  wechatId?: string;
  /** No request log on stdout. Default: quiet under jest, logging otherwise. */
  quiet?: boolean;
  /** How long a push waits for the developer's answer before trying again. Default 5000 (WeChat's 5 s). */
  pushTimeoutMs?: number;
  /**
   * `false`: an account without the customer-service API (personal-subject or unverified): custom/send,
   * typing and the kf APIs answer 48001; only passive replies reach users. Default true.
   */
  customerServiceApi?: boolean;
  /**
   * Keep users, kf accounts, sent messages and issued tokens in this JSON file, so a restart remembers
   * them (`npm start` uses `DATA_DIR/sandbox.json`). In memory only when absent.
   */
  stateFile?: string;
  /**
   * More official accounts besides the first (the one of `appId`, `appSecret`, `callback`,
   * `customerServiceApi`, `wechatId`), each with its own tokens, users, kf accounts, media, windows and push
   * target (accounts.ts). `npm run sandbox` reads them from SANDBOX_ACCOUNTS (docs/configuration.md).
   */
  accounts?: SandboxAccountOptions[];
}

/** An extra official account the sandbox hosts (the `accounts` option). */
export interface SandboxAccountOptions {
  /** Letters, digits and _, at most 32; different from every other account's. */
  appId: string;
  appSecret: string;
  /** Where its users' messages are pushed, signed with this callback's token. None by default. */
  callback?: CallbackConfig;
  /** The suffix of its kf accounts. Default: its AppID, cut to 19 characters. */
  wechatId?: string;
  /** Its original ID, ToUserName of its pushes. Default `gh_` and 12 hex digits derived from the AppID. */
  ghId?: string;
  /** `false`: no customer-service API (48001), as the option of the same name. Default true. */
  customerServiceApi?: boolean;
}

/** Answer with a WeChat error code, `times` times in a row. */
export interface ErrcodeFault {
  /** The API path, e.g. `/cgi-bin/message/custom/send`; `*` for any API path. */
  path: string;
  /** How many requests it applies to. Default 1. */
  times?: number;
  /** Let this many requests on `path` through normally first (e.g. 2 fails the third send). Default 0. */
  after?: number;
  kind: 'errcode';
  errcode: number;
  /** Default: WeChat's message for that code, when the sandbox knows it. */
  errmsg?: string;
}

/** Answer with an HTTP status (and a short text body), as a broken proxy would. */
export interface HttpFault {
  path: string;
  times?: number;
  /** Let this many requests on `path` through normally first (e.g. 2 fails the third send). Default 0. */
  after?: number;
  kind: 'http';
  status: number;
}

/** Wait `ms` (real time, not the injected clock) before handling the request normally. */
export interface DelayFault {
  path: string;
  times?: number;
  /** Let this many requests on `path` through normally first (e.g. 2 fails the third send). Default 0. */
  after?: number;
  kind: 'delay';
  ms: number;
}

/** Destroy the connection without an answer. */
export interface ResetFault {
  path: string;
  times?: number;
  /** Let this many requests on `path` through normally first (e.g. 2 fails the third send). Default 0. */
  after?: number;
  kind: 'reset';
}

/** A fault to inject: it applies to the next `times` requests on `path`, in the order injected. */
export type Fault = ErrcodeFault | HttpFault | DelayFault | ResetFault;

/** What the sandbox answered to a recorded request. */
export interface RecordedAnswer {
  /** The HTTP status; 0 when the connection was reset. */
  status: number;
  /** The JSON answered (or the text of an HTTP fault). */
  body?: unknown;
  /** Set when an injected fault decided the answer. */
  fault?: Fault['kind'];
}

/** One request received on the WeChat API side of the sandbox. */
export interface RecordedRequest {
  method: string;
  /** The path, without the query, e.g. `/cgi-bin/message/custom/send`. */
  path: string;
  /** The query, decoded, including `access_token` (never printed by the sandbox). */
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /**
   * The body: parsed JSON when it parses, a summary `{multipart: [{name, filename?, contentType?, size}]}`
   * for multipart/form-data, the raw text otherwise, `undefined` when empty.
   */
  body: unknown;
  /** When it was received, by the sandbox clock (ms). */
  at: number;
  /** Filled in once answered. */
  answer?: RecordedAnswer;
  /**
   * The official account that answered it: the one whose `appid` a token call named, or whose access
   * token the call carried. Absent when none did (an unknown token or AppID: the first account refused it).
   */
  appId?: string;
}

/** A message accepted by `custom/send`. */
export interface SentMessage {
  openid: string;
  msgtype: string;
  /** `customservice.kf_account`, when given. */
  kf_account?: string;
  /** `aimsgcontext.is_ai_msg` was 1: WeChat draws 内容由第三方AI生成 under the message. */
  aiLabel?: boolean;
  /** The request body exactly as received (parsed JSON); a passive reply in custom/send's shape. */
  body: Record<string, unknown>;
  /** When it was accepted, by the sandbox clock (ms). */
  at: number;
  /** `passive`: the answer to the user's push, not a custom/send. */
  channel?: 'passive';
}

/** A typing command the sandbox accepted. */
export interface TypingEvent {
  openid: string;
  command: 'Typing' | 'CancelTyping';
  at: number;
}

/** A kf account as the sandbox holds it. */
export interface KfAccountRecord {
  kf_account: string;
  kf_nick: string;
  kf_id: string;
  /** Empty until an avatar is uploaded. */
  kf_headimgurl: string;
  /** The 32-hex MD5 given at add/update, if any. */
  password?: string;
}

/** A temporary media file the sandbox holds (without its bytes: media/get serves them). */
export interface MediaRecord {
  media_id: string;
  type: 'image' | 'voice' | 'video' | 'thumb';
  /** Read from the bytes: jpeg, png, gif, amr, mp3 or mp4. */
  format: string;
  filename: string;
  size: number;
  /** By the sandbox clock, ms; it can be used for 3 days. */
  createdAt: number;
  origin: 'upload' | 'user';
}

/** Menu events that open a send window, and the other events a user can make. */
export type SimulatedEvent = 'subscribe' | 'unsubscribe' | 'SCAN' | 'CLICK' | 'VIEW' | 'scancode_push' | 'scancode_waitmsg' | 'LOCATION';

/** Something a simulated user does. */
export type UserAction =
  | { type: 'text'; content: string }
  /**
   * A photo. Without `mediaId`, the file (`data`, or a 1×1 JPEG) is stored as temporary media and the push
   * carries its MediaId, which media/get downloads.
   */
  | { type: 'image'; picUrl?: string; mediaId?: string; data?: Uint8Array; filename?: string }
  /** A voice note: as an image, with `data` AMR or MP3 (default: half a second of AMR). */
  | { type: 'voice'; mediaId?: string; format?: string; recognition?: string; data?: Uint8Array; filename?: string }
  | { type: 'location'; x?: number; y?: number; scale?: number; label?: string }
  | { type: 'event'; event: SimulatedEvent; eventKey?: string }
  /** A tap on a msgmenu item: a text message carrying `bizmsgmenuid`. */
  | { type: 'menuReply'; menuId: string; content: string };

/** A field value of a pushed message; ScanCodeInfo is the one nested field. */
export type PushValue = string | number | { [field: string]: string | number };

/** The plain fields of a push, in WeChat's names (ToUserName, FromUserName, CreateTime, MsgType, ...). */
export type PushMessage = Record<string, PushValue>;

/** One try at delivering a push. */
export interface PushAttempt {
  /** The HTTP status answered, if any. */
  status?: number;
  /** The body answered (at most 64 KB of it). */
  body?: string;
  /** Why there was no answer: `timeout` or a network error's code. */
  error?: string;
}

/** What became of a simulated user action. */
export interface PushResult {
  /** Whether the developer's server answered 2xx (false when no callback is configured). */
  delivered: boolean;
  /** The status of the last answer, if any. */
  status?: number;
  /** The body of the last answer, if any. */
  body?: string;
  /** The plain fields pushed (also when no callback is configured). CreateTime in seconds. */
  message: PushMessage;
  /** Tries made: 0 without a callback, at most 3 (WeChat's "three times in all"). */
  attempts: number;
  /** Each try, in order. */
  tries: PushAttempt[];
  /** Set when the user's session with this kf account had the message: it was not pushed. */
  routedTo?: string;
  /** The passive reply the developer's server answered with (decrypted in safe mode), or why WeChat would ignore it. */
  reply?: { MsgType?: string; fields?: Record<string, unknown>; encrypted?: boolean; problem?: string };
}

/** A simulated user's state, for inspection. */
export interface UserSnapshot {
  openid: string;
  following: boolean;
  /** The last interaction that opened a window, if any. */
  window?: {
    kind: 'message' | 'event';
    openedAt: number;
    /** When it closes (ms). */
    endsAt: number;
    /** Sends accepted in it. */
    sends: number;
    /** Sends it allows; null for no count. */
    maxSends: number | null;
  };
  /** The last message exchanged either way (ms), which typing needs within 30 s. */
  lastExchangeAt?: number;
  /** Until when a typing indicator shows (ms), if one does. */
  typingUntil?: number;
  /** Whether a custom/send would be accepted now, and if not the errcode it would get. */
  canSend: { ok: true } | { ok: false; errcode: number; errmsg: string };
}

/** The answer of the echostr URL check that WeChat makes when a callback URL is saved. */
export interface CallbackVerification {
  ok: boolean;
  status?: number;
  body?: string;
  error?: string;
}

/**
 * One official account of a running sandbox. Everything here concerns this account alone (its users,
 * messages, tokens, push target); the {@link Sandbox} handle does the same for the first account.
 */
export interface SandboxAccountHandle {
  readonly appId: string;
  readonly appSecret: string;
  /** The account's WeChat ID: kf accounts are named `prefix@<wechatId>` (the first's: SANDBOX_WECHAT_ID, default `sandbox`). */
  readonly wechatId: string;
  /** Its original ID: ToUserName of its pushes, FromUserName of a passive reply to them (the first's: `gh_sandbox`). */
  readonly ghId: string;
  /** Messages accepted by custom/send with this account's tokens (and passive replies), in order, optionally to one user. */
  messages(openid?: string): SentMessage[];
  /** Typing commands accepted, in order, optionally for one user. */
  typingEvents(openid?: string): TypingEvent[];
  /** The kf accounts, in the order added. */
  kfAccounts(): KfAccountRecord[];
  /** A simulated user's state, or undefined if the account has never seen that openid. */
  user(openid: string): UserSnapshot | undefined;
  /** Temporary media held (uploads and what users sent), oldest first, expired ones included. */
  media(): MediaRecord[];
  /** Forgets a media_id before its 3 days, as WeChat may: sends naming it get 40007. Whether it was held. */
  forgetMedia(mediaId: string): boolean;
  /** Every token this account issued so far answers 40001; other accounts' tokens are untouched. */
  invalidateTokens(): void;
  /** Every token this account issued so far answers 42001; other accounts' tokens are untouched. */
  expireTokens(): void;
  /** Sets or (with undefined) removes the callback. */
  configureCallback(callback: CallbackConfig | undefined): void;
  /** Makes the GET echostr check WeChat makes when a callback URL is saved. */
  verifyCallback(): Promise<CallbackVerification>;
  /**
   * A user of this account does something: recorded for the window rules and the chat records, then pushed
   * to the account's callback (signed with its token) if one is set, unless the user is in a session with
   * an agent (then the agent has the message). A `transfer_customer_service` reply puts the user on the
   * waiting list.
   */
  simulateUser(openid: string, action: UserAction): Promise<PushResult>;
}

/** A running sandbox. Its account methods (from {@link SandboxAccountHandle}) act on the first account. */
export interface Sandbox extends SandboxAccountHandle {
  /** e.g. `http://127.0.0.1:43121`, no trailing slash: use it as the WeChat API base URL. */
  readonly url: string;
  /** The AppIDs of every hosted account, the first (the one this handle's own methods act on) first. */
  readonly appIds: readonly string[];
  /**
   * One hosted account by AppID (the first's too).
   *
   * @throws {SandboxUsageError} when the sandbox hosts no account with this AppID.
   */
  account(appId: string): SandboxAccountHandle;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
  /** Clears users, kf accounts, tokens, messages, typing (of every account), recorded requests, counts and faults; keeps options and the callbacks. */
  reset(): void;
  /** Requests received on an API path, faulted ones included, e.g. `count('/cgi-bin/message/custom/send')`. */
  count(path: string): number;
  /** Requests received, in order, optionally on one path. */
  requests(path?: string): RecordedRequest[];
  /** Makes the next `times` requests on `fault.path` fail as described. */
  injectFault(fault: Fault): void;
  /**
   * WeChat unreachable for `ms`: the sandbox stops listening (a connection attempt is refused, as when
   * nothing listens: ECONNREFUSED) and closes the connections it has, then listens again on the same port.
   * Resolves once it is offline. What a client may retry safely, since nothing was sent.
   */
  goOffline(ms: number): Promise<void>;
  /** Resolves once the kf events the API queued (kf_create_session after kfsession/create, ...) have been pushed. */
  idle(): Promise<void>;
}
