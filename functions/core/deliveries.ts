/**
 * Delivery records, as data: what one send attempt left behind, how an attempt's error becomes its
 * outcome, and the query `GET /deliveries` takes. No I/O (functions/store/deliveries.ts keeps them).
 *
 * Every send attempt, on every surface, leaves one record per part: who it was for, which operation and
 * message type, when, the outcome, the idempotency key and part number, and how long WeChat took.
 *
 * @example
 * ```ts
 * import { outcomeOf, parseDeliveryQuery } from './deliveries';
 * outcomeOf(new WeChatApiError(45002, 'content size out of limit')); // { outcome: 'refused_by_wechat', errcode: 45002, ... }
 * parseDeliveryQuery({ openid: 'OPENID', outcome: 'failed' });
 * ```
 */
import { NotEnoughSendsError, SendWindowClosedError, ValidationError, WeChatKfError } from './errors';
import { typeName } from './validation';
import { parseTime } from './times';

/**
 * What became of one attempt:
 * - `sent`: WeChat accepted it;
 * - `refused_by_window`: the product's send gate refused it before WeChat was called (`reason`);
 * - `refused_by_wechat`: WeChat answered with an errcode (`errcode`, `errmsg`): nothing reached the user;
 * - `unreachable`: WeChat could not be reached or did not answer in time: it may or may not have arrived;
 * - `expired`: a passive answer kept for the user's next message that did not come within PASSIVE_KEEP_MS,
 *   or that a later kept answer replaced (`reason`: `kept-expired`, `kept-replaced`; docs/passive-replies.md).
 */
export type DeliveryOutcome = 'sent' | 'refused_by_window' | 'refused_by_wechat' | 'unreachable' | 'expired';

export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['sent', 'refused_by_window', 'refused_by_wechat', 'unreachable', 'expired'];

/** How long a record is kept (the table's TTL, and checked on every read). */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;

/** One send attempt (of one part), as the send path reports it. */
export interface DeliveryAttempt {
  openid: string;
  /** The catalogue operation, e.g. `sendText`. */
  operation: string;
  /** The message type sent, e.g. `text`. */
  msgtype?: string;
  /** When the attempt started (ms since epoch). */
  at: number;
  outcome: DeliveryOutcome;
  /**
   * For `refused_by_window`: why (`no-interaction`, `window-expired`, `quota-used`, `unfollowed`,
   * `not-enough-sends`). For a passive reply: `kept` (sent as the answer of the user's next message),
   * `kept-expired`, `kept-replaced`.
   */
  reason?: string;
  /**
   * How it went out: `passive` (the answer of the user's push; no send window or quota is charged), or
   * absent for a customer-service send (custom/send). docs/passive-replies.md.
   */
  channel?: 'passive';
  /** For `refused_by_wechat`: WeChat's errcode and errmsg. */
  errcode?: number;
  errmsg?: string;
  /** For `unreachable` and refusals: the product's error code (e.g. `WECHAT_TIMEOUT`). */
  errorCode?: string;
  /** The caller's Idempotency-Key (or the SQS message id / EventBridge event id). */
  idempotencyKey?: string;
  /** Which part of a split text (1-based), and of how many. Absent for a message sent whole. */
  part?: number;
  parts?: number;
  /** How long WeChat took to answer (ms); absent when WeChat was not called. */
  latencyMs?: number;
  /** What asked for the send: `http`, `sqs`, `eventbridge`, `direct`. */
  source?: string;
  /** The kf account it was sent as (`customservice.kf_account`), if any. */
  kfAccount?: string;
  /** The message's content object (e.g. `{content}` of a text part): kept only with DELIVERY_RECORD_CONTENT=true. */
  content?: unknown;
  /** WeChat's `aimsgcontext` as sent (the AI label, docs/ai-label.md); absent when the send had none. */
  aimsgcontext?: Record<string, unknown>;
}

/** A stored record: the attempt, its id and when it expires. */
export interface DeliveryRecord extends DeliveryAttempt {
  id: string;
  /** When the record expires (ms since epoch). */
  expiresAt: number;
}

/**
 * The outcome of a failed attempt, from its error: a refusal by the gate, by WeChat (its errcode), or
 * WeChat out of reach. Anything else (a bug, DynamoDB down before WeChat was called) is `unreachable`
 * with the error's code: the message did not go out.
 *
 * @example
 * ```ts
 * outcomeOf(new WeChatTimeoutError('no answer')); // { outcome: 'unreachable', errorCode: 'WECHAT_TIMEOUT' }
 * ```
 */
export function outcomeOf(error: unknown): Pick<DeliveryAttempt, 'outcome' | 'reason' | 'errcode' | 'errmsg' | 'errorCode'> {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  const errorCode = error instanceof WeChatKfError ? error.code : 'INTERNAL_ERROR';
  if (typeof errcode === 'number') {
    const errmsg = (error as { errmsg?: unknown }).errmsg;
    return { outcome: 'refused_by_wechat', errcode, errorCode, ...(typeof errmsg === 'string' ? { errmsg } : {}) };
  }
  if (error instanceof SendWindowClosedError) return { outcome: 'refused_by_window', reason: error.reason, errorCode };
  if (error instanceof NotEnoughSendsError) return { outcome: 'refused_by_window', reason: 'not-enough-sends', errorCode };
  return { outcome: 'unreachable', errorCode };
}

/** The detail-type of the event published for each outcome. */
export function deliveryEventType(outcome: DeliveryOutcome): 'delivery.sent' | 'delivery.failed' {
  return outcome === 'sent' ? 'delivery.sent' : 'delivery.failed';
}

/** `outcome=` of the query: one outcome, or `failed` for every outcome but `sent`. */
export type OutcomeFilter = DeliveryOutcome | 'failed';

/** The query of `GET /deliveries`. */
export interface DeliveryQuery {
  /** One user's records; without it, every user's. */
  openid?: string;
  /** Records from this time on (ms). Default: 30 days back with an openid, 24 hours without. */
  since?: number;
  outcome?: OutcomeFilter;
  /** At most this many records (1-1000, default 100); `next` in the answer continues. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** The answer of `GET /deliveries`. */
export interface DeliveryPage {
  deliveries: DeliveryRecord[];
  /** Pass as `cursor` for the next page; absent on the last one. */
  next?: string;
}

export const DELIVERY_QUERY_DEFAULT_LIMIT = 100;
export const DELIVERY_QUERY_MAX_LIMIT = 1000;

/**
 * Validates the query of `GET /deliveries` (query strings: every value may be a string).
 *
 * @throws {ValidationError} naming each bad field.
 * @example
 * ```ts
 * parseDeliveryQuery({ since: '2026-12-01T00:00:00Z', outcome: 'refused_by_wechat', limit: '50' });
 * // { since: 1795996800000, outcome: 'refused_by_wechat', limit: 50 }
 * ```
 */
export function parseDeliveryQuery(input: unknown): DeliveryQuery {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError([{ field: '(query)', rule: `must be an object of query parameters, got ${typeName(input)}` }]);
  }
  const raw = input as Record<string, unknown>;
  const issues: ValidationError['issues'] = [];
  const out: DeliveryQuery = {};
  const known = new Set(['openid', 'since', 'outcome', 'limit', 'cursor']);
  for (const name of Object.keys(raw))
    if (!known.has(name) && raw[name] !== undefined)
      issues.push({ field: name, rule: `is not a parameter of this query (openid, since, outcome, limit, cursor)` });
  if (raw.openid !== undefined && raw.openid !== '') {
    if (typeof raw.openid !== 'string' || /\s/.test(raw.openid) || raw.openid.length > 128)
      issues.push({ field: 'openid', rule: 'must be an openid (no spaces, at most 128 characters)' });
    else out.openid = raw.openid;
  }
  if (raw.since !== undefined && raw.since !== '') {
    const since = parseTime(raw.since);
    if (since.issue !== undefined) issues.push({ field: 'since', rule: since.issue });
    else out.since = since.ms;
  }
  if (raw.outcome !== undefined && raw.outcome !== '') {
    const allowed = [...DELIVERY_OUTCOMES, 'failed'];
    if (typeof raw.outcome !== 'string' || !allowed.includes(raw.outcome))
      issues.push({ field: 'outcome', rule: `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw.outcome)}` });
    else out.outcome = raw.outcome as OutcomeFilter;
  }
  if (raw.limit !== undefined && raw.limit !== '') {
    const limit = typeof raw.limit === 'string' && /^\d+$/.test(raw.limit) ? Number(raw.limit) : raw.limit;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > DELIVERY_QUERY_MAX_LIMIT)
      issues.push({ field: 'limit', rule: `must be an integer from 1 to ${DELIVERY_QUERY_MAX_LIMIT}` });
    else out.limit = limit;
  }
  if (raw.cursor !== undefined && raw.cursor !== '') {
    if (typeof raw.cursor !== 'string' || raw.cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(raw.cursor))
      issues.push({ field: 'cursor', rule: 'must be the `next` value of a previous answer' });
    else out.cursor = raw.cursor;
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return out;
}
