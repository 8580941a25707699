import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import {
	describeErrcode,
	errorFromErrcode,
	ValidationError,
	WeChatKfError,
} from '../../../../functions/core/errors';

/** WeChat answered a non-zero errcode: a NodeApiError carrying errcode, errmsg and the core's hint. */
export function weChatApiError(
	node: INode,
	errcode: number,
	errmsg: string,
	itemIndex: number,
	recipient?: string,
): NodeApiError {
	const info = describeErrcode(errcode);
	const mapped = errorFromErrcode(errcode, errmsg, recipient);
	const body: JsonObject = { errcode, errmsg, hint: info.hint, code: mapped.code, kind: info.kind };
	const error = new NodeApiError(node, body, {
		message: mapped.message,
		description: `WeChat errcode ${errcode} (${info.meaning}): ${errmsg}. ${info.hint}`,
		httpCode: String(mapped.status),
		itemIndex,
	});
	Object.assign(error.context, { errcode, errmsg, hint: info.hint, code: mapped.code });
	return error;
}

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

/** Any other error of the product (gateway answers): a NodeApiError keeping its code and details. */
export function productError(node: INode, error: WeChatKfError, itemIndex: number): NodeApiError {
	const body = error.toBody().error as JsonObject;
	const result = new NodeApiError(node, body, {
		message: error.message,
		httpCode: String(error.status),
		itemIndex,
	});
	Object.assign(result.context, body);
	return result;
}
