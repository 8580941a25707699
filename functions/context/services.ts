/**
 * The services a catalogue operation's own hook receives (core/catalogue/types.ts `OperationServices`),
 * built from a handler's context. A feature whose operations the product performs itself adds its
 * store here, once, and every surface that runs operations (Lambda, local server) gets it.
 */
import type { OperationServices } from '../core/catalogue';
import type { DeliveryQuery } from '../core/deliveries';
import { ConversationRecordOffError, entryView, type ConversationQuery } from '../core/conversations';
import { fetchIssuedUrl, fetchUrl } from '../core/net/fetcher';
import type { AppContext } from './context';
import { handoffService } from './handoff-service';
import { replyService } from './replies-service';
import { subscriptionsService } from '../webhooks/subscriptions-api';
import { deliveryView } from './delivery-log';

/**
 * The services of a context.
 *
 * @example
 * ```ts
 * await runEntry(op, input, { services: operationServices(ctx), wechat: (spec, to, trace) => ctx.client.request(spec, to, trace) });
 * ```
 */
export function operationServices(ctx: AppContext): OperationServices {
  const services = {
    ...ctx.client.services(ctx.now),
    tokens: ctx.tokens,
    handoffs: handoffService(ctx.handoffs),
    replies: replyService(ctx),
    // Records answered with ISO times, as every time the API answers.
    deliveries: { list: async (query: DeliveryQuery) => listDeliveryViews(ctx, query) },
    mediaCache: ctx.mediaCache,
    fetchUrl,
    // A URL WeChat answered (a video's video_url) may be on the API base itself: the sandbox's loopback URL.
    fetchIssuedUrl: (url: string, options: { maxBytes: number; what: string }) =>
      fetchIssuedUrl(url, { ...options, trustedOrigin: ctx.config.apiBaseUrl }),
    conversations: { get: (query: ConversationQuery) => conversationView(ctx, query) },
    accounts: ctx.accounts.service(),
  };
  // The context's account, passed explicitly: a test event names it (docs/webhooks.md "Filtering by account").
  return ctx.webhooks ? { ...services, subscriptions: subscriptionsService(ctx.webhooks, { appId: ctx.secrets.appId }) } : services;
}

/** A page of a user's conversation, times as ISO 8601 (docs/conversations.md); 409 while CONVERSATION_RECORD is off. */
async function conversationView(ctx: AppContext, query: ConversationQuery) {
  if (!ctx.conversations) throw new ConversationRecordOffError();
  const page = await ctx.conversations.list(query.openid, query);
  const before = page.before !== undefined ? { before: new Date(page.before).toISOString() } : {};
  return { openid: query.openid, entries: page.entries.map(entryView), ...before };
}

async function listDeliveryViews(ctx: AppContext, query: DeliveryQuery) {
  const page = await ctx.deliveries.list(query);
  return { deliveries: page.deliveries.map(deliveryView), ...(page.next !== undefined ? { next: page.next } : {}) };
}
