/**
 * Direct mode: the node calls WeChat itself, through the core WeChat client (n8n-nodes/shared/direct-client.ts)
 * and the one operation runner (functions/core/runner): the same prepare, call, recovery, retries, token
 * refresh and errors as the deployed product's functions. Direct mode has no window gate, idempotency store
 * or delivery records (no product): the runner is given WeChat and the workflow's static data only.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import type { Operation, OperationServices } from '../../../../functions/core/catalogue';
import { runEntry } from '../../../../functions/core/runner';
import { DIRECT_CREDENTIAL, directClient } from '../../../shared/direct-client';
import { staticDataHandoffs } from '../../../shared/handoff-state';
import { staticDataMediaCache } from '../../../shared/media-cache';
import { n8nUrlFetcher } from '../../../shared/url-fetcher';

/** Performs a catalogue operation with a parsed input against WeChat, with the node's direct credential. */
export async function callDirect(this: IExecuteFunctions, op: Operation, input: unknown, itemIndex: number): Promise<IDataObject> {
	const { client, services } = await directServices(this, itemIndex);
	// A cached media_id WeChat has forgotten (40007) is uploaded again and the send tried once more.
	return (await runEntry(
		op,
		input,
		{ services, wechat: (spec, recipient, trace) => client.request(spec, recipient, trace) },
		{ source: 'direct' },
	)) as IDataObject;
}

/**
 * The WeChat client and operation services of Direct mode, with the node's direct credential (also for
 * Direct Reply's media uploads, ./direct-reply.ts).
 *
 * @example
 * ```ts
 * const { services } = await directServices(this, itemIndex);
 * ```
 */
export async function directServices(ctx: IExecuteFunctions, itemIndex: number) {
	const credentials = await ctx.getCredentials(DIRECT_CREDENTIAL, itemIndex);
	const client = directClient(ctx.helpers, credentials, { abortSignal: ctx.getExecutionCancelSignal() });
	const services: OperationServices = {
		...client.services(),
		// Handoff marks live in this workflow's static data, where its trigger reads them (Direct mode has no product).
		handoffs: staticDataHandoffs(ctx.getWorkflowStaticData('global')),
		// A URL given for a file (a send's media, an upload, a video's video_url) is fetched by n8n itself.
		fetchUrl: n8nUrlFetcher(ctx.helpers),
		// The same file is uploaded once per official account while its media_id lives (shared/media-cache.ts).
		mediaCache: staticDataMediaCache(ctx.getWorkflowStaticData('global'), String(credentials.appId ?? '').trim()),
	};
	return { client, services };
}
