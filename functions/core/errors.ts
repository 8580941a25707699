/**
 * Errors of the product, one class per thing that can go wrong, each with the HTTP status the API answers
 * it with and a stable `code` that HTTP callers, SQS/EventBridge reports and the n8n node all share.
 *
 * WeChat reports every failure as HTTP 200 with a non-zero `errcode`; {@link WeChatApiError} keeps that
 * errcode and errmsg and adds what to do about it, from {@link WECHAT_ERRCODES}.
 */

/** The body every error answer has: `{"error": {"code", "message", ...details}}`. */
export interface ErrorBody {
  error: { code: string; message: string; [detail: string]: unknown };
}

/**
 * Base class of every error this product raises on purpose.
 *
 * @example
 * ```ts
 * try { await client.call('sendText', input); }
 * catch (e) { if (e instanceof WeChatKfError) console.log(e.status, e.toBody()); }
 * ```
 */
export class WeChatKfError extends Error {
  /** A stable, upper-snake code, e.g. `INVALID_INPUT`. */
  readonly code: string;
  /** The HTTP status the API answers this error with. */
  readonly status: number;
  /** Whether doing the same thing again later may succeed (drives SQS redelivery). */
  readonly retryable: boolean;

  constructor(code: string, status: number, message: string, retryable = false) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryable = retryable;
  }

  /** Extra fields of the error body. */
  protected details(): Record<string, unknown> {
    return {};
  }

  /** The JSON error body. Never holds secrets or tokens. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...this.details() } };
  }
}

/** One broken rule of an input: which field, and which rule. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `news.articles` or `list.0.id`; `(body)` for the input as a whole. */
  field: string;
  /** The rule it breaks, in words, e.g. "at most 1 article (WeChat's current limit)". */
  rule: string;
}

/**
 * The input breaks one or more rules. Raised before anything is sent or stored.
 *
 * @example
 * ```ts
 * new ValidationError([{ field: 'text.content', rule: 'is required' }]).message;
 * // 'text.content: is required'
 * ```
 */
export class ValidationError extends WeChatKfError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    super('INVALID_INPUT', 400, issues.map((i) => `${i.field}: ${i.rule}`).join('; '));
    this.issues = issues;
  }
  protected override details() {
    return { issues: this.issues };
  }
}

/** Why a send was refused. */
export type SendWindowReason =
  /** No interaction from this user has been recorded. */
  | 'no-interaction'
  /** The user unfollowed the official account after their last interaction. */
  | 'unfollowed'
  /** The window the user's last interaction opened has ended. */
  | 'window-expired'
  /** The window is open but its sends are used up. */
  | 'quota-used'
  /** WeChat refused it (45015 / 45047). */
  | 'wechat-refused';

/**
 * The user's send window does not allow this message. Raised before WeChat is called when the window
 * policy is `enforce`, and also when WeChat itself answers 45015 or 45047.
 */
export class SendWindowClosedError extends WeChatKfError {
  readonly reason: SendWindowReason;
  readonly openid: string;
  /** When the window ended or ends (ms since epoch), when known. */
  readonly windowEnd?: number;
  readonly errcode?: number;
  readonly errmsg?: string;
  constructor(args: {
    openid: string;
    reason: SendWindowReason;
    message: string;
    windowEnd?: number;
    errcode?: number;
    errmsg?: string;
  }) {
    super('SEND_WINDOW_CLOSED', 409, args.message);
    this.reason = args.reason;
    this.openid = args.openid;
    this.windowEnd = args.windowEnd;
    this.errcode = args.errcode;
    this.errmsg = args.errmsg;
  }
  protected override details() {
    return {
      reason: this.reason,
      openid: this.openid,
      ...(this.windowEnd !== undefined ? { windowEnd: new Date(this.windowEnd).toISOString() } : {}),
      ...(this.errcode !== undefined ? { errcode: this.errcode, errmsg: this.errmsg } : {}),
    };
  }
}

/**
 * A send of several parts (a long text split) needs more sends than the user's window has left. Nothing
 * was sent and nothing was counted: either every part goes out or none does.
 *
 * @example
 * ```ts
 * new NotEnoughSendsError({ openid: 'OPENID', parts: 6, sendsLeft: 5, message: '...' }).toBody().error;
 * // { code: 'NOT_ENOUGH_SENDS', message: '...', openid: 'OPENID', parts: 6, sendsLeft: 5 }
 * ```
 */
export class NotEnoughSendsError extends WeChatKfError {
  readonly openid: string;
  /** How many parts (sends) the message needs. */
  readonly parts: number;
  /** How many sends the user's window has left. */
  readonly sendsLeft: number;
  readonly windowEnd?: number;
  constructor(args: { openid: string; parts: number; sendsLeft: number; message: string; windowEnd?: number }) {
    super('NOT_ENOUGH_SENDS', 409, args.message);
    this.openid = args.openid;
    this.parts = args.parts;
    this.sendsLeft = args.sendsLeft;
    this.windowEnd = args.windowEnd;
  }
  protected override details() {
    return {
      openid: this.openid,
      parts: this.parts,
      sendsLeft: this.sendsLeft,
      ...(this.windowEnd !== undefined ? { windowEnd: new Date(this.windowEnd).toISOString() } : {}),
    };
  }
}

/**
 * A part of a split text could not be sent: the parts before it went out, it and the parts after it did
 * not (or, when WeChat could not be reached, it may have). Answered with the status and code of the
 * part's own error, plus `parts`, `partsSent` and `failedPart`; a retry with the same idempotency key
 * sends only the parts after the last one that went out.
 *
 * @example
 * ```ts
 * const e = new PartialSendError(new WeChatApiError(45047, 'out of response count limit'), { parts: 5, partsSent: 2 });
 * e.status; // 502, as the part's error
 * e.toBody().error.failedPart; // 3
 * ```
 */
export class PartialSendError extends WeChatKfError {
  /** The error of the part that failed. */
  override readonly cause: unknown;
  readonly parts: number;
  /** Parts that went out, in order, before the failure (across retries under one key). */
  readonly partsSent: number;
  /** The part that failed (1-based). */
  readonly failedPart: number;
  /** WeChat's errcode, when WeChat refused the part. */
  readonly errcode?: number;
  readonly errmsg?: string;
  constructor(cause: unknown, progress: { parts: number; partsSent: number }) {
    const inner = cause instanceof WeChatKfError ? cause : undefined;
    const failedPart = progress.partsSent + 1;
    const went = progress.partsSent === 0 ? 'no part went out' : progress.partsSent === 1 ? 'part 1 went out' : `parts 1-${progress.partsSent} went out`;
    super(
      inner?.code ?? 'INTERNAL_ERROR',
      inner?.status ?? 500,
      `part ${failedPart} of ${progress.parts} was not sent: ${inner?.message ?? String((cause as Error)?.message ?? cause)} (${went}; a retry with the same Idempotency-Key sends only the rest)`,
      inner?.retryable ?? false,
    );
    this.cause = cause;
    this.parts = progress.parts;
    this.partsSent = progress.partsSent;
    this.failedPart = failedPart;
    const errcode = (cause as { errcode?: unknown } | null)?.errcode;
    if (typeof errcode === 'number') {
      this.errcode = errcode;
      this.errmsg = (cause as { errmsg?: string }).errmsg;
    }
  }
  protected override details() {
    const { code: _code, message: _message, ...inner } = this.cause instanceof WeChatKfError ? this.cause.toBody().error : { code: '', message: '' };
    return { ...inner, parts: this.parts, partsSent: this.partsSent, failedPart: this.failedPart };
  }
}

/** `Typing` needs an interaction, either way, within the last 30 s (WeChat: 45080). */
export class TypingNotAllowedError extends WeChatKfError {
  readonly openid: string;
  readonly errcode?: number;
  constructor(openid: string, message: string, errcode?: number) {
    super('TYPING_NOT_ALLOWED', 409, message);
    this.openid = openid;
    this.errcode = errcode;
  }
  protected override details() {
    return { openid: this.openid, ...(this.errcode !== undefined ? { errcode: this.errcode } : {}) };
  }
}

/** A typing indicator is already showing for this user (15 s; WeChat: 45081). */
export class TypingActiveError extends WeChatKfError {
  readonly openid: string;
  readonly typingUntil?: number;
  readonly errcode?: number;
  constructor(openid: string, message: string, typingUntil?: number, errcode?: number) {
    super('TYPING_ACTIVE', 409, message);
    this.openid = openid;
    this.typingUntil = typingUntil;
    this.errcode = errcode;
  }
  protected override details() {
    return {
      openid: this.openid,
      ...(this.typingUntil !== undefined ? { typingUntil: new Date(this.typingUntil).toISOString() } : {}),
      ...(this.errcode !== undefined ? { errcode: this.errcode } : {}),
    };
  }
}

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
  40001: { kind: 'token', meaning: 'access token invalid', hint: 'the access token was refreshed and the call retried once; check that no other system fetches tokens with cgi-bin/token for this app' },
  40014: { kind: 'token', meaning: 'access token invalid', hint: 'the access token was refreshed and the call retried once' },
  42001: { kind: 'token', meaning: 'access token expired', hint: 'the access token was refreshed and the call retried once' },
  40003: { kind: 'input', meaning: 'invalid openid', hint: 'touser must be the openid of a user of this official account' },
  40005: { kind: 'input', meaning: 'invalid file type', hint: 'the avatar must be a JPG image' },
  61457: { kind: 'input', meaning: 'invalid file type', hint: 'the avatar must be a JPG image' },
  40007: { kind: 'input', meaning: 'invalid media_id', hint: 'upload the media first and use its media_id; temporary media expire after 3 days' },
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
  40200: { kind: 'config', meaning: 'account type not allowed', hint: 'customer-service messages need a verified service account; test accounts and unverified accounts are refused' },
  43004: { kind: 'window', meaning: 'user must follow', hint: 'the user has not followed (or has unfollowed) the official account' },
  45002: { kind: 'input', meaning: 'content too long', hint: 'shorten the message content' },
  45008: { kind: 'input', meaning: 'too many articles', hint: 'a news message may carry 1 article today' },
  45009: { kind: 'quota', meaning: 'daily quota reached', hint: 'the daily quota of this API is used up; it resets at midnight Beijing time' },
  45011: { kind: 'quota', meaning: 'per-minute quota reached', hint: 'too many calls this minute; slow down' },
  45015: { kind: 'window', meaning: 'outside the send window', hint: "the user's send window has closed (or the user unfollowed); wait for the user to write in" },
  45047: { kind: 'window', meaning: 'send quota used up', hint: 'the sends this interaction allows are used up; wait for the user to write in again' },
  45072: { kind: 'input', meaning: 'invalid typing command', hint: 'command must be Typing or CancelTyping' },
  45080: { kind: 'window', meaning: 'no interaction in the last 30 s', hint: 'Typing needs a message exchanged with the user in the last 30 seconds' },
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
  65400: { kind: 'config', meaning: 'new kf feature not enabled', hint: "enable the new customer-service feature in the official account's admin console" },
  65401: { kind: 'input', meaning: 'invalid kf account', hint: 'kf_account must be an existing kf account (list them with GET /kf-accounts)' },
  65402: { kind: 'input', meaning: 'kf account not bound to a WeChat user', hint: 'invite a WeChat user to the kf account (inviteworker) and have them accept, then try again' },
  65403: { kind: 'input', meaning: 'illegal nickname', hint: 'choose another nickname for the kf account' },
  65404: { kind: 'input', meaning: 'illegal kf account', hint: 'kf_account must be prefix@wechatid' },
  65405: { kind: 'quota', meaning: 'too many kf accounts', hint: 'delete a kf account first' },
  65406: { kind: 'input', meaning: 'kf account exists', hint: 'a kf account with this kf_account already exists' },
  65407: { kind: 'input', meaning: 'the WeChat user is already a kf', hint: 'that WeChat user already has a kf account of this official account' },
  65408: { kind: 'input', meaning: 'the WeChat user is already invited', hint: 'another kf account has invited that WeChat user; wait for the answer or for the invitation to expire' },
  65409: { kind: 'input', meaning: 'invalid WeChat ID', hint: "invite_wx must be the user's WeChat ID (微信号), not a nickname or openid" },
  65410: { kind: 'input', meaning: 'the WeChat user is bound to too many kf accounts', hint: 'that WeChat user is a kf of too many official accounts: invite someone else' },
  65411: { kind: 'input', meaning: 'an invitation of this kf account is pending', hint: 'wait until the invited user answers or the invitation expires (getkflist shows invite_status)' },
  65412: { kind: 'input', meaning: 'the kf account is already bound', hint: 'the kf account already has a WeChat user; nothing to invite' },
  65413: { kind: 'input', meaning: 'no session for this user', hint: 'the user has no session with an agent, or has not written in the last 48 hours (a session needs that)' },
  65414: { kind: 'input', meaning: 'another kf is serving the user', hint: 'the user is in a session with another kf account: close that one first, or use it' },
  65415: { kind: 'input', meaning: 'kf not online', hint: 'the kf account must be logged in (GET /kf-accounts/online lists who is)' },
  65416: { kind: 'input', meaning: 'invalid query parameters', hint: 'check starttime, endtime, msgid and number' },
  65417: { kind: 'input', meaning: 'query window over 24 hours', hint: 'one chat-record request may cover at most 24 hours (the product splits longer ranges)' },
  89503: { kind: 'config', meaning: 'token fetch from a new IP needs confirmation', hint: "an administrator must confirm this IP in the official account's admin console" },
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
    return { kind: 'config', meaning: 'kf feature or session error', hint: 'enable the new customer-service feature for this official account, or check the kf session' };
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

/**
 * WeChat answered with a non-zero errcode. Keeps `errcode` and `errmsg` as WeChat sent them, plus a hint.
 *
 * @example
 * ```ts
 * const e = new WeChatApiError(40164, 'invalid ip 1.2.3.4');
 * e.hint; // "add this deployment's egress IP (in n8n's direct mode: n8n's) to the official account's IP whitelist ..."
 * ```
 */
export class WeChatApiError extends WeChatKfError {
  readonly errcode: number;
  readonly errmsg: string;
  readonly hint: string;
  readonly kind: ErrcodeKind;
  constructor(errcode: number, errmsg: string) {
    const info = describeErrcode(errcode);
    super('WECHAT_ERROR', 502, `WeChat answered ${errcode} (${info.meaning}): ${errmsg}. ${info.hint}`, info.kind === 'busy' || info.kind === 'quota' || info.kind === 'token');
    this.errcode = errcode;
    this.errmsg = errmsg;
    this.hint = info.hint;
    this.kind = info.kind;
  }
  protected override details() {
    return { errcode: this.errcode, errmsg: this.errmsg, hint: this.hint };
  }
}

/** WeChat could not be reached (network error or HTTP 5xx) after the retries. */
export class WeChatUnavailableError extends WeChatKfError {
  constructor(message: string) {
    super('WECHAT_UNAVAILABLE', 503, message, true);
  }
}

/** WeChat did not answer in time after the retries. */
export class WeChatTimeoutError extends WeChatKfError {
  constructor(message: string) {
    super('WECHAT_TIMEOUT', 504, message, true);
  }
}

/**
 * WeChat refused the access token, normal mode (stable_token without force) handed the very same token
 * back, and a forced refresh is not possible now: WeChat allows 20 a day (Beijing time), 30 s apart, for
 * every system on the AppID together, and a forced refresh knocks out the token every other system holds.
 * The budget is kept in the table, so every container honours it (docs/access-token.md).
 *
 * @example
 * ```ts
 * new TokenRefreshBudgetError('daily', Date.UTC(2026, 5, 2, 16)).message;
 * // 'WeChat refused the access token and normal mode hands back the same one; ... all 20 forced refreshes of today ...'
 * ```
 */
export class TokenRefreshBudgetError extends WeChatKfError {
  /** `daily`: the 20 of today are used; `spacing`: the last one was less than 30 s ago. */
  readonly limit: 'daily' | 'spacing';
  /** When a forced refresh is possible again (ms since epoch). */
  readonly nextForceAt: number;
  constructor(limit: 'daily' | 'spacing', nextForceAt: number) {
    const when = new Date(nextForceAt).toISOString();
    super(
      'TOKEN_REFRESH_BUDGET_SPENT',
      503,
      'WeChat refused the access token and stable_token in normal mode hands back that same token, so only a forced refresh would help; ' +
        (limit === 'daily'
          ? `the forced-refresh budget is spent: all 20 of today (Beijing time) are used; the next is possible at ${when}`
          : `forced refreshes must be 30 s apart and the last one was less than 30 s ago; the next is possible at ${when}`) +
        ' (a forced refresh invalidates the token of every system sharing the AppID)',
      limit === 'spacing',
    );
    this.limit = limit;
    this.nextForceAt = nextForceAt;
  }
  protected override details() {
    return { limit: this.limit, nextForceAt: new Date(this.nextForceAt).toISOString() };
  }
}

/** A callback's signature, or its timestamp, does not verify. */
export class SignatureError extends WeChatKfError {
  constructor(message: string) {
    super('INVALID_SIGNATURE', 401, message);
  }
}

/** A request with this idempotency key is being processed right now. */
export class IdempotencyInProgressError extends WeChatKfError {
  constructor(key: string) {
    super('IDEMPOTENCY_IN_PROGRESS', 409, `a request with idempotency key ${JSON.stringify(key)} is in progress; retry shortly`, true);
  }
}

/** The product is configured wrong (missing secret field, bad setting). */
export class ConfigurationError extends WeChatKfError {
  constructor(message: string) {
    super('CONFIGURATION_ERROR', 500, message);
  }
}

/**
 * Maps WeChat's window answers (45015, 45047, 45080, 45081) to the same errors the local gate raises, so a
 * caller sees one error whichever side refused.
 */
export function errorFromErrcode(errcode: number, errmsg: string, openid?: string): WeChatKfError {
  const who = openid ?? '(unknown)';
  switch (errcode) {
    case 45015:
      return new SendWindowClosedError({ openid: who, reason: 'wechat-refused', message: `WeChat refused the send (45015): the user's send window has closed or the user unfollowed`, errcode, errmsg });
    case 45047:
      return new SendWindowClosedError({ openid: who, reason: 'quota-used', message: `WeChat refused the send (45047): the sends allowed by the user's last interaction are used up`, errcode, errmsg });
    case 45080:
      return new TypingNotAllowedError(who, 'WeChat refused Typing (45080): no message exchanged with the user in the last 30 seconds', errcode);
    case 45081:
      return new TypingActiveError(who, 'WeChat refused Typing (45081): a typing indicator is already showing', undefined, errcode);
    default:
      return new WeChatApiError(errcode, errmsg);
  }
}
