import type { IDataObject, IHookFunctions, IWebhookFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { getOperation } from '../../../functions/core/catalogue';
import { verifyDelivery } from '../../../functions/core/webhooks/signature';
import { SignatureError } from '../../../functions/core/errors';
import type { InboundMessage } from '../../../functions/core/callback';
import { FAILED_DELIVERY_EVENT, GATEWAY_EVENTS } from '../../shared/gateway-events';
import { ACCOUNT_PARAMETER, accountValue } from '../../shared/accounts';
import { callGatewayRoute, checkedAppId, GATEWAY_CREDENTIAL } from '../../shared/gateway-door';

/**
 * Gateway mode of the trigger: the deployed product receives WeChat's pushes at its /callback (so its
 * send windows open), and delivers each one to this workflow as a signed webhook. On activation the
 * trigger subscribes its own production URL (POST /subscriptions, through the one gateway door,
 * shared/gateway-door.ts, signed with the gateway credential) and
 * keeps the subscription's id and secret in the workflow's static data; on deactivation it deletes it.
 * Every delivery's signature and timestamp are checked with that secret (docs/webhooks.md).
 *
 * With an Account chosen (shared/accounts.ts) the subscription carries `appIds: [<appId>]`, so only that
 * official account's events are delivered; with none it has no `appIds` (every account's events, and the
 * very request it made before accounts existed). The subscription routes themselves are the deployment's,
 * not an account's: they are never put under `/accounts/<appId>`.
 */

// What the trigger subscribes to: users' messages and events, keyword handoffs, and failed sends
// (docs/deliveries.md); shared with the action node's Subscription → Create.
export { FAILED_DELIVERY_EVENT, GATEWAY_CREDENTIAL, GATEWAY_EVENTS };

/** A user's burst of messages, closed (docs/turns.md), and one over the hourly limit. */
export const TURN_READY_EVENT = 'turn.ready';
export const TURN_LIMITED_EVENT = 'turn.limited';

/** What the trigger starts on (gateway mode): users' messages and events, failed deliveries, both, or turns. */
export type StartOn = 'messages' | 'failedDeliveries' | 'both' | 'turns';

/**
 * The events to subscribe to for a Start On choice.
 *
 * @example
 * ```ts
 * gatewayEvents('both'); // ['message.*', 'event.*', 'handoff.*', 'delivery.failed']
 * gatewayEvents('turns', true); // ['turn.ready', 'turn.limited']
 * ```
 */
export function gatewayEvents(startOn: StartOn, includeLimitedTurns = false): string[] {
	if (startOn === 'turns') return includeLimitedTurns ? [TURN_READY_EVENT, TURN_LIMITED_EVENT] : [TURN_READY_EVENT];
	if (startOn === 'failedDeliveries') return [FAILED_DELIVERY_EVENT];
	if (startOn === 'both') return [...GATEWAY_EVENTS, FAILED_DELIVERY_EVENT];
	return [...GATEWAY_EVENTS];
}

const startOnOf = (ctx: IHookFunctions): StartOn => ctx.getNodeParameter('startOn', 'messages') as StartOn;
/** The events this node's Start On (and Include Limited Turns) subscribe to. */
const wantedEvents = (ctx: IHookFunctions): string[] =>
	gatewayEvents(startOnOf(ctx), startOnOf(ctx) === 'turns' && (ctx.getNodeParameter('includeLimitedTurns', false) as boolean));

/** The trigger's Account: an AppID, or '' for none (every account's events). */
export const accountOfTrigger = (ctx: IHookFunctions | IWebhookFunctions): string =>
	accountValue(ctx.getNodeParameter(ACCOUNT_PARAMETER, '') as unknown);

/**
 * The `appIds` filter of the subscription for the trigger's Account (none: no filter); an Account that
 * is not an AppID fails the activation, saying what to give.
 */
const wantedAppIds = (ctx: IHookFunctions): string[] | undefined => {
	const account = checkedAppId(ctx, accountOfTrigger(ctx));
	return account === '' ? undefined : [account];
};

/** Whether a subscription's `appIds` (as GET shows it; absent: every account) is the wanted filter. */
function sameAppIds(shown: unknown, wanted: string[] | undefined): boolean {
	const have = Array.isArray(shown) ? shown.map(String) : [];
	const want = wanted ?? [];
	return have.length === want.length && want.every((a) => have.includes(a));
}

interface GatewayStaticData extends IDataObject {
	subscriptionId?: string;
	subscriptionSecret?: string;
	subscriptionUrl?: string;
}

type HookContext = IHookFunctions;

/** One subscription route of the deployed API, by its catalogue entry: its status and JSON answer. */
async function gatewayRequest(
	ctx: HookContext,
	operation: string,
	input: IDataObject = {},
): Promise<{ status: number; body: IDataObject }> {
	const answer = await callGatewayRoute(ctx, getOperation(operation), input);
	return { status: answer.status, body: answer.json };
}

function gatewayError(ctx: HookContext, what: string, answer: { status: number; body: IDataObject }): NodeApiError {
	const error = (answer.body.error ?? {}) as IDataObject;
	return new NodeApiError(ctx.getNode(), answer.body as JsonObject, {
		message: `Could not ${what}: the gateway answered HTTP ${answer.status}${error.code ? ` (${String(error.code)})` : ''}`,
		description:
			answer.status === 403
				? 'The gateway credential is not allowed to call the API: grant its IAM user or role execute-api:Invoke on the stack (kf.grantInvoke)'
				: String(error.message ?? 'Check the gateway credential and that the stack is deployed'),
		httpCode: String(answer.status),
	});
}

const staticDataOf = (ctx: HookContext | IWebhookFunctions) => ctx.getWorkflowStaticData('node') as GatewayStaticData;

function forget(data: GatewayStaticData) {
	delete data.subscriptionId;
	delete data.subscriptionSecret;
	delete data.subscriptionUrl;
}

/** Whether this workflow's subscription exists at the gateway, for this webhook URL. */
export async function gatewayCheckExists(this: IHookFunctions): Promise<boolean> {
	const data = staticDataOf(this);
	const url = this.getNodeWebhookUrl('default') as string;
	if (!data.subscriptionId || !data.subscriptionSecret) return false;
	const answer = await gatewayRequest(this, 'getSubscription', { id: data.subscriptionId });
	if (answer.status === 404) {
		forget(data);
		return false;
	}
	if (answer.status !== 200) throw gatewayError(this, 'check the subscription', answer);
	const events = Array.isArray(answer.body.events) ? (answer.body.events as string[]) : [];
	const wanted = wantedEvents(this);
	const sameEvents = events.length === wanted.length && wanted.every((e) => events.includes(e));
	if (answer.body.url === url && sameEvents && sameAppIds(answer.body.appIds, wantedAppIds(this))) return true;
	// The workflow's URL changed (a new WEBHOOK_URL), it starts on other events now, or is for another
	// account: replace the subscription.
	await gatewayDelete.call(this);
	return false;
}

/** Subscribes this workflow's production URL; keeps the id and the secret (shown only now). */
export async function gatewayCreate(this: IHookFunctions): Promise<boolean> {
	const data = staticDataOf(this);
	const url = this.getNodeWebhookUrl('default') as string;
	// A subscription left for this URL by an earlier activation whose static data was lost cannot be
	// verified (its secret is gone): remove it, so the URL gets exactly one delivery per event.
	const listed = await gatewayRequest(this, 'listSubscriptions');
	if (listed.status !== 200) throw gatewayError(this, 'list the subscriptions', listed);
	for (const sub of (listed.body.subscriptions ?? []) as IDataObject[]) {
		if (sub.url === url && typeof sub.id === 'string') await gatewayRequest(this, 'deleteSubscription', { id: sub.id });
	}
	// An Account is a filter on the subscription; none adds nothing (the request is the one made before accounts).
	const appIds = wantedAppIds(this);
	const answer = await gatewayRequest(this, 'createSubscription', {
		url,
		events: wantedEvents(this),
		description: `n8n workflow "${this.getWorkflow().name ?? this.getWorkflow().id}", node "${this.getNode().name}"`,
		...(appIds ? { appIds } : {}),
	});
	if (answer.status !== 201 || typeof answer.body.id !== 'string' || typeof answer.body.secret !== 'string') {
		throw gatewayError(this, 'subscribe this workflow', answer);
	}
	data.subscriptionId = answer.body.id;
	data.subscriptionSecret = answer.body.secret;
	data.subscriptionUrl = url;
	return true;
}

/** Deletes this workflow's subscription (already gone is fine). */
export async function gatewayDelete(this: IHookFunctions): Promise<boolean> {
	const data = staticDataOf(this);
	if (data.subscriptionId) {
		const answer = await gatewayRequest(this, 'deleteSubscription', { id: data.subscriptionId });
		if (answer.status !== 200 && answer.status !== 404) throw gatewayError(this, 'delete the subscription', answer);
	}
	forget(data);
	return true;
}

/** A verified delivery, or why it was refused. */
export type GatewayDelivery =
	| {
			ok: true;
			eventId: string;
			type: string;
			message?: InboundMessage;
			humanSession?: IDataObject | null;
			transferred?: boolean;
			detail: IDataObject;
	  }
	| { ok: false; status: number; reason: string };

/**
 * Checks a delivery (signature over the raw body, timestamp within `toleranceSeconds`) and reads the
 * inbound message out of it.
 */
export function openDelivery(
	ctx: IWebhookFunctions,
	rawBody: string,
	headers: Record<string, unknown>,
	toleranceSeconds: number,
): GatewayDelivery {
	const secret = staticDataOf(ctx).subscriptionSecret;
	if (!secret) return { ok: false, status: 401, reason: 'this workflow has no subscription secret: deactivate and activate it again' };
	let eventId: string;
	try {
		({ eventId } = verifyDelivery({ secret, headers, body: rawBody, toleranceSeconds }));
	} catch (error) {
		if (error instanceof SignatureError) return { ok: false, status: 401, reason: error.message };
		throw new NodeOperationError(ctx.getNode(), error as Error);
	}
	let event: IDataObject;
	try {
		event = JSON.parse(rawBody) as IDataObject;
	} catch {
		return { ok: false, status: 400, reason: 'the delivery is not JSON' };
	}
	const detail = (event.detail ?? {}) as IDataObject;
	const message = detail.message as InboundMessage | undefined;
	const valid = message && typeof message === 'object' && typeof message.MsgType === 'string' && typeof message.FromUserName === 'string';
	const humanSession = detail.humanSession && typeof detail.humanSession === 'object' ? (detail.humanSession as IDataObject) : null;
	return {
		ok: true,
		eventId,
		type: String(event.type ?? ''),
		message: valid ? message : undefined,
		humanSession,
		transferred: detail.transferred === true,
		detail,
	};
}
