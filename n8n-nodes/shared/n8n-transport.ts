/**
 * The core's {@link HttpTransport} over n8n's own request helper (`this.helpers.httpRequest`), so that the
 * node's direct mode and the credential talk to WeChat through the core client and its rules (retries,
 * token refresh, errcode table) while n8n keeps doing the HTTP, with its own proxy settings, TLS options
 * and agents. A community node must not import Node's http/https itself (n8n's
 * lint), and with this it never needs to.
 *
 * What matters most is how a failure is classified, because it decides whether the core sends the
 * request again (functions/core/client.ts): only what provably never reached WeChat is `unreached`.
 * ```
 *  what n8n's helper (axios) reports                      kind        a send is tried again?
 *  ECONNREFUSED, ENOTFOUND, EAI_AGAIN, ENETUNREACH, ...   unreached   yes: nothing was written
 *  any error of the connect or getaddrinfo syscall        unreached   yes: no connection was opened
 *  axios's own deadline (ECONNABORTED "timeout", ...)     timeout     no: WeChat may have carried it out
 *  ECONNRESET, socket hang up, EPIPE, cut-off answer      network     no: WeChat may have carried it out
 * ```
 *
 * @example
 * ```ts
 * const transport = new N8nHttpTransport(this.helpers);
 * const client = new WeChatClient({ transport, tokens });
 * ```
 */
import type { IHttpRequestOptions } from 'n8n-workflow';
import {
	describeUrl,
	TransportError,
	UNREACHED_CODES,
	type HttpRequest,
	type HttpResponse,
	type HttpTransport,
	type TransportFailure,
} from '../../functions/core/transport';

/** The part of n8n's helpers this transport needs (every n8n context has it: execute, webhook, credential). */
export interface N8nRequestHelper {
	httpRequest(options: IHttpRequestOptions): Promise<unknown>;
}

/** What n8n's helper answers with `returnFullResponse: true`. */
interface FullResponse {
	body: unknown;
	headers?: Record<string, unknown>;
	statusCode: number;
}

/** The default deadline of one request, as the core's FetchTransport has it. */
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * How a failed request of n8n's helper (an axios error) maps onto the core's {@link TransportFailure}.
 *
 * @example
 * ```ts
 * failureKind({ code: 'ECONNREFUSED', syscall: 'connect' }); // 'unreached'
 * failureKind({ code: 'ECONNRESET', message: 'socket hang up' }); // 'network'
 * ```
 */
export function failureKind(error: unknown): TransportFailure {
	for (let current = error, depth = 0; current && depth < 4; depth++) {
		const { code, syscall, message } = current as { code?: unknown; syscall?: unknown; message?: unknown };
		if (typeof code === 'string' && UNREACHED_CODES.has(code)) return 'unreached';
		// The socket never connected (e.g. `connect ETIMEDOUT`): nothing can have been written.
		if (syscall === 'connect' || syscall === 'getaddrinfo') return 'unreached';
		if (code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(String(message ?? '')))) return 'timeout';
		if (typeof code === 'string') return 'network';
		current = (current as { cause?: unknown }).cause;
	}
	return 'network';
}

/**
 * The core's TransportError for a failed request of n8n's helper. Neither the helper's message nor the
 * error itself as a cause: axios keeps the full URL, with its access_token (or the AppSecret of a classic
 * token fetch), in both.
 */
function transportErrorOf(error: unknown, url: string, timeoutMs: number): TransportError {
	const kind = failureKind(error);
	const code = (error as { code?: unknown } | null)?.code;
	const what = kind === 'timeout' ? `no answer from ${describeUrl(url)} within ${timeoutMs} ms` : `could not reach ${describeUrl(url)}`;
	return new TransportError(kind, `${what}${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** Header values as the core wants them: lower-case names, one string each. */
function plainHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (value === undefined || value === null) continue;
		out[name.toLowerCase()] = Array.isArray(value) ? value.map(String).join(', ') : String(value);
	}
	return out;
}

/** The answer's bytes, whatever shape the helper handed them in (a Buffer, with `encoding: 'arraybuffer'`). */
function bytesOf(body: unknown): Uint8Array {
	if (body === undefined || body === null || body === '') return new Uint8Array(0);
	if (body instanceof Uint8Array) return body;
	if (body instanceof ArrayBuffer) return new Uint8Array(body);
	if (typeof body === 'string') return new Uint8Array(Buffer.from(body, 'utf8'));
	// Only if n8n parsed JSON after all: give the core the JSON text back.
	return new Uint8Array(Buffer.from(JSON.stringify(body), 'utf8'));
}

/**
 * {@link HttpTransport} on n8n's `helpers.httpRequest`: every answer comes back whatever its status
 * (`ignoreHttpStatusErrors`), with its headers (`returnFullResponse`) and its bytes (`encoding:
 * 'arraybuffer'`, so a file WeChat answers with keeps them); redirects are not followed (WeChat never
 * redirects, and the URL carries the access token).
 *
 * @example
 * ```ts
 * const res = await new N8nHttpTransport(this.helpers).send({ method: 'GET', url: `${base}/cgi-bin/getcallbackip?access_token=${t}` });
 * ```
 */
export class N8nHttpTransport implements HttpTransport {
	private readonly timeoutMs: number;
	private readonly abortSignal?: AbortSignal;

	/**
	 * @param options.abortSignal ends a request under way when it fires (the execution's cancel signal:
	 *   a stopped execution does not wait for WeChat). What it cut off counts as `network`: it may have
	 *   reached WeChat, so a send is not tried again.
	 */
	constructor(
		private readonly helpers: N8nRequestHelper,
		options: { timeoutMs?: number; abortSignal?: AbortSignal } = {},
	) {
		this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
		this.abortSignal = options.abortSignal;
	}

	async send(request: HttpRequest): Promise<HttpResponse> {
		const timeout = request.timeoutMs ?? this.timeoutMs;
		const options: IHttpRequestOptions = {
			method: request.method,
			url: request.url,
			headers: { ...(request.headers ?? {}) },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			encoding: 'arraybuffer',
			json: false,
			disableFollowRedirect: true,
			timeout,
			...(this.abortSignal ? { abortSignal: this.abortSignal } : {}),
		};
		if (request.body !== undefined) options.body = typeof request.body === 'string' ? request.body : Buffer.from(request.body);
		// A failure is handed to the core as a TransportError (never shown as it is: the client turns it into
		// WeChatUnavailableError or WeChatTimeoutError, which the node reports as a NodeApiError).
		let response: FullResponse | undefined;
		let failure: TransportError | undefined;
		try {
			response = (await this.helpers.httpRequest(options)) as FullResponse;
		} catch (error) {
			failure = transportErrorOf(error, request.url, timeout);
		}
		if (!response) throw failure ?? new TransportError('network', `no answer from ${describeUrl(request.url)}`);
		const bytes = bytesOf(response.body);
		return {
			status: response.statusCode,
			headers: plainHeaders(response.headers),
			body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
			bytes,
		};
	}
}
