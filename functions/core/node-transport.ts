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
}

/** When each kept-alive socket was last given back to its agent (wall clock, ms). */
const freedAt = new WeakMap<Socket, number>();

export class NodeHttpTransport implements HttpTransport {
  private readonly timeoutMs: number;
  private readonly maxIdleMs: number;
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };

  constructor(options: NodeHttpTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxIdleMs = options.maxIdleMs ?? 4_000;
    // `timeout` also closes a free socket after that long idle, while the process runs.
    const agentOptions = { keepAlive: true, timeout: this.maxIdleMs, scheduling: 'lifo' as const };
    this.agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
    for (const agent of Object.values(this.agents)) agent.on('free', (socket: Socket) => freedAt.set(socket, Date.now()));
  }

  /** Closes the kept-alive connections (tests, the local server's stop). */
  close(): void {
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const url = new URL(request.url);
    const agent = url.protocol === 'https:' ? this.agents['https:'] : url.protocol === 'http:' ? this.agents['http:'] : undefined;
    const where = describeUrl(request.url);
    if (!agent) return Promise.reject(new TransportError('unreached', `cannot send to ${where}: only http and https`));
    this.dropStale(agent);
    const body = request.body === undefined ? undefined : typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    const headers: Record<string, string | number> = { ...request.headers };
    if (body && headers['content-length'] === undefined && headers['Content-Length'] === undefined) headers['content-length'] = body.length;

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
      const req = (url.protocol === 'https:' ? https : http).request(url, { method: request.method, headers, agent });
      const timer = setTimeout(() => {
        if (connected) fail('timeout', `no answer from ${where} within ${timeoutMs} ms`);
        else fail('unreached', `could not connect to ${where} within ${timeoutMs} ms`);
      }, timeoutMs);
      req.on('socket', (socket: Socket) => {
        // A reused socket is connected already; a new one once its TCP (and TLS) handshake is done: only
        // then does Node write the request.
        if (!socket.connecting) connected = true;
        else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
        freedAt.delete(socket);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code;
        if (!connected && (code === undefined || UNREACHED_CODES.has(code) || code === 'ECONNRESET' || code === 'ETIMEDOUT')) {
          fail('unreached', `could not reach ${where}${code ? ` (${code})` : ''}`, error);
        } else {
          fail('network', `the connection to ${where} broke${code ? ` (${code})` : ''}`, error);
        }
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => fail('network', `the answer from ${where} was cut off`, error));
        res.on('close', () => {
          if (!res.complete) fail('network', `the answer from ${where} was cut off`);
        });
        res.on('end', () => {
          if (settled) return;
          if (!res.complete) return fail('network', `the answer from ${where} was cut off`);
          settled = true;
          clearTimeout(timer);
          const bytes = Buffer.concat(chunks);
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 0, headers: out, body: bytes.toString('utf8'), bytes });
        });
      });
      req.end(body);
    });
  }

  /** Closes the free sockets that sat idle too long to be trusted (see the module comment). */
  private dropStale(agent: http.Agent): void {
    let now: number | undefined;
    for (const name in agent.freeSockets) {
      const sockets = agent.freeSockets[name];
      if (!sockets) continue;
      now ??= Date.now();
      for (let i = sockets.length - 1; i >= 0; i--) {
        const since = freedAt.get(sockets[i] as Socket);
        if (since === undefined || now - since <= this.maxIdleMs) continue;
        // Out of the free list first: the agent would otherwise hand it to this very request.
        const [stale] = sockets.splice(i, 1);
        stale!.destroy();
      }
    }
  }
}
