/**
 * The access token, shared by every Lambda container through one DynamoDB item per (app id, token mode).
 *
 * WeChat's most reported problem is servers that fetch tokens on their own and knock each other's token
 * out (`cgi-bin/token`), or burn the small daily quota. Here exactly one caller anywhere fetches, under a
 * lease taken with a conditional write; everybody else waits for it and reads what it stored.
 *
 * The item (`pk = TOKEN#<appId>`, `sk = MODE#<stable|classic>`):
 *
 * | attribute | type | meaning |
 * | --- | --- | --- |
 * | accessToken | S | the token; absent when none was fetched or it was invalidated |
 * | tokenExpiresAt | N | when WeChat said it expires (ms) |
 * | staleAt | N | when callers stop using it (ms): 5 min before expiry, see the core's `staleAt` |
 * | fetchedAt | N | when it was fetched (ms) |
 * | leaseOwner | S | who is fetching a new one right now (a fresh id per lease) |
 * | leaseUntil | N | when that lease lapses if its holder never finishes (ms) |
 * | refusedHash | S | SHA-256 of the token WeChat last refused (never the token itself): the next fetch compares with it |
 * | forceDay | N | the Beijing day number that `forceCount` counts |
 * | forceCount | N | forced refreshes made that day (WeChat allows 20) |
 * | lastForceAt | N | when the last forced refresh was made (ms; WeChat wants 30 s between two) |
 * | expiresAt | N | TTL (epoch s): a day after the token expires |
 *
 * @example
 * ```ts
 * const tokens = new DynamoDbTokenProvider({
 *   client: createDynamoClient(),
 *   tableName: process.env.TABLE_NAME!,
 *   fetch: async () => ({ transport: new FetchTransport(), ...(await loadSecret()) }),
 * });
 * const wechat = new WeChatClient({ transport: new FetchTransport(), tokens });
 * ```
 */
import { createHash, randomUUID } from 'crypto';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TokenRefreshBudgetError, WeChatUnavailableError } from '../core/errors';
import { backoffDelay, type RetryPolicy } from '../core/retry';
import {
  beijingDay,
  fetchAccessToken,
  FORCE_REFRESH_BUDGET,
  forceBudgetVerdict,
  staleAt,
  type AccessToken,
  type AccessTokenProvider,
  type TokenFetchConfig,
  type TokenMode,
} from '../core/token';
import { epochSeconds, isConditionalCheckFailed, keys, marshallKey, n, numberAttr, s, stringAttr, type TableKey } from './table';
import { TableStore, type TableStoreOptions } from './table-store';
import type { UpdateWrite } from './update';

export interface DynamoDbTokenProviderOptions extends TableStoreOptions {
  /**
   * How to fetch from WeChat: the config itself, or a function that resolves it (so the AppSecret can be
   * read from Secrets Manager lazily). The function is called on every cache miss, not on memory hits;
   * cache the secret in it (Powertools Parameters does).
   */
  fetch: TokenFetchConfig | (() => Promise<TokenFetchConfig>);
  /**
   * How long a caller may hold the refresh lease before another may take it over. Default 10 s. The fetch
   * from WeChat times out at 80 % of it, unless the fetch config sets `timeoutMs`.
   */
  leaseMs?: number;
  /** How long a caller waits for someone else's refresh before giving up. Default `leaseMs` + 5 s. */
  maxWaitMs?: number;
  /** How to wait between re-reads. Default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Names this instance in lease records (a random id by default); each lease adds a fresh suffix. */
  owner?: string;
}

/** A lease this instance holds. */
interface Lease {
  id: string;
  /** The hash of the token WeChat refused, when the item holds one: a fetch handing it back must force. */
  refusedHash?: string;
}

/** The SHA-256 of a token, to recognise it again without keeping it. */
function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const DAY_MS = 86_400_000;

/** How a caller waits for another one's refresh: 50 ms, 100 ms, ... up to 1 s, never less than half of it (no spinning). */
const LEASE_WAIT: RetryPolicy = { baseDelayMs: 50, maxDelayMs: 1_000, jitter: 'equal' };

/**
 * An {@link AccessTokenProvider} that shares one token across every container through DynamoDB.
 *
 * - In memory, a container hands out its token until the token's `staleAt` without any I/O; concurrent
 *   callers in one container share one load.
 * - On a miss it reads the item (strongly consistent). A fresh token is used as is.
 * - A missing or stale token is refreshed by exactly one caller, under a lease (see {@link getToken}'s
 *   timeline); the others wait with backoff and jitter and re-read.
 * - `invalidate(refused)` drops the stored token only if it is still the refused one, and remembers (a
 *   hash of) it. The next fetch is a normal one: another system on the AppID may have forced a refresh,
 *   and normal mode then hands back the new token. Only when normal mode hands back the very token that
 *   was refused is a refresh forced, within WeChat's budget of 20 a day, 30 s apart, kept in the item so
 *   every container honours it ({@link TokenRefreshBudgetError} when it is spent).
 *
 * Tokens and secrets are never logged nor put in error messages.
 *
 * @example
 * ```ts
 * const tokens = new DynamoDbTokenProvider({ client, tableName: 'wechat-kf', fetch: { transport, appId, appSecret } });
 * const { value } = await tokens.getToken();
 * ```
 */
export class DynamoDbTokenProvider extends TableStore implements AccessTokenProvider {
  private readonly fetchConfig: DynamoDbTokenProviderOptions['fetch'];
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly owner: string;
  private current?: { token: AccessToken; staleAt: number };
  private inflight?: Promise<AccessToken>;

  constructor(options: DynamoDbTokenProviderOptions) {
    super(options);
    this.fetchConfig = options.fetch;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.maxWaitMs = options.maxWaitMs ?? this.leaseMs + 5_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.owner = options.owner ?? randomUUID();
  }

  /**
   * A token that is not stale: from memory, from the table, or fetched from WeChat by exactly one caller.
   *
   * Timeline of a refresh across containers A, B and C (the conditional writes are what make it safe):
   * ```
   *  item:   token T1 ............ staleAt ........................................ T2 stored
   *          |                        |                                            |
   *  A  ─────┼── read: stale ─── take lease ✓ ── fetch from WeChat ─────────── write T2 if leaseOwner = A ✓
   *  B  ─────┼──────── read: stale ─── take lease ✗ (held) ── wait ── re-read ── wait ── re-read: T2 ✓
   *  C  ─────┼─────────────────────────────────────────────────────────────────── read: T2 ✓ (no lease)
   *
   *  take lease = UpdateItem SET leaseOwner = <new id>, leaseUntil = now + leaseMs
   *               IF (no lease OR leaseUntil < now) AND (no token OR staleAt <= now)
   * ```
   * - "token still stale" in the condition stops a late caller that read the item before T2 was written
   *   from taking a lease and fetching again.
   * - If A dies after taking the lease, nobody can take it until `leaseUntil` passes; then the next reader
   *   (B) takes it over, and A's late write (if A was only slow) fails its `leaseOwner = A` condition: A
   *   returns the token it fetched to its own caller but does not overwrite B's newer one.
   * - If the fetch fails, A removes its lease and throws; the next caller tries again at once.
   * - A caller that waits longer than `maxWaitMs` gets {@link WeChatUnavailableError} (retryable).
   *
   * @example
   * ```ts
   * const { value, expiresAt } = await tokens.getToken();
   * ```
   */
  async getToken(): Promise<AccessToken> {
    if (this.current && this.now() < this.current.staleAt) return this.current.token;
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * Drops a token WeChat refused (40001 / 40014 / 42001), only if the table still holds that very token,
   * and remembers its hash, so the next fetch can tell whether normal mode hands the same token back.
   * Invalidating a token that another caller has already replaced does nothing, so two callers refusing
   * the same token cause one refresh, not two.
   *
   * ```
   *  UpdateItem REMOVE accessToken, tokenExpiresAt SET staleAt = 0, refusedHash = sha256(<refused>)
   *             IF accessToken = <refused>
   * ```
   *
   * @example
   * ```ts
   * await tokens.invalidate(refusedToken);
   * const fresh = await tokens.getToken(); // normal mode first; forced only if it hands refusedToken back
   * ```
   */
  async invalidate(refused: string): Promise<void> {
    if (this.current?.token.value === refused) this.current = undefined;
    const config = await this.resolveConfig();
    try {
      await this.update({
        key: this.keyOf(config),
        set: { staleAt: n(0), refusedHash: s(tokenHash(refused)) },
        remove: ['accessToken', 'tokenExpiresAt'],
        condition: '#accessToken = :refused',
        values: { ':refused': s(refused) },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Already replaced or already invalidated by someone else: nothing to do.
    }
  }

  private async load(): Promise<AccessToken> {
    const config = await this.resolveConfig();
    const key = this.keyOf(config);
    const deadline = this.now() + this.maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      const now = this.now();
      const item = await this.read(key);
      const stored = storedToken(item);
      if (stored && now < stored.staleAt) {
        this.current = stored;
        return stored.token;
      }
      const leaseUntil = numberAttr(item, 'leaseUntil');
      if (leaseUntil === undefined || leaseUntil < now) {
        const lease = await this.takeLease(key, now);
        if (lease) return this.refreshUnderLease(config, key, lease);
      }
      if (this.now() >= deadline) {
        throw new WeChatUnavailableError(
          `gave up after ${this.maxWaitMs} ms waiting for another caller to refresh the access token of app ${config.appId}`,
        );
      }
      await this.sleep(backoffDelay(attempt + 1, LEASE_WAIT, this.random));
    }
  }

  /**
   * The fetch under the lease. Normal mode first, always; forced only when normal mode hands back the
   * very token WeChat refused (its hash is on the item), and only within the budget kept on the item:
   * ```
   *  A: 40001 on T1 ── invalidate(T1): refusedHash = h(T1)
   *  A: lease ✓ ── stable_token normal ──▶ T2 (another system forced)  ── store T2 ✓ (no force at all)
   *                                   └──▶ T1 again (h(T1) = refusedHash) ── take a force from the budget:
   *
   *  UpdateItem SET forceCount = forceCount + 1, lastForceAt = now
   *             IF forceDay = today AND forceCount < 20 AND lastForceAt <= now - 30 s
   *  or, on a new Beijing day:
   *  UpdateItem SET forceDay = today, forceCount = 1, lastForceAt = now
   *             IF (attribute_not_exists(forceDay) OR forceDay < today)
   *                AND (attribute_not_exists(lastForceAt) OR lastForceAt <= now - 30 s)
   *
   *    ✓ ── stable_token force_refresh ──▶ T3 ── store T3, REMOVE refusedHash
   *    ✗ (both) ── release the lease (refusedHash stays) ── TokenRefreshBudgetError: which limit, until when
   * ```
   * Two containers that both see T1 refused cannot both force: only the lease holder fetches, and the
   * budget write is conditional, so a force in another container 10 s earlier stops this one.
   */
  private async refreshUnderLease(config: TokenFetchConfig, key: TableKey, lease: Lease): Promise<AccessToken> {
    const mode = config.mode ?? 'stable';
    const fetchedAt = this.now();
    let token: AccessToken;
    try {
      // The fetch must end within the lease, or a second caller would take over and fetch too.
      const timeoutMs = config.timeoutMs ?? Math.max(1, Math.floor(this.leaseMs * 0.8));
      const fetchConfig = { ...config, timeoutMs, now: config.now ?? this.now };
      token = await fetchAccessToken(fetchConfig, false);
      if (mode === 'stable' && lease.refusedHash !== undefined && tokenHash(token.value) === lease.refusedHash) {
        await this.takeForce(key);
        token = await fetchAccessToken(fetchConfig, true);
      }
    } catch (error) {
      await this.releaseLease(key, lease).catch(() => undefined);
      throw error;
    }
    const tokenStaleAt = staleAt(token, fetchedAt);
    try {
      await this.update({
        key,
        set: {
          accessToken: s(token.value),
          tokenExpiresAt: n(token.expiresAt),
          staleAt: n(tokenStaleAt),
          fetchedAt: n(fetchedAt),
          expiresAt: n(epochSeconds(token.expiresAt + DAY_MS)),
        },
        remove: ['leaseOwner', 'leaseUntil', 'refusedHash'],
        condition: '#leaseOwner = :lease',
        values: { ':lease': s(lease.id) },
      });
      this.current = { token, staleAt: tokenStaleAt };
    } catch {
      // Our lease lapsed and another caller took it over (the condition failed): its token (or a newer
      // one) stands. Or the table could not be written. Either way the token we hold is valid, so this
      // caller uses it rather than fail its send; it is not kept in memory, so the next miss re-reads.
    }
    return token;
  }

  /** Takes one forced refresh from the budget on the item (see {@link refreshUnderLease}), or throws why not. */
  private async takeForce(key: TableKey): Promise<void> {
    const now = this.now();
    const today = beijingDay(now);
    const since = now - FORCE_REFRESH_BUDGET.spacingMs;
    const attempts: UpdateWrite[] = [
      {
        set: { forceCount: '#forceCount + :one', lastForceAt: n(now) },
        condition: '#forceDay = :today AND #forceCount < :max AND #lastForceAt <= :since',
        values: { ':one': n(1), ':today': n(today), ':max': n(FORCE_REFRESH_BUDGET.perDay), ':since': n(since) },
      },
      {
        set: { forceDay: ':today', forceCount: n(1), lastForceAt: n(now) },
        condition:
          '(attribute_not_exists(#forceDay) OR #forceDay < :today) AND (attribute_not_exists(#lastForceAt) OR #lastForceAt <= :since)',
        values: { ':today': n(today), ':since': n(since) },
      },
    ];
    for (const write of attempts) {
      try {
        await this.update({ key, ...write });
        return;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    const item = await this.read(key);
    const verdict = forceBudgetVerdict(
      { day: numberAttr(item, 'forceDay'), count: numberAttr(item, 'forceCount'), lastForceAt: numberAttr(item, 'lastForceAt') },
      this.now(),
    );
    throw verdict.ok
      ? new TokenRefreshBudgetError('spacing', now + FORCE_REFRESH_BUDGET.spacingMs)
      : new TokenRefreshBudgetError(verdict.limit, verdict.nextForceAt);
  }

  private async takeLease(key: TableKey, now: number): Promise<Lease | undefined> {
    const id = `${this.owner}#${randomUUID()}`;
    try {
      const out = await this.update({
        key,
        set: { leaseOwner: s(id), leaseUntil: n(now + this.leaseMs), expiresAt: 'if_not_exists(#expiresAt, :ttl)' },
        condition: '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now) AND (attribute_not_exists(#accessToken) OR #staleAt <= :now)',
        values: { ':now': n(now), ':ttl': n(epochSeconds(now + DAY_MS)) },
        returnValues: 'ALL_OLD',
      });
      return { id, refusedHash: out.Attributes?.refusedHash?.S };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  private async releaseLease(key: TableKey, lease: Lease): Promise<void> {
    try {
      await this.update({
        key,
        remove: ['leaseOwner', 'leaseUntil'],
        condition: '#leaseOwner = :lease',
        values: { ':lease': s(lease.id) },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  private async read(key: TableKey): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshallKey(key), ConsistentRead: true }));
    return out.Item;
  }

  private async resolveConfig(): Promise<TokenFetchConfig> {
    return typeof this.fetchConfig === 'function' ? this.fetchConfig() : this.fetchConfig;
  }

  private keyOf(config: TokenFetchConfig): TableKey {
    const mode: TokenMode = config.mode ?? 'stable';
    return keys.token(config.appId, mode);
  }

  /** Equal jitter: half the ceiling plus a random part, the ceiling doubling from 50 ms up to 1 s. */
}

function storedToken(item: Record<string, AttributeValue> | undefined): { token: AccessToken; staleAt: number } | undefined {
  const value = stringAttr(item, 'accessToken');
  const expiresAt = numberAttr(item, 'tokenExpiresAt');
  const stale = numberAttr(item, 'staleAt');
  if (value === undefined || expiresAt === undefined || stale === undefined) return undefined;
  return { token: { value, expiresAt }, staleAt: stale };
}
