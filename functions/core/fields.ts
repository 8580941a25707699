/**
 * The rules of the fields that name things this product keys its records by: one place, so the catalogue
 * (touser), `POST /interactions` and `GET /interactions/{openid}` (openid), the callback (FromUserName)
 * and the store all refuse the same values with the same words.
 *
 * Why bounds at all: every openid becomes part of a DynamoDB key (`WINDOW#<appId>#<openid>`), and
 * DynamoDB refuses a partition key over 2 048 bytes, which used to surface as a 500. WeChat's openids are
 * 28 characters of `[A-Za-z0-9_-]`; the bound here is far above that, so no real openid is refused
 * (docs/input-rules.md).
 *
 * @example
 * ```ts
 * openidIssue('oUser1'); // null
 * openidIssue('x'.repeat(3000)); // 'must have at most 128 characters, got 3000'
 * ```
 */
import * as z from 'zod/mini';
import { typeName } from './validation';

/** The longest openid accepted. WeChat's are 28 characters; unionids 28 too. */
export const OPENID_MAX_LENGTH = 128;

/** What an openid may hold: printable ASCII without spaces (WeChat's are `[A-Za-z0-9_-]`). */
const OPENID_CHARACTERS = /^[\x21-\x7e]+$/;

/**
 * What is wrong with an openid, in words, or `null` when it is fine.
 *
 * @example
 * ```ts
 * openidIssue('o user'); // 'must be an openid: printable characters without spaces'
 * ```
 */
export function openidIssue(value: unknown): string | null {
  if (value === undefined) return 'is required';
  if (typeof value !== 'string') return `must be an openid (a string), got ${typeName(value)}`;
  if (value.length === 0) return 'must not be empty';
  if (value.length > OPENID_MAX_LENGTH) return `must have at most ${OPENID_MAX_LENGTH} characters (an openid has 28), got ${value.length}`;
  if (!OPENID_CHARACTERS.test(value)) return 'must be an openid: printable characters without spaces';
  return null;
}

/**
 * The openid rule as a zod schema, for the catalogue and the interactions route.
 *
 * @example
 * ```ts
 * z.object({ touser: openidSchema() }).parse({ touser: 'oUser1' });
 * ```
 */
export function openidSchema() {
  return z.custom<string>((v) => openidIssue(v) === null, { error: (iss) => openidIssue(iss.input) ?? 'must be an openid' });
}

/** The longest URL accepted in a field WeChat shows users (music links, article links and pictures). */
export const URL_MAX_LENGTH = 2048;

/**
 * What is wrong with a link WeChat will show a user (music, hqmusic, an article's url and picurl), or
 * `null`: it must be an absolute http(s) URL. A `javascript:` or `data:` link would run or show
 * whatever it holds in the user's WeChat.
 *
 * @example
 * ```ts
 * httpUrlIssue('javascript:alert(1)'); // 'must be an http(s) URL, got a javascript: link'
 * ```
 */
export function httpUrlIssue(value: unknown): string | null {
  if (typeof value !== 'string') return `must be an http(s) URL (a string), got ${typeName(value)}`;
  if (value.length === 0) return 'must not be empty';
  if (value.length > URL_MAX_LENGTH) return `must have at most ${URL_MAX_LENGTH} characters, got ${value.length}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL, e.g. https://example.com/song.mp3';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http(s) URL, got a ${url.protocol} link`;
  if (!url.hostname) return 'must be an http(s) URL with a host';
  return null;
}

/**
 * The link rule as a zod schema; `optional` lets the field be left out (an article's url and picurl).
 *
 * @example
 * ```ts
 * z.object({ musicurl: httpUrlSchema() }).parse({ musicurl: 'https://example.com/a.mp3' });
 * ```
 */
export function httpUrlSchema(options: { optional?: boolean } = {}) {
  const schema = z.custom<string>((v) => httpUrlIssue(v) === null, {
    error: (iss) => (iss.input === undefined ? 'is required' : (httpUrlIssue(iss.input) ?? 'must be an http(s) URL')),
  });
  return options.optional ? z.optional(schema) : schema;
}

/** A lone surrogate: a high one not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * What is wrong with a text sent to WeChat, or `null`: it must be valid Unicode (no lone surrogate: JSON's
 * `"\ud800"` escapes make one, and no UTF-8 can carry it) and hold no NUL (U+0000, which WeChat's C
 * side reads as the end of the text). docs/input-rules.md.
 *
 * @example
 * ```ts
 * textIssue('hi\u0000'); // 'must not hold NUL (U+0000): found at character 3'
 * textIssue('\ud83d'); // 'must be valid Unicode: a lone surrogate U+D83D at character 1'
 * ```
 */
export function textIssue(value: string): string | null {
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `must not hold NUL (U+0000): found at character ${nul + 1}`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone)
    return `must be valid Unicode: a lone surrogate U+${lone[0].charCodeAt(0).toString(16).toUpperCase()} at character ${lone.index + 1}`;
  return null;
}

/**
 * Every string under `value` that breaks {@link textIssue}, as issues naming its dotted path (bytes are skipped).
 *
 * @example
 * ```ts
 * textIssues({ text: { content: 'a\u0000' } }); // [{ field: 'text.content', rule: 'must not hold NUL (U+0000): found at character 2' }]
 * ```
 */
export function textIssues(value: unknown, path = ''): Array<{ field: string; rule: string }> {
  if (typeof value === 'string') {
    const issue = textIssue(value);
    return issue ? [{ field: path || '(body)', rule: issue }] : [];
  }
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [];
  const out: Array<{ field: string; rule: string }> = [];
  for (const [key, inner] of Object.entries(value)) {
    const keyIssue = textIssue(key);
    if (keyIssue) out.push({ field: path ? `${path}.(key)` : '(key)', rule: keyIssue });
    out.push(...textIssues(inner, path ? `${path}.${key}` : key));
  }
  return out;
}
