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
	dedupKey,
	openPush,
	plainReplayKey,
	replayTtlSeconds,
	resolveCallbackMode,
	verifyUrl,
	WeChatCrypto,
	type CallbackMode,
} from '../../../functions/core/callback';
import { SignatureError } from '../../../functions/core/errors';
import { transferReply } from '../../../functions/core/handoff-reply';
import { applySessionEvent, handoffOf } from '../../shared/handoff-state';
import { startFromMessage } from './items';
import { maxSkewSecondsOf, queryOf, rawBodyOf } from './request';
import { droppedAsRetry, isReplay } from './seen-pushes';

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
		return { problem: `The WeChat Callback credential's Message Encryption Mode must be Automatic, Plain Text, Compatible or Safe, got ${JSON.stringify(setting)}` };
	}
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
		const reply = transferReply(opened, { kfAccount: handoff.mark.kf_account, crypto, now });
		res.status(200).type(opened.format === 'json' ? 'application/json' : 'text/xml').send(reply);
	} else {
		res.status(200).type('text/plain').send('success');
	}

	if (droppedAsRetry(this, options, dedupKey(message))) return { noWebhookResponse: true };
	return startFromMessage(this, message, 'direct', mode, { humanSession: handoff.humanSession, transferred });
}
