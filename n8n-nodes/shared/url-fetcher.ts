import type { IDataObject, IHttpRequestOptions, IN8nHttpFullResponse } from 'n8n-workflow';
import type { MediaFetcher } from '../../functions/core/media/uploader';
import { MediaUrlError, type MediaUrlErrorCode } from '../../functions/core/net/errors';
import { filenameOfDisposition } from './media-transfer';

/**
 * Direct mode's fetcher of a URL given for a file (a send's media or Media → Upload from a URL;
 * docs/media.md). The n8n instance fetches it itself with n8n's own request helper, as its HTTP Request
 * node would (n8n's proxy settings apply), so loopback and private addresses of the workflow author's own
 * network are allowed, as they are in that node. Still refused, whatever the network: other schemes than
 * http(s), user names or passwords in the URL, and link-local and cloud metadata addresses given as the
 * host (169.254.169.254, fd00:ec2::254, …), the classic target of a URL an AI agent was talked into.
 * Redirects are followed by hand, each hop checked again (at most 3, never https → http); the size cap is
 * enforced while the body streams in; one deadline covers the whole fetch. Gateway mode hands the URL to
 * the product, whose fetcher also resolves the host and refuses private addresses (functions/core/net).
 */

/** What the fetcher needs of n8n's helpers. */
export interface N8nHttpHelper {
	httpRequest(options: IHttpRequestOptions): Promise<unknown>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The product's own refusal (MediaUrlError, a WeChatKfError naming the field): it is thrown inside the
 * core's upload step, where no node is at hand, and the node turns it into its NodeApiError /
 * NodeOperationError in one place, as every error of the core.
 */
const refusal = (code: MediaUrlErrorCode, field: string, rule: string) => new MediaUrlError(code, field, rule);

/**
 * Why a literal host is refused: link-local and cloud metadata addresses (IPv4 169.254/16, IPv6
 * fe80::/10, AWS's fd00:ec2::254, and IPv4-mapped forms of them). Written here because the address
 * checks of functions/core/net use Node's `net`, which a community node may not require.
 */
export function metadataHostReason(host: string): string | undefined {
	const h = host.toLowerCase().replace(/^\[|\]$/g, '');
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h)?.[1];
	const v4 = mapped ?? (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h : undefined);
	if (v4)
		return v4.startsWith('169.254.')
			? v4 === '169.254.169.254' || v4 === '169.254.170.2'
				? 'is a cloud metadata address'
				: 'is a link-local address'
			: undefined;
	if (h === 'fd00:ec2::254') return 'is a cloud metadata address';
	if (/^fe[89ab][0-9a-f]?:/.test(h)) return 'is a link-local address';
	return undefined;
}
const MAX_REDIRECTS = 3;
const DEADLINE_MS = 10_000;

/** Checks a URL's form and literal host. */
function checkUrl(text: string, field: string, from?: URL): URL {
	let url: URL;
	try {
		url = new URL(text, from);
	} catch {
		throw refusal('MEDIA_URL_REFUSED', field, 'must be an absolute http(s):// URL');
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:')
		throw refusal('MEDIA_URL_REFUSED', field, `must be an http(s):// URL, got ${url.protocol}`);
	if (from?.protocol === 'https:' && url.protocol === 'http:')
		throw refusal('MEDIA_URL_REFUSED', field, 'redirected from https:// to http://');
	if (url.username || url.password) throw refusal('MEDIA_URL_REFUSED', field, 'must not carry a user name or password');
	const reason = metadataHostReason(url.hostname);
	if (reason) throw refusal('MEDIA_URL_REFUSED', field, `must not point to ${url.hostname}: it ${reason}`);
	return url;
}

/** The URL's last path segment, as a file name. */
function lastSegment(url: URL): string | undefined {
	const last = url.pathname.split('/').pop() ?? '';
	try {
		return decodeURIComponent(last) || undefined;
	} catch {
		return last || undefined;
	}
}

/** Reads a body (a stream, or bytes) up to `maxBytes`. */
async function readCapped(body: unknown, maxBytes: number, field: string): Promise<Buffer> {
	if (Buffer.isBuffer(body)) {
		if (body.length > maxBytes) throw refusal('MEDIA_TOO_LARGE', field, `the file is larger than ${maxBytes} bytes`);
		return body;
	}
	const stream = body as AsyncIterable<Buffer> & { destroy?: () => void };
	if (!stream || typeof (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator] !== 'function')
		return Buffer.from(String(body ?? ''), 'utf8');
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of stream) {
		size += chunk.length;
		if (size > maxBytes) {
			stream.destroy?.();
			throw refusal('MEDIA_TOO_LARGE', field, `the file is larger than ${maxBytes} bytes`);
		}
		chunks.push(Buffer.from(chunk));
	}
	return Buffer.concat(chunks);
}

/**
 * A {@link MediaFetcher} over n8n's request helper.
 *
 * @example
 * ```ts
 * const fetchUrl = n8nUrlFetcher(this.helpers);
 * const { data } = await fetchUrl('https://example.com/cat.jpg', { maxBytes: 2 * 1024 * 1024, field: 'image.media_id.url' });
 * ```
 */
export function n8nUrlFetcher(helpers: N8nHttpHelper): MediaFetcher {
	return async (text, { maxBytes, field }) => {
		const deadline = Date.now() + DEADLINE_MS;
		let url = checkUrl(text, field);
		for (let hop = 0; ; hop++) {
			const left = deadline - Date.now();
			if (left <= 0) throw refusal('MEDIA_URL_UNAVAILABLE', field, `could not be fetched within ${DEADLINE_MS / 1000} s`);
			let response: IN8nHttpFullResponse;
			try {
				response = (await helpers.httpRequest({
					method: 'GET',
					url: url.toString(),
					encoding: 'stream',
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					disableFollowRedirect: true,
					json: false,
					timeout: left,
				})) as IN8nHttpFullResponse;
			} catch (error) {
				throw refusal('MEDIA_URL_UNAVAILABLE', field, `could not be fetched: ${(error as Error).message}`);
			}
			const headers = (response.headers ?? {}) as IDataObject;
			if (REDIRECTS.has(response.statusCode)) {
				(response.body as { destroy?: () => void })?.destroy?.();
				if (hop >= MAX_REDIRECTS) throw refusal('MEDIA_URL_REFUSED', field, `redirected more than ${MAX_REDIRECTS} times`);
				if (typeof headers.location !== 'string')
					throw refusal('MEDIA_URL_UNAVAILABLE', field, `answered HTTP ${response.statusCode} without a Location`);
				url = checkUrl(headers.location, field, url);
				continue;
			}
			if (response.statusCode < 200 || response.statusCode >= 300) {
				(response.body as { destroy?: () => void })?.destroy?.();
				throw refusal('MEDIA_URL_UNAVAILABLE', field, `answered HTTP ${response.statusCode}`);
			}
			const declared = typeof headers['content-length'] === 'string' ? Number(headers['content-length']) : undefined;
			if (declared !== undefined && declared > maxBytes) {
				(response.body as { destroy?: () => void })?.destroy?.();
				throw refusal('MEDIA_TOO_LARGE', field, `the file has ${declared} bytes, more than ${maxBytes}`);
			}
			const data = await readCapped(response.body, maxBytes, field);
			const filename = filenameOfDisposition(headers['content-disposition']) ?? lastSegment(url);
			return {
				data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
				...(filename ? { filename: filename.slice(0, 200) } : {}),
			};
		}
	};
}
