/**
 * The replay mark of a plain-mode push (docs/callback-modes.md). See ./index.ts for the choices made.
 *
 * A plain push's `signature` covers token, timestamp and nonce, never the body: whoever saw one signed
 * URL could post another body under it while its timestamp is fresh. So a callback accepts each
 * (timestamp, nonce, signature) once, for one message: it keeps this mark, with the message's
 * {@link dedupKey}, for {@link replayTtlSeconds}. WeChat's own retry repeats both the query and the
 * message, so the same message under the same mark is a retry, another message is a replay.
 * The product keeps marks in DynamoDB (a conditional write), the n8n trigger in workflow static data.
 */
import { createHash } from 'crypto';
import type { CallbackQuery } from './types';
import { queryValue } from './signature';

/**
 * The replay mark of a push's signed query: a hash of its timestamp, nonce and signature (the query can
 * be long), or undefined when one of them is missing (such a push was refused before).
 *
 * @example
 * ```ts
 * const mark = plainReplayKey({ timestamp: '1714036504', nonce: '1514711492', signature: 'f464b2…' });
 * // 'sig:…' (64 hex digits)
 * ```
 */
export function plainReplayKey(query: CallbackQuery | null | undefined): string | undefined {
  const timestamp = queryValue(query, 'timestamp');
  const nonce = queryValue(query, 'nonce');
  const signature = queryValue(query, 'signature');
  if (!timestamp || !nonce || !signature) return undefined;
  return `sig:${createHash('sha256').update(`${timestamp}\n${nonce}\n${signature.trim().toLowerCase()}`).digest('hex')}`;
}

/**
 * How long a replay mark must be kept, in seconds: the skew window on both sides of now (a timestamp
 * older than that is refused as stale anyway), or a day when the timestamp check is off.
 *
 * @example
 * ```ts
 * replayTtlSeconds(300); // 601
 * replayTtlSeconds(Infinity); // 86400
 * ```
 */
export function replayTtlSeconds(maxSkewSeconds: number): number {
  return Number.isFinite(maxSkewSeconds) ? Math.ceil(2 * maxSkewSeconds) + 1 : 86_400;
}
