import type { IDataObject } from 'n8n-workflow';
import { RECORD_LIMIT_MAX } from '../../../../../functions/core/msg-records';
import { simplifyProperty } from '../generated';
import { simplifyEntry, SIMPLIFY_PROPERTY } from '../simplify';
import { withZone } from '../../../../../functions/core/times';
import type { NodeOperation, NodeResource, PreparedCall } from '../types';

/** Records asked per call with Return All: the most one call answers. */
const PAGE = RECORD_LIMIT_MAX;

/**
 * Chat records, as n8n's own "Get Many" operations are: one item per record, Return All or a Limit. The
 * catalogue's getChatRecords walks WeChat's 24-hour windows and msgid cursors; when its limit or call budget
 * stops it, its `next` cursor is followed here until the range is done (Return All) or the Limit is reached.
 */
const getMany: NodeOperation = {
	value: 'getMany',
	name: 'Get Many',
	action: 'Get chat records',
	description: 'Chat records between users and kf accounts over any time range, one item per record',
	catalogue: ['getChatRecords'],
	properties: [
		{ displayName: 'From', name: 'starttime', type: 'dateTime', required: true, default: '', description: 'Start of the range' },
		{ displayName: 'To', name: 'endtime', type: 'dateTime', required: true, default: '', description: 'End of the range (included)' },
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { returnAll: [false] } },
		},
	],
	prepare(itemIndex) {
		const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
		const limit = returnAll ? Infinity : (this.getNodeParameter('limit', itemIndex, 50) as number);
		// n8n's date picker gives no offset: the time is meant in the workflow's time zone (the product wants one).
		const starttime = withZone(this.getNodeParameter('starttime', itemIndex), this.getTimezone()) as string;
		const endtime = withZone(this.getNodeParameter('endtime', itemIndex), this.getTimezone()) as string;
		return {
			operation: 'getChatRecords',
			input: { starttime, endtime, limit: Math.min(PAGE, limit) },
			settings: { remaining: returnAll ? -1 : limit },
		};
	},
	toItems(answer) {
		return Array.isArray(answer.recordlist) ? (answer.recordlist as IDataObject[]) : [];
	},
	next(answer, call): PreparedCall | undefined {
		const remaining = Number(call.settings?.remaining ?? 0);
		const got = Array.isArray(answer.recordlist) ? answer.recordlist.length : 0;
		const left = remaining < 0 ? Infinity : remaining - got;
		const next = answer.next as IDataObject | undefined;
		if (answer.more !== true || !next || left <= 0) return undefined;
		const input = call.input as IDataObject;
		return {
			operation: call.operation,
			input: { ...input, starttime: next.starttime, msgid: next.msgid, limit: Math.min(PAGE, left) },
			settings: { ...call.settings, remaining: remaining < 0 ? -1 : left },
		};
	},
};

/** Version 2: with Simplify (on by default), each record keeps openid, worker, text and time. */
const getManyV2: NodeOperation = {
	...getMany,
	properties: [...getMany.properties, simplifyProperty()],
	prepare(itemIndex) {
		const call = getMany.prepare.call(this, itemIndex) as PreparedCall;
		return { ...call, settings: { ...call.settings, simplify: this.getNodeParameter(SIMPLIFY_PROPERTY, itemIndex, true) as boolean } };
	},
	toItems(answer, call) {
		const records = getMany.toItems!(answer, call);
		return call.settings?.simplify === true ? records.map((r) => simplifyEntry('recordlist', r)) : records;
	},
};

export const chatRecord: NodeResource = { value: 'chatRecord', name: 'Chat Record', operations: [getMany] };
export const chatRecordV2: NodeResource = { ...chatRecord, operations: [getManyV2] };
