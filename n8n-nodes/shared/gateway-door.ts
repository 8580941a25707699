/**
 * The one door from n8n to the deployed API (Gateway mode), driven by the catalogue entry of what is
 * asked: its route (method, `{name}` path parameters), its query names, its input kind (a JSON body, a
 * raw file, multipart for files) and its answer (JSON, a file, or either for the passthrough). Signed with
 * SigV4 by the gateway credential. The action node's operations, the trigger's subscription (create,
 * list, get, delete) and its media download all go through it, so a route is written once: in the
 * catalogue.
 *
 * It answers what the API answered (status and JSON, or the file); what an error means to the caller (a
 * NodeApiError, a retry) is the caller's.
 *
 * An account (one official account of several: docs/accounts.md) is the `account` argument: its AppID
 * puts the request under `/accounts/<appId>` + the route's path (token vending: its own `/access-token/<appId>`),
 * the one place that is done; none (empty)
 * is the default account, today's paths unchanged. The accounts' own routes (`/accounts…`) never get it.
 *
 * @example
 * ```ts
 * const answer = await callGatewayRoute(this, getOperation('getSubscription'), { id }, 0);
 * if (answer.status === 404) forget();
 * ```
 */
import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { APP_ID_PATTERN } from '../../functions/core/accounts';
import { accountRouteOf, pathParameters, type Operation } from '../../functions/core/catalogue';
import { fileFromResponse, gatewayFileBody, isJsonAnswer, jsonOfBytes } from './media-transfer';

/** The credential that signs the gateway's requests (the action node's and the trigger's). */
export const GATEWAY_CREDENTIAL = 'weChatKfGatewayApi';

/** Where the door is called from: the action node, or the trigger's hooks and webhook. */
export type GatewayContext = IExecuteFunctions | IHookFunctions | IWebhookFunctions;

/** What the deployed API answered: its status, and its JSON or (2xx of a file answer) the file. */
export interface GatewayAnswer {
	status: number;
	json: IDataObject;
	file?: { data: Uint8Array; contentType: string; filename?: string };
}

/**
 * Fills `{name}` path parameters of a gateway route from the input, percent-encoded (`@` becomes `%40`,
 * as the AWS SDKs send it, so the SigV4 canonical path is the one API Gateway computes).
 */
function routePath(path: string, input: IDataObject): string {
	return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(input[name] ?? '')));
}

/** The catalogue resource of the accounts' own routes (POST/GET /accounts, GET/DELETE /accounts/{appId}). */
export const ACCOUNT_RESOURCE = 'account';

/** Whether an operation is one of the accounts' own routes, which are never put under an account. */
function isAccountRoute(op: Operation): boolean {
	return op.resource === ACCOUNT_RESOURCE || op.route.path === '/accounts' || op.route.path.startsWith('/accounts/');
}

/**
 * An Account value checked: its AppID (trimmed), or '' for none (the default account).
 *
 * @throws {NodeOperationError} when it is not a plausible AppID, saying what to give instead.
 * @example
 * ```ts
 * checkedAppId(ctx, ' wx0123456789abcdef '); // 'wx0123456789abcdef'
 * checkedAppId(ctx, 'gh_abc'); // throws: that is the original ID, give the AppID
 * ```
 */
export function checkedAppId(ctx: GatewayContext, account: string | undefined, itemIndex = 0): string {
	const appId = (account ?? '').trim();
	// The product's own rule (functions/core/accounts.ts): an original ID, a name, a URL or a path is refused here, before signing.
	if (appId === '' || APP_ID_PATTERN.test(appId)) return appId;
	const shown = appId.length > 40 ? `${appId.slice(0, 40)}…` : appId;
	throw new NodeOperationError(ctx.getNode(), `The Account "${shown}" is not an AppID`, {
		itemIndex,
		description: appId.startsWith('gh_')
			? 'That is the original ID (gh_…): give the AppID (wx…) from Settings and Development → Basic Configuration, pick the account From List, or leave Account empty for the default account'
			: 'Give the AppID (wx then 1 to 32 letters, digits, _ or -, e.g. wx0123456789abcdef), pick the account From List, or leave Account empty for the default account',
	});
}

/**
 * The path of a route for an account: the operation's route for one account of several (`/accounts/<appId>`
 * + its path, or its own per-account path: token vending), `{appId}` filled; its ordinary path for the
 * default account (no account given) and for the accounts' own routes.
 *
 * @throws {NodeOperationError} when the account is not a plausible AppID, or the operation is not done per account.
 */
function accountPath(ctx: GatewayContext, op: Operation, account: string | undefined, itemIndex: number): string {
	const appId = checkedAppId(ctx, account, itemIndex);
	if (appId === '' || isAccountRoute(op)) return op.route.path;
	const route = accountRouteOf(op);
	// The deployment's own operations (webhook subscriptions) are not per account: sending them for the
	// default account instead would act for the wrong one, so say so (docs/accounts.md in the product).
	if (!route) {
		throw new NodeOperationError(ctx.getNode(), `${op.title} is not done per official account`, {
			itemIndex,
			description:
				op.resource === 'subscription'
					? "Webhook subscriptions belong to the deployment: leave Account empty, and list the accounts in the subscription's Accounts (appIds) to filter its events"
					: "This operation serves the deployment's default account only: leave Account empty",
		});
	}
	return route.path.replace('{appId}', encodeURIComponent(appId));
}

function safeJson(text: string): IDataObject {
	try {
		return JSON.parse(text) as IDataObject;
	} catch {
		return { error: { message: text.slice(0, 500) } };
	}
}

/**
 * Calls the deployed API's route of a catalogue entry with an input, for an account (its AppID; empty or
 * left out: the default account).
 *
 * @throws {NodeOperationError} when the gateway credential has no http(s) API URL, or the account is not
 * a plausible AppID (nothing is sent).
 */
export async function callGatewayRoute(
	ctx: GatewayContext,
	op: Operation,
	input: IDataObject,
	itemIndex = 0,
	account?: string,
): Promise<GatewayAnswer> {
	// Checked first: a wrong account is the node's input to fix, whatever the credential.
	const path = accountPath(ctx, op, account, itemIndex);
	// The action node's getCredentials takes the item; the trigger's ignore it.
	const credentials = await (ctx as IExecuteFunctions).getCredentials(GATEWAY_CREDENTIAL, itemIndex);
	const baseUrl = String(credentials.url ?? '').replace(/\/+$/, '');
	if (!/^https?:\/\//.test(baseUrl)) {
		throw new NodeOperationError(ctx.getNode(), 'The gateway credential has no API URL', {
			description: "Set the credential's API URL to the deployed stack's ApiUrl output",
		});
	}
	const { route } = op;
	const inUrl = new Set([...pathParameters(route.path), ...(op.query ?? [])]);
	const query = (op.query ?? []).filter((name) => input[name] !== undefined);
	const search =
		query.length > 0 ? `?${query.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(String(input[name]))}`).join('&')}` : '';
	const options: IHttpRequestOptions = {
		method: route.method as IHttpRequestMethods,
		url: `${baseUrl}${routePath(path, input)}${search}`,
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
	const response = (await (ctx as IExecuteFunctions).helpers.httpRequestWithAuthentication.call(
		ctx as IExecuteFunctions,
		GATEWAY_CREDENTIAL,
		options,
	)) as IN8nHttpFullResponse;
	const status = response.statusCode;
	const ok = status >= 200 && status < 300;
	// A file answer (GET /media/{media_id}), or a Custom API Call WeChat answered with a file (media/get, a QR code).
	if (ok && (answersFile || (mayAnswerFile && !isJsonAnswer(response)))) return { status, json: {}, file: fileFromResponse(response) };
	if (answersFile || mayAnswerFile) return { status, json: jsonOfBytes(response) };
	const body = typeof response.body === 'string' ? safeJson(response.body) : ((response.body ?? {}) as IDataObject);
	return { status, json: body };
}
