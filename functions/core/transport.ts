/**
 * The one door through which the core talks HTTP. The core never opens a socket itself: Lambda and the
 * local server plug in the keep-alive NodeHttpTransport (node-transport.ts; {@link FetchTransport} runs
 * anywhere `fetch` does); the n8n node plugs in n8n's own request helpers.
 */

/** An HTTP request, already fully built (URL with query, headers, body bytes). */
export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as UTF-8. */
  body?: string | Uint8Array;
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
}

/** An HTTP answer: its status and its body as text (WeChat answers JSON, or an image for media). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as UTF-8 text. */
  body: string;
  /**
   * The body's bytes, when the transport keeps them (FetchTransport does): what a file download (WeChat's
   * media/get) needs, since a file's bytes do not survive being read as text.
   */
  bytes?: Uint8Array;
}

/**
 * How a request failed to get an answer, which decides whether it may be sent again:
 * - `unreached`: it provably never reached the server (connection refused, the name did not resolve,
 *   no route, the TCP connection never opened): sending it again cannot make a duplicate;
 * - `network`: the connection broke after the request may have been written (reset, socket hang-up,
 *   the answer cut off): the server may have carried it out;
 * - `timeout`: no answer within the deadline: the server may have carried it out.
 */
export type TransportFailure = 'timeout' | 'network' | 'unreached';

/**
 * The error codes (Node's and undici's) of a request that never left this machine or never got a
 * connection: nothing was written, so nothing can have been carried out.
 */
export const UNREACHED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Raised by a transport when the request never got an HTTP answer. */
export class TransportError extends Error {
  /** See {@link TransportFailure}. */
  readonly kind: TransportFailure;
  constructor(kind: TransportFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

/**
 * Sends one HTTP request. Implementations raise {@link TransportError} when no answer came, and return
 * every answer that came, whatever its status.
 */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/**
 * {@link HttpTransport} on the global `fetch` (Node 18+), with a per-request timeout.
 *
 * @example
 * ```ts
 * const transport = new FetchTransport({ timeoutMs: 5000 });
 * const res = await transport.send({ method: 'GET', url: 'https://api.weixin.qq.com/cgi-bin/getcallbackip' });
 * ```
 */
export class FetchTransport implements HttpTransport {
  private readonly timeoutMs: number;
  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    let res: Response;
    try {
      res = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body as BodyInit | undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new TransportError('timeout', `no answer from ${describeUrl(request.url)} within ${timeoutMs} ms`, { cause: error });
      }
      const cause = causeCode(error);
      const kind = cause !== undefined && UNREACHED_CODES.has(cause) ? 'unreached' : 'network';
      throw new TransportError(kind, `could not reach ${describeUrl(request.url)}${cause ? ` (${cause})` : ''}`, { cause: error });
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (error) {
      throw new TransportError('network', `the answer from ${describeUrl(request.url)} was cut off`, { cause: error });
    }
    return { status: res.status, headers, body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), bytes };
  }
}

/** The error code of a failed fetch: undici puts the socket's error (ECONNREFUSED, ...) in `cause`, sometimes nested. */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      // Happy eyeballs: an AggregateError of every address tried; unreached only if every one was.
      const codes = errors.map((e) => (e as { code?: unknown })?.code);
      if (codes.every((c) => typeof c === 'string' && UNREACHED_CODES.has(c))) return codes[0] as string;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A URL fit for messages and logs: origin and path only, so `access_token` and `secret` query values
 * never leak.
 *
 * @example
 * ```ts
 * describeUrl('https://api.weixin.qq.com/cgi-bin/token?secret=x'); // 'https://api.weixin.qq.com/cgi-bin/token'
 * ```
 */
export function describeUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
