/**
 * What the callback does for handoff (docs/handoff.md), in one read or write of the user's record per push:
 * - a kf_create_session / kf_switch_session / kf_close_session push updates the human session;
 * - any other push reads the user's mark and human session;
 * - a message (not an event) from a marked user is answered with `transfer_customer_service` (to the
 *   mark's kf account when it names one), encrypted when the push was, so WeChat routes the user to its desk.
 *
 * The callback calls it before its dedup, so a push WeChat retries (because the first answer was late)
 * gets the same transfer again.
 *
 * @example
 * ```ts
 * const { reply, humanSession } = await handoffOnPush(ctx, opened, crypto);
 * return textAnswer(200, reply ?? 'success');
 * ```
 */
import type { OpenedPush, WeChatCrypto } from '../core/callback';
import { transferReply } from '../core/handoff-reply';
import { SESSION_EVENTS, type HandoffState } from '../store/handoff';
import type { AppContext } from '../context/context';
import { humanSessionView, type HumanSessionView } from '../context/handoff-service';

export { humanSessionView, type HumanSessionView };

/** What the callback learns. */
export interface HandoffOnPush {
  /** The passive reply to answer with, instead of `success`. */
  reply?: string;
  /** The user's human session after this push. */
  humanSession: HumanSessionView | null;
  /** Set when this push was a transfer. */
  transferredTo?: string | null;
}

/** Reads (or, for a kf session event, writes) the user's handoff state and builds the reply. */
export async function handoffOnPush(ctx: AppContext, opened: OpenedPush, crypto: WeChatCrypto | undefined): Promise<HandoffOnPush> {
  const { message } = opened;
  const openid = message.FromUserName;
  const sessionEvent = message.MsgType === 'event' ? SESSION_EVENTS[String(message.Event)] : undefined;
  let state: HandoffState;
  if (sessionEvent) {
    const kf = sessionEvent === 'switch' ? message.ToKfAccount : message.KfAccount;
    state = await ctx.handoffs.recordSession(openid, sessionEvent, typeof kf === 'string' ? kf : undefined, message.CreateTime * 1000);
  } else {
    state = await ctx.handoffs.read(openid);
  }
  const humanSession = humanSessionView(state.humanSession);
  if (message.MsgType === 'event' || !state.mark) return { humanSession };
  const reply = transferReply(opened, { kfAccount: state.mark.kf_account, crypto, now: ctx.now() });
  return { reply, humanSession, transferredTo: state.mark.kf_account ?? null };
}
