import type { NodeResource } from '../types';
import { send } from './send.operation';

export const message: NodeResource = {
	value: 'message',
	name: 'Message',
	operations: [send],
};
