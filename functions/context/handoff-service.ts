/**
 * The handoff operations' service (core/handoff.ts `HandoffService`) on the product's table: marks kept by
 * {@link HandoffStore} on the user's record, which the callback reads on the user's next push.
 */
import type { HandoffService, HumanSessionView } from '../core/handoff';
import type { HandoffStore, HumanSession } from '../store/handoff';

export type { HumanSessionView };

/**
 * The view of a human session, or null: `since` in ISO 8601. (Here, not beside the callback's handoff,
 * so that the operations, which need only this, do not carry the callback's XML: docs/bundles.md.)
 *
 * @example
 * ```ts
 * humanSessionView({ kf_account: 'kf1@wx', since: 0 }); // { kf_account: 'kf1@wx', since: '1970-01-01T00:00:00.000Z' }
 * ```
 */
export function humanSessionView(session: HumanSession | null): HumanSessionView | null {
  return session ? { kf_account: session.kf_account, since: new Date(session.since).toISOString() } : null;
}

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
  };
}
