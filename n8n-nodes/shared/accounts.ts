/**
 * The *Account* field of Gateway mode (the action node's version 2 and the trigger): which of the
 * deployment's official accounts a node acts for, picked *From List* (the deployment's `GET /accounts`)
 * or typed *By ID* (an AppID). Empty is the default account (the deployment's first, single account):
 * requests go exactly where they went before accounts existed, so every saved workflow runs unchanged.
 * With an account the action node's requests go under `/accounts/<appId>` (shared/gateway-door.ts) and
 * the trigger subscribes with `appIds: [<appId>]`. Direct mode has no such field: there a credential is
 * one account (docs/accounts.md; n8n-nodes/README.md, "Several official accounts").
 */
import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions, INodeListSearchResult, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { getOperation } from '../../functions/core/catalogue';
import { callGatewayRoute } from './gateway-door';

/** The Account field's parameter name. */
export const ACCOUNT_PARAMETER = 'account';

/**
 * The Account field (a resource locator), shown where `show` says (Gateway mode).
 *
 * @example
 * ```ts
 * properties.push(accountProperty({ show: { mode: ['gateway'] } }, 'The official account whose messages start the workflow', 'Empty: every account'));
 * ```
 */
export function accountProperty(displayOptions: INodeProperties['displayOptions'], description: string, hint: string): INodeProperties {
	return {
		displayName: 'Account',
		name: ACCOUNT_PARAMETER,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		description,
		hint,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select an account…',
				typeOptions: { searchListMethod: 'searchAccounts', searchable: true },
			},
			{ displayName: 'By ID', name: 'id', type: 'string', placeholder: 'wx0123456789abcdef' },
		],
		displayOptions,
	};
}

/**
 * The AppID in an Account value as n8n saved it: a resource locator `{__rl, mode, value}`, or a plain
 * string (an expression that gave one); '' for none (the default account).
 */
export function accountValue(raw: unknown): string {
	const value = typeof raw === 'object' && raw !== null && 'value' in raw ? (raw as { value: unknown }).value : raw;
	return typeof value === 'string' ? value.trim() : '';
}

/**
 * The node's `listSearch.searchAccounts`: the deployment's accounts (`GET /accounts`, the default first),
 * named by their name and AppID; a filter narrows by either. The default account's AppID picked here
 * is the same account as an empty field, reached under `/accounts/<appId>`.
 */
export async function searchAccounts(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const answer = await callGatewayRoute(this as unknown as IExecuteFunctions, getOperation('listAccounts'), {});
	if (answer.status < 200 || answer.status >= 300) {
		const error = (answer.json.error ?? {}) as IDataObject;
		throw new NodeOperationError(
			this.getNode(),
			`Could not list the accounts: the gateway answered HTTP ${answer.status}${error.code ? ` (${String(error.code)})` : ''}`,
			{ description: 'Check the gateway credential (it needs execute-api:Invoke on GET /accounts), or give the account By ID' },
		);
	}
	const accounts = Array.isArray(answer.json.accounts) ? (answer.json.accounts as IDataObject[]) : [];
	const wanted = (filter ?? '').trim().toLowerCase();
	const results = accounts
		.filter((a) => typeof a === 'object' && a !== null && typeof a.appId === 'string')
		.map((a) => {
			const label = typeof a.name === 'string' && a.name !== '' ? `${a.name} (${String(a.appId)})` : String(a.appId);
			return { name: a.default === true ? `${label}, default` : label, value: String(a.appId) };
		})
		.filter((item) => wanted === '' || `${item.name} ${item.value}`.toLowerCase().includes(wanted));
	return { results };
}
