import type { IDataObject } from 'n8n-workflow';
import type { NodeOperation } from '../types';

export const list: NodeOperation = {
	value: 'list',
	name: 'List',
	action: 'List kf accounts',
	catalogue: ['listKfAccounts'],
	properties: [
		{
			displayName: 'Split Into Items',
			name: 'splitIntoItems',
			type: 'boolean',
			default: true,
			description: 'Whether to output one item per kf account, or WeChat\'s answer as one item',
		},
	],
	prepare(itemIndex) {
		return {
			operation: 'listKfAccounts',
			input: {},
			settings: { split: this.getNodeParameter('splitIntoItems', itemIndex, true) as boolean },
		};
	},
	toItems(answer, call) {
		if (call.settings?.split === false) return [answer];
		return Array.isArray(answer.kf_list) ? (answer.kf_list as IDataObject[]) : [];
	},
};
