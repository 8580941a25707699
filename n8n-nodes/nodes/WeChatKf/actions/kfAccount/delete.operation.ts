import type { NodeOperation } from '../types';
import { kfAccountField } from './fields';

export const deleteAccount: NodeOperation = {
	value: 'delete',
	name: 'Delete',
	action: 'Delete a kf account',
	catalogue: ['deleteKfAccount'],
	properties: [kfAccountField],
	prepare(itemIndex) {
		return {
			operation: 'deleteKfAccount',
			input: { kf_account: (this.getNodeParameter('kfAccount', itemIndex) as string).trim() },
		};
	},
};
