/**
 * Passive replies (docs/passive-replies.md): the answer to a user's push written as the push's own answer,
 * instead of a customer-service send. This file is the data of it, no I/O: the reply modes, the input of
 * `POST /replies` (the same message JSON as `/messages`, limited to the types WeChat takes as a passive
 * reply). The reply's body is in passive-reply-body.ts, apart, so that the catalogue, which needs only the
 * input, does not carry the callback's XML and crypto into every function (docs/bundles.md).
 *
 * @example
 * ```ts
 * const input = parseReplyInput({ openid: 'OPENID', message: { msgtype: 'text', text: { content: 'Hi' } } });
 * ```
 */
import * as z from 'zod/mini';
import { parseMessage, type SendMessageInput } from './catalogue/messages';
import type { OperationOptions } from './catalogue/types';
import { ValidationError } from './errors';
import { openidSchema } from './fields';
import { parseOrThrow, requiredObject, typeName } from './validation';

/**
 * How the product answers users (REPLY_MODE): `customer-service` (every answer through custom/send, the
 * callback answers `success` at once), `passive` (answers only inside WeChat's push, for accounts without
 * the customer-service API), `auto` (inside the push when the answer is ready in time, else custom/send).
 */
export const REPLY_MODES = ['customer-service', 'passive', 'auto'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];

/** The message types WeChat takes as a passive reply. */
export const PASSIVE_MSGTYPES = ['text', 'image', 'voice', 'video', 'music', 'news'] as const;

/** WeChat tries a push three times in all when it gets no answer within 5 s. */
export const PUSH_TRIES = 3;

/** The input of `POST /replies`. */
export interface ReplyInput {
  openid: string;
  /** The MsgId of the push answered; absent: the user's latest push. */
  msgId?: string;
  /** The message: custom/send's JSON, `touser` filled in with the openid. */
  message: SendMessageInput;
}

const msgIdSchema = () =>
  z.optional(
    z.pipe(
      z.union(
        [
          z.string().check(z.regex(/^[0-9]{1,20}$/, { error: "must be the push's MsgId: 1 to 20 digits" })),
          z.number().check(z.int({ error: 'must be a whole number' }), z.nonnegative({ error: 'must not be negative' })),
        ],
        {
          error: (iss) => `must be the push's MsgId (digits), got ${typeName(iss.input)}`,
        },
      ),
      z.transform((v: string | number) => String(v)),
    ),
  );

/**
 * Checks a reply: `openid`, an optional `msgId`, and `message`, the same JSON as `POST /messages` (its
 * `touser` may be left out; if given it must be the openid), of a type WeChat takes as a passive reply
 * (text, image, voice, video, music, news with one article). Media may be `{url}` / `{file}` as in a send.
 *
 * @throws {ValidationError} naming the field and the rule (`message.msgtype`, `message.news.articles`, …).
 */
export function parseReplyInput(input: unknown, options: OperationOptions = {}): ReplyInput {
  const outer = parseOrThrow(
    requiredObject({ openid: openidSchema(), msgId: msgIdSchema(), message: z.unknown() }, 'a JSON object {openid, msgId?, message}'),
    input,
  );
  const given = outer.message;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new ValidationError([{ field: 'message', rule: `is required: the message JSON of POST /messages, got ${typeName(given)}` }]);
  }
  const body = given as Record<string, unknown>;
  const issues: { field: string; rule: string }[] = [];
  if (body.touser !== undefined && body.touser !== outer.openid)
    issues.push({ field: 'message.touser', rule: 'must be the openid of the reply (or left out)' });
  if (body.msgtype !== undefined && !(PASSIVE_MSGTYPES as readonly string[]).includes(String(body.msgtype))) {
    issues.push({
      field: 'message.msgtype',
      rule: `a passive reply is one of ${PASSIVE_MSGTYPES.join(', ')}, got ${JSON.stringify(body.msgtype)}`,
    });
  }
  if (body.customservice !== undefined)
    issues.push({ field: 'message.customservice', rule: 'a passive reply always comes from the official account: leave it out' });
  if (body.split !== undefined && body.split !== false && body.split !== 'false')
    issues.push({ field: 'message.split', rule: 'a passive reply is one message: a text over the cap cannot be split' });
  if (issues.length > 0) throw new ValidationError(issues);
  let message: SendMessageInput;
  try {
    const { split: _split, ...rest } = body;
    message = parseMessage({ ...rest, touser: outer.openid }, options);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(error.issues.map((i) => ({ ...i, field: i.field === '(body)' ? 'message' : `message.${i.field}` })));
    throw error;
  }
  const articles = message.msgtype === 'news' ? ((message.news as { articles?: unknown[] }).articles ?? []) : [];
  if (articles.length > 1)
    throw new ValidationError([{ field: 'message.news.articles', rule: 'a passive reply carries exactly 1 article' }]);
  return { openid: outer.openid, ...(outer.msgId !== undefined ? { msgId: outer.msgId } : {}), message };
}

/** Which way a reply went (the answer of `POST /replies`). */
export interface ReplyOutcome extends Record<string, unknown> {
  openid: string;
  /** The push answered: its dedup key (`msg:<MsgId>`), when one was waiting. */
  push?: string;
  /**
   * `passive`: given to the waiting push, which answers WeChat with it; `kept`: too late for its push
   * (REPLY_MODE=passive), it answers the user's next message; `customer-service`: sent with custom/send
   * (REPLY_MODE=auto when it came too late, or customer-service), WeChat's answer beside it.
   */
  channel: 'passive' | 'kept' | 'customer-service';
}

/**
 * Where replies go: the product's table (functions/context/replies-service.ts). The reply operation checks
 * it is there (n8n's Direct mode answers from the trigger instead: docs/passive-replies.md).
 */
export interface ReplyService {
  /** Gives the reply to the user's waiting push, or keeps it, or sends it, as REPLY_MODE says. */
  post(input: ReplyInput): Promise<ReplyOutcome>;
}
