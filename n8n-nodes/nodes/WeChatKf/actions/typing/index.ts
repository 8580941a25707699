import type { NodeResource } from '../types';
import { cancelTyping, typing as startTyping } from './typing.operation';

export const typing: NodeResource = {
	value: 'typing',
	name: 'Typing',
	operations: [startTyping, cancelTyping],
};
