/**
 * Gateway mode: the node calls the deployed API through the one gateway door (shared/gateway-door.ts:
 * the catalogue entry's route, query, input kind and answer), signed with SigV4 by the credential, so
 * sends go through the deployment's token cache and send-window gating. This file turns the answer into
 * the item, or into the same n8n errors as Direct mode.
 */
import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import type { Operation } from '../../../../functions/core/catalogue';
import { ValidationError, type ValidationIssue } from '../../../../functions/core/errors';
import { ACCOUNT_PARAMETER, accountValue } from '../../../shared/accounts';
import { callGatewayRoute, GATEWAY_CREDENTIAL } from '../../../shared/gateway-door';
import { validationError, weChatApiError } from './errors';

export { GATEWAY_CREDENTIAL };

function errcodeOf(answer: unknown): number | undefined {
	if (typeof answer !== 'object' || answer === null) return undefined;
	const errcode = (answer as IDataObject).errcode;
	return typeof errcode === 'number' ? errcode : undefined;
}

/**
 * The node's Account (version 2, Gateway mode): an AppID, or '' for the default account. Version 1 has
 * no such field and so always calls the default account, as it always did.
 */
export function accountOfNode(this: IExecuteFunctions, itemIndex: number): string {
	if (this.getNode().typeVersion < 2) return '';
	// Read as saved (a hidden field has no property for n8n's extractValue to find): a locator or a string.
	return accountValue(this.getNodeParameter(ACCOUNT_PARAMETER, itemIndex, ''));
}

/**
 * Calls the deployed API's route of a catalogue operation with a parsed input, for an account (its
 * AppID; '' or left out: the default account).
 */
export async function callGateway(
	this: IExecuteFunctions,
	op: Operation,
	input: IDataObject,
	itemIndex: number,
	account = '',
): Promise<IDataObject> {
	const answer = await callGatewayRoute(this, op, input, itemIndex, account);
	// A file answer is the item's binary data (the node puts it there).
	if (answer.file) return answer.file as unknown as IDataObject;
	const body = answer.json;
	if (answer.status >= 200 && answer.status < 300) {
		const errcode = errcodeOf(body);
		if (errcode !== undefined && errcode !== 0) {
			throw weChatApiError(this.getNode(), errcode, String(body.errmsg ?? ''), itemIndex);
		}
		return body ?? {};
	}
	const error = (body?.error ?? {}) as IDataObject;
	// The product refused the input (400 INVALID_INPUT, naming each field and rule): the same
	// NodeOperationError as Direct mode's own check, since the input is what needs fixing.
	if (answer.status === 400 && error.code === 'INVALID_INPUT' && Array.isArray(error.issues) && error.issues.length > 0) {
		throw validationError(this.getNode(), new ValidationError(error.issues as unknown as ValidationIssue[]), itemIndex);
	}
	if (typeof error.errcode === 'number') {
		throw weChatApiError(this.getNode(), error.errcode, String(error.errmsg ?? ''), itemIndex);
	}
	const apiError = new NodeApiError(this.getNode(), (body ?? {}) as JsonObject, {
		message: `The gateway answered HTTP ${answer.status}${error.code ? ` (${String(error.code)})` : ''}: ${String(error.message ?? 'no message')}`,
		httpCode: String(answer.status),
		itemIndex,
	});
	Object.assign(apiError.context, error);
	throw apiError;
}
