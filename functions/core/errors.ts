/**
 * Errors of the product, one class per thing that can go wrong, each with the HTTP status the API answers
 * it with and a stable `code` that HTTP callers, SQS/EventBridge reports and the n8n node all share.
 *
 * WeChat reports every failure as HTTP 200 with a non-zero `errcode`; {@link WeChatApiError} keeps that
 * errcode and errmsg and adds what to do about it, from {@link WECHAT_ERRCODES}.
 */
import { describeErrcode, type ErrcodeKind } from './errcodes';

// The errcode reference table lives in errcodes.ts; what imported it from here still can.
export * from './errcodes';

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
    const went =
      progress.partsSent === 0
        ? 'no part went out'
        : progress.partsSent === 1
          ? 'part 1 went out'
          : `parts 1-${progress.partsSent} went out`;
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
    const {
      code: _code,
      message: _message,
      ...inner
    } = this.cause instanceof WeChatKfError ? this.cause.toBody().error : { code: '', message: '' };
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
    super(
      'WECHAT_ERROR',
      502,
      `WeChat answered ${errcode} (${info.meaning}): ${errmsg}. ${info.hint}`,
      info.kind === 'busy' || info.kind === 'quota' || info.kind === 'token',
    );
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
      return new SendWindowClosedError({
        openid: who,
        reason: 'wechat-refused',
        message: `WeChat refused the send (45015): the user's send window has closed or the user unfollowed`,
        errcode,
        errmsg,
      });
    case 45047:
      return new SendWindowClosedError({
        openid: who,
        reason: 'quota-used',
        message: `WeChat refused the send (45047): the sends allowed by the user's last interaction are used up`,
        errcode,
        errmsg,
      });
    case 45080:
      return new TypingNotAllowedError(
        who,
        'WeChat refused Typing (45080): no message exchanged with the user in the last 30 seconds',
        errcode,
      );
    case 45081:
      return new TypingActiveError(who, 'WeChat refused Typing (45081): a typing indicator is already showing', undefined, errcode);
    default:
      return new WeChatApiError(errcode, errmsg);
  }
}
