/**
 * Handoff in Direct mode, where no product keeps state: the handoff port of the core's callback pipeline
 * (functions/core/inbound/pipeline.ts) on the workflow's global static data, which n8n saves after each
 * production execution and the trigger reads on the next push. The marks set by the WeChat Customer Service
 * node's "Hand Over to a Human" (or a keyword) and the human sessions learnt from kf session pushes are
 * kept here; the rules are the core's, one for every store (functions/core/inbound/handoff-state.ts,
 * docs/handoff.md), and test/callback runs the same suite on this store and on DynamoDB.
 *
 * @example
 * ```ts
 * const handoffs = staticDataHandoffPort(this.getWorkflowStaticData('global'));
 * await handoffs.mark('OPENID', { ttlMs: 1_800_000 });
 * (await handoffs.read('OPENID')).mark; // { markedAt, until }
 * ```
 */
import type { IDataObject } from 'n8n-workflow';
import type { HandoffService } from '../../functions/core/handoff';
import {
	applySessionEvent,
	humanSessionView,
	type HandoffState,
	type HumanSessionView,
	type OrderedHandoffState,
} from '../../functions/core/inbound/handoff-state';
import type { HandoffPort } from '../../functions/core/inbound/pipeline';

/** A user's handoff facts, as kept. */
interface Entry extends IDataObject {
	markKf?: string;
	/** ms */
	markUntil?: number;
	/** ms */
	markAt?: number;
	humanKf?: string;
	/** ms */
	humanSince?: number;
	/** The order of the last session event applied (core's sessionOrder). */
	order?: number;
}

/** What a user's handoff state is now, as the trigger's items report it. */
export interface HandoffView {
	mark?: { kf_account?: string; until: number };
	humanSession: HumanSessionView | null;
}

/** Users kept at most (marks that lapsed and closed sessions are dropped first). */
const MAX_ENTRIES = 5000;

function entries(data: IDataObject): Record<string, Entry> {
	if (!data.wechatKfHandoffs || typeof data.wechatKfHandoffs !== 'object') data.wechatKfHandoffs = {};
	return data.wechatKfHandoffs as Record<string, Entry>;
}

function prune(all: Record<string, Entry>, now: number): void {
	for (const [openid, e] of Object.entries(all)) {
		if (e.markUntil !== undefined && e.markUntil <= now) {
			delete e.markUntil;
			delete e.markKf;
			delete e.markAt;
		}
		if (e.markUntil === undefined && e.humanKf === undefined && (e.order ?? 0) < (now / 1000 - 3600) * 10) delete all[openid];
	}
	const keys = Object.keys(all);
	if (keys.length > MAX_ENTRIES) for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete all[k];
}

function stateOf(e: Entry | undefined, now: number): OrderedHandoffState {
	return {
		...(e?.markUntil !== undefined && e.markUntil > now
			? { mark: { ...(e.markKf ? { kf_account: e.markKf } : {}), markedAt: e.markAt ?? now, until: e.markUntil } }
			: {}),
		humanSession: e?.humanKf !== undefined ? { kf_account: e.humanKf, since: e.humanSince ?? now } : null,
		order: e?.order ?? 0,
	};
}

/** The state without the store's event order. */
function withoutOrder(state: OrderedHandoffState): HandoffState {
	return { ...(state.mark ? { mark: state.mark } : {}), humanSession: state.humanSession };
}

function write(all: Record<string, Entry>, openid: string, state: OrderedHandoffState): void {
	const e: Entry = { order: state.order };
	if (state.mark)
		Object.assign(e, {
			markUntil: state.mark.until,
			markAt: state.mark.markedAt,
			...(state.mark.kf_account ? { markKf: state.mark.kf_account } : {}),
		});
	if (state.humanSession) Object.assign(e, { humanKf: state.humanSession.kf_account, humanSince: state.humanSession.since });
	all[openid] = e;
}

/**
 * The handoff port on static data (`data` is the workflow's global static data).
 *
 * @param now the clock (tests give their own)
 */
export function staticDataHandoffPort(
	data: IDataObject,
	now: () => number = Date.now,
): HandoffPort & { clear(openid: string): Promise<boolean> } {
	return {
		read: async (openid) => withoutOrder(stateOf(entries(data)[openid], now())),
		async recordSession(openid, event, kfAccount, at) {
			const all = entries(data);
			const t = now();
			prune(all, t);
			const next = applySessionEvent(stateOf(all[openid], t), event, kfAccount, at, t);
			write(all, openid, next);
			return withoutOrder(next);
		},
		async mark(openid, options) {
			const all = entries(data);
			const t = now();
			prune(all, t);
			const current = stateOf(all[openid], t);
			const next = {
				...current,
				mark: { ...(options.kfAccount ? { kf_account: options.kfAccount } : {}), markedAt: t, until: t + options.ttlMs },
			};
			write(all, openid, next);
			return withoutOrder(next);
		},
		async clear(openid) {
			const all = entries(data);
			const t = now();
			const current = stateOf(all[openid], t);
			if (!all[openid]) return false;
			const { mark, ...rest } = current;
			write(all, openid, rest);
			return mark !== undefined;
		},
	};
}

/** The user's mark (while in force) and human session, as the trigger's items show them. */
export function handoffOf(data: IDataObject, openid: string, now: number): HandoffView {
	const state = stateOf(entries(data)[openid], now);
	return {
		...(state.mark ? { mark: { ...(state.mark.kf_account ? { kf_account: state.mark.kf_account } : {}), until: state.mark.until } } : {}),
		humanSession: humanSessionView(state.humanSession),
	};
}

/** Marks the user until `until` (ms), for the kf account given or any. */
export function markUser(data: IDataObject, openid: string, mark: { kfAccount?: string; until: number }, now = Date.now()): HandoffView {
	void staticDataHandoffPort(data, () => now).mark(openid, { kfAccount: mark.kfAccount, ttlMs: mark.until - now });
	return handoffOf(data, openid, now);
}

/**
 * The handoff operations' service in Direct mode: marks in the workflow's global static data, where the
 * trigger of the same workflow finds them on the user's next push.
 *
 * @example
 * ```ts
 * runOperation(op, input, { ...services, handoffs: staticDataHandoffs(this.getWorkflowStaticData('global')) });
 * ```
 */
export function staticDataHandoffs(data: IDataObject): HandoffService {
	const port = staticDataHandoffPort(data);
	return {
		async mark(openid, options) {
			const state = await port.mark(openid, options);
			return { until: state.mark?.until ?? Date.now() + options.ttlMs, humanSession: humanSessionView(state.humanSession) };
		},
		clear: (openid) => port.clear(openid),
		async read(openid) {
			const state = await port.read(openid);
			return { ...(state.mark ? { mark: state.mark } : {}), humanSession: humanSessionView(state.humanSession) };
		},
	};
}
