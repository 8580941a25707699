/**
 * *Simplify* (version 2, list operations): each listed entry keeps the fields a workflow or an AI agent
 * usually needs, as n8n's own nodes do; off, the entry is WeChat's (or the product's) as it came.
 */
import type { IDataObject } from 'n8n-workflow';

/** The fields kept, by the answer's list field (catalogue `answer.listField`, or the hand-made chat records'). */
export const SIMPLE_FIELDS: Readonly<Record<string, readonly string[]>> = {
	kf_list: ['kf_account', 'kf_nick', 'kf_id'],
	kf_online_list: ['kf_account', 'kf_id', 'status', 'accepted_case'],
	sessionlist: ['openid', 'createtime'],
	waitcaselist: ['openid', 'latest_time'],
	recordlist: ['openid', 'worker', 'text', 'time'],
	deliveries: ['openid', 'operation', 'msgtype', 'outcome', 'errcode', 'errorCode', 'at'],
	subscriptions: ['id', 'url', 'events', 'description', 'failing'],
};

/** The parameter name (n8n's usual). */
export const SIMPLIFY_PROPERTY = 'simplify';

/**
 * An entry with only its simple fields (those it has); an unknown list's entries as they are.
 *
 * @example
 * ```ts
 * simplifyEntry('kf_list', { kf_account: 'a@b', kf_nick: 'A', kf_id: 1, kf_headimgurl: 'https://…' });
 * // { kf_account: 'a@b', kf_nick: 'A', kf_id: 1 }
 * ```
 */
export function simplifyEntry(listField: string, entry: IDataObject): IDataObject {
	const keep = SIMPLE_FIELDS[listField];
	if (!keep) return entry;
	return Object.fromEntries(keep.filter((k) => entry[k] !== undefined).map((k) => [k, entry[k]])) as IDataObject;
}
