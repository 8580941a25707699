import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { runOperation, pathParameters, type Operation, type WeChatRequestSpec } from '../../../../functions/core/catalogue';
import { buildQuery, multipartBody } from '../../../../functions/core/client';
import { isTokenErrcode, ValidationError } from '../../../../functions/core/errors';
import { passthroughRequest, passthroughUrl } from '../../../../functions/core/passthrough';
import { productError, validationError, weChatApiError } from './errors';
import { staticDataHandoffs } from '../../../shared/handoff-state';

export const DIRECT_CREDENTIAL = 'weChatOfficialAccountApi';
export const GATEWAY_CREDENTIAL = 'weChatKfGatewayApi';

/** Validates an input with the catalogue; a ValidationError becomes a NodeOperationError. */
export function parseInput(this: IExecuteFunctions, op: Operation, input: unknown, itemIndex: number): unknown {
	try {
		return op.parse(input);
	} catch (error) {
		if (error instanceof ValidationError) throw validationError(this.getNode(), error, itemIndex);
		throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
	}
}

function toHttpOptions(spec: WeChatRequestSpec, baseUrl: string): IHttpRequestOptions {
	// The query (kf_account) goes into the URL with @ kept literal; n8n adds access_token through `qs`.
	const query = spec.query && Object.keys(spec.query).length > 0 ? `?${buildQuery(spec.query)}` : '';
	const options: IHttpRequestOptions = {
		method: spec.method as IHttpRequestMethods,
		url: `${baseUrl.replace(/\/+$/, '')}${spec.path}${query}`,
		qs: {},
		json: true,
	};
	if (spec.file) {
		const { body, contentType } = multipartBody(spec.file);
		options.body = Buffer.from(body);
		options.headers = { 'content-type': contentType };
	} else if (spec.json !== undefined) {
		options.body = spec.json as IDataObject;
		options.headers = { 'content-type': 'application/json; charset=utf-8' };
	}
	return options;
}

function errcodeOf(answer: unknown): number | undefined {
	if (typeof answer !== 'object' || answer === null) return undefined;
	const errcode = (answer as IDataObject).errcode;
	return typeof errcode === 'number' ? errcode : undefined;
}

/**
 * Direct mode: calls WeChat with the credential's access token. When WeChat answers 40001 / 40014 / 42001
 * (a dead token, reported as HTTP 200), the token field is emptied so that n8n runs the credential's
 * preAuthentication again (and stores the new token), and the call is retried exactly once.
 */
async function callDirect(
	this: IExecuteFunctions,
	spec: WeChatRequestSpec,
	itemIndex: number,
	recipient?: string,
): Promise<IDataObject> {
	const credentials = await this.getCredentials(DIRECT_CREDENTIAL, itemIndex);
	const baseUrl = String(credentials.baseUrl || 'https://api.weixin.qq.com');
	const first = toHttpOptions(spec, baseUrl);
	let answer = (await this.helpers.httpRequestWithAuthentication.call(this, DIRECT_CREDENTIAL, first)) as IDataObject;
	let errcode = errcodeOf(answer);
	if (errcode !== undefined && isTokenErrcode(errcode)) {
		const refused =
			(first.qs?.access_token as string | undefined) ??
			((await this.getCredentials(DIRECT_CREDENTIAL, itemIndex)).accessToken as string | undefined) ??
			'';
		const details = this.getNode().credentials?.[DIRECT_CREDENTIAL];
		const data: ICredentialDataDecryptedObject = { ...credentials, accessToken: '', refusedToken: refused };
		answer = (await this.helpers.httpRequestWithAuthentication.call(this, DIRECT_CREDENTIAL, toHttpOptions(spec, baseUrl), {
			credentialsDecrypted: { id: details?.id ?? '', name: details?.name ?? '', type: DIRECT_CREDENTIAL, data },
		})) as IDataObject;
		errcode = errcodeOf(answer);
	}
	if (errcode !== undefined && errcode !== 0) {
		throw weChatApiError(this.getNode(), errcode, String(answer.errmsg ?? ''), itemIndex, recipient);
	}
	if (typeof answer !== 'object' || answer === null) {
		throw new NodeApiError(this.getNode(), { message: 'WeChat answered with a body that is not JSON' } as JsonObject, {
			itemIndex,
		});
	}
	return answer;
}

/**
 * Fills `{name}` path parameters of a gateway route from the input, percent-encoded (`@` becomes `%40`,
 * as the AWS SDKs send it, so the SigV4 canonical path is the one API Gateway computes).
 */
function routePath(path: string, input: IDataObject): string {
	return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(input[name] ?? '')));
}

/**
 * Gateway mode: calls the deployed API (its routes are the catalogue's, with the entry's path and query
 * parameters and input kind), signed with SigV4 by the credential, so sends go through the deployment's
 * token cache and send-window gating.
 */
async function callGateway(
	this: IExecuteFunctions,
	op: Operation,
	input: IDataObject,
	itemIndex: number,
): Promise<IDataObject> {
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
	if (op.input.kind === 'file' && file instanceof Uint8Array) {
		options.body = Buffer.from(file);
		options.headers = { 'content-type': op.input.accepts[0] ?? 'application/octet-stream' };
	} else if (route.method === 'POST' || route.method === 'PUT') {
		options.body = Object.fromEntries(Object.entries(input).filter(([key]) => !inUrl.has(key))) as IDataObject;
		options.headers = { 'content-type': 'application/json; charset=utf-8' };
	}
	const response = (await this.helpers.httpRequestWithAuthentication.call(
		this,
		GATEWAY_CREDENTIAL,
		options,
	)) as IN8nHttpFullResponse;
	const body = (typeof response.body === 'string' ? safeJson(response.body) : response.body) as IDataObject;
	if (response.statusCode >= 200 && response.statusCode < 300) {
		const errcode = errcodeOf(body);
		if (errcode !== undefined && errcode !== 0) {
			throw weChatApiError(this.getNode(), errcode, String(body.errmsg ?? ''), itemIndex);
		}
		return body ?? {};
	}
	const error = (body?.error ?? {}) as IDataObject;
	if (typeof error.errcode === 'number') {
		throw weChatApiError(this.getNode(), error.errcode, String(error.errmsg ?? ''), itemIndex);
	}
	const apiError = new NodeApiError(this.getNode(), (body ?? {}) as JsonObject, {
		message: `The gateway answered HTTP ${response.statusCode}${error.code ? ` (${String(error.code)})` : ''}: ${String(
			error.message ?? 'no message',
		)}`,
		httpCode: String(response.statusCode),
		itemIndex,
	});
	Object.assign(apiError.context, error);
	throw apiError;
}

function safeJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return { error: { message: text.slice(0, 500) } };
	}
}

/** Performs a catalogue operation with a parsed input, in the mode the node is set to. */
export async function performOperation(
	this: IExecuteFunctions,
	op: Operation,
	input: unknown,
	itemIndex: number,
): Promise<IDataObject> {
	const mode = this.getNodeParameter('authentication', itemIndex, 'direct') as string;
	if (mode === 'gateway') return await callGateway.call(this, op, input as IDataObject, itemIndex);
	if (mode !== 'direct') {
		throw new NodeOperationError(this.getNode(), `Unknown authentication "${mode}"`, { itemIndex });
	}
	if (op.direct === false) {
		throw new NodeOperationError(this.getNode(), `${op.title} is performed by the deployed product, not by WeChat`, {
			itemIndex,
			description: 'Set Authentication to Gateway (Deployed API) to use this operation',
		});
	}
	// The same runner as the product's functions: the entry's one WeChat request, or its own hook.
	const credentials = await this.getCredentials(DIRECT_CREDENTIAL, itemIndex);
	return (await runOperation(op, input, {
		wechat: {
			request: async (spec, recipient) => await callDirect.call(this, spec, itemIndex, recipient),
			// The passthrough: the credential's token, refreshed on 40001 / 40014 / 42001 like every call; the
			// URL checked once more to stay on the credential's API root.
			callApi: async (checked) => {
				const spec = passthroughRequest(checked);
				passthroughUrl(String(credentials.baseUrl || 'https://api.weixin.qq.com'), spec.path);
				return await callDirect.call(this, spec, itemIndex);
			},
		},
		options: {},
		now: Date.now,
		// Handoff marks live in this workflow's static data, where its trigger reads them (Direct mode has no product).
		handoffs: staticDataHandoffs(this.getWorkflowStaticData('global')),
	})) as IDataObject;
}

export { productError };
