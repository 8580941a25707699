import type { NodeOperation } from '../types';
import { kfAccountInput } from './account-input';
import { kfAccountField, nicknameField, passwordFields } from './fields';

export const update: NodeOperation = {
	value: 'update',
	name: 'Update',
	action: 'Update a kf account',
	catalogue: ['updateKfAccount'],
	properties: [kfAccountField, nicknameField, ...passwordFields],
	prepare(itemIndex) {
		return { operation: 'updateKfAccount', input: kfAccountInput.call(this, itemIndex) };
	},
};
