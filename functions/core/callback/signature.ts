/** Callback signatures and the URL check. See ./index.ts for the choices made. */
import { createHash, timingSafeEqual } from 'crypto';
import { ConfigurationError, SignatureError } from '../errors';
import { CallbackQuery } from './types';
/**
 * WeChat's callback signature: the SHA-1 (lowercase hex) of token, timestamp, nonce (and, for
 * `msg_signature`, the `Encrypt` field) sorted as strings and joined without a separator.
 *
 * @example
 * ```ts
 * computeSignature('AAAAA', '1714036504', '1514711492'); // 'f464b24fc39322e44b38aa78f5edd27bd1441696'
 * ```
 */
export function computeSignature(token: string, timestamp: string, nonce: string, encrypt?: string): string {
  const parts = [String(token), String(timestamp), String(nonce)];
  if (encrypt !== undefined) parts.push(String(encrypt));
  return createHash('sha1').update(parts.sort().join(''), 'utf8').digest('hex');
}

/** Compares a computed signature with a received one in constant time (for equal lengths). */
export function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.trim().toLowerCase(), 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** One query parameter, or undefined when absent or empty. */
export function queryValue(query: CallbackQuery | null | undefined, name: string): string | undefined {
  const raw = query?.[name];
  if (raw === undefined || raw === null) return undefined;
  let value: string | undefined;
  if (typeof raw === 'string') value = raw;
  else if (raw.length === 1) value = raw[0];
  else if (raw.length === 0) value = undefined;
  else throw new SignatureError(`query parameter ${name} is given more than once`);
  return value === undefined || value === '' ? undefined : value;
}

/** One query parameter that must be there. */
export function requireQuery(query: CallbackQuery | null | undefined, name: string): string {
  const value = queryValue(query, name);
  if (value === undefined) throw new SignatureError(`query parameter ${name} is missing`);
  return value;
}

export function requireToken(token: unknown): asserts token is string {
  if (typeof token !== 'string' || token === '') {
    throw new ConfigurationError(
      "the callback token is not configured: set the Token entered in the official account's server configuration",
    );
  }
}

/**
 * Answers WeChat's URL verification (the GET sent when the callback URL is saved): returns `echostr`
 * unchanged when `signature` verifies, to be sent back as the response body. Throws
 * {@link SignatureError} when a parameter is missing or the signature does not verify.
 *
 * The timestamp is not checked for freshness here: answering a replayed verification reveals nothing.
 *
 * @example
 * ```ts
 * verifyUrl({ signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504',
 *   nonce: '1514711492', echostr: '4375120948345356249' }, 'AAAAA'); // '4375120948345356249'
 * ```
 */
export function verifyUrl(query: CallbackQuery | null | undefined, token: string): string {
  requireToken(token);
  const signature = requireQuery(query, 'signature');
  const timestamp = requireQuery(query, 'timestamp');
  const nonce = requireQuery(query, 'nonce');
  const echostr = requireQuery(query, 'echostr');
  if (!signatureMatches(computeSignature(token, timestamp, nonce), signature)) {
    throw new SignatureError('signature does not match: check that the Token configured here is the one entered in the official account');
  }
  return echostr;
}
