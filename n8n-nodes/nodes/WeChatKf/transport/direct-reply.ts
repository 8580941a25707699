/**
 * Message → Reply in Direct mode (version 2; docs/passive-replies.md, "n8n Direct mode"): answers the push
 * that started the workflow, inside WeChat's own request, through n8n's response-node pattern
 * (`sendResponse`, as the Respond to Webhook node). The trigger must be set to Respond With: Reply Node: its
 * item's `replyTo` says who wrote, to which account and how the push came; the body is the core's
 * {@link passiveReplyBody}, encrypted with the WeChat Callback credential's key when the push was.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { WeChatCrypto, type InboundMessage, type PushFormat, type PushMode } from '../../../../functions/core/callback';
import { passiveReplyBody, passiveReplyFields } from '../../../../functions/core/passive-reply-body';
import type { ReplyInput } from '../../../../functions/core/passive-reply';
import { prepareSendMedia } from '../../../../functions/core/catalogue/send-media';
import { directServices } from './direct';

/** The credential that holds the Token and EncodingAESKey (an encrypted push is answered encrypted). */
export const CALLBACK_CREDENTIAL = 'weChatCallbackApi';

const MODES: readonly string[] = ['plain', 'compatible', 'safe'];

/** The `replyTo` of the item (or of the trigger's item, when a node between changed the item). */
function replyToOf(ctx: IExecuteFunctions, itemIndex: number): IDataObject | undefined {
	const own = ctx.getInputData()[itemIndex]?.json.replyTo;
	if (typeof own === 'object' && own !== null) return own as IDataObject;
	const trigger = ctx.getParentNodes(ctx.getNode().name).find((n) => n.type.endsWith('.weChatKfTrigger'));
	if (!trigger) return undefined;
	try {
		const found = ctx.evaluateExpression(`{{ $('${trigger.name.replace(/'/g, "\\'")}').first().json.replyTo }}`, itemIndex);
		return typeof found === 'object' && found !== null ? (found as IDataObject) : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Answers the waiting push with the reply; the output item says what was answered.
 *
 * @example
 * ```ts
 * if (op.name === 'sendReply') return await replyDirect.call(this, input as ReplyInput, itemIndex);
 * ```
 */
export async function replyDirect(this: IExecuteFunctions, input: ReplyInput, itemIndex: number): Promise<IDataObject> {
	const fail = (message: string, description?: string) => new NodeOperationError(this.getNode(), message, { itemIndex, description });
	const replyTo = replyToOf(this, itemIndex);
	if (!replyTo || typeof replyTo.account !== 'string' || !MODES.includes(String(replyTo.mode))) {
		throw fail(
			'Reply in Direct mode answers the push of a WeChat Customer Service Trigger set to Respond With: Reply Node, and no such push started this item',
			'Set the trigger (Direct mode) to Respond With: Reply Node, or reply with Message → Send',
		);
	}
	if (replyTo.openid !== input.openid)
		throw fail(`User OpenID must be the openid of the push waiting for its reply (${String(replyTo.openid)})`);
	if (input.msgId !== undefined && replyTo.msgId !== null && String(replyTo.msgId) !== input.msgId)
		throw fail(`Message ID must be the MsgId of the push waiting for its reply (${String(replyTo.msgId)}), or left empty`);
	const tooLate = () => typeof replyTo.answerBy === 'number' && Date.now() > replyTo.answerBy;
	const late = () =>
		fail(
			'Too late for a passive reply: WeChat waits 5 s, and the trigger answered "success" after 4.5 s',
			'Send the message with Message → Send (it uses the send window) or make the workflow answer sooner',
		);
	if (tooLate()) throw late();
	const mode = replyTo.mode as PushMode;
	let crypto: WeChatCrypto | undefined;
	if (mode !== 'plain') {
		const credentials = await this.getCredentials(CALLBACK_CREDENTIAL, itemIndex).catch(() => undefined);
		const aesKey = String(credentials?.encodingAesKey ?? '').trim();
		if (!credentials || aesKey === '')
			throw fail(
				`The push came in ${mode} mode: choose the WeChat Callback credential (with its EncodingAESKey) so the reply is encrypted`,
			);
		crypto = new WeChatCrypto(String(credentials.token ?? ''), aesKey, String(credentials.appId ?? '').trim());
	}
	// Media given as {url} / {file} are uploaded first with the direct credential (cached per account, as for
	// a send): a passive reply names media by media_id. The time it takes counts in WeChat's 5 s.
	const message = await prepareSendMedia(input.message, (await directServices(this, itemIndex)).services);
	if (tooLate()) throw late();
	const format: PushFormat = replyTo.format === 'json' ? 'json' : 'xml';
	const push = { message: { FromUserName: input.openid, ToUserName: replyTo.account } as InboundMessage, mode, format };
	const body = passiveReplyBody(push, passiveReplyFields(message), { crypto, now: Date.now() });
	// A Buffer: n8n writes it to WeChat's request at once. A string would wait for n8n to save the workflow's
	// static data (the trigger's dedup marks), and n8n 2.x ends the response empty meanwhile.
	this.sendResponse({
		body: Buffer.from(body, 'utf8'),
		headers: { 'content-type': format === 'json' ? 'application/json' : 'text/xml; charset=utf-8' },
		statusCode: 200,
	});
	return { openid: input.openid, msgId: replyTo.msgId ?? null, msgtype: message.msgtype, channel: 'passive', mode };
}
