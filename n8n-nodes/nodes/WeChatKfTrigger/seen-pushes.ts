/**
 * Which pushes this trigger has seen: WeChat's retries of one push (dropped unless Keep Retries is on) and,
 * in plain mode, replayed signed URLs (refused). Kept in the workflow's static data and, for copies that
 * arrive together, in this process (static data is saved only after the webhook answered). Direct mode
 * hands them to the core's callback pipeline as its dedup and replay ports (staticDataDedup, staticDataReplay).
 */
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';
import type { PushDedupPort, ReplayMarksPort } from '../../../functions/core/inbound/pipeline';

/** How long a push's key is remembered to drop WeChat's retries (it retries within ~15 s). */
const DEDUP_TTL_MS = 10 * 60_000;
const DEDUP_MAX = 2000;
/** Keys seen by this process, for retries that arrive while the first push is still being handled. */
const recentKeys = new Map<string, number>();

/** Whether this push was seen before (workflow static data and this process); records it if not. */
export function seenBefore(staticData: IDataObject, scope: string, key: string, now: number): boolean {
	const stored = (staticData.pushKeys ?? {}) as Record<string, number>;
	for (const [k, at] of Object.entries(stored)) if (now - at > DEDUP_TTL_MS) delete stored[k];
	for (const [k, at] of recentKeys) if (now - at > DEDUP_TTL_MS) recentKeys.delete(k);
	const scoped = `${scope}|${key}`;
	const seen = stored[key] !== undefined || recentKeys.has(scoped);
	if (!seen) {
		stored[key] = now;
		recentKeys.set(scoped, now);
		const keys = Object.keys(stored);
		if (keys.length > DEDUP_MAX) for (const k of keys.slice(0, keys.length - DEDUP_MAX)) delete stored[k];
		staticData.pushKeys = stored;
	}
	return seen;
}

/**
 * Whether this push is WeChat's (or the product's) retry of one already handled, to be dropped: Keep
 * Retries is off and the node has seen its key before (seenBefore, which records a new key). Direct mode
 * keys a push by its message, Gateway mode by its event id.
 */
export function droppedAsRetry(ctx: IWebhookFunctions, options: IDataObject, key: string): boolean {
	return !options.keepRetries && seenBefore(ctx.getWorkflowStaticData('node'), `${ctx.getNode().id}`, key, Date.now());
}

/**
 * Replay marks of plain-mode pushes (the core's plainReplayKey) seen by this process, by node: the
 * workflow's static data is saved only after the webhook answered, so two copies of one signed URL
 * arriving together are told apart here.
 */
const recentMarks = new Map<string, { key: string; at: number; ttlMs: number }>();
/** The most replay marks kept in static data (each is ~100 bytes of the workflow's saved static data). */
const REPLAY_MAX = 3000;

/**
 * Whether a plain-mode push replays a signed URL that came with another message (docs/callback-modes.md):
 * each (timestamp, nonce, signature) is accepted once, for one message, while its timestamp is fresh.
 * The same message again is WeChat's retry (dropped later as one). Records the mark when it is new.
 */
export function isReplay(staticData: IDataObject, scope: string, mark: string, key: string, now: number, ttlMs: number): boolean {
	const stored = (staticData.replayMarks ?? {}) as Record<string, { k: string; at: number; ttl: number }>;
	for (const [m, entry] of Object.entries(stored)) if (now - entry.at > entry.ttl) delete stored[m];
	for (const [m, entry] of recentMarks) if (now - entry.at > entry.ttlMs) recentMarks.delete(m);
	const scoped = `${scope}|${mark}`;
	const first = stored[mark]?.k ?? recentMarks.get(scoped)?.key;
	if (first !== undefined) return first !== key;
	stored[mark] = { k: key, at: now, ttl: ttlMs };
	recentMarks.set(scoped, { key, at: now, ttlMs });
	const marks = Object.keys(stored);
	if (marks.length > REPLAY_MAX) for (const m of marks.slice(0, marks.length - REPLAY_MAX)) delete stored[m];
	staticData.replayMarks = stored;
	return false;
}

/** Forgets a key seen (the pipeline's dedup port, when handling the push failed). */
function forgetSeen(staticData: IDataObject, scope: string, key: string): void {
	const stored = (staticData.pushKeys ?? {}) as Record<string, number>;
	delete stored[key];
	recentKeys.delete(`${scope}|${key}`);
}

/**
 * The callback pipeline's dedup port on static data (functions/core/inbound/pipeline.ts). With Keep
 * Retries on, every push counts as new (and nothing is recorded).
 *
 * @example
 * ```ts
 * const dedup = staticDataDedup(this.getWorkflowStaticData('node'), this.getNode().id, false);
 * await dedup.firstTime('msg:123'); // true, then false
 * ```
 */
export function staticDataDedup(staticData: IDataObject, scope: string, keepRetries: boolean, now: () => number = Date.now): PushDedupPort {
	return {
		firstTime: async (key) => keepRetries || !seenBefore(staticData, scope, key, now()),
		forget: async (key) => forgetSeen(staticData, scope, key),
	};
}

/**
 * The callback pipeline's replay-mark port on static data: the first holder of a plain-mode signed URL.
 *
 * @example
 * ```ts
 * const replay = staticDataReplay(this.getWorkflowStaticData('node'), this.getNode().id);
 * await replay.claim('sig:…', 'msg:1', 601); // true; then 'msg:1' for any other message
 * ```
 */
export function staticDataReplay(staticData: IDataObject, scope: string, now: () => number = Date.now): ReplayMarksPort {
	return {
		async claim(mark, holder, ttlSeconds) {
			const stored = (staticData.replayMarks ?? {}) as Record<string, { k: string; at: number; ttl: number }>;
			const t = now();
			for (const [m, entry] of Object.entries(stored)) if (t - entry.at > entry.ttl) delete stored[m];
			for (const [m, entry] of recentMarks) if (t - entry.at > entry.ttlMs) recentMarks.delete(m);
			const first = stored[mark]?.k ?? recentMarks.get(`${scope}|${mark}`)?.key;
			if (first !== undefined) return first;
			isReplay(staticData, scope, mark, holder, t, ttlSeconds * 1000);
			return true;
		},
		async forget(mark) {
			const stored = (staticData.replayMarks ?? {}) as Record<string, unknown>;
			delete stored[mark];
			recentMarks.delete(`${scope}|${mark}`);
		},
	};
}
