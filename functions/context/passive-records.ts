/**
 * Delivery records of passive replies that are not written by the waiting callback (docs/passive-replies.md):
 * a kept answer that expired or was replaced. Apart from passive-wait.ts so that the reply operation does
 * not carry the callback's XML and crypto (docs/bundles.md).
 */
import type { StoredReply } from '../store/passive-replies';
import type { AppContext } from './context';
import { DeliveryLog } from './delivery-log';

/** The operation delivery records of passive replies name. */
export const REPLY_OPERATION = 'sendReply';

/**
 * The delivery record of a kept answer that never went out: it expired, or a later one replaced it.
 *
 * @example
 * ```ts
 * await recordKeptExpired(ctx, openid, replaced.reply, 'kept-replaced');
 * ```
 */
export async function recordKeptExpired(
  ctx: AppContext,
  openid: string,
  reply: StoredReply,
  reason: 'kept-expired' | 'kept-replaced',
): Promise<void> {
  const log = new DeliveryLog(ctx);
  log.report({
    openid,
    operation: REPLY_OPERATION,
    msgtype: reply.message.msgtype,
    at: ctx.now(),
    outcome: 'expired',
    reason,
    channel: 'passive',
    ...(reply.source ? { source: reply.source } : {}),
    content: reply.message[reply.message.msgtype],
  });
  await log.flush();
}
