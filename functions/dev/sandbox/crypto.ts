/**
 * The callback crypto WeChat uses, from docs/wechat-reference.md: SHA-1 signatures over the sorted
 * parts, and safe mode's AES-256-CBC with a 32-byte PKCS#7 block.
 *
 * @example
 * ```ts
 * const signature = sha1Signature('AAAAA', '1714036504', '1514711492'); // 'f464b24f...'
 * const encrypt = encryptMessage('A'.repeat(43), 'wxappid', '<xml>...</xml>');
 * decryptMessage('A'.repeat(43), encrypt); // { message: '<xml>...</xml>', appId: 'wxappid' }
 * ```
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SandboxUsageError } from './errcodes';

/** PKCS#7 block size of WeChat's scheme: 32 bytes, not AES's 16. */
const BLOCK = 32;

/**
 * WeChat's signature: SHA-1 (hex) of the parts sorted as strings and joined.
 * Plain `signature` uses [token, timestamp, nonce]; safe mode's `msg_signature` adds the Encrypt text.
 */
export function sha1Signature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/**
 * The 32-byte AES key of a 43-character EncodingAESKey.
 *
 * @throws {SandboxUsageError} when the key is not 43 base64 characters.
 */
export function aesKeyOf(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new SandboxUsageError('encodingAesKey must be 43 characters of [A-Za-z0-9+/]');
  }
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new SandboxUsageError('encodingAesKey must decode to 32 bytes');
  return key;
}

/**
 * Encrypts a message like WeChat: 16 random bytes, 4-byte big-endian length, message, appid; PKCS#7 to a
 * multiple of 32 bytes; AES-256-CBC with IV = the key's first 16 bytes; base64.
 */
export function encryptMessage(encodingAesKey: string, appId: string, message: string, random: Buffer = randomBytes(16)): string {
  const key = aesKeyOf(encodingAesKey);
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  const plain = Buffer.concat([random.subarray(0, 16), length, body, Buffer.from(appId, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const padded = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/**
 * Decrypts an `Encrypt` value; the inverse of {@link encryptMessage}.
 *
 * @throws {SandboxUsageError} when the text does not decrypt to WeChat's layout.
 */
export function decryptMessage(encodingAesKey: string, encrypted: string): { message: string; appId: string } {
  const key = aesKeyOf(encodingAesKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK || pad > padded.length) throw new SandboxUsageError('bad padding');
  const plain = padded.subarray(0, padded.length - pad);
  if (plain.length < 20) throw new SandboxUsageError('too short');
  const length = plain.readUInt32BE(16);
  if (20 + length > plain.length) throw new SandboxUsageError('bad length');
  return {
    message: plain.subarray(20, 20 + length).toString('utf8'),
    appId: plain.subarray(20 + length).toString('utf8'),
  };
}
