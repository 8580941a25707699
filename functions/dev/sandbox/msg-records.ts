/**
 * Chat records: `POST /customservice/msgrecord/getmsglist {starttime, endtime, msgid, number}` answers
 * `{recordlist: [{openid, opercode, text, time, worker}], number, msgid}`, as docs/wechat-reference.md
 * describes: opercode 2002 sent to the user (custom/send, or an agent), 2003 written by the user; media
 * as [image], [voice], [video].
 *
 * Paging, as WeChat pages: records whose `time` (seconds) lies in [starttime, endtime] (both included),
 * from the record numbered `msgid` on (records are numbered 1, 2, 3, … in the order written; default 1),
 * at most `number` of them, in order. The answer's `msgid` is the number to ask for next (the last
 * returned + 1, or the one asked when none came back); fewer than `number` records means there are no more.
 *
 * Errcodes: 65416 invalid query parameters (a time or msgid that is not a whole number, endtime before
 * starttime, number outside 1-10000), 65417 a window over 24 h.
 */
import { jsonBody, type Handler, type Route } from './route';
import { deskOf } from './desk';
import { WeChatRefusalError } from './errcodes';

/** The longest window one request may ask for, in seconds. */
export const MAX_RECORD_WINDOW_SECONDS = 86_400;
/** The most records one request may ask for. */
export const MAX_RECORD_NUMBER = 10_000;

function wholeNumber(body: Record<string, unknown>, name: string, fallback?: number): number {
  const v = body[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new WeChatRefusalError(65416, `${name} must be a whole number`);
  return v;
}

const getMsgList: Handler = (ctx, req) => {
  const body = jsonBody(req);
  const start = wholeNumber(body, 'starttime');
  const end = wholeNumber(body, 'endtime');
  const from = wholeNumber(body, 'msgid', 1);
  const number = wholeNumber(body, 'number');
  if (end < start) throw new WeChatRefusalError(65416, 'endtime is before starttime');
  if (end - start > MAX_RECORD_WINDOW_SECONDS) throw new WeChatRefusalError(65417, 'the window from starttime to endtime is over 24 hours');
  if (number < 1 || number > MAX_RECORD_NUMBER) throw new WeChatRefusalError(65416, `number must be 1-${MAX_RECORD_NUMBER}`);
  const found = deskOf(ctx.state)
    .records.filter((r) => r.msgid >= from && r.time >= start && r.time <= end)
    .slice(0, number);
  const last = found[found.length - 1];
  return {
    recordlist: found.map((r) => ({ openid: r.openid, opercode: r.opercode, text: r.text, time: r.time, worker: r.worker })),
    number: found.length,
    msgid: last ? last.msgid + 1 : from,
  };
};

/** The routes of this area. */
export const MSG_RECORD_ROUTES: Readonly<Record<string, Route>> = {
  '/customservice/msgrecord/getmsglist': { methods: ['POST'], auth: true, handler: getMsgList },
};
