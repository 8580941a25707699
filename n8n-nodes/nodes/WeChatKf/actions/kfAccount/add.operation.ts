import type { NodeOperation } from '../types';
import { kfAccountInput } from './account-input';
import { kfAccountField, nicknameField, passwordFields } from './fields';

export const add: NodeOperation = {
	value: 'add',
	name: 'Add',
	action: 'Add a kf account',
	catalogue: ['addKfAccount'],
	properties: [kfAccountField, nicknameField, ...passwordFields],
	prepare(itemIndex) {
		return { operation: 'addKfAccount', input: kfAccountInput.call(this, itemIndex) };
	},
};
