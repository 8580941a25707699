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
