/**
 * Access tokens: how one is fetched from WeChat, and the interface every cache of them implements.
 *
 * Two endpoints hand out tokens. `cgi-bin/stable_token` (the default) gives every caller the same token
 * until 5 minutes before it expires, so independent fetchers do not knock each other out.
 * `cgi-bin/token` (mode `classic`) issues a new token on every call and the previous one dies 5 minutes
 * later: the most reported problem in every WeChat SDK. Either way, only one fetch should be in flight per
 * app: {@link InMemoryTokenProvider} does that within a process, the DynamoDB provider in functions/store
 * across every Lambda container.
 */
import { TokenRefreshBudgetError, WeChatApiError, WeChatUnavailableError } from './errors';
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import { sleep as defaultSleep } from './sleep';
import { describeUrl, TransportError, type HttpTransport } from './transport';

/** Every token mode: `cgi-bin/stable_token` (`stable`) or `cgi-bin/token` (`classic`). */
export const TOKEN_MODES = ['stable', 'classic'] as const;

/** Which token endpoint to use. */
export type TokenMode = (typeof TOKEN_MODES)[number];

/** A token and when it expires (ms since epoch). */
export interface AccessToken {
  value: string;
  expiresAt: number;
}

/**
 * Where the client gets its token. `invalidate` is called with the token WeChat refused (40001 / 40014 /
 * 42001); an implementation drops it only if it is still the current one, so that a token another caller
 * has already replaced is never thrown away twice.
 */
export interface AccessTokenProvider {
  getToken(): Promise<AccessToken>;
  invalidate(refused: string): Promise<void>;
}

/** What is needed to fetch a token from WeChat. */
export interface TokenFetchConfig {
  transport: HttpTransport;
  /** Default `https://api.weixin.qq.com`. */
  baseUrl?: string;
  appId: string;
  appSecret: string;
  /** Default `stable`. */
  mode?: TokenMode;
  timeoutMs?: number;
  now?: () => number;
  /** Tries and backoff of a fetch that can safely be tried again (see {@link fetchAccessToken}). Default 3 tries. */
  retry?: RetryPolicy;
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>;
  /** For tests: the jitter source, in [0, 1). */
  random?: () => number;
}

/** The default API root. */
export const WECHAT_API_BASE_URL = 'https://api.weixin.qq.com';

/** How long before its expiry a token stops being used. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The moment a token should no longer be handed out: 5 minutes before expiry, or halfway through its life
 * when it lives less than 10 minutes (stable_token can answer `expires_in` as low as 300 s).
 *
 * @example
 * ```ts
 * staleAt({ value: 't', expiresAt: 7_200_000 }, 0); // 6_900_000
 * ```
 */
export function staleAt(token: AccessToken, fetchedAt: number): number {
  const life = token.expiresAt - fetchedAt;
  return token.expiresAt - Math.min(TOKEN_REFRESH_MARGIN_MS, Math.max(0, life / 2));
}

/**
 * Fetches a token from WeChat. `forceRefresh` (stable mode only) asks WeChat for a new token even though
 * the current one has not expired: used only when WeChat refused the current one and normal mode hands
 * that same one back. WeChat allows 20 a day, 30 s apart ({@link FORCE_REFRESH_BUDGET}).
 *
 * Tried again (with the product's one backoff, core/retry.ts; 3 tries by default) when that cannot
 * issue a token nobody sees: the request never reached WeChat (connection refused, the name did not
 * resolve), or WeChat answered -1 (busy: it did nothing); and, for a normal-mode stable_token only (which
 * hands out the token there is and changes nothing), an HTTP 5xx. Not after a timeout or a broken
 * connection (the wait would outlast a refresh lease), and a forced or classic fetch never after a 5xx
 * (it may have issued a new token, killing the old one, and a second try would do it again).
 *
 * @example
 * ```ts
 * const token = await fetchAccessToken({ transport: new FetchTransport(), appId, appSecret });
 * ```
 */
export async function fetchAccessToken(config: TokenFetchConfig, forceRefresh = false): Promise<AccessToken> {
  const attempts = Math.max(1, config.retry?.attempts ?? DEFAULT_RETRY_POLICY.attempts);
  const sideEffectFree = (config.mode ?? 'stable') === 'stable' && !forceRefresh;
  const sleep = config.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchOnce(config, forceRefresh);
    } catch (error) {
      const again =
        error instanceof TokenFetchFailure &&
        (error.why === 'unreached' || error.why === 'busy' || (error.why === 'server' && sideEffectFree));
      if (!again || attempt >= attempts) throw error instanceof TokenFetchFailure ? error.error : error;
      await sleep(backoffDelay(attempt, config.retry, config.random));
    }
  }
}

/** A failed try of a token fetch, and why, which decides whether it is tried again (never leaves this module). */
class TokenFetchFailure extends Error {
  constructor(
    readonly why: 'unreached' | 'busy' | 'server' | 'other',
    readonly error: Error,
  ) {
    super(error.message);
    this.name = 'TokenFetchFailure';
  }
}

/** One try of {@link fetchAccessToken}. */
async function fetchOnce(config: TokenFetchConfig, forceRefresh: boolean): Promise<AccessToken> {
  const base = (config.baseUrl ?? WECHAT_API_BASE_URL).replace(/\/+$/, '');
  const mode = config.mode ?? 'stable';
  const now = config.now ?? Date.now;
  const request =
    mode === 'stable'
      ? {
          method: 'POST' as const,
          url: `${base}/cgi-bin/stable_token`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            grant_type: 'client_credential',
            appid: config.appId,
            secret: config.appSecret,
            force_refresh: forceRefresh,
          }),
          timeoutMs: config.timeoutMs,
        }
      : {
          method: 'GET' as const,
          url: `${base}/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(config.appId)}&secret=${encodeURIComponent(config.appSecret)}`,
          timeoutMs: config.timeoutMs,
        };
  let status: number;
  let text: string;
  try {
    const res = await config.transport.send(request);
    status = res.status;
    text = res.body;
  } catch (error) {
    if (error instanceof TransportError) {
      throw new TokenFetchFailure(
        error.kind === 'unreached' ? 'unreached' : 'other',
        new WeChatUnavailableError(`token fetch failed: ${error.message}`),
      );
    }
    throw error;
  }
  if (status >= 500)
    throw new TokenFetchFailure(
      'server',
      new WeChatUnavailableError(`token fetch failed: ${describeUrl(request.url)} answered HTTP ${status}`),
    );
  let body: { access_token?: unknown; expires_in?: unknown; errcode?: unknown; errmsg?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new WeChatUnavailableError(
      `token fetch failed: ${describeUrl(request.url)} answered HTTP ${status} with a body that is not JSON`,
    );
  }
  if (typeof body.errcode === 'number' && body.errcode !== 0) {
    const refusal = new WeChatApiError(body.errcode, redact(String(body.errmsg ?? ''), config.appSecret));
    throw new TokenFetchFailure(refusal.kind === 'busy' ? 'busy' : 'other', refusal);
  }
  if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw new WeChatUnavailableError(`token fetch failed: ${describeUrl(request.url)} answered without access_token and expires_in`);
  }
  return { value: body.access_token, expiresAt: now() + body.expires_in * 1000 };
}

/**
 * WeChat's budget of forced refreshes (stable_token with `force_refresh: true`): 20 a day, 30 s apart, for
 * the AppID as a whole. A forced refresh invalidates the token every other system on the AppID holds, so
 * the product forces only when normal mode hands back the very token WeChat refused.
 */
export const FORCE_REFRESH_BUDGET = { perDay: 20, spacingMs: 30_000 } as const;

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/**
 * The Beijing calendar day of a time (WeChat's quotas reset at midnight Beijing time), as a day number.
 *
 * @example
 * ```ts
 * beijingDay(Date.UTC(2026, 0, 1, 15, 59)); // the same day as Date.UTC(2026, 0, 1, 0, 0)
 * ```
 */
export function beijingDay(ms: number): number {
  return Math.floor((ms + BEIJING_OFFSET_MS) / DAY_MS);
}

/** What is known of the forced refreshes so far: the Beijing day of the count, the count, the last one. */
export interface ForceBudgetState {
  day?: number;
  count?: number;
  lastForceAt?: number;
}

/**
 * Whether a forced refresh is allowed at `now`, and if not, which limit stops it and until when.
 *
 * @example
 * ```ts
 * forceBudgetVerdict({ day: beijingDay(now), count: 20, lastForceAt: now - 60_000 }, now);
 * // { ok: false, limit: 'daily', nextForceAt: <next Beijing midnight> }
 * ```
 */
export function forceBudgetVerdict(
  state: ForceBudgetState,
  now: number,
): { ok: true } | { ok: false; limit: 'daily' | 'spacing'; nextForceAt: number } {
  const today = beijingDay(now);
  if (state.day === today && (state.count ?? 0) >= FORCE_REFRESH_BUDGET.perDay) {
    return { ok: false, limit: 'daily', nextForceAt: (today + 1) * DAY_MS - BEIJING_OFFSET_MS };
  }
  if (state.lastForceAt !== undefined && now - state.lastForceAt < FORCE_REFRESH_BUDGET.spacingMs) {
    return { ok: false, limit: 'spacing', nextForceAt: state.lastForceAt + FORCE_REFRESH_BUDGET.spacingMs };
  }
  return { ok: true };
}

function redact(text: string, secret: string): string {
  return secret ? text.split(secret).join('***') : text;
}

/**
 * A token cache for one process: every concurrent caller shares one fetch, a token is handed out until
 * 5 minutes before it expires, and `invalidate` drops it only if it is still the current one. After an
 * invalidation in stable mode the next fetch is a normal one first (another system on the AppID may have
 * forced a refresh, and normal mode then hands back the new token); only when normal mode hands back the
 * very token WeChat refused is a refresh forced, within {@link FORCE_REFRESH_BUDGET} (kept per provider:
 * in n8n, per credential).
 *
 * @example
 * ```ts
 * const tokens = new InMemoryTokenProvider({ transport: new FetchTransport(), appId, appSecret });
 * const { value } = await tokens.getToken();
 * ```
 */
export class InMemoryTokenProvider implements AccessTokenProvider {
  private current?: { token: AccessToken; staleAt: number };
  private inflight?: Promise<AccessToken>;
  private refused?: string;
  private readonly budget: ForceBudgetState = {};
  private readonly now: () => number;

  constructor(private readonly config: TokenFetchConfig) {
    this.now = config.now ?? Date.now;
  }

  async getToken(): Promise<AccessToken> {
    if (this.current && this.now() < this.current.staleAt) return this.current.token;
    if (!this.inflight) {
      const fetchedAt = this.now();
      this.inflight = this.fetch()
        .then((token) => {
          this.current = { token, staleAt: staleAt(token, fetchedAt) };
          this.refused = undefined;
          return token;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async fetch(): Promise<AccessToken> {
    const token = await fetchAccessToken(this.config, false);
    if ((this.config.mode ?? 'stable') !== 'stable' || this.refused === undefined || token.value !== this.refused) return token;
    const now = this.now();
    const verdict = forceBudgetVerdict(this.budget, now);
    if (!verdict.ok) throw new TokenRefreshBudgetError(verdict.limit, verdict.nextForceAt);
    const today = beijingDay(now);
    this.budget.count = this.budget.day === today ? (this.budget.count ?? 0) + 1 : 1;
    this.budget.day = today;
    this.budget.lastForceAt = now;
    return fetchAccessToken(this.config, true);
  }

  async invalidate(refused: string): Promise<void> {
    if (this.current?.token.value === refused) {
      this.current = undefined;
      this.refused = refused;
    }
  }
}
