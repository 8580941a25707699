/**
 * The handoff operations' service (core/handoff.ts `HandoffService`) on the product's table: marks kept by
 * {@link HandoffStore} on the user's record, which the callback reads on the user's next push.
 */
import type { HandoffService } from '../core/handoff';
import { humanSessionView, type HumanSessionView } from '../core/inbound/handoff-state';
import type { HandoffStore } from '../store/handoff';

export { humanSessionView, type HumanSessionView };

/**
 * @example
 * ```ts
 * const services = { ...ctx.client.services(ctx.now), handoffs: handoffService(ctx.handoffs) };
 * ```
 */
export function handoffService(store: HandoffStore): HandoffService {
  return {
    async mark(openid, options) {
      const state = await store.mark(openid, { kfAccount: options.kfAccount, ttlMs: options.ttlMs });
      return { until: state.mark?.until ?? 0, humanSession: humanSessionView(state.humanSession) };
    },
    clear: (openid) => store.clear(openid),
    async read(openid) {
      const state = await store.read(openid);
      return { ...(state.mark ? { mark: state.mark } : {}), humanSession: humanSessionView(state.humanSession) };
    },
  };
}
