/** Opening a push: signatures, timestamp, decryption, then the message. See ./index.ts for the choices made. */
import { ConfigurationError, SignatureError, ValidationError } from '../errors';
import { DEFAULT_MAX_SKEW_SECONDS, CallbackQuery, PushFormat, PushMode } from './types';
import { computeSignature, signatureMatches, queryValue, requireQuery, requireToken } from './signature';
import { WeChatCrypto } from './crypto';
import { parseBody } from './parse';
import { InboundMessage, toInboundMessage } from './message';
/** What {@link openPush} needs. */
export interface OpenPushOptions {
  /** The request's query string (signature, timestamp, nonce, and in safe mode encrypt_type, msg_signature). */
  query: CallbackQuery | null | undefined;
  /** The request body, as text. */
  body: string;
  /** The Token of the server configuration. */
  token: string;
  /** The account's safe-mode crypto; needed for safe mode, used for compatible mode when given. */
  crypto?: WeChatCrypto;
  /** Only quoted in errors: the format is told from the body. */
  contentType?: string;
  /** How far the timestamp may be from now, in seconds. Default 300; `Infinity` turns the check off. */
  maxSkewSeconds?: number;
  /** The current time in ms since the epoch, or a function giving it. Default `Date.now`. */
  now?: number | (() => number);
  /**
   * What this callback accepts (WECHAT_CALLBACK_MODE; see {@link resolveCallbackMode}). In `safe` and
   * `compatible` mode a push without `encrypt_type=aes` and a valid `msg_signature` is refused: its
   * `signature` covers only token, timestamp and nonce, never the body, so anyone who saw one push URL
   * could post another body within the skew window. Default `plain` (everything is read).
   */
  callbackMode?: CallbackMode;
}

/** What a callback accepts: `plain` pushes, or only encrypted ones (`compatible`, `safe`). */
export type CallbackMode = 'plain' | 'compatible' | 'safe';

/**
 * The callback mode in force: the one set, else `safe` when an EncodingAESKey is configured, else `plain`.
 *
 * @throws ConfigurationError naming WECHAT_CALLBACK_MODE when it is not one of the three, or asks for
 *   encryption without an EncodingAESKey.
 * @example
 * ```ts
 * resolveCallbackMode(undefined, true); // 'safe'
 * resolveCallbackMode('plain', true); // 'plain'
 * ```
 */
export function resolveCallbackMode(setting: string | undefined, hasAesKey: boolean): CallbackMode {
  if (setting === undefined || setting === '') return hasAesKey ? 'safe' : 'plain';
  if (setting !== 'plain' && setting !== 'compatible' && setting !== 'safe') {
    throw new ConfigurationError(`WECHAT_CALLBACK_MODE must be plain, compatible or safe, got ${JSON.stringify(setting)}`);
  }
  if (setting !== 'plain' && !hasAesKey) {
    throw new ConfigurationError(
      `WECHAT_CALLBACK_MODE=${setting} needs the EncodingAESKey: set WECHAT_ENCODING_AES_KEY (encodingAesKey in the secret)`,
    );
  }
  return setting;
}

/** What {@link openPush} found. */
export interface OpenedPush {
  message: InboundMessage;
  mode: PushMode;
  /** The format of the request body (and so of a passive reply). */
  format: PushFormat;
}

function checkTimestamp(timestamp: string, options: OpenPushOptions): void {
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw new SignatureError('timestamp must be whole seconds since the epoch');
  const max = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  if (typeof max !== 'number' || Number.isNaN(max) || max < 0) {
    throw new ConfigurationError('maxSkewSeconds must be a number of seconds, 0 or more');
  }
  const now = options.now;
  const nowMs = typeof now === 'function' ? now() : (now ?? Date.now());
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs))
    throw new ConfigurationError('now must give the current time in ms since the epoch');
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > max) {
    throw new SignatureError(`stale timestamp: ${Math.round(skew)} s away from this server's clock, more than the ${max} s allowed`);
  }
}

/**
 * Opens one POSTed push: verifies `signature`, then the timestamp (within `maxSkewSeconds` of `now`),
 * parses the body (XML or JSON), and in safe or compatible mode (`encrypt_type=aes`, or an `Encrypt`
 * field with a `msg_signature`) verifies `msg_signature` over `Encrypt` and decrypts it. The decrypted
 * message is the truth: plaintext fields beside `Encrypt` (compatible mode) are only read when no crypto
 * is configured.
 *
 * @throws SignatureError for a missing query parameter (named), a signature or msg_signature that does
 *   not verify, a stale timestamp, or an `Encrypt` that does not decrypt for this account.
 * @throws ValidationError when the body (or the decrypted message) cannot be read, or lacks a required field.
 * @throws ConfigurationError when the token is missing, or a safe-mode push comes and no crypto is configured.
 * @example
 * ```ts
 * const { message, mode, format } = openPush({
 *   query: { signature, timestamp, nonce, encrypt_type: 'aes', msg_signature },
 *   body, token: 'AAAAA', crypto: new WeChatCrypto('AAAAA', 'A'.repeat(43), 'wxba5fad812f8e6fb9'),
 * });
 * // mode 'safe', format 'json', message.Event 'debug_demo'
 * ```
 */
export function openPush(options: OpenPushOptions): OpenedPush {
  const { query, token } = options;
  requireToken(token);
  const signature = requireQuery(query, 'signature');
  const timestamp = requireQuery(query, 'timestamp');
  const nonce = requireQuery(query, 'nonce');
  if (!signatureMatches(computeSignature(token, timestamp, nonce), signature)) {
    throw new SignatureError('signature does not match: check that the Token configured here is the one entered in the official account');
  }
  checkTimestamp(timestamp, options);

  const encryptType = queryValue(query, 'encrypt_type');
  if (encryptType !== undefined && encryptType !== 'aes' && encryptType !== 'raw') {
    throw new ValidationError([{ field: 'encrypt_type', rule: 'must be aes or raw' }]);
  }
  const { fields: outer, format } = parseBody(options.body, options.contentType);
  const encrypt = outer.Encrypt;
  const encrypted = encryptType === 'aes' || (encrypt !== undefined && queryValue(query, 'msg_signature') !== undefined);
  const required = options.callbackMode ?? 'plain';
  if (required !== 'plain') {
    // Nothing of an unencrypted push is believed here: it changes nothing and is refused as unauthentic.
    if (encryptType !== 'aes') {
      throw new SignatureError(
        `this callback is in ${required} mode: a push must carry encrypt_type=aes and a msg_signature (its signature alone does not cover the body)`,
      );
    }
    if (!options.crypto)
      throw new ConfigurationError(`${required} mode needs the EncodingAESKey: set WECHAT_ENCODING_AES_KEY (encodingAesKey in the secret)`);
  }
  if (!encrypted) return { message: toInboundMessage(outer), mode: 'plain', format };

  if (typeof encrypt !== 'string' || encrypt.trim() === '') {
    throw new ValidationError([{ field: 'Encrypt', rule: 'is required in safe mode (encrypt_type=aes)' }]);
  }
  const msgSignature = requireQuery(query, 'msg_signature');
  if (!signatureMatches(computeSignature(token, timestamp, nonce, encrypt), msgSignature)) {
    throw new SignatureError('msg_signature does not match the Encrypt field');
  }
  const compatible = Object.keys(outer).some((k) => k !== 'ToUserName' && k !== 'Encrypt');
  if (!options.crypto) {
    if (compatible) {
      const { Encrypt: _encrypt, ...plain } = outer;
      return { message: toInboundMessage(plain), mode: 'compatible', format };
    }
    throw new ConfigurationError(
      'this push is encrypted (safe mode, encrypt_type=aes) but no encodingAesKey is configured: set the EncodingAESKey of the official account',
    );
  }
  const inner = parseBody(options.crypto.decrypt(encrypt)).fields;
  return { message: toInboundMessage(inner), mode: compatible ? 'compatible' : 'safe', format };
}
