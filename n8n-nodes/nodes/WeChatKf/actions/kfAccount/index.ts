import type { NodeResource } from '../types';
import { add } from './add.operation';
import { deleteAccount } from './delete.operation';
import { list } from './list.operation';
import { update } from './update.operation';
import { uploadAvatar } from './uploadAvatar.operation';

export const kfAccount: NodeResource = {
	value: 'kfAccount',
	name: 'Kf Account',
	operations: [add, deleteAccount, list, update, uploadAvatar],
};
