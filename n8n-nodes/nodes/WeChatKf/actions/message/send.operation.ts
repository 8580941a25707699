import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { getOperation, MESSAGE_TYPE_SPECS, MESSAGE_TYPES, type MessageType } from '../../../../../functions/core/catalogue';
import { fieldProperty } from '../generated';
import type { NodeVersion } from '../versions';
import type { NodeOperation } from '../types';
import { userLocator } from '../v2-fields';
import { MESSAGE_CONTENT } from './content';

/** The msgtype option that sends a custom/send body given as JSON, unchanged. */
export const RAW = 'raw';

/**
 * A message type's label from its catalogue title, in Title Case without "Send a" and "message":
 * "Send an mpnews message (deprecated)" → "Mpnews (Deprecated)", "Send a news (link) message" → "News (Link)".
 */
export function typeLabel(type: MessageType): string {
	const words = MESSAGE_TYPE_SPECS[type].title
		.replace(/^Send (an? )?/i, '')
		.replace(/ message\b/i, '')
		.split(' ');
	return words
		.map((w) => (w.startsWith('(') ? `(${w.charAt(1).toUpperCase()}${w.slice(2)}` : `${w.charAt(0).toUpperCase()}${w.slice(1)}`))
		.join(' ');
}

// Generated from the core catalogue: every message type WeChat's custom/send takes, plus Raw JSON. The
// labels are words; the msgtype itself is in each description.
const msgtypeOptions = {
	options: [
		...MESSAGE_TYPES.map((type) => ({
			name: typeLabel(type),
			value: type,
			description: `${MESSAGE_TYPE_SPECS[type].description} (msgtype ${type})`,
		})),
		{ name: 'Raw JSON', value: RAW, description: 'A complete custom/send body, sent as it is (after validation)' },
	],
};

/** A field of the catalogue's sendMessage: the Options collection shows Send As Kf Account and Split Long Text. */
const sendMessageField = (name: string) => {
	const field = getOperation('sendMessage').fields.find((f) => f.name === name);
	if (!field) throw new Error(`the catalogue's sendMessage has no field ${name}`);
	return field;
};

const msgtypeField: INodeProperties = Object.assign(
	{ displayName: 'Message Type', name: 'msgtype', type: 'options' as const, default: MESSAGE_TYPES[0] },
	msgtypeOptions,
);

const typeFields: INodeProperties[] = MESSAGE_TYPES.flatMap((type) =>
	// Each type's fields show for that type; a field's own conditions (a media field's Source) are kept.
	MESSAGE_CONTENT[type].fields.map((field) =>
		Object.assign({}, field, { displayOptions: { ...field.displayOptions, show: { ...field.displayOptions?.show, msgtype: [type] } } }),
	),
);

const RECIPIENT = {
	displayName: 'Recipient OpenID',
	name: 'touser',
	required: true,
	description: 'The openid of the user (it must have written to the official account recently)',
};

/** Message → Send; version 2 picks the recipient with a resource locator (recent users, or By ID). */
export function sendOperation(version: NodeVersion): NodeOperation {
	const recipient: INodeProperties =
		version >= 2
			? { ...userLocator(RECIPIENT), displayOptions: { hide: { msgtype: [RAW] } } }
			: { ...RECIPIENT, type: 'string', default: '', placeholder: '={{ $json.openid }}', displayOptions: { hide: { msgtype: [RAW] } } };
	return { ...send, properties: [recipient, ...send.properties.slice(1)] };
}
/**
 * Label as AI-Generated (docs/ai-label.md): on by default when the node runs as an AI agent's tool (n8n
 * shows the property whose `@tool` condition holds: the tool variant's type ends in `Tool`), off otherwise.
 * Two properties of one name, one per case, so each has its own default.
 */
const aiLabelProperties: INodeProperties[] = [true, false].map((tool) => ({
	displayName: 'Label as AI-Generated',
	name: 'aiGenerated',
	type: 'boolean' as const,
	default: tool,
	description:
		'Whether WeChat shows 内容由第三方AI生成 under the message (aimsgcontext.is_ai_msg = 1, on every part of a split text), ' +
		'as China requires for AI-written replies',
	displayOptions: { show: { '@tool': [tool] } },
}));

export const send: NodeOperation = {
	value: 'send',
	name: 'Send',
	action: 'Send a message',
	description: getOperation('sendMessage').description,
	catalogue: ['sendMessage', ...MESSAGE_TYPES.map((type) => MESSAGE_TYPE_SPECS[type].operation)],
	properties: [
		{
			displayName: 'Recipient OpenID',
			name: 'touser',
			type: 'string',
			required: true,
			default: '',
			placeholder: '={{ $json.openid }}',
			description: 'The openid of the user (it must have written to the official account recently)',
			displayOptions: { hide: { msgtype: [RAW] } },
		},
		msgtypeField,
		...typeFields,
		{
			displayName: 'Body (JSON)',
			name: 'rawBody',
			type: 'json',
			required: true,
			default: '{\n  "touser": "",\n  "msgtype": "text",\n  "text": { "content": "" }\n}',
			description: "WeChat's custom/send body: touser, msgtype, the msgtype's object and optionally customservice",
			displayOptions: { show: { msgtype: [RAW] } },
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: [fieldProperty(sendMessageField('customservice.kf_account'), 'kfAccount'), fieldProperty(sendMessageField('split'))],
		},
		...aiLabelProperties,
	],
	async prepare(itemIndex) {
		const msgtype = this.getNodeParameter('msgtype', itemIndex) as MessageType | typeof RAW;
		const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
		const kfAccount = typeof options.kfAccount === 'string' ? options.kfAccount.trim() : '';
		let body: IDataObject;
		let operation: string;
		if (msgtype === RAW) {
			const raw = this.getNodeParameter('rawBody', itemIndex) as string | IDataObject;
			if (typeof raw === 'string') {
				try {
					body = JSON.parse(raw) as IDataObject;
				} catch (error) {
					throw new NodeOperationError(this.getNode(), `Body (JSON) is not valid JSON: ${(error as Error).message}`, {
						itemIndex,
					});
				}
			} else {
				body = { ...raw };
			}
			operation = 'sendMessage';
		} else {
			const content = MESSAGE_CONTENT[msgtype];
			if (!content) {
				throw new NodeOperationError(this.getNode(), `Unknown message type "${String(msgtype)}"`, { itemIndex });
			}
			body = {
				touser: String(this.getNodeParameter('touser', itemIndex, '', { extractValue: true })).trim(),
				msgtype,
				[msgtype]: await content.build.call(this, itemIndex),
			};
			operation = MESSAGE_TYPE_SPECS[msgtype].operation;
		}
		if (kfAccount !== '') body.customservice = { kf_account: kfAccount };
		// The product's split option (docs/long-text.md): direct mode splits in the node, gateway mode in the product.
		if (options.split === 'true' || options.split === 'numbered') body.split = options.split;
		// The AI label: on asks for it; off leaves the body as it is (Gateway mode: the product's AI_LABEL_DEFAULT applies).
		const toolDefault = this.getNode().type.endsWith('Tool');
		if (this.getNodeParameter('aiGenerated', itemIndex, toolDefault) === true) body.aiGenerated = true;
		return { operation, input: body };
	},
	toItems(answer, call) {
		const input = call.input as IDataObject;
		return [{ ...answer, touser: input.touser, msgtype: input.msgtype }];
	},
};
