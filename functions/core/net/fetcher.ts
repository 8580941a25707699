/**
 * Fetches a file from a URL a caller gave, as a request made on their behalf from inside the product's
 * network, which makes it hostile input (SSRF). What it does, and why (docs/media.md):
 * - `https:` only, unless private addresses are allowed (local runs and tests, `MEDIA_URL_ALLOW_PRIVATE=true`:
 *   then `http:` and loopback / private addresses are allowed, link-local and metadata addresses never);
 *   no user name or password in the URL;
 * - the host is resolved first and EVERY address it resolves to is checked ({@link forbiddenAddressReason}, lookup.ts); the
 *   connection is then made to the checked addresses themselves (the check runs inside the socket's own
 *   DNS lookup), so a name that answers differently the second time (DNS rebinding) gains nothing;
 * - each redirect hop is a new request that passes the same checks: a redirect to a refused address, or
 *   from https to http, is refused, and at most {@link FetchOptions.maxRedirects} are followed;
 * - the size cap is enforced while streaming (a lying or missing Content-Length does not help), and one
 *   deadline covers the whole fetch, redirects included;
 * - what the file is comes from its bytes (see media/formats.ts), never from the answer's Content-Type.
 *
 * `MEDIA_URL_ALLOW_PRIVATE` is read when no option says otherwise; the CDK stack never sets it.
 *
 * @example
 * ```ts
 * import { fetchUrl } from './fetcher';
 * const file = await fetchUrl('https://example.com/cat.png', { maxBytes: 2 * 1024 * 1024, field: 'image.url' });
 * file.data;      // Uint8Array
 * file.sniffed;   // { format: 'png', contentType: 'image/png', extension: 'png' }
 * ```
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { readFlag } from '../flags';
import { filenameFromDisposition } from '../media/filenames';
import { sniffMedia, type SniffedMedia } from '../media/formats';
import { linkLocalAddressReason } from './addresses';
import { IssuedUrlError, MediaUrlError } from './errors';
import {
  ForbiddenAddressError,
  guardedLookup,
  resolveChecked,
  unbracket,
  UnresolvableHostError,
  type AddressPolicy,
  type Resolver,
} from './lookup';

/** Options of {@link fetchUrl}. */
export interface FetchOptions {
  /** Largest body, bytes; a larger one is cut off and refused. */
  maxBytes: number;
  /** The input field named in errors, e.g. `image.url`. Default `url`. */
  field?: string;
  /** One deadline for the whole fetch, redirects included. Default 10 000 ms. */
  timeoutMs?: number;
  /** Redirects followed at most. Default 3. */
  maxRedirects?: number;
  /**
   * Let the fetch reach loopback and private addresses, and use `http:` (local runs and tests only).
   * Default: `MEDIA_URL_ALLOW_PRIVATE` (core/flags.ts).
   */
  allowPrivate?: boolean;
  /** How host names are resolved. Default: the system resolver (`dns.lookup`, every address). */
  resolve?: Resolver;
  /**
   * Which addresses are refused. Default `public` (only public unicast addresses); with `allowPrivate`,
   * {@link linkLocalAddressReason} (link-local and metadata addresses stay refused). A stricter policy may be given.
   */
  policy?: AddressPolicy;
  /**
   * Take `http:` as well as `https:` whatever `allowPrivate` says (a URL WeChat handed out: its media CDN
   * serves http too). The address checks stay.
   */
  anyWebScheme?: boolean;
  /**
   * An origin fetched without the address checks: the WeChat API base the product is configured to call
   * (`WECHAT_API_BASE_URL`, the sandbox's loopback URL in sandbox mode), which it reaches anyway.
   */
  trustedOrigin?: string;
}

/** A fetched file. */
export interface FetchedFile {
  data: Uint8Array;
  /** What the bytes are, or undefined when they are no known media format. */
  sniffed?: SniffedMedia;
  /** The Content-Type the server declared (informative only). */
  declaredType?: string;
  /** A file name: from Content-Disposition, else the last path segment, else undefined. */
  filename?: string;
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Whether `MEDIA_URL_ALLOW_PRIVATE` is on (the one flag reader: true/1/yes/on; anything not a flag word is refused). */
export function privateUrlsAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return readFlag(env, 'MEDIA_URL_ALLOW_PRIVATE');
}

/**
 * Checks a URL's form before anything is resolved.
 *
 * @throws {MediaUrlError} `MEDIA_URL_REFUSED` when it is not an absolute URL of an allowed scheme, or it carries credentials.
 */
export function checkUrlForm(text: string, options: { field?: string; allowPrivate?: boolean; anyWebScheme?: boolean } = {}): URL {
  const field = options.field ?? 'url';
  const allowPrivate = options.anyWebScheme || (options.allowPrivate ?? privateUrlsAllowed());
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MediaUrlError('MEDIA_URL_REFUSED', field, 'must be an absolute https:// URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    throw new MediaUrlError('MEDIA_URL_REFUSED', field, `must be an https:// URL, got ${url.protocol}`);
  }
  if (url.username || url.password) throw new MediaUrlError('MEDIA_URL_REFUSED', field, 'must not carry a user name or password');
  return url;
}

/** The error of the lookup's own errors, for the caller: which field, which host, which rule. */
function fromLookup(error: unknown, field: string): MediaUrlError | undefined {
  if (error instanceof ForbiddenAddressError) {
    const shown = error.host === error.address ? error.address : `${error.host} (${error.address})`;
    return new MediaUrlError('MEDIA_URL_REFUSED', field, `must point to a public address; ${shown} ${error.reason}`);
  }
  if (error instanceof UnresolvableHostError)
    return new MediaUrlError('MEDIA_URL_UNAVAILABLE', field, `could not be fetched: ${error.message}`);
  return undefined;
}

function filenameOf(res: IncomingMessage, url: URL): string | undefined {
  const given = filenameFromDisposition(res.headers['content-disposition']);
  if (given) return given.slice(0, 200);
  const last = url.pathname.split('/').pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last).slice(0, 200) || undefined;
  } catch {
    return last.slice(0, 200);
  }
}

interface Hop {
  status: number;
  location?: string;
  res: IncomingMessage;
}

/** One request, one answer's head; the body is left unread. */
function requestOnce(url: URL, lookup: LookupFunction, field: string, signal: AbortSignal): Promise<Hop> {
  return new Promise((resolve, reject) => {
    const host = unbracket(url.hostname);
    const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = make(url, {
      method: 'GET',
      agent: false,
      lookup,
      signal,
      headers: { accept: '*/*', 'user-agent': 'wechat-kf-media-fetcher/1', 'accept-encoding': 'identity' },
      // SNI and the certificate check use the host name, as they must; the address comes from `lookup`.
      ...(url.protocol === 'https:' && isIP(host) === 0 ? { servername: host } : {}),
    });
    req.on('response', (res) => resolve({ status: res.statusCode ?? 0, location: res.headers.location, res }));
    req.on('error', (error) => {
      const refused = fromLookup(error, field);
      if (refused) return reject(refused);
      if ((error as Error).name === 'AbortError' || signal.aborted)
        return reject(new MediaUrlError('MEDIA_URL_UNAVAILABLE', field, 'did not answer in time'));
      const code = (error as NodeJS.ErrnoException).code;
      reject(new MediaUrlError('MEDIA_URL_UNAVAILABLE', field, `could not be fetched (${code ?? error.message})`));
    });
    req.end();
  });
}

/** Reads a body, destroying the stream as soon as it passes `maxBytes`. */
function readCapped(res: IncomingMessage, maxBytes: number, field: string, signal: AbortSignal, timeoutMs: number): Promise<Uint8Array> {
  // The deadline aborts the request mid-body too: say so, rather than "cut off" (which blames the server).
  const cutOff = () =>
    new MediaUrlError(
      'MEDIA_URL_UNAVAILABLE',
      field,
      signal.aborted
        ? `did not finish within ${timeoutMs / 1000} s (the deadline of the whole fetch)`
        : 'the answer was cut off before its end',
    );
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.destroy();
      return reject(
        new MediaUrlError(
          'MEDIA_TOO_LARGE',
          field,
          `the file is larger than the ${describeBytes(maxBytes)} allowed (Content-Length ${declared})`,
        ),
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Settle first: destroying the stream emits 'aborted' at once.
        reject(new MediaUrlError('MEDIA_TOO_LARGE', field, `the file is larger than the ${describeBytes(maxBytes)} allowed`));
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    res.on('error', () => reject(cutOff()));
    res.on('aborted', () => reject(cutOff()));
  });
}

/** The origin of a URL, or undefined when it is none. */
function originOf(text: string): string | undefined {
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}

/**
 * Fetches a URL WeChat handed out (a video's `video_url` from media/get): not the caller's input, so any
 * web scheme WeChat uses is taken (http too), but the address checks of {@link fetchUrl} still apply
 * (nothing is trusted to stay inside), except for `trustedOrigin`, the WeChat API base the product calls
 * anyway (the sandbox's loopback URL in sandbox mode). A failure is WeChat's side not delivering: 502
 * `WECHAT_MEDIA_UNAVAILABLE`, never a 400 naming a field the caller did not send (docs/media.md).
 *
 * @throws {IssuedUrlError}
 * @example
 * ```ts
 * await fetchIssuedUrl(answer.video_url, { maxBytes: 20 * 1024 * 1024, what: 'the video_url WeChat answered', trustedOrigin: 'https://api.weixin.qq.com' });
 * ```
 */
export async function fetchIssuedUrl(
  text: string,
  options: Pick<FetchOptions, 'maxBytes' | 'timeoutMs' | 'resolve' | 'allowPrivate' | 'trustedOrigin'> & { what: string },
): Promise<FetchedFile> {
  try {
    return await fetchUrl(text, { ...options, field: options.what, anyWebScheme: true });
  } catch (error) {
    if (error instanceof MediaUrlError) throw new IssuedUrlError(options.what, error.rule);
    throw error;
  }
}

function describeBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Number((n / 1024 / 1024).toFixed(1))} MB` : `${Number((n / 1024).toFixed(1))} KB`;
}

/**
 * Fetches a URL with the checks of the module comment.
 *
 * @throws {MediaUrlError} `MEDIA_URL_REFUSED` (400: scheme, credentials, a refused address, a bad redirect),
 * `MEDIA_TOO_LARGE` (400: over `maxBytes`), `MEDIA_URL_UNAVAILABLE` (422: unresolvable, unreachable, too
 * slow, or an answer other than 2xx).
 * @example
 * ```ts
 * await fetchUrl('https://169.254.169.254/latest/meta-data/', { maxBytes: 1024 }); // throws MEDIA_URL_REFUSED
 * ```
 */
export async function fetchUrl(text: string, options: FetchOptions): Promise<FetchedFile> {
  const field = options.field ?? 'url';
  const allowPrivate = options.allowPrivate ?? privateUrlsAllowed();
  const anyWebScheme = options.anyWebScheme ?? false;
  const maxRedirects = options.maxRedirects ?? 3;
  const policy = options.policy ?? (allowPrivate ? linkLocalAddressReason : 'public');
  const lookup = options.resolve ? guardedLookup(policy, options.resolve) : guardedLookup(policy);
  const trusted = options.trustedOrigin ? originOf(options.trustedOrigin) : undefined;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let url = checkUrlForm(text, { field, allowPrivate, anyWebScheme });
    for (let hop = 0; ; hop++) {
      // The configured WeChat API base is reached without checks, as the product's own calls reach it.
      const isTrusted = trusted !== undefined && url.origin === trusted;
      // An address literal never goes through `lookup`: check it here.
      const host = unbracket(url.hostname);
      if (!isTrusted && isIP(host) !== 0)
        await resolveChecked(host, policy).catch((error: unknown) => Promise.reject(fromLookup(error, field) ?? error));
      const hopLookup = isTrusted ? guardedLookup('any', options.resolve) : lookup;
      const { status, location, res } = await requestOnce(url, hopLookup, field, controller.signal);
      if (REDIRECTS.has(status) && location !== undefined) {
        res.destroy();
        if (hop >= maxRedirects) throw new MediaUrlError('MEDIA_URL_REFUSED', field, `redirects more than ${maxRedirects} times`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new MediaUrlError('MEDIA_URL_REFUSED', field, 'redirects to something that is not a URL');
        }
        if (url.protocol === 'https:' && next.protocol !== 'https:')
          throw new MediaUrlError('MEDIA_URL_REFUSED', field, `redirects from https to ${next.protocol}`);
        url = checkUrlForm(next.href, { field: `${field} (redirected)`, allowPrivate, anyWebScheme });
        continue;
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw new MediaUrlError('MEDIA_URL_UNAVAILABLE', field, `answered HTTP ${status}`);
      }
      const data = await readCapped(res, options.maxBytes, field, controller.signal, timeoutMs);
      const declared = res.headers['content-type'];
      const sniffed = sniffMedia(data);
      const filename = filenameOf(res, url);
      return {
        data,
        ...(sniffed ? { sniffed } : {}),
        ...(declared ? { declaredType: declared } : {}),
        ...(filename ? { filename } : {}),
        finalUrl: url.href,
      };
    }
  } finally {
    clearTimeout(timer);
  }
}
