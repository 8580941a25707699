/**
 * One POST of a webhook delivery: JSON body, 10 s for the whole exchange, the connection made only to
 * addresses the policy allows (an IP literal checked before connecting, a name on the socket's own DNS
 * lookup, so a name re-pointed at an internal address after the subscription was accepted is still
 * refused), no redirects followed (a 3xx
 * is a failed try: a redirect could lead anywhere), and at most 64 KB of the answer read.
 *
 * @example
 * ```ts
 * const result = await postWebhook('https://hooks.example.com/x', headers, body, { timeoutMs: 10_000, addressPolicy: 'public' });
 * if (!result.ok) console.log(result.error); // 'HTTP 500' | 'timed out after 10000 ms' | ...
 * ```
 */
import http from 'http';
import https from 'https';
import { isIP } from 'net';
import { forbiddenAddressReason, guardedLookup, unbracket, type AddressPolicy } from '../core/net';

/** How long one try may take, connecting included. */
export const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostResult {
  ok: boolean;
  status?: number;
  /** Why it failed, in words safe to show (no secret, no body). */
  error?: string;
}

export interface PostOptions {
  timeoutMs?: number;
  addressPolicy: AddressPolicy;
}

/** POSTs `body` to `url`; never throws: a failure is `{ ok: false, error }`. */
export function postWebhook(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostResult> {
  const timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return done({ ok: false, error: 'the URL does not parse' });
    }
    const lib = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (!lib) return done({ ok: false, error: `unsupported scheme ${target.protocol}` });
    // Node connects to an IP literal without calling `lookup`: check it here.
    const literal = unbracket(target.hostname);
    if (options.addressPolicy === 'public' && isIP(literal)) {
      const reason = forbiddenAddressReason(literal);
      if (reason) return done({ ok: false, error: `refused: ${literal} ${reason}` });
    }
    const request = lib.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'wechat-kf-webhooks/1' },
        lookup: guardedLookup(options.addressPolicy),
        agent: false,
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) response.destroy();
        });
        const finish = () => {
          const status = response.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` });
        };
        response.on('end', finish);
        response.on('close', finish);
        response.on('error', finish);
      },
    );
    timer = setTimeout(() => {
      request.destroy();
      done({ ok: false, error: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      done({ ok: false, error: error.name === 'ForbiddenAddressError' ? `refused: ${error.message}` : `could not connect (${error.code ?? error.message})` });
    });
    request.end(body);
  });
}
