/**
 * Where turns and the conversation history plug into the shared paths, so each shared file calls one
 * function: the callback after an inbound message is recorded and published ({@link afterInbound}), the
 * delivery log after each send attempt ({@link afterSend}). Both do nothing when the features are off.
 *
 * @example
 * ```ts
 * await ctx.publisher.publish([event]);
 * await afterInbound(ctx, message, event.detail); // turns and history (docs/turns.md, docs/conversations.md)
 * ```
 */
// The message module alone: the callback's index would bring its XML parser into every function.
import { dedupKey, type InboundMessage } from '../../core/callback/message';
import { inboundEntry, sentEntry } from '../../core/conversations';
import type { DeliveryAttempt } from '../../core/deliveries';
import type { ConversationStore } from '../../store';
import type { TurnService } from './service';

/** What the hooks need from the context. */
export interface TurnHooksContext {
  turns?: TurnService;
  conversations?: ConversationStore;
  now: () => number;
}

/**
 * After an inbound message was recorded and published: keeps it in the user's conversation (with
 * CONVERSATION_RECORD=true) and adds it to their turn (with TURN_QUIET_MS). A failure fails the callback
 * (500), so WeChat pushes again; the turn's write is idempotent for the same push.
 */
export async function afterInbound(ctx: TurnHooksContext, message: InboundMessage, detail: Record<string, unknown>): Promise<void> {
  // The turn first: a failure there answers 500 before the entry is written, and the retried push is
  // then one message in the turn (its buffer knows the key) and one entry here.
  if (ctx.turns) await ctx.turns.onInbound(message, detail);
  if (ctx.conversations) {
    // The time of arrival, on the same clock as the sends' entries (CreateTime has only seconds, so a
    // desk event of the same second as a send would sort before it).
    const entry = inboundEntry(message, ctx.now());
    if (entry) await ctx.conversations.record(message.FromUserName, entry, dedupKey(message));
  }
}

/**
 * After a send attempt: a message that went out joins the user's conversation, as `assistant`, or as
 * `agent` when sent as a kf account (`customservice.kf_account`). Each part of a split text is an entry.
 */
export async function afterSend(ctx: Pick<TurnHooksContext, 'conversations'>, attempt: DeliveryAttempt, id: string): Promise<void> {
  if (!ctx.conversations || attempt.outcome !== 'sent' || !attempt.msgtype) return;
  await ctx.conversations.record(attempt.openid, sentEntry(attempt.msgtype, attempt.content, attempt.kfAccount, attempt.at), id);
}
