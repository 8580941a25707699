/**
 * The services a catalogue operation's own hook receives (core/catalogue/types.ts `OperationServices`),
 * built from a handler's context. A feature whose operations the product performs itself adds its
 * store here, once, and every surface that runs operations (Lambda, local server) gets it.
 */
import type { OperationServices } from '../core/catalogue';
import type { DeliveryQuery } from '../core/deliveries';
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
    fetchIssuedUrl: (url: string, options: { maxBytes: number; what: string }) => fetchIssuedUrl(url, { ...options, trustedOrigin: ctx.config.apiBaseUrl }),
  };
  return ctx.webhooks ? { ...services, subscriptions: subscriptionsService(ctx.webhooks) } : services;
}

async function listDeliveryViews(ctx: AppContext, query: DeliveryQuery) {
  const page = await ctx.deliveries.list(query);
  return { deliveries: page.deliveries.map(deliveryView), ...(page.next !== undefined ? { next: page.next } : {}) };
}
