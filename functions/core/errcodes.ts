/**
 * WeChat's errcodes as the product reads them: the reference table (what each errcode means, what to do
 * about it, and its kind, which decides what the client does: retry, refresh the token, a window error)
 * and the lookups on it. The errors themselves are in errors.ts, which re-exports this module.
 *
 * @example
 * ```ts
 * import { describeErrcode } from './errcodes';
 * describeErrcode(45015).hint; // "the user's send window has closed ..."
 * ```
 */

/** What kind of errcode it is, which decides what the client does with it. */
export type ErrcodeKind =
  /** WeChat is busy: retry with backoff. */
  | 'busy'
  /** The access token is invalid or expired: refresh once and retry once. */
  | 'token'
  /** The send or typing window forbids it. */
  | 'window'
  /** A quota is used up; retrying now will not help. */
  | 'quota'
  /** The request itself is wrong. */
  | 'input'
  /** The account or deployment is set up wrong. */
  | 'config'
  /** Anything else. */
  | 'other';

/** What an errcode means and what to do about it. */
export interface ErrcodeInfo {
  kind: ErrcodeKind;
  meaning: string;
  hint: string;
}

/**
 * WeChat's errcodes that matter for customer-service calls, from docs/wechat-reference.md.
 * Codes not listed here still become {@link WeChatApiError}, with a generic hint.
 */
export const WECHAT_ERRCODES: Readonly<Record<number, ErrcodeInfo>> = {
  [-1]: { kind: 'busy', meaning: 'system busy', hint: 'WeChat is busy; retried with backoff, try again later' },
  40001: {
    kind: 'token',
    meaning: 'access token invalid',
    hint: 'the access token was refreshed and the call retried once; check that no other system fetches tokens with cgi-bin/token for this app',
  },
  40014: { kind: 'token', meaning: 'access token invalid', hint: 'the access token was refreshed and the call retried once' },
  42001: { kind: 'token', meaning: 'access token expired', hint: 'the access token was refreshed and the call retried once' },
  40003: { kind: 'input', meaning: 'invalid openid', hint: 'touser must be the openid of a user of this official account' },
  40005: { kind: 'input', meaning: 'invalid file type', hint: 'the avatar must be a JPG image' },
  61457: { kind: 'input', meaning: 'invalid file type', hint: 'the avatar must be a JPG image' },
  40007: {
    kind: 'input',
    meaning: 'invalid media_id',
    hint: 'upload the media first and use its media_id; temporary media expire after 3 days',
  },
  40008: { kind: 'input', meaning: 'invalid message type', hint: 'msgtype must be one of the documented types' },
  40013: { kind: 'config', meaning: 'invalid appid', hint: 'check the AppID in the secret or credentials' },
  40125: { kind: 'config', meaning: 'invalid appsecret', hint: 'check the AppSecret in the secret or credentials' },
  40164: {
    kind: 'config',
    meaning: 'caller IP not whitelisted',
    hint:
      "add this deployment's egress IP (in n8n's direct mode: n8n's) to the official account's IP whitelist, in CIDR form (1.2.3.4/32), at 微信开发者平台 " +
      '(developers.weixin.qq.com/platform → 我的业务); the errmsg names the IP WeChat saw. It covers every API called with an access token: a vended token is refused from any IP not on it',
  },
  40200: {
    kind: 'config',
    meaning: 'account type not allowed',
    hint: 'customer-service messages need a verified service account; test accounts and unverified accounts are refused',
  },
  43004: { kind: 'window', meaning: 'user must follow', hint: 'the user has not followed (or has unfollowed) the official account' },
  45002: { kind: 'input', meaning: 'content too long', hint: 'shorten the message content' },
  45008: { kind: 'input', meaning: 'too many articles', hint: 'a news message may carry 1 article today' },
  45009: {
    kind: 'quota',
    meaning: 'daily quota reached',
    hint: 'the daily quota of this API is used up; it resets at midnight Beijing time',
  },
  45011: { kind: 'quota', meaning: 'per-minute quota reached', hint: 'too many calls this minute; slow down' },
  45015: {
    kind: 'window',
    meaning: 'outside the send window',
    hint: "the user's send window has closed (or the user unfollowed); wait for the user to write in",
  },
  45047: {
    kind: 'window',
    meaning: 'send quota used up',
    hint: 'the sends this interaction allows are used up; wait for the user to write in again',
  },
  45072: { kind: 'input', meaning: 'invalid typing command', hint: 'command must be Typing or CancelTyping' },
  45080: {
    kind: 'window',
    meaning: 'no interaction in the last 30 s',
    hint: 'Typing needs a message exchanged with the user in the last 30 seconds',
  },
  45081: { kind: 'window', meaning: 'already typing', hint: 'a typing indicator is already showing; it lasts 15 seconds' },
  48001: { kind: 'config', meaning: 'API unauthorized', hint: 'this official account has no permission for the customer-service API' },
  61450: { kind: 'busy', meaning: 'kf system error', hint: 'WeChat customer-service system error; try again later' },
  61451: { kind: 'input', meaning: 'invalid parameter', hint: 'check the request fields' },
  61452: { kind: 'input', meaning: 'invalid kf_account', hint: 'kf_account must be prefix@wechatid of an existing kf account' },
  61453: { kind: 'input', meaning: 'kf_account exists', hint: 'a kf account with this kf_account already exists' },
  61454: { kind: 'input', meaning: 'kf_account prefix too long', hint: 'the part before @ may have at most 10 characters' },
  61455: { kind: 'input', meaning: 'illegal character in kf_account', hint: 'the part before @ may hold only letters, digits and _' },
  61456: { kind: 'quota', meaning: 'too many kf accounts', hint: 'an official account may have at most 100 kf accounts' },
  // The customer-service desk: sessions, agents, invitations, chat records (docs/handoff.md).
  65400: {
    kind: 'config',
    meaning: 'new kf feature not enabled',
    hint: "enable the new customer-service feature in the official account's admin console",
  },
  65401: {
    kind: 'input',
    meaning: 'invalid kf account',
    hint: 'kf_account must be an existing kf account (list them with GET /kf-accounts)',
  },
  65402: {
    kind: 'input',
    meaning: 'kf account not bound to a WeChat user',
    hint: 'invite a WeChat user to the kf account (inviteworker) and have them accept, then try again',
  },
  65403: { kind: 'input', meaning: 'illegal nickname', hint: 'choose another nickname for the kf account' },
  65404: { kind: 'input', meaning: 'illegal kf account', hint: 'kf_account must be prefix@wechatid' },
  65405: { kind: 'quota', meaning: 'too many kf accounts', hint: 'delete a kf account first' },
  65406: { kind: 'input', meaning: 'kf account exists', hint: 'a kf account with this kf_account already exists' },
  65407: {
    kind: 'input',
    meaning: 'the WeChat user is already a kf',
    hint: 'that WeChat user already has a kf account of this official account',
  },
  65408: {
    kind: 'input',
    meaning: 'the WeChat user is already invited',
    hint: 'another kf account has invited that WeChat user; wait for the answer or for the invitation to expire',
  },
  65409: { kind: 'input', meaning: 'invalid WeChat ID', hint: "invite_wx must be the user's WeChat ID (微信号), not a nickname or openid" },
  65410: {
    kind: 'input',
    meaning: 'the WeChat user is bound to too many kf accounts',
    hint: 'that WeChat user is a kf of too many official accounts: invite someone else',
  },
  65411: {
    kind: 'input',
    meaning: 'an invitation of this kf account is pending',
    hint: 'wait until the invited user answers or the invitation expires (getkflist shows invite_status)',
  },
  65412: { kind: 'input', meaning: 'the kf account is already bound', hint: 'the kf account already has a WeChat user; nothing to invite' },
  65413: {
    kind: 'input',
    meaning: 'no session for this user',
    hint: 'the user has no session with an agent, or has not written in the last 48 hours (a session needs that)',
  },
  65414: {
    kind: 'input',
    meaning: 'another kf is serving the user',
    hint: 'the user is in a session with another kf account: close that one first, or use it',
  },
  65415: { kind: 'input', meaning: 'kf not online', hint: 'the kf account must be logged in (GET /kf-accounts/online lists who is)' },
  65416: { kind: 'input', meaning: 'invalid query parameters', hint: 'check starttime, endtime, msgid and number' },
  65417: {
    kind: 'input',
    meaning: 'query window over 24 hours',
    hint: 'one chat-record request may cover at most 24 hours (the product splits longer ranges)',
  },
  89503: {
    kind: 'config',
    meaning: 'token fetch from a new IP needs confirmation',
    hint: "an administrator must confirm this IP in the official account's admin console",
  },
};

/**
 * What an errcode means; 65400–65417 are kf feature/session errors.
 *
 * @example
 * ```ts
 * describeErrcode(45015).kind; // 'window'
 * ```
 */
export function describeErrcode(errcode: number): ErrcodeInfo {
  const known = WECHAT_ERRCODES[errcode];
  if (known) return known;
  if (errcode >= 65400 && errcode <= 65417) {
    return {
      kind: 'config',
      meaning: 'kf feature or session error',
      hint: 'enable the new customer-service feature for this official account, or check the kf session',
    };
  }
  return { kind: 'other', meaning: 'WeChat error', hint: "see WeChat's global return codes" };
}

/**
 * Whether an errcode says the access token is dead (40001 / 40014 / 42001: kind `token` in
 * {@link WECHAT_ERRCODES}), so the token must be refreshed and the call retried once.
 *
 * @example
 * ```ts
 * isTokenErrcode(42001); // true
 * ```
 */
export function isTokenErrcode(errcode: number): boolean {
  return describeErrcode(errcode).kind === 'token';
}
