/**
 * How version 2 of the action node shows catalogue fields that version 1 showed as plain text, so that a
 * person picks rather than types and an AI agent is told what a value is:
 * - a kf account, a user's openid, a subscription id and an account's AppID (Account → Get / Delete) are
 *   resource locators (*From List* / *By ID*;
 *   the lists: methods/list-search.ts);
 * - times are date pickers;
 * - a subscription's events are a multi-select named as the trigger's *Start On*.
 * The values reach the catalogue's `parse` as before (a locator's value, an ISO time, an array of events).
 */
import type { INodeProperties } from 'n8n-workflow';
import type { FieldSpec, Operation } from '../../../../functions/core/catalogue';
import { EVENT_OPTIONS } from '../../../shared/gateway-events';
import { ACCOUNT_RESOURCE } from '../../../shared/gateway-door';

type Locator = {
	search: 'searchKfAccounts' | 'searchUsers' | 'searchSubscriptions' | 'searchAccounts';
	what: string;
	placeholder: string;
	defaultMode: 'list' | 'id';
};

const KF_ACCOUNT: Locator = { search: 'searchKfAccounts', what: 'kf account', placeholder: 'kf2001@gh_abc123', defaultMode: 'list' };
// An openid usually comes from the item ({{ $json.openid }}): By ID first.
const USER: Locator = { search: 'searchUsers', what: 'user', placeholder: 'o6_bmjrPTlm6_2sgVt7hMZOPfL2M', defaultMode: 'id' };
const SUBSCRIPTION: Locator = { search: 'searchSubscriptions', what: 'subscription', placeholder: 'sub_…', defaultMode: 'list' };
// The account of Account → Get / Delete (Gateway mode; the list: shared/accounts.ts).
const ACCOUNT: Locator = { search: 'searchAccounts', what: 'account', placeholder: 'wx0123456789abcdef', defaultMode: 'list' };

/** The locator of a field, by what the field holds (none for the name of a kf account being added). */
function locatorOf(field: FieldSpec, op: Pick<Operation, 'resource' | 'action'>): Locator | undefined {
	const last = field.name.split('.').pop();
	const resource = op.resource;
	if (last === 'kf_account') return op.action === 'add' ? undefined : KF_ACCOUNT;
	if (last === 'touser' || last === 'openid') return USER;
	if (resource === 'subscription' && field.name === 'id') return SUBSCRIPTION;
	if (resource === ACCOUNT_RESOURCE && field.name === 'appId' && op.action !== 'create') return ACCOUNT;
	return undefined;
}

/** Fields holding a time, shown as a date picker (the catalogue takes ISO 8601). */
const TIME_FIELDS = new Set(['since', 'starttime', 'endtime']);

/**
 * A resource locator parameter (From List / By ID).
 *
 * @example
 * ```ts
 * locatorProperty({ displayName: 'Kf Account', name: 'kfAccount', required: true }, 'searchKfAccounts', 'kf account', 'kf2001@gh_abc123', 'list');
 * ```
 */
export function locatorProperty(
	base: Pick<INodeProperties, 'displayName' | 'name' | 'required' | 'description'>,
	search: Locator['search'],
	what: string,
	placeholder: string,
	defaultMode: 'list' | 'id',
): INodeProperties {
	return {
		...base,
		type: 'resourceLocator',
		default: { mode: defaultMode, value: '' },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select a ${what}…`,
				typeOptions: { searchListMethod: search, searchable: true },
			},
			{ displayName: 'By ID', name: 'id', type: 'string', placeholder },
		],
	};
}

/** A field's locator property in version 2, for hand-made operations too (Message → Send's recipient). */
export function userLocator(base: Pick<INodeProperties, 'displayName' | 'name' | 'required' | 'description'>): INodeProperties {
	return locatorProperty(base, USER.search, USER.what, USER.placeholder, USER.defaultMode);
}

/**
 * Version 2's parameter for a catalogue field, or undefined where it is version 1's.
 *
 * @example
 * ```ts
 * v2Property(KF_ACCOUNT_FIELD, 'kfAccount', getOperation('deleteKfAccount')); // a resource locator of kf accounts
 * ```
 */
export function v2Property(field: FieldSpec, name: string, op: Pick<Operation, 'resource' | 'action'>): INodeProperties | undefined {
	const resource = op.resource;
	const base = {
		displayName: field.displayName,
		name,
		...(field.required ? { required: true } : {}),
		...(field.description ? { description: field.description } : {}),
	};
	const locator = locatorOf(field, op);
	if (locator && field.type === 'string')
		return locatorProperty(base, locator.search, locator.what, locator.placeholder, locator.defaultMode);
	if (TIME_FIELDS.has(field.name) && field.type === 'string') return { ...base, type: 'dateTime', default: '' };
	if (resource === 'subscription' && field.name === 'events') {
		return {
			...base,
			type: 'multiOptions',
			options: EVENT_OPTIONS,
			default: [],
			description: 'What the subscription delivers; none selected: every event',
		};
	}
	return undefined;
}
