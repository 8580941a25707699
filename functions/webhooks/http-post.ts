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
 * if (!result.ok) console.log(result.error); // 'HTTP 500' | 'timeout' | 'connection refused' | ...
 * ```
 */
import http from 'http';
import https from 'https';
import { isIP } from 'net';
import { forbiddenAddressReason, guardedLookup, metadataHostReason, unbracket, type AddressPolicy } from '../core/net';
import { webhookAddressPolicy } from '../core/webhooks/url-rules';

/** How long one try may take, connecting included. */
export const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface PostResult {
  ok: boolean;
  status?: number;
  /**
   * Why it failed, as a class of failure only ({@link FailureClass}): what answered, its body, its TLS
   * certificate's names or the addresses a name resolved to are never told, so a subscription's `lastError`
   * cannot be used to probe what sits at a URL.
   */
  error?: string;
}

/**
 * The words a failed try is reported with (`lastError`): `HTTP <status>` or one of these.
 */
export type FailureClass =
  | 'timeout'
  | 'connection refused'
  | 'connection reset'
  | 'host not found'
  | 'TLS failure'
  | 'address refused'
  | 'connection failed'
  | 'invalid URL';

/** The class of a socket error: its code only, never its message (which may name hosts, certificates, addresses). */
export function failureClassOf(error: NodeJS.ErrnoException): FailureClass {
  const code = error.code ?? '';
  if (error.name === 'ForbiddenAddressError') return 'address refused';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || error.name === 'UnresolvableHostError')
    return 'host not found';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code === 'EPROTO') return 'TLS failure';
  if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/i.test(code)) return 'TLS failure';
  return 'connection failed';
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
      return done({ ok: false, error: 'invalid URL' });
    }
    const lib = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    if (!lib) return done({ ok: false, error: 'invalid URL' });
    const policy = webhookAddressPolicy(options.addressPolicy);
    // Node connects to an IP literal without calling `lookup`: check it here.
    const literal = unbracket(target.hostname);
    if (metadataHostReason(literal)) return done({ ok: false, error: 'address refused' });
    if (isIP(literal) && (policy === 'public' ? forbiddenAddressReason : policy)(literal))
      return done({ ok: false, error: 'address refused' });
    const request = lib.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'wechat-kf-webhooks/1' },
        lookup: guardedLookup(policy),
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
      done({ ok: false, error: 'timeout' });
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      done({ ok: false, error: failureClassOf(error) });
    });
    request.end(body);
  });
}
