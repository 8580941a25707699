import type { INodeProperties } from 'n8n-workflow';
import type { NodeOperation } from '../types';

const touser: INodeProperties = {
	displayName: 'Recipient OpenID',
	name: 'touser',
	type: 'string',
	required: true,
	default: '',
	description: 'The openid of the user',
};

function typingOperation(command: 'Typing' | 'CancelTyping'): NodeOperation {
	const start = command === 'Typing';
	return {
		value: start ? 'typing' : 'cancelTyping',
		name: start ? 'Start Typing' : 'Cancel Typing',
		action: start ? 'Show typing to a user' : 'Hide typing from a user',
		description: start
			? 'Shows "typing…" to the user for 15 s; needs a message exchanged with the user in the last 30 s'
			: 'Hides the "typing…" indicator',
		catalogue: ['sendTyping'],
		properties: [touser],
		prepare(itemIndex) {
			return {
				operation: 'sendTyping',
				input: { touser: (this.getNodeParameter('touser', itemIndex) as string).trim(), command },
			};
		},
		toItems(answer, call) {
			return [{ ...answer, ...(call.input as object) }];
		},
	};
}

export const typing = typingOperation('Typing');
export const cancelTyping = typingOperation('CancelTyping');
