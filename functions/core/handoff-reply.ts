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
import type { InboundMessage, PushFormat, PushMode, WeChatCrypto } from './callback';
import { passiveReplyBody } from './passive-reply-body';

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
export function transferReply(
  push: { message: InboundMessage; mode: PushMode; format: PushFormat },
  options: TransferReplyOptions,
): string {
  const trans = options.kfAccount ? { TransInfo: { KfAccount: options.kfAccount } } : {};
  return passiveReplyBody(push, { MsgType: 'transfer_customer_service', ...trans }, options);
}
