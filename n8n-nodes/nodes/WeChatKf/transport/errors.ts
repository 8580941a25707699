/**
 * The core's error family (functions/core/errors.ts) as n8n errors: what happened (the message) and how
 * to fix it (the description). WeChat's errcodes are explained from the core's one table,
 * {@link describeErrcode}: the node has no errcode hints of its own.
 * - an input that breaks a rule, a credential that is set up wrong: NodeOperationError;
 * - everything WeChat (or the gateway) answered, could not answer, or that the token budget stops:
 *   NodeApiError, with the error's fields (`errcode`, `errmsg`, `hint`, `code`, ...) in its context, where
 *   "Continue On Fail" picks them up.
 */
import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import {
	ConfigurationError,
	describeErrcode,
	errorFromErrcode,
	TokenRefreshBudgetError,
	ValidationError,
	WeChatKfError,
	WeChatTimeoutError,
	WeChatUnavailableError,
} from '../../../../functions/core/errors';

/** The core's ValidationError: a NodeOperationError naming every field and broken rule. */
export function validationError(node: INode, error: ValidationError, itemIndex: number): NodeOperationError {
	const lines = error.issues.map((issue) => `${issue.field}: ${issue.rule}`);
	const result = new NodeOperationError(node, `Invalid input: ${lines.join('; ')}`, {
		itemIndex,
		description: lines.join('\n'),
	});
	Object.assign(result.context, { code: error.code, issues: error.issues });
	return result;
}

/** How to fix an error of the core that WeChat's answer does not explain by an errcode. */
function remedyOf(error: WeChatKfError): string | undefined {
	if (error instanceof TokenRefreshBudgetError) {
		return (
			`Wait until ${new Date(error.nextForceAt).toISOString()} and run it again. WeChat refused this credential's token although ` +
			'stable_token still hands it out: usually another system on the same AppID forced a refresh or uses cgi-bin/token ' +
			'(Classic Token). Let one system fetch tokens for the AppID, with Stable Token.'
		);
	}
	if (error instanceof WeChatTimeoutError || error instanceof WeChatUnavailableError) {
		return (
			"Check that n8n can reach the credential's API Base URL (proxy, firewall, DNS) and try again later. A send that may " +
			'have reached WeChat is not repeated by the node, so the user never gets it twice: look at the conversation before running it again.'
		);
	}
	return undefined;
}

/**
 * Any error of the product as an n8n error. n8n's own errors pass unchanged; anything unknown becomes a
 * NodeOperationError.
 *
 * @example
 * ```ts
 * try { await client.call('sendText', input); }
 * catch (error) { throw nodeErrorFrom(this.getNode(), error, itemIndex); }
 * ```
 */
export function nodeErrorFrom(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof ValidationError) return validationError(node, error, itemIndex);
	if (error instanceof ConfigurationError) {
		const result = new NodeOperationError(node, error.message, { itemIndex, description: 'Open the credential and correct it.' });
		Object.assign(result.context, { code: error.code });
		return result;
	}
	if (!(error instanceof WeChatKfError)) return new NodeOperationError(node, error as Error, { itemIndex });
	const body = error.toBody().error;
	const errcode = typeof body.errcode === 'number' ? body.errcode : undefined;
	const info = errcode !== undefined ? describeErrcode(errcode) : undefined;
	const description = info ? `WeChat errcode ${errcode} (${info.meaning}): ${String(body.errmsg ?? '')}. ${info.hint}` : remedyOf(error);
	const result = new NodeApiError(node, body as JsonObject, {
		message: error.message,
		...(description ? { description } : {}),
		httpCode: String(error.status),
		itemIndex,
	});
	// n8n swaps a message naming ECONNREFUSED, ECONNRESET, ... for its own generic one ("perhaps it is
	// offline"); the core's says what was tried, how often, and whether WeChat may have carried it out.
	result.message = error.message;
	Object.assign(result.context, body, info ? { hint: info.hint, kind: info.kind } : {});
	return result;
}

/** WeChat answered a non-zero errcode (through the gateway): the same NodeApiError as in direct mode. */
export function weChatApiError(node: INode, errcode: number, errmsg: string, itemIndex: number, recipient?: string): NodeApiError {
	return nodeErrorFrom(node, errorFromErrcode(errcode, errmsg, recipient), itemIndex) as NodeApiError;
}
