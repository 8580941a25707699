/**
 * Sending a long text in parts: the `split` option of a text send, the cap check, and the loop that sends
 * the parts in order (docs/long-text.md).
 *
 * `split` is the product's option, not WeChat's: it rides in the send's input (the JSON body, the
 * EventBridge detail, the SQS message; `?split=` on the HTTP route) and is taken out before WeChat sees
 * the body. Without it, a text over the cap is refused with 400 before anything is counted or sent.
 *
 * @example
 * ```ts
 * import { partsOf, sendParts } from './split-send';
 * const parts = partsOf({ touser, msgtype: 'text', text: { content: longAnswer }, split: true }, 2048);
 * await sendParts(input, parts, { request: (spec) => client.request(spec, touser) });
 * ```
 */
import { PartialSendError, ValidationError } from './errors';
import { DEFAULT_TEXT_MAX_BYTES, splitText, utf8Bytes } from './text-split';
import { typeName } from './validation';

/** How a caller asked for a long text to be split. */
export interface SplitOption {
  /** Start each part with `(i/n) `. */
  numbering: boolean;
}

/**
 * Reads the `split` option: `true`, `"numbered"` (or `{numbering: true}`), `false`; query strings give
 * `"true"` / `"false"` / `"numbered"`. `numbering` beside it (`?split=true&numbering=true`, as
 * docs/long-text.md gives the query form, or `"numbering": true` beside `"split": true` in a body) numbers
 * the parts too.
 *
 * @throws {ValidationError} naming `split` or `numbering` and what it may be.
 * @example
 * ```ts
 * parseSplitOption('numbered'); // { numbering: true }
 * parseSplitOption('true', 'true'); // { numbering: true }: ?split=true&numbering=true
 * parseSplitOption(undefined); // undefined: do not split
 * ```
 */
export function parseSplitOption(value: unknown, numberingValue?: unknown): SplitOption | undefined {
  const numbering = parseNumbering(numberingValue);
  const split = parseSplitValue(value);
  if (numbering === undefined) return split;
  if (!split)
    throw new ValidationError([{ field: 'numbering', rule: 'numbers the parts of a split: give it with split=true (or "split": true)' }]);
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { numbering?: unknown }).numbering !== undefined &&
    split.numbering !== numbering
  ) {
    throw new ValidationError([{ field: 'numbering', rule: 'says otherwise than split.numbering: give one of them' }]);
  }
  return { numbering: split.numbering || numbering };
}

/** `numbering` beside `split`: a boolean, or "true" / "false" from a query string; absent or empty is undefined. */
function parseNumbering(value: unknown): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ValidationError([{ field: 'numbering', rule: `must be true or false, got ${typeName(value)} ${JSON.stringify(value)}` }]);
}

function parseSplitValue(value: unknown): SplitOption | undefined {
  if (value === undefined || value === false || value === 'false' || value === '') return undefined;
  if (value === true || value === 'true') return { numbering: false };
  if (value === 'numbered') return { numbering: true };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { numbering, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length === 0 && (numbering === undefined || typeof numbering === 'boolean')) return { numbering: numbering === true };
  }
  throw new ValidationError([
    {
      field: 'split',
      rule: `must be true, false, "numbered" or {"numbering": true|false}, got ${typeof value === 'object' ? JSON.stringify(value) : `${typeName(value)} ${JSON.stringify(value)}`}`,
    },
  ]);
}

/**
 * The 400 for a text over the cap: it names the size, the cap and the split option.
 *
 * @example
 * ```ts
 * textTooLongError(3000, 2048).message;
 * // 'text.content: is 3000 bytes of UTF-8, over the cap of 2048 (TEXT_MAX_BYTES; WeChat answers 45002 ...'
 * ```
 */
export function textTooLongError(bytes: number, cap: number): ValidationError {
  return new ValidationError([
    {
      field: 'text.content',
      rule:
        `is ${bytes} bytes of UTF-8, over the cap of ${cap} (TEXT_MAX_BYTES; WeChat answers 45002 from about 2048 bytes); ` +
        `ask for it to be sent in parts with "split": true (or "numbered"; ?split=true over HTTP), one send per part, or shorten it`,
    },
  ]);
}

/** The text of a text send, when it is one. */
function textOf(input: Record<string, unknown>): string | undefined {
  if (input.msgtype !== 'text') return undefined;
  const text = input.text as { content?: unknown } | undefined;
  return typeof text?.content === 'string' ? text.content : undefined;
}

/**
 * Checks a parsed send input against the cap and normalises its split option: answers the input with
 * `split` as `{numbering}`, or without `split` when it does not ask to split. Called by the catalogue's
 * parse of every send operation.
 *
 * @throws {ValidationError} a bad `split`, `split` on a message that is not text, or a text over the cap
 *   without `split`.
 * @example
 * ```ts
 * checkSplit({ touser, msgtype: 'text', text: { content: long }, split: 'numbered' }, 2048).split; // { numbering: true }
 * ```
 */
export function checkSplit<T extends Record<string, unknown>>(input: T, cap = DEFAULT_TEXT_MAX_BYTES): T & { split?: SplitOption } {
  const split = parseSplitOption(input.split, input.numbering);
  const text = textOf(input);
  if (split && input.msgtype !== 'text')
    throw new ValidationError([{ field: 'split', rule: `applies to text messages only, not ${String(input.msgtype)}` }]);
  if (text !== undefined && !split) {
    const bytes = utf8Bytes(text);
    if (bytes > cap) throw textTooLongError(bytes, cap);
  }
  // Most inputs carry no split option: they are given back as they are, not copied.
  if (!('split' in input) && !('numbering' in input)) return input as T & { split?: SplitOption };
  const { split: _raw, numbering: _numbering, ...rest } = input;
  return (split ? { ...rest, split } : rest) as T & { split?: SplitOption };
}

/**
 * The body WeChat gets: the input without the product's `split` option.
 *
 * @example
 * ```ts
 * wechatBody({ touser, msgtype: 'text', text: { content: 'hi' }, split: { numbering: false } }); // no split
 * ```
 */
export function wechatBody<T extends Record<string, unknown>>(input: T): Omit<T, 'split'> {
  if (!('split' in input)) return input;
  const { split: _split, ...rest } = input;
  return rest;
}

/**
 * The parts a send input goes out as: its text cut to the cap when it asks to split and is over the cap,
 * else one part (the input as it is). The send entries' `parts` hook: the runner cuts a text once, counts
 * the parts at the gate and hands them to the send (core/runner/run.ts).
 *
 * @example
 * ```ts
 * partsOf({ msgtype: 'text', text: { content: 'x'.repeat(5000) }, split: true }, 2048).length; // 3
 * ```
 */
export function partsOf(input: Record<string, unknown>, cap = DEFAULT_TEXT_MAX_BYTES): string[] {
  const text = textOf(input);
  const split = parseSplitOption(input.split);
  if (text === undefined || !split) return [text ?? ''];
  return splitText(text, { maxBytes: cap, numbering: split.numbering });
}

/** The input of one part: the body without `split`, with the part's text. */
export function partInput<T extends Record<string, unknown>>(input: T, part: string): Omit<T, 'split'> {
  return { ...wechatBody(input), text: { ...(input.text as object), content: part } };
}

/** What the loop needs: a send of one part, and (optionally) where to start and what to do after each. */
export interface PartSender {
  /** Sends one part's input (one WeChat call); throws on any failure. */
  send(input: Record<string, unknown>, part: number, parts: number): Promise<unknown>;
  /** Parts already sent under the same idempotency key (a retry): start after them. Default 0. */
  from?: number;
  /** After part `part` went out, before the next is sent (records progress for a retry). */
  sent?(part: number, parts: number): Promise<void>;
}

/** What a split send answers. */
export interface SplitResult {
  errcode: 0;
  errmsg: 'ok';
  /** How many parts the text was sent as. */
  parts: number;
  /** Parts sent by this call (fewer than `parts` when a retry resumed). */
  partsSentNow: number;
  /** The parts before this one had gone out in an earlier try under the same key. */
  resumedAt?: number;
}

/**
 * Sends the parts in order, from `from`; stops at the first failure.
 *
 * @throws {PartialSendError} a part failed: with the parts sent so far and the part's own error.
 * @example
 * ```ts
 * await sendParts(input, partsOf(input, 2048), { send: (body) => wechat.request({ method: 'POST', path, json: body }) });
 * ```
 */
export async function sendParts(input: Record<string, unknown>, parts: readonly string[], sender: PartSender): Promise<SplitResult> {
  const from = sender.from ?? 0;
  for (let i = from; i < parts.length; i++) {
    try {
      await sender.send(partInput(input, parts[i]!), i + 1, parts.length);
    } catch (error) {
      throw new PartialSendError(error, { parts: parts.length, partsSent: i });
    }
    try {
      await sender.sent?.(i + 1, parts.length);
    } catch (error) {
      // The part went out but its progress could not be kept: stop, so a retry cannot repeat it unknowingly.
      throw new PartialSendError(error, { parts: parts.length, partsSent: i + 1 });
    }
  }
  return { errcode: 0, errmsg: 'ok', parts: parts.length, partsSentNow: parts.length - from, ...(from > 0 ? { resumedAt: from + 1 } : {}) };
}
