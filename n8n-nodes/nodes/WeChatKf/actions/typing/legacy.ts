import type { NodeOperation, NodeResource } from '../types';

/**
 * Version 1's first Typing operations, kept so that the workflows saved with them still run: the first
 * release had *Typing → Typing* and *Typing → Cancel Typing* (operation `typing` / `cancelTyping`, the user in
 * `touser`); *Typing → Set* with a Command replaced them. Both perform the catalogue's sendTyping. Version 2
 * has *Set* only.
 */
function legacyTyping(command: 'Typing' | 'CancelTyping'): NodeOperation {
	const start = command === 'Typing';
	return {
		value: start ? 'typing' : 'cancelTyping',
		name: start ? 'Typing (Legacy)' : 'Cancel Typing (Legacy)',
		action: start ? 'Show typing to a user' : 'Hide typing from a user',
		description: `${start ? 'Shows' : 'Hides'} "typing…"; kept for workflows made with the first version: use Set`,
		catalogue: ['sendTyping'],
		properties: [
			{
				displayName: 'Recipient OpenID',
				name: 'touser',
				type: 'string',
				required: true,
				default: '',
				description: 'The openid of the user',
			},
		],
		prepare(itemIndex) {
			return { operation: 'sendTyping', input: { touser: (this.getNodeParameter('touser', itemIndex) as string).trim(), command } };
		},
		toItems(answer, call) {
			return [{ ...answer, ...(call.input as object) }];
		},
	};
}

/** Version 1's operations besides the catalogue's, by resource. */
export const LEGACY_V1: Readonly<Record<string, NodeResource['operations']>> = {
	typing: [legacyTyping('Typing'), legacyTyping('CancelTyping')],
};
