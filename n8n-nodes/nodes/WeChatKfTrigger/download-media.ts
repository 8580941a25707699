import type { IBinaryData, IDataObject, IWebhookFunctions } from 'n8n-workflow';
import type { InboundMessage } from '../../../functions/core/callback';
import { getOperation, isFileResult } from '../../../functions/core/catalogue';
import { runEntry } from '../../../functions/core/runner';
import { DIRECT_CREDENTIAL, directClient } from '../../shared/direct-client';
import { fileSummary } from '../../shared/media-transfer';
import { callGatewayRoute } from '../../shared/gateway-door';
import { accountOfTrigger } from './gateway';
import { n8nUrlFetcher } from '../../shared/url-fetcher';

/**
 * The trigger's **Download Media** option (docs/media.md): the file of an image, voice note or video a
 * user sent (its MediaId) is put into the item's binary data, so the next node can read, transcribe or
 * store it. Direct mode downloads it from WeChat (`media/get`) with the WeChat API credential; Gateway
 * mode from the deployed product (`GET /media/{media_id}`, signed with the gateway credential). A video
 * that media/get answers with a `video_url` is fetched from there.
 *
 * WeChat has been answered already (it waits 5 s at most): the download happens after, and a download
 * that fails leaves the item without the file and with `mediaError` saying why, rather than losing the
 * user's message.
 */

/** The credential Direct mode downloads with: the one the action node calls WeChat with. */
export const WECHAT_API_CREDENTIAL = DIRECT_CREDENTIAL;

/** The message types whose MediaId names a file media/get serves. */
const DOWNLOADABLE: ReadonlySet<string> = new Set(['image', 'voice', 'video', 'shortvideo']);

/** Whether a message carries a file to download. */
export function hasDownloadableMedia(message: InboundMessage): boolean {
	return DOWNLOADABLE.has(String(message.MsgType)) && typeof message.MediaId === 'string' && message.MediaId !== '';
}

type Downloaded = { data: Uint8Array; contentType: string; filename?: string };

/**
 * Direct mode: the catalogue's getMedia through the core WeChat client (the action node's: its token
 * cache, refresh on 40001 / 40014 / 42001 and retries), a video fetched from its video_url by n8n.
 */
async function downloadDirect(ctx: IWebhookFunctions, mediaId: string): Promise<Downloaded> {
	const client = directClient(ctx.helpers, await ctx.getCredentials(WECHAT_API_CREDENTIAL));
	const op = getOperation('getMedia');
	const services = { ...client.services(), fetchUrl: n8nUrlFetcher(ctx.helpers) };
	const result = await runEntry(
		op,
		op.parse({ media_id: mediaId }),
		{ services, wechat: (spec, recipient, trace) => client.request(spec, recipient, trace) },
		{ source: 'direct' },
	);
	if (!isFileResult(result)) throw new Error('WeChat answered media/get without a file');
	return {
		data: result.data,
		contentType: result.contentType ?? 'application/octet-stream',
		...(result.filename ? { filename: result.filename } : {}),
	};
}

/**
 * Gateway mode: the product's GET /media/{media_id} (the catalogue's getMedia), through the one gateway
 * door; for the trigger's Account, whose media it is (its subscription delivers only that account's
 * messages), under `/accounts/<appId>`; with none, the default account's route as before.
 */
async function downloadGateway(ctx: IWebhookFunctions, mediaId: string): Promise<Downloaded> {
	const answer = await callGatewayRoute(ctx, getOperation('getMedia'), { media_id: mediaId }, 0, accountOfTrigger(ctx));
	if (answer.file) return answer.file;
	const error = (answer.json.error ?? {}) as IDataObject;
	throw new Error(
		`the gateway answered HTTP ${answer.status}${error.code ? ` (${String(error.code)})` : ''}: ${String(error.message ?? 'no file')}`,
	);
}

/**
 * The binary data of a message's media, or why it could not be downloaded.
 *
 * @example
 * ```ts
 * const media = await downloadMedia(this, message, 'gateway', 'data');
 * return { json: { ...item, ...media.json }, binary: media.binary };
 * ```
 */
export async function downloadMedia(
	ctx: IWebhookFunctions,
	message: InboundMessage,
	mode: 'direct' | 'gateway',
	property: string,
): Promise<{ json: IDataObject; binary?: Record<string, IBinaryData> }> {
	const mediaId = String(message.MediaId);
	try {
		const file = mode === 'gateway' ? await downloadGateway(ctx, mediaId) : await downloadDirect(ctx, mediaId);
		const binary = await ctx.helpers.prepareBinaryData(
			Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength),
			file.filename ?? mediaId,
			file.contentType,
		);
		return { json: fileSummary(binary, property), binary: { [property]: binary } };
	} catch (error) {
		return { json: { mediaError: `Could not download the ${String(message.MsgType)} (media_id ${mediaId}): ${(error as Error).message}` } };
	}
}
