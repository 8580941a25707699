/**
 * What the trigger reads from an incoming webhook request: its query string, its raw body, and how old its
 * signed timestamp may be (the node's Max Clock Skew option).
 */
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

/** The query string's values (the first of a repeated name). */
export function queryOf(ctx: IWebhookFunctions): Record<string, string> {
	const query = ctx.getQueryData() as Record<string, unknown>;
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(query ?? {})) {
		if (typeof v === 'string') out[k] = v;
		else if (Array.isArray(v) && typeof v[0] === 'string') out[k] = v[0];
	}
	return out;
}

/** The body as sent (signatures cover the exact bytes), not n8n's parsed copy. */
export function rawBodyOf(ctx: IWebhookFunctions): string {
	const req = ctx.getRequestObject() as unknown as { rawBody?: Buffer; body?: unknown };
	if (req.rawBody && req.rawBody.length > 0) return req.rawBody.toString('utf8');
	const body = req.body ?? ctx.getBodyData();
	if (typeof body === 'string') return body;
	// No raw body (should not happen in n8n): a JSON push can still be read back.
	return JSON.stringify(body ?? {});
}

/** The Max Clock Skew (Seconds) option: 300 unless set; 0 turns the check off (Infinity). */
export function maxSkewSecondsOf(options: IDataObject): number {
	const skew = typeof options.maxSkewSeconds === 'number' ? options.maxSkewSeconds : 300;
	return skew === 0 ? Infinity : skew;
}
