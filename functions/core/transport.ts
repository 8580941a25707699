/**
 * The one door through which the core talks HTTP. The core never opens a socket itself: Lambda and the
 * local server plug in {@link FetchTransport}; the n8n node plugs in n8n's own request helpers.
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
  body: string;
}

/** Raised by a transport when the request never got an HTTP answer. */
export class TransportError extends Error {
  /** `timeout` when the deadline passed, `network` for anything else (refused, reset, DNS). */
  readonly kind: 'timeout' | 'network';
  constructor(kind: 'timeout' | 'network', message: string, options?: { cause?: unknown }) {
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
      const cause = (error as { cause?: { code?: string } })?.cause?.code;
      throw new TransportError('network', `could not reach ${describeUrl(request.url)}${cause ? ` (${cause})` : ''}`, { cause: error });
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    let body: string;
    try {
      body = await res.text();
    } catch (error) {
      throw new TransportError('network', `the answer from ${describeUrl(request.url)} was cut off`, { cause: error });
    }
    return { status: res.status, headers, body };
  }
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
