/**
 * Pushes exactly as WeChat sends them (query and body), for tests: signed, and in safe or compatible
 * mode encrypted. The product never writes pushes; only tests (and the sandbox, with its own writer
 * built from the reference) do.
 *
 * @example
 * ```ts
 * const { query, body } = buildPush({ message: { ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1714112445,
 *   MsgType: 'text', Content: 'hi', MsgId: '24436487191827123456' }, token, crypto, mode: 'safe' });
 * openPush({ query, body, token, crypto }).message.Content; // 'hi'
 * ```
 */
import { randomBytes } from 'crypto';
import {
  computeSignature,
  requireToken,
  timestampText,
  toXml,
  type PushFormat,
  type PushMode,
  type WeChatCrypto,
  type XmlRecord,
} from '../../functions/core/callback';
import { ConfigurationError } from '../../functions/core/errors';

/** JSON of a record, with bigints written as bare integers (as WeChat writes MsgId). */
function toJson(record: XmlRecord): string {
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? `\u0000bigint:${value}` : value)).replace(
    /"\\u0000bigint:(-?[0-9]+)"/g,
    '$1',
  );
}

/** What {@link buildPush} needs. */
export interface BuildPushOptions {
  /** The message or event, as WeChat would push it. */
  message: XmlRecord;
  token: string;
  /** Required for `safe` and `compatible`. */
  crypto?: WeChatCrypto;
  /** Default `plain`. */
  mode?: PushMode;
  /** Default `xml`. */
  format?: PushFormat;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Default: 9 random digits. */
  nonce?: string;
  random16?: Uint8Array;
}

/**
 * Builds a push exactly as WeChat sends it (query and body), for tests and for the sandbox's pushes to
 * a callback URL: signed, and in safe or compatible mode encrypted.
 *
 * @example
 * ```ts
 * const { query, body } = buildPush({ message: { ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1714112445,
 *   MsgType: 'text', Content: 'hi', MsgId: '24436487191827123456' }, token, crypto, mode: 'safe' });
 * openPush({ query, body, token, crypto }).message.Content; // 'hi'
 * ```
 */
export function buildPush(options: BuildPushOptions): { query: Record<string, string>; body: string } {
  requireToken(options.token);
  const mode = options.mode ?? 'plain';
  const format = options.format ?? 'xml';
  const timestamp = timestampText(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE(0) % 1_000_000_000);
  const write = (record: XmlRecord) => (format === 'xml' ? toXml(record) : toJson(record));
  const query: Record<string, string> = {
    signature: computeSignature(options.token, timestamp, nonce),
    timestamp,
    nonce,
  };
  const openid = options.message.FromUserName;
  if (typeof openid === 'string') query.openid = openid;
  const plaintext = write(options.message);
  if (mode === 'plain') return { query, body: plaintext };
  if (!options.crypto) throw new ConfigurationError(`a ${mode}-mode push needs the crypto (encodingAesKey)`);
  const encrypt = options.crypto.encrypt(plaintext, options.random16);
  query.encrypt_type = 'aes';
  query.msg_signature = computeSignature(options.token, timestamp, nonce, encrypt);
  const body =
    mode === 'safe' ? write({ ToUserName: options.message.ToUserName, Encrypt: encrypt }) : write({ ...options.message, Encrypt: encrypt });
  return { query, body };
}
