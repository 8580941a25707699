/**
 * Handoff in Direct mode, where no product keeps state: the marks set by the WeChat Customer Service
 * node's "Hand Over to a Human" and the human sessions the trigger learns from kf_create_session /
 * kf_switch_session / kf_close_session pushes live in the workflow's global static data, which n8n saves
 * after each production execution and the trigger reads on the next push. The rules are the product's
 * (docs/handoff.md): the next message of a marked user is answered with transfer_customer_service; an
 * agent taking the user consumes the mark; a closed session clears it; events apply in CreateTime order.
 *
 * @example
 * ```ts
 * const data = this.getWorkflowStaticData('global');
 * markUser(data, 'OPENID', { until: Date.now() + 1_800_000 });
 * handoffOf(data, 'OPENID', Date.now()).mark; // { until }
 * ```
 */
import type { IDataObject } from 'n8n-workflow';
import type { HandoffService } from '../../functions/core/handoff';

/** A user's handoff facts, as kept. */
interface Entry extends IDataObject {
	markKf?: string;
	/** ms */
	markUntil?: number;
	humanKf?: string;
	/** ms */
	humanSince?: number;
	/** CreateTime (s) × 10 + rank of the last session event applied (create 1, switch 2, close 3). */
	order?: number;
}

/** What a user's handoff state is now. */
export interface HandoffView {
	mark?: { kf_account?: string; until: number };
	humanSession: { kf_account: string; since: string } | null;
}

/** Users kept at most (marks that lapsed and closed sessions are dropped first). */
const MAX_ENTRIES = 5000;
const RANK: Record<string, number> = { kf_create_session: 1, kf_switch_session: 2, kf_close_session: 3 };

function entries(data: IDataObject): Record<string, Entry> {
	if (!data.wechatKfHandoffs || typeof data.wechatKfHandoffs !== 'object') data.wechatKfHandoffs = {};
	return data.wechatKfHandoffs as Record<string, Entry>;
}

function prune(all: Record<string, Entry>, now: number): void {
	for (const [openid, e] of Object.entries(all)) {
		if (e.markUntil !== undefined && e.markUntil <= now) {
			delete e.markUntil;
			delete e.markKf;
		}
		if (e.markUntil === undefined && e.humanKf === undefined && (e.order ?? 0) < (now / 1000 - 3600) * 10) delete all[openid];
	}
	const keys = Object.keys(all);
	if (keys.length > MAX_ENTRIES) for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete all[k];
}

/** The user's mark (while in force) and human session. */
export function handoffOf(data: IDataObject, openid: string, now: number): HandoffView {
	const e = entries(data)[openid];
	return {
		...(e?.markUntil !== undefined && e.markUntil > now ? { mark: { ...(e.markKf ? { kf_account: e.markKf } : {}), until: e.markUntil } } : {}),
		humanSession: e?.humanKf !== undefined ? { kf_account: e.humanKf, since: new Date(e.humanSince ?? now).toISOString() } : null,
	};
}

/** Marks the user until `until` (ms), for the kf account given or any. */
export function markUser(data: IDataObject, openid: string, mark: { kfAccount?: string; until: number }, now = Date.now()): HandoffView {
	const all = entries(data);
	prune(all, now);
	const e = (all[openid] ??= {});
	e.markUntil = mark.until;
	if (mark.kfAccount) e.markKf = mark.kfAccount;
	else delete e.markKf;
	return handoffOf(data, openid, now);
}

/** Clears the mark; answers whether one was in force. */
export function clearMark(data: IDataObject, openid: string, now = Date.now()): boolean {
	const e = entries(data)[openid];
	const was = e?.markUntil !== undefined && e.markUntil > now;
	if (e) {
		delete e.markUntil;
		delete e.markKf;
	}
	return was;
}

/**
 * Applies a kf session event pushed by WeChat (nothing for other pushes), unless a newer one was applied.
 *
 * @param message the push's fields: FromUserName, CreateTime (s), Event, KfAccount / ToKfAccount
 */
export function applySessionEvent(data: IDataObject, message: Record<string, unknown>, now = Date.now()): void {
	const rank = RANK[String(message.Event)];
	if (message.MsgType !== 'event' || !rank) return;
	const openid = String(message.FromUserName);
	const at = Math.min(Number(message.CreateTime) * 1000, now);
	const order = Math.floor(at / 1000) * 10 + rank;
	const all = entries(data);
	prune(all, now);
	const e = (all[openid] ??= {});
	if (e.order !== undefined && e.order >= order) return;
	e.order = order;
	if (message.Event === 'kf_close_session') {
		delete e.humanKf;
		delete e.humanSince;
		delete e.markUntil;
		delete e.markKf;
		return;
	}
	const kf = message.Event === 'kf_switch_session' ? message.ToKfAccount : message.KfAccount;
	e.humanKf = typeof kf === 'string' ? kf : '';
	if (message.Event === 'kf_create_session' || e.humanSince === undefined) e.humanSince = at;
	if (message.Event === 'kf_create_session') {
		delete e.markUntil;
		delete e.markKf;
	}
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
	return {
		async mark(openid, options) {
			const now = Date.now();
			const view = markUser(data, openid, { kfAccount: options.kfAccount, until: now + options.ttlMs }, now);
			return { until: view.mark?.until ?? now + options.ttlMs, humanSession: view.humanSession };
		},
		clear: async (openid) => clearMark(data, openid),
	};
}
