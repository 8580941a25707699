import type { NodeResource } from '../types';
import { send, sendOperation } from './send.operation';

export const message: NodeResource = {
	value: 'message',
	name: 'Message',
	operations: [send],
};

/** Version 2: Send picks its recipient with a resource locator; every other operation as in version 1. */
export const messageV2: NodeResource = {
	...message,
	operations: message.operations.map((op) => (op === send ? sendOperation(2) : op)),
};
