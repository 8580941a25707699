/**
 * Chat records over any time range: WeChat's `customservice/msgrecord/getmsglist` answers at most 24 hours
 * and 10 000 records a request, and pages with a `msgid` cursor; this walks the range in 24-hour windows
 * and each window by its cursor, and returns one list (docs/handoff.md, "Chat records").
 *
 * - Windows are `[t, t + 86 399]` seconds, both ends included, so consecutive windows neither overlap nor
 *   exceed 24 hours however WeChat counts the end.
 * - In a window, ask from `msgid` (1 at first) for `number = min(10 000, what the limit leaves)`; the answer's
 *   `msgid` is the next cursor; fewer records than asked means the window is done. A cursor that does not
 *   advance also ends the window, so a misbehaving answer cannot loop.
 * - At most `maxCalls` requests per call (default 40), to stay inside API Gateway's 29 s: when the limit or
 *   that budget stops the walk, the answer says `more: true` and gives `next` = `{starttime, msgid}` to
 *   continue from (pass them back with the same `endtime`).
 *
 * @example
 * ```ts
 * const input = parseMsgRecordsInput({ starttime: '2025-01-01T00:00:00Z', endtime: '2025-01-03T00:00:00Z', limit: 500 });
 * const { recordlist, more, next } = await collectMsgRecords((spec) => client.request(spec), input);
 * ```
 */
import * as z from 'zod/mini';
import type { WeChatRequestSpec } from './catalogue';
import { ValidationError } from './errors';
import { parseTime, TIME_FORMS } from './times';
import { parseOrThrow, reject, requiredObject, typeName, wholeNumber } from './validation';

/** WeChat's longest window per request, in seconds (the ends included: 86 399 s apart). */
export const RECORD_WINDOW_SECONDS = 86_400;
/** WeChat's most records per request. */
export const RECORD_PAGE_MAX = 10_000;
/** The largest `limit` one call may ask for (a Lambda answer is at most 6 MB). */
export const RECORD_LIMIT_MAX = 10_000;
/** The default `limit`. */
export const RECORD_LIMIT_DEFAULT = 1000;
/** WeChat requests one call may make. */
export const RECORD_MAX_CALLS = 40;
/**
 * How far back a range may start, in days. WeChat's reference says nothing of how long msgrecord keeps
 * chat records; the product chooses one year (docs/handoff.md, "Chat records"): each day of range costs at
 * least one WeChat request, and a range from 1970 used to spend them on decades with nothing in them.
 */
export const RECORD_RETENTION_DAYS = 365;

const PATH = '/customservice/msgrecord/getmsglist';

/** One chat record as WeChat gives it: opercode 2002 the kf sent, 2003 the kf received. */
export interface MsgRecord {
  openid: string;
  opercode: number;
  text: string;
  /** seconds */
  time: number;
  worker: string;
  [field: string]: unknown;
}

/** What to fetch. */
export interface MsgRecordsInput {
  /** seconds, included */
  starttime: number;
  /** seconds, included */
  endtime: number;
  /** The cursor within the first window (from a previous answer's `next`). Default 1. */
  msgid: number;
  /** The most records to return. */
  limit: number;
}

/** One list of records, and where to continue when it is not all. */
export interface MsgRecordsResult {
  recordlist: MsgRecord[];
  number: number;
  /** Whether records may remain after these (the limit or the call budget stopped the walk). */
  more: boolean;
  /** Where to continue, when `more`: call again with these and the same `endtime`. */
  next?: { starttime: number; msgid: number };
}

/** A time (core/times.ts: ISO 8601 with its offset, or epoch seconds / milliseconds by size). Answers whole seconds. */
function seconds() {
  return z.pipe(
    z.union([z.number(), z.string()], {
      error: (iss) => (iss.input === undefined ? `is required: ${TIME_FORMS}` : `must be ${TIME_FORMS}, got ${typeName(iss.input)}`),
    }),
    z.transform((v: number | string, ctx) => {
      const time = parseTime(v);
      if (time.issue !== undefined) return reject(ctx, time.issue);
      return Math.floor(time.ms / 1000);
    }),
  );
}

/**
 * Checks a chat-records input: `starttime` and `endtime` (ISO or epoch seconds/ms; end not before start),
 * `limit` (1-10 000, default 1000), `msgid` (a cursor from `next`, default 1).
 *
 * @throws {ValidationError} naming the field and the rule.
 */
export function parseMsgRecordsInput(input: unknown): MsgRecordsInput {
  const schema = requiredObject(
    {
      starttime: seconds(),
      endtime: seconds(),
      msgid: z.optional(wholeNumber(1, Number.MAX_SAFE_INTEGER, 'a whole number from 1 (a cursor from next.msgid)')),
      limit: z.optional(wholeNumber(1, RECORD_LIMIT_MAX, `a whole number from 1 to ${RECORD_LIMIT_MAX}`)),
    },
    'an object {starttime, endtime, limit?, msgid?}',
  );
  // A GET with no query string arrives as no input at all: name the missing fields rather than the body.
  const parsed = parseOrThrow(schema, input ?? {});
  if (parsed.endtime < parsed.starttime) throw new ValidationError([{ field: 'endtime', rule: 'must not be before starttime' }]);
  return { starttime: parsed.starttime, endtime: parsed.endtime, msgid: parsed.msgid ?? 1, limit: parsed.limit ?? RECORD_LIMIT_DEFAULT };
}

/**
 * Holds a range to what can hold records: it may not start more than {@link RECORD_RETENTION_DAYS} before
 * `now` or after `now` (400 naming starttime), and an end after `now` is taken as `now` (nothing was written
 * later), so the walk ends, with `more: false`, at the present.
 *
 * @throws {ValidationError} naming starttime and the bound.
 * @example
 * ```ts
 * boundRange({ starttime: 0, endtime: 4102444800, msgid: 1, limit: 10 }, Date.now()); // throws: starttime ... at most 365 days ago
 * ```
 */
export function boundRange(input: MsgRecordsInput, nowMs: number): MsgRecordsInput {
  const now = Math.floor(nowMs / 1000);
  const earliest = now - RECORD_RETENTION_DAYS * 86_400;
  if (input.starttime > now) {
    throw new ValidationError([
      {
        field: 'starttime',
        rule: `must not be after now (${new Date(now * 1000).toISOString()}): there are no chat records from the future`,
      },
    ]);
  }
  if (input.starttime < earliest) {
    throw new ValidationError([
      {
        field: 'starttime',
        rule: `must be at most ${RECORD_RETENTION_DAYS} days ago (from ${new Date(earliest * 1000).toISOString()}), the range this product reads of WeChat's chat records (docs/handoff.md)`,
      },
    ]);
  }
  return input.endtime > now ? { ...input, endtime: now } : input;
}

/** The getmsglist request of one page. */
export function msgRecordsRequest(starttime: number, endtime: number, msgid: number, number: number): WeChatRequestSpec {
  return { method: 'POST', path: PATH, json: { starttime, endtime, msgid, number } };
}

/**
 * Walks the range window by window and page by page, as the module comment says.
 *
 * @param request sends one WeChat request (the client's `request`, with its token and retries).
 */
export async function collectMsgRecords(
  request: (spec: WeChatRequestSpec) => Promise<Record<string, unknown>>,
  input: MsgRecordsInput,
  options: { maxCalls?: number } = {},
): Promise<MsgRecordsResult> {
  const maxCalls = options.maxCalls ?? RECORD_MAX_CALLS;
  const out: MsgRecord[] = [];
  let calls = 0;
  let windowStart = input.starttime;
  let cursor = input.msgid;
  while (windowStart <= input.endtime) {
    const windowEnd = Math.min(windowStart + RECORD_WINDOW_SECONDS - 1, input.endtime);
    for (;;) {
      if (out.length >= input.limit || calls >= maxCalls) {
        return { recordlist: out, number: out.length, more: true, next: { starttime: windowStart, msgid: cursor } };
      }
      const asked = Math.min(RECORD_PAGE_MAX, input.limit - out.length);
      const answer = await request(msgRecordsRequest(windowStart, windowEnd, cursor, asked));
      calls++;
      const list = Array.isArray(answer.recordlist) ? (answer.recordlist as MsgRecord[]) : [];
      out.push(...list.slice(0, input.limit - out.length));
      const nextCursor = typeof answer.msgid === 'number' ? answer.msgid : Number(answer.msgid);
      const advanced = Number.isFinite(nextCursor) && nextCursor > cursor;
      if (list.length < asked || !advanced) break;
      cursor = nextCursor;
    }
    windowStart = windowEnd + 1;
    cursor = 1;
  }
  return { recordlist: out, number: out.length, more: false };
}
