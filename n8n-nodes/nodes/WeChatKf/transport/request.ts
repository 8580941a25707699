/**
 * Where a catalogue operation goes: to WeChat itself (direct mode, ./direct.ts) or to the deployed API
 * (gateway mode, ./gateway.ts), by the node's Authentication field.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { Operation } from '../../../../functions/core/catalogue';
import { nodeErrorFrom } from './errors';
import type { ReplyInput } from '../../../../functions/core/passive-reply';
import { callDirect } from './direct';
import { replyDirect } from './direct-reply';
import { accountOfNode, callGateway } from './gateway';

export { DIRECT_CREDENTIAL } from '../../../shared/direct-client';
export { GATEWAY_CREDENTIAL } from './gateway';

/** Validates an input with the catalogue; a ValidationError becomes a NodeOperationError. */
export function parseInput(this: IExecuteFunctions, op: Operation, input: unknown, itemIndex: number): unknown {
	try {
		return op.parse(input);
	} catch (error) {
		throw nodeErrorFrom(this.getNode(), error, itemIndex);
	}
}

/** Performs a catalogue operation with a parsed input, in the mode the node is set to. */
export async function performOperation(
	this: IExecuteFunctions,
	op: Operation,
	input: unknown,
	itemIndex: number,
	raw?: unknown,
): Promise<IDataObject> {
	const mode = this.getNodeParameter('authentication', itemIndex, 'direct') as string;
	// The product parses what it is given itself: it gets the item's input as the node built it (a parsed
	// upload holds the checked file, not the route's fields).
	if (mode === 'gateway') {
		return await callGateway.call(this, op, (raw ?? input) as IDataObject, itemIndex, accountOfNode.call(this, itemIndex));
	}
	if (mode !== 'direct') {
		throw new NodeOperationError(this.getNode(), `Unknown authentication "${mode}"`, { itemIndex });
	}
	// Version 2's Reply answers the trigger's waiting push itself (Respond With: Reply Node).
	if (op.name === 'sendReply' && this.getNode().typeVersion >= 2) return await replyDirect.call(this, input as ReplyInput, itemIndex);
	if (op.direct === false) {
		throw new NodeOperationError(this.getNode(), `${op.title} is performed by the deployed product, not by WeChat`, {
			itemIndex,
			description: 'Set Authentication to Gateway (Deployed API) to use this operation',
		});
	}
	return await callDirect.call(this, op, input, itemIndex);
}
