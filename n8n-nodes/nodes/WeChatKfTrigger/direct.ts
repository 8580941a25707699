/**
 * Direct mode: WeChat calls the workflow's URL itself. The URL check (GET, echostr) and the pushes (POST),
 * verified by the core's callback code in the credential's callback mode (docs/callback-modes.md), with
 * the handoff answer (docs/handoff.md); and the callback credential's test.
 */
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IDataObject,
	INodeCredentialTestResult,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import {
	openPush,
	replayTtlSeconds,
	resolveCallbackMode,
	verifyUrl,
	WeChatCrypto,
	type CallbackMode,
	type OpenedPush,
} from '../../../functions/core/callback';
import { SignatureError } from '../../../functions/core/errors';
import { parseHandoffKeywords, runPushPipeline, type HandoffKeywordRule, type OutboundEvent } from '../../../functions/core/inbound';
import { staticDataHandoffPort } from '../../shared/handoff-state';
import { startFromHandoffEvent, startFromMessage, type HandoffOfPush } from './items';
import { REPLY_NODE_WAIT_MS, successUnlessReplied, withReplyTo } from './reply-node';
import { maxSkewSecondsOf, queryOf, rawBodyOf } from './request';
import { staticDataDedup, staticDataReplay } from './seen-pushes';

/**
 * The callback mode of a credential: its Message Encryption Mode, or (Automatic, or a credential saved
 * before the field existed) the product's rule: safe with an EncodingAESKey, else plain.
 */
export function callbackModeOf(credentials: ICredentialDataDecryptedObject, hasAesKey: boolean): CallbackMode | { problem: string } {
	const setting = String(credentials.callbackMode ?? 'auto');
	if ((setting === 'safe' || setting === 'compatible') && !hasAesKey) {
		return {
			problem: `The WeChat Callback credential is set to ${setting} mode but its EncodingAESKey is empty: fill in the credential's EncodingAESKey with the one of the official account's server configuration, or set its Message Encryption Mode to Plain Text`,
		};
	}
	try {
		return resolveCallbackMode(setting === 'auto' ? undefined : setting, hasAesKey);
	} catch {
		return {
			problem: `The WeChat Callback credential's Message Encryption Mode must be Automatic, Plain Text, Compatible or Safe, got ${JSON.stringify(setting)}`,
		};
	}
}

/**
 * The trigger's Handoff Keywords option read as the product reads HANDOFF_KEYWORDS (docs/handoff.md).
 *
 * @throws {ConfigurationError} naming the rule that is wrong (the trigger answers 503 with it, and
 *   activation fails with it).
 */
export function keywordRulesOf(options: IDataObject): HandoffKeywordRule[] {
	return parseHandoffKeywords(typeof options.handoffKeywords === 'string' ? options.handoffKeywords : undefined);
}

/** Nothing is called with this credential: the test checks that the Token and key are usable. */
export async function weChatCallbackApiTest(
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
}

/** A request to the trigger's URL in Direct mode: the URL check or a push. */
export async function directWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
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
	const maxSkewSeconds = maxSkewSecondsOf(options);
	const callbackMode = callbackModeOf(credentials, aesKey !== '');
	// Not set up yet (as the product's /callback with a placeholder token): 503 saying what to set, not a 500
	// that reads as a crash. WeChat retries a failed push, so it arrives once the credential is filled in.
	if (typeof callbackMode !== 'string') return reject(503, callbackMode.problem);
	let opened;
	// One per push: it opens the push and, for a transfer to the desk, seals the answer.
	let crypto: WeChatCrypto | undefined;
	try {
		crypto = aesKey ? new WeChatCrypto(token, aesKey, appId) : undefined;
		// In safe and compatible mode the core refuses a push without encrypt_type=aes and a valid
		// msg_signature, and believes only the encrypted part (docs/callback-modes.md).
		opened = openPush({
			query,
			body: rawBodyOf(this),
			token,
			crypto,
			contentType: String(req.headers['content-type'] ?? ''),
			maxSkewSeconds,
			callbackMode,
		});
	} catch (error) {
		return reject(error instanceof SignatureError ? 401 : 400, (error as Error).message);
	}
	const { message, mode } = opened;
	let rules;
	try {
		rules = { keywords: keywordRulesOf(options) };
	} catch (error) {
		return reject(503, (error as Error).message);
	}
	// The core's callback pipeline (functions/core/inbound/pipeline.ts) on the workflow's static data: replay
	// marks and dedup per node, handoff facts per workflow (shared with the action node's Hand Over to a
	// Human). Kf session events update who has the user; a marked user's message, or a text matching a
	// handoff keyword, is answered with a transfer to WeChat's desk (docs/handoff.md).
	const nodeData = this.getWorkflowStaticData('node');
	const scope = `${this.getNode().id}`;
	const published: OutboundEvent[] = [];
	let outcome;
	try {
		outcome = await runPushPipeline(
			{ opened, query, crypto, appId, now: Date.now(), replayTtlSeconds: replayTtlSeconds(maxSkewSeconds) },
			{
				replay: staticDataReplay(nodeData, scope),
				dedup: staticDataDedup(nodeData, scope, options.keepRetries === true),
				handoffs: staticDataHandoffPort(this.getWorkflowStaticData('global')),
				publish: async (events) => void published.push(...events),
			},
			rules,
		);
	} catch (error) {
		return reject(error instanceof SignatureError ? 401 : 500, (error as Error).message);
	}
	// Respond With: Reply Node keeps WeChat waiting for Message → Reply (./reply-node.ts), within its 5 s.
	const waiting = this.getNodeParameter('respondWith', 'success') === 'replyNode' && outcome.reply === undefined && !outcome.duplicate;
	if (waiting) return await startWaitingForReply(this, opened, handoff(outcome), published[0], appId || null);
	// WeChat waits 5 s at most and retries otherwise: answer at once, then start the workflow.
	if (outcome.reply !== undefined)
		res
			.status(200)
			.type(opened.format === 'json' ? 'application/json' : 'text/xml')
			.send(outcome.reply);
	else res.status(200).type('text/plain').send('success');
	if (outcome.duplicate) return { noWebhookResponse: true };
	const event = published[0];
	if (event && event.detailType.startsWith('handoff.')) return startFromHandoffEvent(this, message, mode, event);
	return startFromMessage(this, message, 'direct', mode, handoff(outcome), appId || null);
}

const handoff = (outcome: { humanSession: HandoffOfPush['humanSession']; transferred: boolean }): HandoffOfPush => ({
	humanSession: outcome.humanSession,
	transferred: outcome.transferred,
});

/**
 * Respond With: Reply Node: the workflow starts with `replyTo` in its item and n8n answers WeChat with what
 * Message → Reply sends; "success" when nothing starts, or when no reply came in time (the timer runs
 * from here, so a media download counts in WeChat's 5 s).
 */
async function startWaitingForReply(
	ctx: IWebhookFunctions,
	opened: OpenedPush,
	handoffOfPush: HandoffOfPush,
	event: OutboundEvent | undefined,
	appId: string | null,
): Promise<IWebhookResponseData> {
	const answerBy = Date.now() + REPLY_NODE_WAIT_MS;
	const success = successUnlessReplied(ctx.getResponseObject());
	const { message, mode, format } = opened;
	const started = event?.detailType.startsWith('handoff.')
		? await startFromHandoffEvent(ctx, message, mode, event)
		: await startFromMessage(ctx, message, 'direct', mode, handoffOfPush, appId);
	if (!started.workflowData) {
		success();
		return { noWebhookResponse: true };
	}
	const replyTo = { openid: message.FromUserName, account: message.ToUserName, msgId: message.MsgId ?? null, mode, format, answerBy };
	return { workflowData: withReplyTo(started.workflowData, replyTo) };
}
