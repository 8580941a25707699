/**
 * The passive reply that hands a user to the customer-service desk: WeChat routes a user to a human agent
 * when the answer to their push is a `transfer_customer_service` reply, optionally naming the kf account
 * (`<TransInfo><KfAccount>…</KfAccount></TransInfo>`), in the push's format, and encrypted when the push
 * was (docs/handoff.md). No API call can do this: only the answer to the user's own push.
 *
 * @example
 * ```ts
 * const body = transferReply({ message, mode, format }, { kfAccount: 'kf1@wx', crypto, now: Date.now() });
 * ```
 */
import { randomBytes } from 'crypto';
import {
  buildPassiveReply,
  encryptReply,
  type InboundMessage,
  type PassiveReply,
  type PushFormat,
  type PushMode,
  type WeChatCrypto,
} from './callback';
import { ValidationError } from './errors';

/** What {@link transferReply} answers. */
export interface TransferReplyOptions {
  /** The kf account to name; absent: any agent. */
  kfAccount?: string;
  /** The account's crypto: the reply is encrypted when the push was (safe and compatible mode). */
  crypto?: WeChatCrypto;
  /** ms */
  now: number;
}

/**
 * The body that answers a push with a transfer to the desk: XML (or JSON for a JSON push) addressed back
 * to the user; in safe and compatible mode the encrypted envelope (`Encrypt`, `MsgSignature`,
 * `TimeStamp`, `Nonce`). A safe-mode push without crypto cannot be answered (openPush refused it already).
 *
 * @example
 * ```ts
 * transferReply({ message, mode: 'plain', format: 'xml' }, { now: Date.now() });
 * // '<xml><ToUserName><![CDATA[OPENID]]></ToUserName>...<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>'
 * ```
 */
export function transferReply(push: { message: InboundMessage; mode: PushMode; format: PushFormat }, options: TransferReplyOptions): string {
  const trans = options.kfAccount ? { TransInfo: { KfAccount: options.kfAccount } } : {};
  return passiveReplyTo(push, { MsgType: 'transfer_customer_service', ...trans }, options);
}

/**
 * Any passive reply to a push (a transfer, or the out-of-hours text of keyword handoff): addressed back to
 * the user, in the push's format, encrypted when the push was.
 *
 * @example
 * ```ts
 * passiveReplyTo(opened, { MsgType: 'text', Content: 'We are closed until 9:00.' }, { crypto, now: Date.now() });
 * ```
 */
export function passiveReplyTo(
  push: { message: InboundMessage; mode: PushMode; format: PushFormat },
  fields: PassiveReply,
  options: { crypto?: WeChatCrypto; now: number },
): string {
  const createTime = Math.floor(options.now / 1000);
  const { message, format } = push;
  const plain =
    format === 'json'
      ? JSON.stringify({ ToUserName: message.FromUserName, FromUserName: message.ToUserName, CreateTime: createTime, ...fields })
      : buildPassiveReply(message, fields, createTime);
  if (push.mode === 'plain') return plain;
  if (!options.crypto) {
    if (push.mode === 'safe') throw new ValidationError([{ field: 'encodingAesKey', rule: 'a safe-mode push can only be answered encrypted' }]);
    return plain;
  }
  return encryptReply(plain, options.crypto, createTime, String(randomBytes(4).readUInt32BE(0) % 1_000_000_000), { format });
}
