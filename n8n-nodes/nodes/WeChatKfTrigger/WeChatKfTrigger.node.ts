import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	IHookFunctions,
	INodeExecutionData,
	INodeCredentialTestResult,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import {
	dedupKey,
	openPush,
	plainReplayKey,
	replayTtlSeconds,
	resolveCallbackMode,
	verifyUrl,
	WeChatCrypto,
	type CallbackMode,
	type InboundEvent,
	type InboundMessage,
	type InboundMsgType,
} from '../../../functions/core/callback';
import { SignatureError } from '../../../functions/core/errors';
import { transferReply } from '../../../functions/core/handoff-reply';
import { applySessionEvent, handoffOf, type HandoffView } from '../../shared/handoff-state';
import { FAILED_DELIVERY_EVENT, GATEWAY_CREDENTIAL, gatewayCheckExists, gatewayCreate, gatewayDelete, openDelivery } from './gateway';
import { downloadMedia, hasDownloadableMedia, WECHAT_API_CREDENTIAL } from './download-media';

const MESSAGE_TYPES: Record<InboundMsgType, string> = {
	text: 'Text',
	image: 'Image',
	voice: 'Voice',
	video: 'Video',
	shortvideo: 'Short Video',
	location: 'Location',
	link: 'Link',
	file: 'File',
	miniprogrampage: 'Mini Program Card',
	event: 'Event',
};

const EVENTS: Record<InboundEvent, string> = {
	subscribe: 'Follow (Subscribe)',
	unsubscribe: 'Unfollow (Unsubscribe)',
	SCAN: 'QR Code Scan (SCAN)',
	LOCATION: 'Location Report (LOCATION)',
	CLICK: 'Menu Click (CLICK)',
	VIEW: 'Menu Link (VIEW)',
	scancode_push: 'Menu Scan (Scancode_push)',
	scancode_waitmsg: 'Menu Scan and Wait (Scancode_waitmsg)',
	pic_sysphoto: 'Menu Camera (Pic_sysphoto)',
	pic_photo_or_album: 'Menu Camera or Album (Pic_photo_or_album)',
	pic_weixin: 'Menu WeChat Album (Pic_weixin)',
	location_select: 'Menu Location (Location_select)',
	view_miniprogram: 'Menu Mini Program (View_miniprogram)',
	kf_create_session: 'Kf Session Created (Kf_create_session)',
	kf_close_session: 'Kf Session Closed (Kf_close_session)',
	kf_switch_session: 'Kf Session Switched (Kf_switch_session)',
};

/** How long a push's key is remembered to drop WeChat's retries (it retries within ~15 s). */
const DEDUP_TTL_MS = 10 * 60_000;
const DEDUP_MAX = 2000;
/** Keys seen by this process, for retries that arrive while the first push is still being handled. */
const recentKeys = new Map<string, number>();

/** Whether this push was seen before (workflow static data and this process); records it if not. */
function seenBefore(staticData: IDataObject, scope: string, key: string, now: number): boolean {
	const stored = (staticData.pushKeys ?? {}) as Record<string, number>;
	for (const [k, at] of Object.entries(stored)) if (now - at > DEDUP_TTL_MS) delete stored[k];
	for (const [k, at] of recentKeys) if (now - at > DEDUP_TTL_MS) recentKeys.delete(k);
	const scoped = `${scope}|${key}`;
	const seen = stored[key] !== undefined || recentKeys.has(scoped);
	if (!seen) {
		stored[key] = now;
		recentKeys.set(scoped, now);
		const keys = Object.keys(stored);
		if (keys.length > DEDUP_MAX) for (const k of keys.slice(0, keys.length - DEDUP_MAX)) delete stored[k];
		staticData.pushKeys = stored;
	}
	return seen;
}

/**
 * Replay marks of plain-mode pushes (the core's plainReplayKey) seen by this process, by node: the
 * workflow's static data is saved only after the webhook answered, so two copies of one signed URL
 * arriving together are told apart here.
 */
const recentMarks = new Map<string, { key: string; at: number; ttlMs: number }>();
/** The most replay marks kept in static data (each is ~100 bytes of the workflow's saved static data). */
const REPLAY_MAX = 3000;

/**
 * Whether a plain-mode push replays a signed URL that came with another message (docs/callback-modes.md):
 * each (timestamp, nonce, signature) is accepted once, for one message, while its timestamp is fresh.
 * The same message again is WeChat's retry (dropped later as one). Records the mark when it is new.
 */
function isReplay(staticData: IDataObject, scope: string, mark: string, key: string, now: number, ttlMs: number): boolean {
	const stored = (staticData.replayMarks ?? {}) as Record<string, { k: string; at: number; ttl: number }>;
	for (const [m, entry] of Object.entries(stored)) if (now - entry.at > entry.ttl) delete stored[m];
	for (const [m, entry] of recentMarks) if (now - entry.at > entry.ttlMs) recentMarks.delete(m);
	const scoped = `${scope}|${mark}`;
	const first = stored[mark]?.k ?? recentMarks.get(scoped)?.key;
	if (first !== undefined) return first !== key;
	stored[mark] = { k: key, at: now, ttl: ttlMs };
	recentMarks.set(scoped, { key, at: now, ttlMs });
	const marks = Object.keys(stored);
	if (marks.length > REPLAY_MAX) for (const m of marks.slice(0, marks.length - REPLAY_MAX)) delete stored[m];
	staticData.replayMarks = stored;
	return false;
}

/**
 * The callback mode of a credential: its Message Encryption Mode, or (Automatic, or a credential saved
 * before the field existed) the product's rule: safe with an EncodingAESKey, else plain.
 */
function callbackModeOf(credentials: ICredentialDataDecryptedObject, hasAesKey: boolean): CallbackMode | { problem: string } {
	const setting = String(credentials.callbackMode ?? 'auto');
	if ((setting === 'safe' || setting === 'compatible') && !hasAesKey) {
		return {
			problem: `The WeChat Callback credential is set to ${setting} mode but its EncodingAESKey is empty: fill in the credential's EncodingAESKey with the one of the official account's server configuration, or set its Message Encryption Mode to Plain Text`,
		};
	}
	try {
		return resolveCallbackMode(setting === 'auto' ? undefined : setting, hasAesKey);
	} catch {
		return { problem: `The WeChat Callback credential's Message Encryption Mode must be Automatic, Plain Text, Compatible or Safe, got ${JSON.stringify(setting)}` };
	}
}

/** The push as an item with readable names; `raw` keeps every field WeChat sent. */
export function toItem(message: InboundMessage, mode: string, humanSession: HandoffView['humanSession'] = null): IDataObject {
	const createdAt = new Date(message.CreateTime * 1000).toISOString();
	const item: IDataObject = {
		openid: message.FromUserName,
		account: message.ToUserName,
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

function queryOf(ctx: IWebhookFunctions): Record<string, string> {
	const query = ctx.getQueryData() as Record<string, unknown>;
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(query ?? {})) {
		if (typeof v === 'string') out[k] = v;
		else if (Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
	}
	return out;
}

function rawBodyOf(ctx: IWebhookFunctions): string {
	const req = ctx.getRequestObject() as unknown as { rawBody?: Buffer; body?: unknown };
	if (req.rawBody && req.rawBody.length > 0) return req.rawBody.toString('utf8');
	const body = req.body ?? ctx.getBodyData();
	if (typeof body === 'string') return body;
	// No raw body (should not happen in n8n): a JSON push can still be read back.
	return JSON.stringify(body ?? {});
}

export class WeChatKfTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeChat Customer Service Trigger',
		name: 'weChatKfTrigger',
		icon: { light: 'file:wechat.svg', dark: 'file:wechat.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["mode"] === "gateway" && $parameter["startOn"] === "failedDeliveries" ? "failed deliveries" : "messages and events"}}',
		description:
			'Starts the workflow when a WeChat user writes to the official account, an event (follow, menu click…) comes in, or (Gateway mode) a send fails',
		defaults: { name: 'WeChat Customer Service Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		usableAsTool: true,
		credentials: [
			{
				name: 'weChatCallbackApi',
				required: true,
				testedBy: 'weChatCallbackApiTest',
				displayOptions: { show: { mode: ['direct'] } },
			},
			{ name: GATEWAY_CREDENTIAL, required: true, displayOptions: { show: { mode: ['gateway'] } } },
			// Download Media in Direct mode calls WeChat's media/get: it needs the AppID and AppSecret.
			{ name: WECHAT_API_CREDENTIAL, required: true, displayOptions: { show: { mode: ['direct'], downloadMedia: [true] } } },
		],
		webhooks: [
			{
				name: 'setup',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				path: 'wechat',
			},
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'wechat',
			},
		],
		properties: [
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Direct (WeChat Calls This Workflow)',
						value: 'direct',
						description: "This workflow's URL is the official account's server URL",
					},
					{
						name: 'Gateway (Deployed Product Calls This Workflow)',
						value: 'gateway',
						description:
							"The deployed product's /callback is the server URL (it opens the send windows); this workflow subscribes to it when activated",
					},
				],
				default: 'direct',
			},
			{
				displayName:
					'Activating the workflow subscribes its Production URL to the deployed product (with the gateway credential) and deactivating it unsubscribes; nothing to copy. Every delivery is checked for its signature and timestamp. Reply with the WeChat Customer Service node in Gateway mode, so the reply counts in the window this message opened.',
				name: 'gatewayNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { mode: ['gateway'] } },
			},
			{
				displayName: 'Start On',
				name: 'startOn',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Both', value: 'both' },
					{
						name: 'Failed Deliveries',
						value: 'failedDeliveries',
						description:
							'A send through the product failed: refused by the send window, refused by WeChat (errcode), or WeChat unreachable (delivery.failed)',
					},
					{ name: "Users' Messages and Events", value: 'messages', description: 'A user writes in, follows, taps a menu…' },
				],
				default: 'messages',
				displayOptions: { show: { mode: ['gateway'] } },
			},
			{
				displayName:
					'WeChat pushes only what users do: a failed delivery can start a workflow only in Gateway mode, where the product that sent the message tells it. In Direct mode a failed send is an error of the WeChat Customer Service node (use its error output or Continue On Fail).',
				name: 'directDeliveriesNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { mode: ['direct'] } },
			},
			{
				displayName:
					'Paste the Production URL above into the official account: Settings and Development → Basic Configuration → Server Configuration → URL, with the same Token (and EncodingAESKey) as the credential. Publish (activate) the workflow before you save it there: WeChat checks the URL at once.',
				name: 'notice',
				type: 'notice',
				default: '',
				displayOptions: { show: { mode: ['direct'] } },
			},
			{
				displayName: 'Message Types',
				name: 'messageTypes',
				type: 'multiOptions',
				options: Object.entries(MESSAGE_TYPES).map(([value, name]) => ({ name, value })),
				default: [],
				description: 'Which messages start the workflow; none selected means every message type (and every event)',
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				options: Object.entries(EVENTS).map(([value, name]) => ({ name, value })),
				default: [],
				description: 'Which events start the workflow; none selected means every event (when events are let through)',
			},
			{
				displayName: 'Download Media',
				name: 'downloadMedia',
				type: 'boolean',
				default: false,
				description:
					"Whether to put the file of an image, voice note or video the user sent into the item's binary data (Direct mode: from WeChat, with the WeChat API credential; Gateway mode: from the deployed product). A download that fails leaves mediaError in the item.",
			},
			{
				displayName: 'Put Media in Field',
				name: 'mediaBinaryProperty',
				type: 'string',
				default: 'data',
				hint: 'The name of the output binary field to put the file in',
				displayOptions: { show: { downloadMedia: [true] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Max Clock Skew (Seconds)',
						name: 'maxSkewSeconds',
						type: 'number',
						default: 300,
						description: 'How far the timestamp of a push may be from this server\'s clock; 0 turns the check off',
					},
					{
						displayName: 'Skip While a Human Has the User',
						name: 'skipHumanSessions',
						type: 'boolean',
						default: false,
						description:
							"Whether to stay silent for a user while a human agent of WeChat's customer-service desk has their conversation (from kf_create_session until kf_close_session, and for messages handed to the desk), so a bot flow pauses and resumes after the session closes",
					},
					{
						displayName: 'Keep Retries',
						name: 'keepRetries',
						type: 'boolean',
						default: false,
						description: 'Whether to start the workflow again when WeChat repeats a push it already sent (by default repeats are dropped)',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			/** Nothing is called with this credential: the test checks that the Token and key are usable. */
			async weChatCallbackApiTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = credential.data ?? {};
				const token = String(data.token ?? '');
				const aesKey = String(data.encodingAesKey ?? '').trim();
				if (!/^[A-Za-z0-9]{3,32}$/.test(token)) {
					return { status: 'Error', message: 'The Token must be 3 to 32 letters or digits, as WeChat requires' };
				}
				const mode = callbackModeOf(data, aesKey !== '');
				if (typeof mode !== 'string') return { status: 'Error', message: mode.problem };
				if (aesKey !== '') {
					try {
						new WeChatCrypto(token, aesKey, String(data.appId ?? '').trim() || 'unset');
					} catch (error) {
						return { status: 'Error', message: (error as Error).message };
					}
					if (String(data.appId ?? '').trim() === '') {
						return { status: 'Error', message: 'Safe mode needs the AppID of the official account' };
					}
				}
				return { status: 'OK', message: `The Token and EncodingAESKey are well-formed; pushes are accepted in ${mode} mode` };
			},
		},
	};

	/**
	 * Direct: WeChat's callback URL is entered by hand in the official account's admin console (it has no
	 * API to register one), so there is nothing to create or delete on WeChat's side. Gateway: the
	 * workflow's URL is subscribed to the deployed product on activation and unsubscribed on deactivation.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('mode', 'direct') !== 'gateway') return true;
				return await gatewayCheckExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('mode', 'direct') !== 'gateway') return true;
				return await gatewayCreate.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('mode', 'direct') !== 'gateway') return true;
				return await gatewayDelete.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		if (this.getNodeParameter('mode', 'direct') === 'gateway') return await gatewayWebhook.call(this);
		const res = this.getResponseObject();
		const req = this.getRequestObject();
		const credentials = (await this.getCredentials('weChatCallbackApi')) as ICredentialDataDecryptedObject;
		const token = String(credentials.token ?? '');
		const aesKey = String(credentials.encodingAesKey ?? '').trim();
		const appId = String(credentials.appId ?? '').trim();
		const query = queryOf(this);
		const reject = (status: number, message: string): IWebhookResponseData => {
			res.status(status).type('text/plain').send(message);
			return { noWebhookResponse: true };
		};

		if (this.getWebhookName() === 'setup' || req.method === 'GET') {
			try {
				const echostr = verifyUrl(query, token);
				res.status(200).type('text/plain').send(echostr);
			} catch (error) {
				return reject(error instanceof SignatureError ? 401 : 400, (error as Error).message);
			}
			return { noWebhookResponse: true };
		}

		const options = this.getNodeParameter('options', {}) as IDataObject;
		const skew = typeof options.maxSkewSeconds === 'number' ? options.maxSkewSeconds : 300;
		const maxSkewSeconds = skew === 0 ? Infinity : skew;
		const callbackMode = callbackModeOf(credentials, aesKey !== '');
		// Not set up yet (as the product's /callback with a placeholder token): 503 saying what to set, not a 500
		// that reads as a crash. WeChat retries a failed push, so it arrives once the credential is filled in.
		if (typeof callbackMode !== 'string') return reject(503, callbackMode.problem);
		let opened;
		try {
			// In safe and compatible mode the core refuses a push without encrypt_type=aes and a valid
			// msg_signature, and believes only the encrypted part (docs/callback-modes.md).
			opened = openPush({
				query,
				body: rawBodyOf(this),
				token,
				crypto: aesKey ? new WeChatCrypto(token, aesKey, appId) : undefined,
				contentType: String(req.headers['content-type'] ?? ''),
				maxSkewSeconds,
				callbackMode,
			});
		} catch (error) {
			return reject(error instanceof SignatureError ? 401 : 400, (error as Error).message);
		}
		const { message, mode } = opened;
		// Plain mode: a signed URL proves nothing about the body, so each is accepted for one message only.
		const mark = mode === 'plain' ? plainReplayKey(query) : undefined;
		if (mark && isReplay(this.getWorkflowStaticData('node'), `${this.getNode().id}`, mark, dedupKey(message), Date.now(), replayTtlSeconds(maxSkewSeconds) * 1000)) {
			return reject(401, 'replayed push: this timestamp, nonce and signature were already used for another message (plain mode accepts each once)');
		}
		// Handoff (docs/handoff.md): kf session events update who has the user; a marked user's message is
		// answered with a transfer to WeChat's desk. WeChat waits 5 s at most and retries otherwise: answer at once.
		const handoffData = this.getWorkflowStaticData('global');
		const now = Date.now();
		applySessionEvent(handoffData, message, now);
		const handoff = handoffOf(handoffData, message.FromUserName, now);
		const transferred = message.MsgType !== 'event' && handoff.mark !== undefined;
		if (transferred && handoff.mark) {
			const crypto = aesKey ? new WeChatCrypto(token, aesKey, appId) : undefined;
			const reply = transferReply(opened, { kfAccount: handoff.mark.kf_account, crypto, now });
			res.status(200).type(opened.format === 'json' ? 'application/json' : 'text/xml').send(reply);
		} else {
			res.status(200).type('text/plain').send('success');
		}

		const staticData = this.getWorkflowStaticData('node');
		if (!options.keepRetries && seenBefore(staticData, `${this.getNode().id}`, dedupKey(message), Date.now())) {
			return { noWebhookResponse: true };
		}
		if (!wanted(this, message) || skippedForHuman(this, handoff.humanSession, transferred)) return { noWebhookResponse: true };
		return {
			noWebhookResponse: true,
			workflowData: [await withMedia(this, message, 'direct', { ...toItem(message, mode, handoff.humanSession), transferred })],
		};
	}
}

/**
 * The item of a user's message, with its file in the binary data when Download Media is on and the
 * message carries one (download-media.ts).
 */
async function withMedia(ctx: IWebhookFunctions, message: InboundMessage, mode: 'direct' | 'gateway', json: IDataObject): Promise<INodeExecutionData[]> {
	if (!ctx.getNodeParameter('downloadMedia', false) || !hasDownloadableMedia(message)) return ctx.helpers.returnJsonArray([json]);
	const property = String(ctx.getNodeParameter('mediaBinaryProperty', 'data') || 'data');
	const media = await downloadMedia(ctx, message, mode, property);
	return [{ json: { ...json, ...media.json }, ...(media.binary ? { binary: media.binary } : {}) }];
}

/**
 * Whether "Skip While a Human Has the User" drops this push: the user is in a session with an agent (after
 * this push's own kf event is applied, so kf_close_session comes through and the flow can resume), or this
 * message was just answered with a transfer to the desk.
 */
function skippedForHuman(ctx: IWebhookFunctions, humanSession: HandoffView['humanSession'], transferred = false): boolean {
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

/** Whether the node's Message Types and Events filters let this message through. */
function wanted(ctx: IWebhookFunctions, message: InboundMessage): boolean {
	const messageTypes = ctx.getNodeParameter('messageTypes', []) as string[];
	const events = ctx.getNodeParameter('events', []) as string[];
	if (messageTypes.length > 0 && !messageTypes.includes(String(message.MsgType))) return false;
	if (message.MsgType === 'event' && events.length > 0 && !events.includes(String(message.Event))) return false;
	return true;
}

/**
 * A delivery from the deployed product: refused with 401 unless its signature and timestamp verify;
 * answered 200 at once (the product retries anything else); the same item as in Direct mode, with
 * `mode: 'gateway'`. A repeated delivery of one event (same X-WeChat-Kf-Event-Id) starts nothing.
 */
async function gatewayWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const res = this.getResponseObject();
	const req = this.getRequestObject();
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const skew = typeof options.maxSkewSeconds === 'number' ? options.maxSkewSeconds : 300;
	const delivery = openDelivery(this, rawBodyOf(this), req.headers as Record<string, unknown>, skew === 0 ? Infinity : skew);
	if (!delivery.ok) {
		res.status(delivery.status).type('text/plain').send(delivery.reason);
		return { noWebhookResponse: true };
	}
	res.status(200).type('text/plain').send('ok');
	const { message } = delivery;
	const failedDelivery = delivery.type === FAILED_DELIVERY_EVENT;
	if (!message && !failedDelivery) return { noWebhookResponse: true };
	const staticData = this.getWorkflowStaticData('node');
	if (!options.keepRetries && seenBefore(staticData, `${this.getNode().id}`, `event:${delivery.eventId}`, Date.now())) {
		return { noWebhookResponse: true };
	}
	if (failedDelivery) {
		const startOn = this.getNodeParameter('startOn', 'messages') as string;
		if (startOn === 'messages') return { noWebhookResponse: true };
		return { noWebhookResponse: true, workflowData: [this.helpers.returnJsonArray([failedDeliveryItem(delivery.detail)])] };
	}
	if (!message) return { noWebhookResponse: true };
	const humanSession = (delivery.humanSession ?? null) as HandoffView['humanSession'];
	const transferred = delivery.transferred === true;
	if (!wanted(this, message) || skippedForHuman(this, humanSession, transferred)) return { noWebhookResponse: true };
	return { noWebhookResponse: true, workflowData: [await withMedia(this, message, 'gateway', { ...toItem(message, 'gateway', humanSession), transferred })] };
}
