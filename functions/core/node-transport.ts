/**
 * {@link HttpTransport} on Node's own `http`/`https` with keep-alive agents, for the runtimes that are
 * Node (Lambda, the local server): a send to WeChat reuses the open TLS connection of the one before
 * instead of opening one per request, which is what made the core client slower than co-wechat-api
 * (bench/README.md). Not exported from core/index.ts: the n8n node, whose community nodes may not import
 * `http`, talks through n8n's own helper instead.
 *
 * How a failure is reported (the same kinds as {@link FetchTransport}, which decide whether the client may
 * send again):
 *
 * | what happened | kind |
 * | --- | --- |
 * | the name did not resolve, the connection was refused, no route (nothing was written) | `unreached` |
 * | no connection within the deadline (nothing was written) | `unreached` |
 * | the connection broke after the request may have been written (reset, hang-up, answer cut off) | `network` |
 * | connected, but no complete answer within the deadline | `timeout` |
 *
 * A kept-alive connection that sat idle longer than {@link NodeHttpTransportOptions.maxIdleMs} is closed
 * rather than reused (wall-clock time, so a Lambda that was frozen between invocations never writes to a
 * connection the server dropped meanwhile): a reset there would be a `network` failure of a send that
 * never reached WeChat.
 *
 * What a request costs is kept small, since every send pays it (bench/README.md, `client`): the origin
 * of a URL is parsed once, not per request; the headers go to Node as one flat list; a string body is
 * written with the head; the answer's headers are copied out of Node's only if read.
 *
 * @example
 * ```ts
 * const transport = new NodeHttpTransport({ timeoutMs: 5000 });
 * const client = new WeChatClient({ transport, tokens });
 * ```
 */
import * as http from 'http';
import * as https from 'https';
import type { Socket } from 'net';
import { describeUrl, TransportError, UNREACHED_CODES, type HttpRequest, type HttpResponse, type HttpTransport } from './transport';

export interface NodeHttpTransportOptions {
  /** Give up after this many milliseconds (per request unless the request says otherwise). Default 10 s. */
  timeoutMs?: number;
  /**
   * Close a kept-alive connection idle for longer than this instead of reusing it. Default 4 s: below the
   * 5 s idle timeout of Node's own servers and well below nginx's 75 s, the usual fronts of an API.
   */
  maxIdleMs?: number;
  /** For tests: the wall clock (ms), e.g. to stand for a Lambda frozen between invocations. */
  now?: () => number;
}

/** Where a request goes: the fast way (`path`), or the URL parser's (`url`). */
type Target = { origin: Origin; path?: string; url?: URL };

/** An origin's request options, worked out once (see `targetOf`). */
interface Origin {
  protocol: string;
  /** Without an IPv6 address's brackets, as Node's request options take it. */
  hostname: string;
  port: number | undefined;
  /** The Host header: host and port as the URL gives them. */
  host: string;
  agent: http.Agent;
  lib: typeof http | typeof https;
  /** When a new socket is connected (and may have written the request). */
  connectEvent: 'connect' | 'secureConnect';
}

/**
 * A path and query the URL parser leaves exactly as they are: only characters it never escapes in a path
 * (the query set has no `'`), no fragment, no backslash, and no segment starting with a dot (`.`, `..`,
 * `%2e`: dot segments, which it resolves).
 */
function isPlainPath(path: string): boolean {
  const q = path.indexOf('?');
  const pathname = q === -1 ? path : path.slice(0, q);
  return PLAIN_PATHNAME.test(pathname) && !DOT_SEGMENT.test(pathname) && (q === -1 || PLAIN_QUERY.test(path.slice(q + 1)));
}
const PLAIN_PATHNAME = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const PLAIN_QUERY = /^[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
const DOT_SEGMENT = /\/(?:\.|%2e)/i;

/**
 * The request's headers as one flat list `[name, value, ...]`, which Node writes as it is (each still
 * checked) instead of storing them one by one; Host and Content-Length are added unless given (Node
 * adds neither to a flat list).
 */
function flatHeaders(request: HttpRequest, host: string): string[] {
  const flat: string[] = [];
  let hasHost = false;
  let hasLength = false;
  for (const name in request.headers) {
    flat.push(name, request.headers[name]!);
    // Only a name of 4 or 14 characters can be either (most requests give content-type alone).
    if (name.length === 4 && name.toLowerCase() === 'host') hasHost = true;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
  }
  if (!hasHost) flat.push('Host', host);
  // Given up front, Node writes the head at once and cannot count the body later: a POST without one
  // says 0, as Node says it for object headers (a GET says nothing).
  if (!hasLength && (request.body !== undefined || request.method !== 'GET'))
    flat.push('Content-Length', String(request.body === undefined ? 0 : bodyLength(request.body)));
  return flat;
}

/** The headers as an object, for a URL that takes the URL parser's way. */
function objectHeaders(request: HttpRequest): Record<string, string | number> {
  const headers: Record<string, string | number> = { ...request.headers };
  if (request.body !== undefined && headers['content-length'] === undefined && headers['Content-Length'] === undefined)
    headers['content-length'] = bodyLength(request.body);
  return headers;
}

function bodyLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

/** An answer; its headers are copied out of Node's only when read (a send never reads them). */
class NodeHttpResponse implements HttpResponse {
  readonly status: number;
  readonly body: string;
  private copied?: Record<string, string>;

  constructor(
    private readonly res: http.IncomingMessage,
    readonly bytes: Buffer,
  ) {
    this.status = res.statusCode ?? 0;
    this.body = bytes.toString('utf8');
  }

  get headers(): Record<string, string> {
    if (!this.copied) {
      const out: Record<string, string> = {};
      const raw = this.res.headers;
      for (const name in raw) {
        const value = raw[name];
        if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      this.copied = out;
    }
    return this.copied;
  }
}

/** When a kept-alive socket was last given back to its agent (wall clock, ms), kept on the socket. */
const FREED_AT = Symbol('freedAt');
type PooledSocket = Socket & { [FREED_AT]?: number };

export class NodeHttpTransport implements HttpTransport {
  private readonly timeoutMs: number;
  private readonly maxIdleMs: number;
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };
  /**
   * No free socket can be stale before this time (wall clock, ms): the oldest one left by the last look,
   * or one freed since, is not idle longer than maxIdleMs until then. Only from then on does a request
   * look through the free sockets again.
   */
  private staleCheckAt = 0;
  private readonly now: () => number;

  constructor(options: NodeHttpTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxIdleMs = options.maxIdleMs ?? 4_000;
    this.now = options.now ?? Date.now;
    // `timeout` also closes a free socket after that long idle, while the process runs.
    const agentOptions = { keepAlive: true, timeout: this.maxIdleMs, scheduling: 'lifo' as const };
    this.agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
    for (const agent of Object.values(this.agents)) agent.on('free', (socket: PooledSocket) => (socket[FREED_AT] = this.now()));
  }

  /** Closes the kept-alive connections (tests, the local server's stop). */
  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const target = this.targetOf(request.url);
    if (!target) return Promise.reject(new TransportError('unreached', `cannot send to ${describeUrl(request.url)}: only http and https`));
    const { origin } = target;
    const now = this.now();
    if (now >= this.staleCheckAt) this.dropStale(now);
    const body = request.body;

    return new Promise<HttpResponse>((resolve, reject) => {
      /** Whether any byte of the request may have reached the server: once a connection is open. */
      let connected = false;
      let settled = false;
      const fail = (kind: TransportError['kind'], message: string, cause?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new TransportError(kind, message, cause === undefined ? undefined : { cause }));
        req.destroy();
      };
      const req =
        target.path === undefined
          ? origin.lib.request(target.url!, { method: request.method, headers: objectHeaders(request), agent: origin.agent })
          : origin.lib.request({
              protocol: origin.protocol,
              hostname: origin.hostname,
              port: origin.port,
              agent: origin.agent,
              path: target.path,
              method: request.method,
              headers: flatHeaders(request, origin.host) as unknown as http.OutgoingHttpHeaders,
            });
      const timer = setTimeout(() => {
        if (connected) fail('timeout', `no answer from ${describeUrl(request.url)} within ${timeoutMs} ms`);
        else fail('unreached', `could not connect to ${describeUrl(request.url)} within ${timeoutMs} ms`);
      }, timeoutMs);
      req.on('socket', (socket: PooledSocket) => {
        // A reused socket is connected already; a new one once its TCP (and TLS) handshake is done: only
        // then does Node write the request.
        if (!socket.connecting) connected = true;
        else socket.once(origin.connectEvent, () => (connected = true));
        socket[FREED_AT] = undefined;
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code;
        const where = describeUrl(request.url);
        if (!connected && (code === undefined || UNREACHED_CODES.has(code) || code === 'ECONNRESET' || code === 'ETIMEDOUT')) {
          fail('unreached', `could not reach ${where}${code ? ` (${code})` : ''}`, error);
        } else {
          fail('network', `the connection to ${where} broke${code ? ` (${code})` : ''}`, error);
        }
      });
      req.on('response', (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        // A connection that closes before the answer is complete makes Node destroy the answer with an
        // error ('aborted'), so 'error' covers a cut-off answer too.
        res.on('error', (error) => fail('network', `the answer from ${describeUrl(request.url)} was cut off`, error));
        res.on('end', () => {
          if (settled) return;
          if (!res.complete) return fail('network', `the answer from ${describeUrl(request.url)} was cut off`);
          settled = true;
          clearTimeout(timer);
          resolve(new NodeHttpResponse(res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
        });
      });
      // A string body is written as it is (Node adds it to the head: one write); bytes as a view, not a copy.
      req.end(body === undefined || typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  }

  /**
   * Where a URL goes: its origin's facts, parsed once per origin (every request of a client goes to one
   * or two), and its path and query as they are. A path the URL parser would change (dot segments,
   * characters it escapes, a fragment) and an origin that is not plainly `scheme://host[:port]` (user
   * info, a default port written out, upper case) take the URL parser's way instead, as every request did
   * before. Undefined for anything but http and https.
   */
  private targetOf(url: string): Target | undefined {
    // A client sends the same URL again and again (a path with the token in use): the last one is kept.
    if (url === this.last?.url) return this.last.target;
    const target = this.newTargetOf(url);
    if (target?.path !== undefined) this.last = { url, target };
    return target;
  }

  /** The last URL sent the fast way, and where it went. */
  private last?: { url: string; target: Target };

  private newTargetOf(url: string): Target | undefined {
    const start = url.indexOf('//');
    const slash = start === -1 ? -1 : url.indexOf('/', start + 2);
    if (slash !== -1) {
      const text = url.slice(0, slash);
      let origin = this.origins.get(text);
      if (origin === undefined) {
        origin = this.originOf(text);
        // Bounded: a passthrough caller cannot grow it without end (it only ever holds WeChat's origin).
        if (this.origins.size < 16) this.origins.set(text, origin);
      }
      const path = url.slice(slash);
      if (origin && isPlainPath(path)) return { origin, path };
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const origin = this.originOf(parsed.origin);
    return origin ? { origin, url: parsed } : undefined;
  }

  /** Origins seen, with their facts (null: not one the fast way takes). */
  private readonly origins = new Map<string, Origin | null>();

  private originOf(text: string): Origin | null {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return null;
    }
    const https_ = parsed.protocol === 'https:';
    if ((!https_ && parsed.protocol !== 'http:') || parsed.origin !== text) return null;
    const hostname = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    const agent = https_ ? this.agents['https:'] : this.agents['http:'];
    return {
      protocol: parsed.protocol,
      hostname,
      port: parsed.port ? Number(parsed.port) : undefined,
      host: parsed.host,
      agent,
      lib: https_ ? https : http,
      connectEvent: https_ ? 'secureConnect' : 'connect',
    };
  }

  /**
   * Closes the free sockets that sat idle too long to be trusted (see the module comment), and notes when
   * the oldest one left will be (see {@link staleCheckAt}).
   */
  private dropStale(now: number): void {
    let oldest = now;
    for (const agent of [this.agents['http:'], this.agents['https:']]) {
      for (const name in agent.freeSockets) {
        const sockets = agent.freeSockets[name];
        if (!sockets) continue;
        for (let i = sockets.length - 1; i >= 0; i--) {
          const since = (sockets[i] as PooledSocket)[FREED_AT];
          if (since === undefined) continue;
          if (now - since <= this.maxIdleMs) {
            oldest = Math.min(oldest, since);
            continue;
          }
          // Out of the free list first: the agent would otherwise hand it to this very request.
          const [stale] = sockets.splice(i, 1);
          stale!.destroy();
        }
      }
    }
    this.staleCheckAt = oldest + this.maxIdleMs + 1;
  }
}
