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
import { z } from 'zod';
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
