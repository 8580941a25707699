/**
 * The reply operation's service (core/passive-reply.ts `ReplyService`) on the product's table
 * (docs/passive-replies.md): `POST /replies` gives the reply to the user's waiting push (the callback
 * answers WeChat with it), or, when it comes too late or no push waits for it, keeps it for the user's
 * next message (REPLY_MODE=passive) or sends it with custom/send like any send: gate, delivery record,
 * events (auto and customer-service).
 */
import { getOperation, type SendMessageInput } from '../core/catalogue';
import type { ReplyInput, ReplyOutcome, ReplyService } from '../core/passive-reply';
import type { StoredReply } from '../store/passive-replies';
import type { AppContext } from './context';
import { recordKeptExpired } from './passive-records';

/**
 * @example
 * ```ts
 * const services = { ...operationServices(ctx), replies: replyService(ctx) };
 * await services.replies.post({ openid, message: { touser: openid, msgtype: 'text', text: { content: 'Hi' } } });
 * ```
 */
export function replyService(ctx: AppContext): ReplyService {
  return {
    async post(input: ReplyInput): Promise<ReplyOutcome> {
      const { openid } = input;
      const { replyMode, keepMs } = ctx.config.passive;
      const reply: StoredReply = { message: input.message, postedAt: ctx.now() };
      const push = replyMode === 'customer-service' ? undefined : await ctx.passiveReplies.target(openid, input.msgId);
      const offered = push === undefined ? 'no-push' : await ctx.passiveReplies.offer(openid, push, reply);
      if (offered === true) return { openid, push, channel: 'passive' };
      if (replyMode === 'passive') {
        const until = ctx.now() + keepMs;
        const replaced = await ctx.passiveReplies.keep(openid, reply, until);
        if (replaced) await recordKeptExpired(ctx, openid, replaced.reply, 'kept-replaced');
        return { openid, ...(push ? { push } : {}), channel: 'kept', late: offered, keptUntil: new Date(until).toISOString() };
      }
      // Loaded when needed: the runner's ports import the services, which import this file.
      const { perform } = await import('./run-ports');
      const sent = await perform(ctx, getOperation('sendMessage'), input.message as SendMessageInput);
      return { openid, ...(push ? { push, late: offered } : {}), channel: 'customer-service', ...sent };
    },
  };
}
