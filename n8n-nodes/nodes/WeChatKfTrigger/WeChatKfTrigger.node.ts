/**
 * The WeChat Customer Service Trigger: starts a workflow on a user's message or event, in Direct mode
 * (WeChat calls the workflow: direct.ts) or Gateway mode (the deployed product delivers it:
 * gateway-webhook.ts), or on a failed send (Gateway mode). What an accepted push becomes is in items.ts;
 * which pushes were already seen, in seen-pushes.ts.
 */
import type { IDataObject, IHookFunctions, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { InboundEvent, InboundMsgType } from '../../../functions/core/callback';
import { directWebhook, keywordRulesOf, weChatCallbackApiTest } from './direct';
import { GATEWAY_CREDENTIAL, gatewayCheckExists, gatewayCreate, gatewayDelete } from './gateway';
import { gatewayWebhook } from './gateway-webhook';
import { WECHAT_API_CREDENTIAL } from './download-media';
import { accountProperty, searchAccounts } from '../../shared/accounts';

export { toItem, failedDeliveryItem } from './items';

/** The labels of the Message Types and Events filters. */
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

export class WeChatKfTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeChat Customer Service Trigger',
		name: 'weChatKfTrigger',
		icon: { light: 'file:wechat.svg', dark: 'file:wechat.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{$parameter["mode"] === "gateway" && $parameter["startOn"] === "failedDeliveries" ? "failed deliveries" : $parameter["mode"] === "gateway" && $parameter["startOn"] === "turns" ? "turns" : "messages and events"}}',
		description:
			'Starts the workflow when a WeChat user writes to the official account, an event (follow, menu click…) comes in, or (Gateway mode) a send fails',
		defaults: { name: 'WeChat Customer Service Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
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
				// Respond With: Reply Node (Direct mode) waits for the WeChat Customer Service node's Message → Reply,
				// as n8n's Webhook node waits for Respond to Webhook (docs/passive-replies.md, "n8n Direct mode").
				responseMode: '={{$parameter["mode"] === "direct" && $parameter["respondWith"] === "replyNode" ? "responseNode" : "onReceived"}}',
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
			// Which official account's events (Gateway mode): empty, every account's, as before accounts existed.
			accountProperty(
				{ show: { mode: ['gateway'] } },
				"The official account whose users' messages and events start the workflow; its AppID (wx…)",
				"Empty: every account's",
			),
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
					{
						name: 'Turns',
						value: 'turns',
						description:
							"A user's burst of messages, once they stop writing: one run per turn, with the messages and their text joined (turn.ready; needs the product's TURN_QUIET_MS)",
					},
					{ name: "Users' Messages and Events", value: 'messages', description: 'A user writes in, follows, taps a menu…' },
				],
				default: 'messages',
				displayOptions: { show: { mode: ['gateway'] } },
			},
			{
				displayName: 'Include Limited Turns',
				name: 'includeLimitedTurns',
				type: 'boolean',
				default: false,
				description:
					"Whether to also start on a turn over the product's TURN_LIMIT_PER_HOUR (kind turn.limited, with count, limit and resetsAt), e.g. to answer it with a canned text",
				displayOptions: { show: { mode: ['gateway'], startOn: ['turns'] } },
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
				displayName: 'Respond With',
				name: 'respondWith',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Success at Once',
						value: 'success',
						description: 'WeChat is answered "success" before the workflow runs; reply with Message → Send',
					},
					{
						name: 'Reply Node',
						value: 'replyNode',
						description:
							'The WeChat Customer Service node\'s Message → Reply answers inside WeChat\'s push (no send window or quota used); without a reply within 4.5 s WeChat is answered "success"',
					},
				],
				default: 'success',
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
						description: "How far the timestamp of a push may be from this server's clock; 0 turns the check off",
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
						displayName: 'Handoff Keywords',
						name: 'handoffKeywords',
						type: 'string',
						default: '',
						placeholder: '转人工=agent1@mywechatid, *人工客服*, /^(human|agent)$/',
						description:
							"Direct mode: a user's text matching one of these is answered at once with a transfer to WeChat's customer-service " +
							'desk and starts the workflow as a handoff.requested item (not as a message for a bot). Comma-separated: an exact word, ' +
							'*a substring* or /a regex/, each optionally =kf account. Case and full-width Latin letters are ignored.',
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
		/** The Account field's list (Gateway mode): the deployment's accounts. */
		listSearch: { searchAccounts },
		credentialTest: {
			/** Nothing is called with this credential: the test checks that the Token and key are usable. */
			weChatCallbackApiTest,
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
				if (this.getNodeParameter('mode', 'direct') !== 'gateway') {
					// A wrong Handoff Keywords rule fails the activation, naming the rule, rather than every push.
					try {
						keywordRulesOf(this.getNodeParameter('options', {}) as IDataObject);
					} catch (error) {
						throw new NodeOperationError(this.getNode(), (error as Error).message);
					}
					return true;
				}
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
		return await directWebhook.call(this);
	}
}
