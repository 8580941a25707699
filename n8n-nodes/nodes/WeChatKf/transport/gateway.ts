/**
 * Gateway mode: the node calls the deployed API (its routes are the catalogue's, with the entry's path and
 * query parameters and input kind), signed with SigV4 by the credential, so sends go through the
 * deployment's token cache and send-window gating.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, IHttpRequestOptions, IN8nHttpFullResponse, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { pathParameters, type Operation } from '../../../../functions/core/catalogue';
import { ValidationError, type ValidationIssue } from '../../../../functions/core/errors';
import { fileFromResponse, gatewayFileBody, isJsonAnswer, jsonOfBytes } from '../../../shared/media-transfer';
import { validationError, weChatApiError } from './errors';

export const GATEWAY_CREDENTIAL = 'weChatKfGatewayApi';

function errcodeOf(answer: unknown): number | undefined {
	if (typeof answer !== 'object' || answer === null) return undefined;
	const errcode = (answer as IDataObject).errcode;
	return typeof errcode === 'number' ? errcode : undefined;
}

/**
 * Fills `{name}` path parameters of a gateway route from the input, percent-encoded (`@` becomes `%40`,
 * as the AWS SDKs send it, so the SigV4 canonical path is the one API Gateway computes).
 */
function routePath(path: string, input: IDataObject): string {
	return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(input[name] ?? '')));
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return { error: { message: text.slice(0, 500) } };
	}
}

/** Calls the deployed API's route of a catalogue operation with a parsed input. */
export async function callGateway(this: IExecuteFunctions, op: Operation, input: IDataObject, itemIndex: number): Promise<IDataObject> {
	const credentials = await this.getCredentials(GATEWAY_CREDENTIAL, itemIndex);
	const baseUrl = String(credentials.url ?? '').replace(/\/+$/, '');
	const { route } = op;
	const inUrl = new Set([...pathParameters(route.path), ...(op.query ?? [])]);
	const query = (op.query ?? []).filter((name) => input[name] !== undefined);
	const search = query.length > 0 ? `?${query.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(String(input[name]))}`).join('&')}` : '';
	const options: IHttpRequestOptions = {
		method: route.method as IHttpRequestMethods,
		url: `${baseUrl}${routePath(route.path, input)}${search}`,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		json: true,
	};
	const file = op.input.kind === 'file' ? input[op.input.field] : undefined;
	// Files as the product's routes take them: multipart (a send's media files, an upload), docs/media.md.
	const withFiles = gatewayFileBody(op, input, inUrl);
	const answersFile = op.answer?.kind === 'file';
	// The passthrough answers JSON or, when WeChat did, a file: read as bytes, told apart by the content type.
	const mayAnswerFile = op.answer?.kind === 'json' && op.answer.mayAnswerFile === true;
	if (answersFile || mayAnswerFile) {
		options.encoding = 'arraybuffer';
		options.json = false;
	}
	if (withFiles) {
		options.body = withFiles.body;
		options.headers = withFiles.headers;
	} else if (op.input.kind === 'file' && file instanceof Uint8Array) {
		options.body = Buffer.from(file);
		options.headers = { 'content-type': op.input.accepts[0] ?? 'application/octet-stream' };
	} else if (route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH') {
		options.body = Object.fromEntries(Object.entries(input).filter(([key]) => !inUrl.has(key))) as IDataObject;
		options.headers = { 'content-type': 'application/json; charset=utf-8' };
	}
	const response = (await this.helpers.httpRequestWithAuthentication.call(this, GATEWAY_CREDENTIAL, options)) as IN8nHttpFullResponse;
	// A file answer (GET /media/{media_id}) is the item's binary data (the node puts it there).
	if (answersFile && response.statusCode >= 200 && response.statusCode < 300) return fileFromResponse(response) as unknown as IDataObject;
	// A Custom API Call WeChat answered with a file (media/get, a QR code): the product passes it on as it came.
	if (mayAnswerFile && response.statusCode >= 200 && response.statusCode < 300 && !isJsonAnswer(response)) return fileFromResponse(response) as unknown as IDataObject;
	const body = (answersFile || mayAnswerFile ? jsonOfBytes(response) : typeof response.body === 'string' ? safeJson(response.body) : response.body) as IDataObject;
	if (response.statusCode >= 200 && response.statusCode < 300) {
		const errcode = errcodeOf(body);
		if (errcode !== undefined && errcode !== 0) {
			throw weChatApiError(this.getNode(), errcode, String(body.errmsg ?? ''), itemIndex);
		}
		return body ?? {};
	}
	const error = (body?.error ?? {}) as IDataObject;
	// The product refused the input (400 INVALID_INPUT, naming each field and rule): the same
	// NodeOperationError as Direct mode's own check, since the input is what needs fixing.
	if (response.statusCode === 400 && error.code === 'INVALID_INPUT' && Array.isArray(error.issues) && error.issues.length > 0) {
		throw validationError(this.getNode(), new ValidationError(error.issues as unknown as ValidationIssue[]), itemIndex);
	}
	if (typeof error.errcode === 'number') {
		throw weChatApiError(this.getNode(), error.errcode, String(error.errmsg ?? ''), itemIndex);
	}
	const apiError = new NodeApiError(this.getNode(), (body ?? {}) as JsonObject, {
		message: `The gateway answered HTTP ${response.statusCode}${error.code ? ` (${String(error.code)})` : ''}: ${String(error.message ?? 'no message')}`,
		httpCode: String(response.statusCode),
		itemIndex,
	});
	Object.assign(apiError.context, error);
	throw apiError;
}
