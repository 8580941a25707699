/**
 * What an accepted push becomes: the item a workflow starts with (the same shape in Direct and Gateway
 * mode), and whether the node's filters and "Skip While a Human Has the User" let it start one.
 */
import type { IDataObject, INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import type { InboundMessage } from '../../../functions/core/callback';
import type { OutboundEvent } from '../../../functions/core/inbound/events';
import type { HandoffView } from '../../shared/handoff-state';
import { FAILED_DELIVERY_EVENT } from './gateway';
import { downloadMedia, hasDownloadableMedia } from './download-media';

/**
 * The push as an item with readable names; `raw` keeps every field WeChat sent. `appId` is the official
 * account's AppID (Gateway mode: the event's; Direct mode: the callback credential's, null when it has
 * none), so a reply can go through the same account (the action node's Account: `{{ $json.appId }}`).
 */
export function toItem(
	message: InboundMessage,
	mode: string,
	humanSession: HandoffView['humanSession'] = null,
	appId: string | null = null,
): IDataObject {
	const createdAt = new Date(message.CreateTime * 1000).toISOString();
	const item: IDataObject = {
		openid: message.FromUserName,
		account: message.ToUserName,
		appId,
		messageType: message.MsgType,
		event: message.Event ?? null,
		eventKey: message.EventKey ?? null,
		content: message.Content ?? null,
		msgId: message.MsgId ?? null,
		menuId: message.bizmsgmenuid ?? null,
		mediaId: message.MediaId ?? null,
		thumbMediaId: message.ThumbMediaId ?? null,
		format: message.Format ?? null,
		picUrl: message.PicUrl ?? null,
		createdAt,
		createTime: message.CreateTime,
		mode,
		humanSession,
		raw: { ...message } as IDataObject,
	};
	return item;
}

/**
 * The item of a user's message, with its file in the binary data when Download Media is on and the
 * message carries one (download-media.ts).
 */
export async function withMedia(
	ctx: IWebhookFunctions,
	message: InboundMessage,
	mode: 'direct' | 'gateway',
	json: IDataObject,
): Promise<INodeExecutionData[]> {
	if (!ctx.getNodeParameter('downloadMedia', false) || !hasDownloadableMedia(message)) return ctx.helpers.returnJsonArray([json]);
	const property = String(ctx.getNodeParameter('mediaBinaryProperty', 'data') || 'data');
	const media = await downloadMedia(ctx, message, mode, property);
	return [{ json: { ...json, ...media.json }, ...(media.binary ? { binary: media.binary } : {}) }];
}

/** Who has the user and whether this message was answered with a transfer, as the item reports them. */
export interface HandoffOfPush {
	humanSession: HandoffView['humanSession'];
	transferred: boolean;
}

/**
 * What a user's message starts, in either mode: nothing when the node's filters or "Skip While a Human Has
 * the User" drop it, otherwise one item (with its file when Download Media is on). `mode` is the item's
 * `mode` field: the callback mode in Direct mode, `gateway` in Gateway mode.
 */
export async function startFromMessage(
	ctx: IWebhookFunctions,
	message: InboundMessage,
	source: 'direct' | 'gateway',
	mode: string,
	handoff: HandoffOfPush,
	appId: string | null = null,
): Promise<IWebhookResponseData> {
	const { humanSession, transferred } = handoff;
	if (!wanted(ctx, message) || skippedForHuman(ctx, humanSession, transferred)) return { noWebhookResponse: true };
	return {
		noWebhookResponse: true,
		workflowData: [await withMedia(ctx, message, source, { ...toItem(message, mode, humanSession, appId), transferred })],
	};
}

/** The AppID an event's detail names (every published event's does), or null. */
export const appIdOf = (detail: Readonly<Record<string, unknown>>): string | null =>
	typeof detail.appId === 'string' && detail.appId !== '' ? detail.appId : null;

/**
 * What a keyword handoff starts (docs/handoff.md, "Keyword handoff"): one item with `kind`
 * `handoff.requested` (the user was transferred to the desk) or `handoff.unavailable` (no agent online: the
 * user got the out-of-hours text), the rule matched, the text and the kf account, beside the message's
 * fields. It stands for the user's message, which no bot should answer: the node's Message Types filter
 * applies, "Skip While a Human Has the User" does not (the flow is told of the handoff).
 */
export async function startFromHandoffEvent(
	ctx: IWebhookFunctions,
	message: InboundMessage,
	mode: string,
	event: OutboundEvent,
): Promise<IWebhookResponseData> {
	if (!wanted(ctx, message)) return { noWebhookResponse: true };
	const detail = event.detail;
	const json: IDataObject = {
		...toItem(message, mode, (detail.humanSession ?? null) as HandoffView['humanSession'], appIdOf(detail)),
		kind: event.detailType,
		transferred: detail.transferred === true,
		rule: String(detail.rule ?? ''),
		text: String(detail.text ?? ''),
		kfAccount: (detail.kfAccount as string | undefined) ?? null,
	};
	return { noWebhookResponse: true, workflowData: [ctx.helpers.returnJsonArray([json])] };
}

/**
 * Whether "Skip While a Human Has the User" drops this push: the user is in a session with an agent (after
 * this push's own kf event is applied, so kf_close_session comes through and the flow can resume), or this
 * message was just answered with a transfer to the desk.
 */
export function skippedForHuman(ctx: IWebhookFunctions, humanSession: HandoffView['humanSession'], transferred = false): boolean {
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	return options.skipHumanSessions === true && (humanSession !== null || transferred);
}

/**
 * A failed delivery as an item: who, what was sent, what became of it and why (docs/deliveries.md), with
 * `mode: 'gateway'` and `kind: 'delivery.failed'` so one workflow can tell it from a user's message.
 */
export function failedDeliveryItem(detail: IDataObject): IDataObject {
	return {
		kind: FAILED_DELIVERY_EVENT,
		openid: detail.openid ?? null,
		appId: appIdOf(detail),
		operation: detail.operation ?? null,
		messageType: detail.msgtype ?? null,
		outcome: detail.outcome ?? null,
		reason: detail.reason ?? null,
		errcode: detail.errcode ?? null,
		errmsg: detail.errmsg ?? null,
		errorCode: detail.errorCode ?? null,
		part: detail.part ?? null,
		parts: detail.parts ?? null,
		idempotencyKey: detail.idempotencyKey ?? null,
		at: detail.at ?? null,
		deliveryId: detail.id ?? null,
		mode: 'gateway',
		raw: detail,
	};
}

/**
 * A turn as an item (docs/turns.md): the user, the turn's text (the texts joined with newlines), its
 * messages (each as the product published it), when it started and closed, and, for `turn.limited`, the
 * count, the limit and when it resets; `kind` says which, so a flow answers a limited turn with a canned text.
 */
export function turnItem(kind: string, detail: IDataObject): IDataObject {
	return {
		kind,
		openid: detail.openid ?? null,
		appId: appIdOf(detail),
		turnId: detail.turnId ?? null,
		text: detail.text ?? '',
		messages: Array.isArray(detail.messages) ? detail.messages : [],
		humanSession: detail.humanSession ?? null,
		transferred: detail.transferred === true,
		startedAt: detail.startedAt ?? null,
		closedAt: detail.closedAt ?? null,
		...(Array.isArray(detail.history) ? { history: detail.history } : {}),
		...(kind === 'turn.limited' ? { count: detail.count ?? null, limit: detail.limit ?? null, resetsAt: detail.resetsAt ?? null } : {}),
		mode: 'gateway',
	};
}

/** Whether the node's Message Types and Events filters let this message through. */
export function wanted(ctx: IWebhookFunctions, message: InboundMessage): boolean {
	const messageTypes = ctx.getNodeParameter('messageTypes', []) as string[];
	const events = ctx.getNodeParameter('events', []) as string[];
	if (messageTypes.length > 0 && !messageTypes.includes(String(message.MsgType))) return false;
	if (message.MsgType === 'event' && events.length > 0 && !events.includes(String(message.Event))) return false;
	return true;
}
