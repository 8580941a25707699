/**
 * The lists behind the action node's resource locators (version 2: *From List*): the deployment's
 * accounts (Gateway mode's Account field), kf accounts (from WeChat
 * in Direct mode, from the product in Gateway mode), webhook subscriptions (Gateway mode), and users who
 * were in touch lately: in Gateway mode the users the product sent to in the last 7 days (its delivery
 * records), in Direct mode those in WeChat's chat records of the last 24 hours. Each list is one call; a
 * filter typed in the box narrows it by name or id. In Gateway mode each list is the chosen Account's.
 */
import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';
import { getOperation } from '../../../../functions/core/catalogue';
import { DIRECT_CREDENTIAL, directClient } from '../../../shared/direct-client';
import { ACCOUNT_PARAMETER, accountValue, searchAccounts } from '../../../shared/accounts';
import { callGateway } from '../transport/gateway';

/** How far back the user list looks in the product's delivery records (Gateway mode). */
const RECENT_USERS_MS = 7 * 86_400_000;
/** How far back it looks in WeChat's chat records (Direct mode): one of WeChat's 24-hour windows. */
const RECENT_RECORDS_MS = 86_400_000;

/** One catalogue operation's answer, in the node's mode (no item: the editor asks). */
async function answerOf(ctx: ILoadOptionsFunctions, operation: string, input: IDataObject): Promise<IDataObject> {
	const op = getOperation(operation);
	if (ctx.getNodeParameter('authentication', 'direct') === 'gateway') {
		// Gateway requests need only the credential and n8n's signed request helper, which the editor has too.
		// The lists are the chosen account's (its kf accounts, its users); none chosen: the default account's.
		const account = accountValue(ctx.getNodeParameter(ACCOUNT_PARAMETER, ''));
		return await callGateway.call(ctx as unknown as IExecuteFunctions, op, input, 0, account);
	}
	if (op.direct === false) return {};
	const client = directClient(ctx.helpers, await ctx.getCredentials(DIRECT_CREDENTIAL));
	return (await client.call(operation, input)) as IDataObject;
}

/** The entries of an answer's list field, as objects. */
const entries = (answer: IDataObject, field: string): IDataObject[] =>
	Array.isArray(answer[field]) ? (answer[field] as IDataObject[]).filter((e) => typeof e === 'object' && e !== null) : [];

/** Items whose name or value contains the filter (case-insensitive). */
function filtered(items: INodeListSearchItems[], filter?: string): INodeListSearchResult {
	const wanted = (filter ?? '').trim().toLowerCase();
	return { results: wanted === '' ? items : items.filter((i) => `${i.name} ${String(i.value)}`.toLowerCase().includes(wanted)) };
}

/**
 * The node's `methods.listSearch`.
 *
 * @example
 * ```ts
 * methods = { listSearch: LIST_SEARCH };
 * // a parameter: { type: 'resourceLocator', modes: [{ name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchKfAccounts' } }, …] }
 * ```
 */
export const LIST_SEARCH = {
	/** The Account field's list (Gateway mode): the deployment's accounts (shared/accounts.ts). */
	searchAccounts,

	async searchKfAccounts(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		const accounts = entries(await answerOf(this, 'listKfAccounts', {}), 'kf_list');
		return filtered(
			accounts.map((a) => ({
				name: a.kf_nick ? `${String(a.kf_nick)} (${String(a.kf_account)})` : String(a.kf_account),
				value: String(a.kf_account),
			})),
			filter,
		);
	},

	async searchSubscriptions(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		if (this.getNodeParameter('authentication', 'direct') !== 'gateway') return { results: [] };
		const subscriptions = entries(await answerOf(this, 'listSubscriptions', {}), 'subscriptions');
		return filtered(
			subscriptions.map((s) => ({
				name: `${String(s.description || s.url)} (${String(s.id)})`,
				value: String(s.id),
				...(typeof s.url === 'string' ? { url: s.url } : {}),
			})),
			filter,
		);
	},

	async searchUsers(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
		const now = Date.now();
		const seen = new Map<string, number>();
		if (this.getNodeParameter('authentication', 'direct') === 'gateway') {
			const answer = await answerOf(this, 'listDeliveries', { since: new Date(now - RECENT_USERS_MS).toISOString(), limit: 1000 });
			for (const d of entries(answer, 'deliveries')) {
				const at = typeof d.at === 'number' ? d.at : Date.parse(String(d.at));
				if (typeof d.openid === 'string' && !(seen.get(d.openid)! >= at)) seen.set(d.openid, at);
			}
		} else {
			const answer = await answerOf(this, 'getChatRecords', {
				starttime: new Date(now - RECENT_RECORDS_MS).toISOString(),
				endtime: new Date(now).toISOString(),
				limit: 10000,
			});
			for (const r of entries(answer, 'recordlist')) {
				const at = Number(r.time) * 1000;
				if (typeof r.openid === 'string' && !(seen.get(r.openid)! >= at)) seen.set(r.openid, at);
			}
		}
		const users = [...seen.entries()].sort((a, b) => b[1] - a[1]);
		return filtered(
			users.map(([openid, at]) => ({
				name: Number.isFinite(at) ? `${openid} (last ${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : openid,
				value: openid,
			})),
			filter,
		);
	},
};
