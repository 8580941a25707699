/**
 * The WeChat client: validates an input against the catalogue, builds WeChat's request, adds the access
 * token, sends it through the transport, and turns WeChat's answer into a result or a typed error.
 *
 * What it does about failures, and why:
 * - a request that provably never reached WeChat (connection refused, the name did not resolve) and
 *   errcode -1 (WeChat says it is busy and did nothing) are retried with exponential backoff and full
 *   jitter, a bounded number of times;
 * - a write (POST: a send, a kf account change) is never retried once it may have been written: after a
 *   reset, a socket hang-up, a timeout or an HTTP 5xx WeChat may have carried it out, and sending it again
 *   would show the user the message twice. Reads (GET) are retried on those too;
 * - 40001 / 40014 / 42001 mean the token is dead: it is invalidated (only if still current) and the call
 *   is retried exactly once with a fresh token;
 * - 45015 / 45047 / 45080 / 45081 become the same window errors the local gates raise.
 *
 * @example
 * ```ts
 * const client = new WeChatClient({ transport: new FetchTransport(), tokens });
 * const result = await client.call('sendText', { touser: 'OPENID', text: { content: 'Hello' } });
 * ```
 */
import { randomBytes } from 'crypto';
import {
  getOperation,
  type OperationOptions,
  type OperationResult,
  type OperationServices,
  type SendTrace,
  type WeChatRequestSpec,
  type WeChatResult,
} from './catalogue';
import { describeErrcode, errorFromErrcode, isTokenErrcode, WeChatApiError, WeChatTimeoutError, WeChatUnavailableError } from './errors';
import { parsePassthrough, passthroughRequest, passthroughUrl } from './passthrough';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import { sleep } from './sleep';
import { runEntry } from './runner';
import { WECHAT_API_BASE_URL, type AccessTokenProvider } from './token';
import { describeUrl, TransportError, type HttpRequest, type HttpTransport } from './transport';
import { filenameFromDisposition, safeFilename } from './media/filenames';

export type { SendTrace, WeChatResult };

/** A file WeChat answered with instead of JSON (media/get, a QR code image, ...). */
export interface WeChatFile {
  data: Uint8Array;
  /** The answer's Content-Type, e.g. `image/jpeg`. */
  contentType: string;
  /** From the answer's Content-Disposition, when it names one. */
  filename?: string;
}

/**
 * Whether an answer is a file rather than WeChat's JSON.
 *
 * @example
 * ```ts
 * const answer = await client.callApi({ method: 'GET', path: '/cgi-bin/media/get', query: { media_id } });
 * if (isWeChatFile(answer)) await writeFile(answer.filename ?? 'media', answer.data);
 * ```
 */
export function isWeChatFile(answer: unknown): answer is WeChatFile {
  return (
    typeof answer === 'object' &&
    answer !== null &&
    (answer as WeChatFile).data instanceof Uint8Array &&
    typeof (answer as WeChatFile).contentType === 'string'
  );
}

/** WeChat's JSON arrives as application/json or text/plain (and, from some endpoints, with no type at all). */
function isJsonLike(contentType: string | undefined): boolean {
  return !contentType || /json|^text\/plain/i.test(contentType);
}

export type { RetryPolicy };

/** Said of a write that failed after it may have reached WeChat. */
const notRetried = ' (not retried: the request may have been carried out)';

export interface WeChatClientConfig {
  transport: HttpTransport;
  tokens: AccessTokenProvider;
  /** Default `https://api.weixin.qq.com`. */
  baseUrl?: string;
  /** Limits profile and the delete form. */
  options?: OperationOptions;
  retry?: RetryPolicy;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests: the jitter source, in [0, 1). */
  random?: () => number;
}

/**
 * Builds the query string; `@` stays literal in values, because older WeChat servers reject `%40` in a
 * kf_account and URLSearchParams would encode it.
 */
export function buildQuery(query: Record<string, string>): string {
  let out = '';
  for (const k in query) out += `${out ? '&' : ''}${encodeURIComponent(k)}=${queryValue(query[k]!)}`;
  return out;
}

function queryValue(value: string): string {
  const encoded = encodeURIComponent(value);
  return encoded.includes('%40') ? encoded.replace(/%40/g, '@') : encoded;
}

/**
 * A multipart/form-data body with one file part.
 *
 * @example
 * ```ts
 * const { body, contentType } = multipartBody({ field: 'media', filename: 'a.jpg', contentType: 'image/jpeg', data });
 * ```
 */
export function multipartBody(
  file: NonNullable<WeChatRequestSpec['file']>,
  boundary = `----wechatkf${randomBytes(12).toString('hex')}`,
): { body: Uint8Array; contentType: string } {
  // The name in UTF-8, as browsers send it (media/filenames.ts); only what would break the header is replaced.
  const safeName = safeFilename(file.filename);
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${safeName}"; filelength=${file.data.length}\r\nContent-Type: ${file.contentType}\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return {
    body: new Uint8Array(Buffer.concat([head, Buffer.from(file.data), tail])),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/**
 * Calls WeChat's customer-service API. See the module comment for what it retries and why.
 */
export class WeChatClient {
  private readonly baseUrl: string;
  private readonly attempts: number;
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** The services with the system clock, built once (every call's hooks get them). */
  private plain?: OperationServices;
  /** `access_token=...` of the token in use, encoded once per token rather than per request. */
  private tokenQuery?: { token: string; query: string };
  /** The URL of each path without a query of its own, for the token in use: the same string every send. */
  private readonly urls = new Map<string, { token: string; url: string }>();

  constructor(private readonly config: WeChatClientConfig) {
    this.baseUrl = (config.baseUrl ?? WECHAT_API_BASE_URL).replace(/\/+$/, '');
    this.attempts = Math.max(1, config.retry?.attempts ?? DEFAULT_RETRY_POLICY.attempts);
    this.retry = config.retry ?? {};
    this.sleep = config.sleep ?? sleep;
    this.random = config.random ?? Math.random;
  }

  /** The limits profile and delete form this client uses. */
  get options(): OperationOptions {
    return this.config.options ?? {};
  }

  /**
   * Validates an input for an operation, without calling WeChat.
   *
   * @throws {ValidationError} naming every field and rule broken.
   */
  parse(name: string, input: unknown): unknown {
    return getOperation(name).parse(input, this.options);
  }

  /**
   * Validates and performs an operation.
   *
   * @example
   * ```ts
   * await client.call('sendTyping', { touser: 'OPENID', command: 'Typing' });
   * ```
   */
  async call<R extends OperationResult = WeChatResult>(name: string, input: unknown): Promise<R> {
    const op = getOperation(name);
    // The one runner (core/runner), with WeChat as its only port: no gate, no idempotency, no records.
    return (await runEntry(op, op.parse(input, this.options), {
      services: this.services(),
      wechat: (spec, recipient, trace) => this.request(spec, recipient, trace),
    })) as R;
  }

  /**
   * The services of an operation that needs only WeChat (its hooks' calls; the runner traces the
   * operation's own calls itself).
   *
   * @param now the clock; the client's services with the system clock are built once.
   */
  services(now: () => number = Date.now): OperationServices {
    if (now === Date.now && this.plain) return this.plain;
    const request = (spec: WeChatRequestSpec, recipient?: string): Promise<WeChatResult> => this.request(spec, recipient);
    const services: OperationServices = { wechat: { request, callApi: (input) => this.callApi(input) }, options: this.options, now };
    if (now === Date.now) this.plain = Object.freeze(services);
    return services;
  }

  /**
   * Sends one request with a valid token: on 40001 / 40014 / 42001, invalidates the refused token and
   * tries once more with a fresh one.
   *
   * @param recipient the openid the request addresses, named in window errors.
   * @param trace told whether the request may have reached WeChat (see {@link SendTrace}).
   */
  async request(spec: WeChatRequestSpec, recipient?: string, trace?: SendTrace): Promise<WeChatResult> {
    // A request that may answer a file (media/get) gets `{file}` for one, WeChat's JSON otherwise.
    const answer =
      spec.answer === 'file'
        ? await this.sendWithFreshToken(spec, this.attempts, trace, true)
        : await this.sendWithFreshToken(spec, this.attempts, trace);
    if (isWeChatFile(answer)) return { file: answer };
    if (answer.errcode !== undefined && answer.errcode !== 0) {
      throw errorFromErrcode(answer.errcode, String(answer.errmsg ?? ''), recipient);
    }
    return answer;
  }

  /**
   * The passthrough (`callApi`): any WeChat call with the managed token, refreshed on 40001 / 40014 /
   * 42001 exactly as for the product's own operations. Busy (-1), HTTP 5xx and network errors are
   * retried for a GET only, as the product's own reads are: what an unknown POST does is unknown, so it
   * is sent once. Every non-zero errcode is a {@link WeChatApiError} (502 with errcode, errmsg, hint).
   *
   * @throws {ValidationError} when the input breaks a rule of {@link parsePassthrough}.
   * @example
   * ```ts
   * await client.callApi({ method: 'GET', path: '/cgi-bin/user/info', query: { openid: 'OPENID' } });
   * ```
   */
  async callApi(input: unknown): Promise<WeChatResult | WeChatFile> {
    const spec = passthroughRequest(parsePassthrough(input));
    passthroughUrl(this.baseUrl, spec.path);
    const answer = await this.sendWithFreshToken(spec, spec.method === 'GET' ? this.attempts : 1, undefined, true);
    if (isWeChatFile(answer)) return answer;
    if (answer.errcode !== undefined && answer.errcode !== 0) throw new WeChatApiError(answer.errcode, String(answer.errmsg ?? ''));
    return answer;
  }

  /** One call with a valid token: on 40001 / 40014 / 42001, invalidates the refused token and tries once more. */
  private async sendWithFreshToken(spec: WeChatRequestSpec, attempts: number, trace?: SendTrace): Promise<WeChatResult>;
  private async sendWithFreshToken(
    spec: WeChatRequestSpec,
    attempts: number,
    trace: SendTrace | undefined,
    acceptFile: true,
  ): Promise<WeChatResult | WeChatFile>;
  private async sendWithFreshToken(
    spec: WeChatRequestSpec,
    attempts: number,
    trace?: SendTrace,
    acceptFile = false,
  ): Promise<WeChatResult | WeChatFile> {
    let token = await this.config.tokens.getToken();
    let answer = await this.sendWithRetries(spec, token.value, attempts, trace, acceptFile);
    if (!isWeChatFile(answer) && answer.errcode !== undefined && answer.errcode !== 0 && isTokenErrcode(answer.errcode)) {
      await this.config.tokens.invalidate(token.value);
      token = await this.config.tokens.getToken();
      answer = await this.sendWithRetries(spec, token.value, attempts, trace, acceptFile);
    }
    return answer;
  }

  private buildHttpRequest(spec: WeChatRequestSpec, token: string): HttpRequest {
    const url = spec.query ? this.urlOf(spec.path, token, buildQuery(spec.query)) : this.plainUrlOf(spec.path, token);
    if (spec.file) {
      const { body, contentType } = multipartBody(spec.file);
      return { method: 'POST', url, headers: { 'content-type': contentType }, body, timeoutMs: this.config.timeoutMs };
    }
    if (spec.json !== undefined) {
      // WeChat reads the body as UTF-8 JSON; Chinese text must not be \u-escaped by an intermediary.
      return {
        method: spec.method,
        url,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(spec.json),
        timeoutMs: this.config.timeoutMs,
      };
    }
    return { method: spec.method, url, timeoutMs: this.config.timeoutMs };
  }

  private urlOf(path: string, token: string, rest: string): string {
    if (this.tokenQuery?.token !== token) this.tokenQuery = { token, query: `access_token=${queryValue(token)}` };
    return `${this.baseUrl}${path}?${this.tokenQuery.query}${rest ? `&${rest}` : ''}`;
  }

  private plainUrlOf(path: string, token: string): string {
    const known = this.urls.get(path);
    if (known?.token === token) return known.url;
    const url = this.urlOf(path, token, '');
    // Bounded: the product's operations use a few dozen paths; a passthrough caller may use any.
    if (known || this.urls.size < 64) this.urls.set(path, { token, url });
    return url;
  }

  /**
   * One logical call; returns WeChat's parsed answer. What is tried again, and why:
   * ```
   *  outcome of one try                   GET (a read)   POST (a write: send, kf change)
   *  unreached (refused, DNS)             again          again: nothing was written
   *  errcode -1 (busy)                    again          again: WeChat says it did nothing
   *  reset / hang-up / cut off / timeout  again          never: WeChat may have carried it out
   *  HTTP 5xx, a body that is not JSON    again          never: the request reached a server
   * ```
   */
  private async sendWithRetries(
    spec: WeChatRequestSpec,
    token: string,
    attempts: number,
    trace?: SendTrace,
    acceptFile = false,
  ): Promise<WeChatResult | WeChatFile> {
    const request = this.buildHttpRequest(spec, token);
    const where = describeUrl(request.url);
    const read = spec.method === 'GET';
    let last: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await this.sleep(backoffDelay(attempt, this.retry, this.random));
      let status: number;
      let text: string;
      let file: WeChatFile | undefined;
      if (trace) trace.mayHaveReachedWeChat = true;
      try {
        const res = await this.config.transport.send(request);
        status = res.status;
        text = res.body;
        // A file answer (media/get and the like), for callers that take one: its bytes, never its text.
        // Only they read the headers (a transport may copy them out only when read).
        const contentType = acceptFile && status >= 200 && status < 300 ? res.headers['content-type'] : undefined;
        if (acceptFile && status >= 200 && status < 300 && !isJsonLike(contentType) && res.bytes) {
          const filename = filenameFromDisposition(res.headers['content-disposition']);
          file = { data: res.bytes, contentType: contentType!.split(';')[0]!.trim(), ...(filename ? { filename } : {}) };
        }
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        if (error.kind === 'unreached') {
          if (trace) trace.mayHaveReachedWeChat = false;
          last = new WeChatUnavailableError(`WeChat could not be reached at ${where} after ${attempt + 1} tries: ${error.message}`);
          continue;
        }
        if (error.kind === 'timeout') {
          last = new WeChatTimeoutError(`WeChat did not answer ${where} in time${read ? ` after ${attempt + 1} tries` : notRetried}`);
        } else {
          last = new WeChatUnavailableError(
            `the connection to WeChat at ${where} broke${read ? ` after ${attempt + 1} tries` : notRetried}: ${error.message}`,
          );
        }
        if (!read) throw last;
        continue;
      }
      if (file) return file;
      if (status >= 500) {
        last = new WeChatUnavailableError(`WeChat answered HTTP ${status} at ${where}${read ? ` after ${attempt + 1} tries` : notRetried}`);
        if (!read) throw last;
        continue;
      }
      let body: WeChatResult;
      try {
        body = JSON.parse(text) as WeChatResult;
      } catch {
        last = new WeChatUnavailableError(
          `WeChat answered HTTP ${status} at ${where} with a body that is not JSON${read ? '' : notRetried}`,
        );
        if (!read) throw last;
        continue;
      }
      if (typeof body !== 'object' || body === null) {
        last = new WeChatUnavailableError(`WeChat answered HTTP ${status} at ${where} with an unexpected body${read ? '' : notRetried}`);
        if (!read) throw last;
        continue;
      }
      // An errcode answer is WeChat refusing: nothing reached the user.
      if (trace && typeof body.errcode === 'number' && body.errcode !== 0) trace.mayHaveReachedWeChat = false;
      if (typeof body.errcode === 'number' && body.errcode !== 0 && describeErrcode(body.errcode).kind === 'busy') {
        last = new WeChatApiError(body.errcode, String(body.errmsg ?? ''));
        continue;
      }
      return body;
    }
    throw last ?? new WeChatUnavailableError(`WeChat could not be reached at ${where}`);
  }
}
