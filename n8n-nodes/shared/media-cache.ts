/**
 * The media cache of Direct mode (docs/media.md): which media_id WeChat gave for a file's bytes, kept in
 * the workflow's global static data (n8n saves it after each production execution), so a workflow that
 * sends the same picture again (a logo, a menu card) uploads it once per official account and reuses the
 * media_id until an hour before its 3 days run out, as the product's table does. Keyed by the AppID, the
 * media type and the SHA-256; bounded (the oldest entries go first). A media_id WeChat forgot early (40007)
 * is forgotten here and the file uploaded again once (the catalogue's `recover`).
 *
 * Manual test executions do not save static data: there, every run uploads afresh.
 *
 * @example
 * ```ts
 * const cache = staticDataMediaCache(this.getWorkflowStaticData('global'), credential.appId);
 * await cache.put('image', sha256, { mediaId, createdAt: Date.now() });
 * ```
 */
import type { IDataObject } from 'n8n-workflow';
import { MEDIA_LIFETIME_SECONDS } from '../../functions/core/media/rules';
import type { MediaCacheLike } from '../../functions/core/media/uploader';

/** How long WeChat keeps a temporary media_id: 3 days (the core's rule). */
const LIFETIME_MS = MEDIA_LIFETIME_SECONDS * 1000;
/** How long before WeChat's expiry a media_id stops being handed out: 1 hour (the product's margin). */
const MARGIN_MS = 3600 * 1000;
/** Entries kept at most per workflow. */
const MAX_ENTRIES = 500;

interface Entry extends IDataObject {
	mediaId: string;
	/** ms */
	createdAt: number;
}

/** A {@link MediaCacheLike} over a workflow's static data. */
export function staticDataMediaCache(data: IDataObject, appId: string, now: () => number = Date.now): MediaCacheLike {
	const entries = (): Record<string, Entry> => {
		if (typeof data.wechatKfMediaCache !== 'object' || data.wechatKfMediaCache === null || Array.isArray(data.wechatKfMediaCache))
			data.wechatKfMediaCache = {};
		return data.wechatKfMediaCache as Record<string, Entry>;
	};
	const key = (type: string, sha256: string) => `${appId}|${type}|${sha256}`;
	/** Whether an entry's media_id may still be handed out (until the margin before WeChat's expiry). */
	const reusable = (entry: Entry) => entry.createdAt + LIFETIME_MS - MARGIN_MS > now();
	return {
		async get(type, sha256) {
			const entry = entries()[key(type, sha256)];
			if (!entry || typeof entry.mediaId !== 'string' || typeof entry.createdAt !== 'number') return undefined;
			if (!reusable(entry)) return undefined;
			return { mediaId: entry.mediaId, createdAt: entry.createdAt, expiresAt: entry.createdAt + LIFETIME_MS };
		},
		async put(type, sha256, media) {
			const all = entries();
			const existing = all[key(type, sha256)];
			// A newer upload is never replaced by an older one (two items of one execution uploading the same file).
			if (existing && existing.createdAt > media.createdAt && reusable(existing)) return false;
			delete all[key(type, sha256)];
			all[key(type, sha256)] = { mediaId: media.mediaId, createdAt: media.createdAt };
			for (const [k, entry] of Object.entries(all)) if (entry.createdAt + LIFETIME_MS <= now()) delete all[k];
			const keys = Object.keys(all);
			for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete all[k];
			return true;
		},
		async forget(type, sha256, mediaId) {
			const all = entries();
			if (all[key(type, sha256)]?.mediaId !== mediaId) return false;
			delete all[key(type, sha256)];
			return true;
		},
	};
}
