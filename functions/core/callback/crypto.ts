/** Safe mode (AES) crypto of pushes and replies. See ./index.ts for the choices made. */
import { createCipheriv, createDecipheriv, randomBytes, randomInt, timingSafeEqual } from 'crypto';
import { ConfigurationError, SignatureError, ValidationError } from '../errors';
import { computeSignature, requireToken } from './signature';
/** WeChat pads to a multiple of 32 bytes (PKCS#7 with a 32-byte block), not AES's 16. */
const PAD_BLOCK = 32;
const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;
const BASE64_TEXT = /^[A-Za-z0-9+/]+={0,2}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The characters of an EncodingAESKey as WeChat's admin console generates one: letters and digits. */
export const ENCODING_AES_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The length of an EncodingAESKey. */
export const ENCODING_AES_KEY_LENGTH = 43;

/**
 * A random EncodingAESKey: `length` characters drawn uniformly (crypto.randomInt, no modulo bias) from
 * `alphabet`, by default 43 letters and digits, what WeChat's admin console accepts in its server
 * configuration ("EncodingAESKey: enter or generate").
 *
 * @throws ConfigurationError when the alphabet is empty or repeats a character, or the length is not 1 to 256.
 * @example
 * ```ts
 * const key = generateEncodingAesKey(); // e.g. 'k3Jd…' (43 characters of [A-Za-z0-9])
 * new WeChatCrypto('token', key, 'wx0123456789abcdef'); // accepted
 * ```
 */
export function generateEncodingAesKey(alphabet: string = ENCODING_AES_KEY_ALPHABET, length: number = ENCODING_AES_KEY_LENGTH): string {
  const chars = [...alphabet];
  if (chars.length === 0 || new Set(chars).size !== chars.length) {
    throw new ConfigurationError('the alphabet of a generated key must be at least one character, none repeated');
  }
  if (!Number.isInteger(length) || length < 1 || length > 256)
    throw new ConfigurationError('the length of a generated key must be a whole number from 1 to 256');
  let key = '';
  for (let i = 0; i < length; i++) key += chars[randomInt(chars.length)];
  return key;
}

/**
 * Safe-mode (and compatible-mode) crypto of one official account: AES-256-CBC with the key
 * `base64(EncodingAESKey + "=")`, the IV its first 16 bytes, over
 * `16 random bytes | 4-byte big-endian length | message (UTF-8) | appid`, padded PKCS#7-style to a
 * multiple of 32 bytes. Decryption checks the padding and the trailing appid.
 *
 * The token and key are kept in private fields: they do not show in `console.log` or `JSON.stringify`.
 *
 * @example
 * ```ts
 * const crypto = new WeChatCrypto('AAAAA', 'A'.repeat(43), 'wxba5fad812f8e6fb9');
 * const encrypt = crypto.encrypt('<xml>...</xml>');
 * crypto.decrypt(encrypt); // '<xml>...</xml>'
 * ```
 */
export class WeChatCrypto {
  /** The AppID the messages are encrypted for. */
  readonly appId: string;
  readonly #token: string;
  readonly #key: Buffer;
  readonly #iv: Buffer;
  readonly #appIdBytes: Buffer;

  /**
   * @param token the Token of the server configuration (used for `msg_signature`).
   * @param encodingAesKey the EncodingAESKey: 43 characters of base64.
   * @param appId the official account's AppID, which every decrypted message must end with.
   * @throws ConfigurationError naming the setting that is wrong (never echoing it).
   */
  constructor(token: string, encodingAesKey: string, appId: string) {
    requireToken(token);
    if (typeof encodingAesKey !== 'string' || encodingAesKey === '') {
      throw new ConfigurationError('encodingAesKey is not configured: set the EncodingAESKey of the official account (43 characters)');
    }
    if (encodingAesKey.length !== 43) {
      throw new ConfigurationError(`encodingAesKey must be 43 characters of base64; the one configured has ${encodingAesKey.length}`);
    }
    if (!BASE64_CHARS.test(encodingAesKey)) {
      throw new ConfigurationError(
        'encodingAesKey must be 43 characters of base64 (A-Z, a-z, 0-9, + and /); the one configured holds other characters',
      );
    }
    if (typeof appId !== 'string' || appId.trim() === '') {
      throw new ConfigurationError('appId is not configured: safe mode needs the AppID of the official account');
    }
    const key = Buffer.from(`${encodingAesKey}=`, 'base64');
    if (key.length !== 32) {
      throw new ConfigurationError('encodingAesKey does not decode to a 32-byte AES key');
    }
    this.#token = token;
    this.#key = key;
    this.#iv = key.subarray(0, 16);
    this.appId = appId;
    this.#appIdBytes = Buffer.from(appId, 'utf8');
  }

  /**
   * The `msg_signature` of an `Encrypt` value: {@link computeSignature} with this account's token.
   *
   * @example
   * ```ts
   * crypto.sign('1714112445', '415670741', encrypt); // '046e02f8...'
   * ```
   */
  sign(timestamp: string, nonce: string, encrypt: string): string {
    return computeSignature(this.#token, timestamp, nonce, encrypt);
  }

  /**
   * Encrypts a message (the XML or JSON of a reply or a push) and returns the base64 `Encrypt` value.
   * `random16` (16 bytes) makes the result reproducible in tests; by default it is random.
   *
   * @example
   * ```ts
   * const encrypt = crypto.encrypt('{"MsgType":"text","Content":"hi"}');
   * ```
   */
  encrypt(message: string, random16?: Uint8Array): string {
    if (typeof message !== 'string') throw new ValidationError([{ field: 'message', rule: 'must be a string' }]);
    const random = random16 ?? randomBytes(16);
    if (random.length !== 16) throw new ValidationError([{ field: 'random16', rule: 'must be 16 bytes' }]);
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const raw = Buffer.concat([random, length, body, this.#appIdBytes]);
    const pad = PAD_BLOCK - (raw.length % PAD_BLOCK);
    const padded = Buffer.concat([raw, Buffer.alloc(pad, pad)]);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
  }

  /**
   * Decrypts an `Encrypt` value into the message it holds (XML or JSON text).
   *
   * Verify `msg_signature` first ({@link openPush} does): the signature is what proves the push came
   * from WeChat; this only proves it was encrypted with this key for this appid.
   *
   * @throws SignatureError when it is not base64, does not decrypt with this key (bad padding, bad
   *   length), or was encrypted for another appid ("appid mismatch").
   * @example
   * ```ts
   * new WeChatCrypto('AAAAA', 'A'.repeat(43), 'wxba5fad812f8e6fb9').decrypt('+qdx1OKCy+5J...');
   * // '{"ToUserName":"gh_97417a04a28d",...,"debug_str":"hello world"}'
   * ```
   */
  decrypt(encrypt: string): string {
    if (typeof encrypt !== 'string' || encrypt === '') throw new SignatureError('Encrypt is empty');
    const text = encrypt.trim();
    if (!BASE64_TEXT.test(text) || text.length % 4 !== 0) throw new SignatureError('Encrypt is not base64');
    const data = Buffer.from(text, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) {
      throw new SignatureError('Encrypt is not a whole number of AES blocks: it was not encrypted by WeChat');
    }
    const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv);
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    const pad = plain[plain.length - 1] ?? 0;
    let badPadding = pad < 1 || pad > PAD_BLOCK || pad > plain.length ? 1 : 0;
    if (!badPadding) {
      for (let i = plain.length - pad; i < plain.length; i++) badPadding |= (plain[i] ?? 0) ^ pad;
    }
    if (badPadding) {
      throw new SignatureError('Encrypt does not decrypt with the configured encodingAesKey (bad padding)');
    }
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new SignatureError('Encrypt does not decrypt with the configured encodingAesKey (too short)');
    const length = content.readUInt32BE(16);
    if (20 + length > content.length) {
      throw new SignatureError('Encrypt does not decrypt with the configured encodingAesKey (bad message length)');
    }
    const appId = content.subarray(20 + length);
    if (appId.length !== this.#appIdBytes.length || !timingSafeEqual(appId, this.#appIdBytes)) {
      throw new SignatureError(
        'appid mismatch: the message was encrypted for another AppID; check the appId and encodingAesKey configured',
      );
    }
    try {
      return UTF8.decode(content.subarray(20, 20 + length));
    } catch {
      throw new SignatureError('the decrypted message is not valid UTF-8');
    }
  }

  /** Keeps the token and key out of `JSON.stringify`. */
  toJSON(): { appId: string } {
    return { appId: this.appId };
  }
}
