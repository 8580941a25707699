/**
 * Access tokens as WeChat hands them out (docs/wechat-reference.md, "Access token"):
 *
 * - `cgi-bin/token` issues a new token on every call; the previous one stays usable 5 more minutes,
 *   then answers 40001. At most 2 000 a day (45009).
 * - `cgi-bin/stable_token` gives every caller the same token until 5 minutes before it expires
 *   (so `expires_in` ≥ 300), then a new one. `force_refresh: true` replaces it at once (the old one
 *   answers 40001), at most 20 times a day (45009) and 30 s apart (45011). 10 000 calls a minute (45011).
 * - The two kinds are separate: issuing one never affects the other.
 *
 * Every rule reads the injected clock. "A day" is a calendar day in Beijing time (UTC+8), when WeChat's
 * quotas reset.
 */
import { randomBytes } from 'node:crypto';
import { WeChatRefusalError } from './errcodes';

type TokenKind = 'classic' | 'stable';

export interface TokenRecord {
  kind: TokenKind;
  expiresAt: number;
  /** From this moment the token answers 40001 (set when replaced). */
  revokedAt?: number;
  invalidated?: boolean;
  forcedExpired?: boolean;
}

const GRACE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** What {@link TokenAuthority.toSaved} keeps. */
export interface SavedTokens {
  tokens: Array<[string, TokenRecord]>;
  currentClassic?: string;
  currentStable?: string;
  classicDay: { day: number; count: number };
  forceDay: { day: number; count: number };
  lastForceAt?: number;
}

/** Limits of the token endpoints. */
export const TOKEN_LIMITS = {
  classicPerDay: 2_000,
  stablePerMinute: 10_000,
  forceRefreshPerDay: 20,
  forceRefreshSpacingMs: 30_000,
} as const;

/** Issues and checks access tokens. */
export class TokenAuthority {
  private tokens = new Map<string, TokenRecord>();
  private currentClassic?: string;
  private currentStable?: string;
  private classicDay = { day: -1, count: 0 };
  private stableMinute = { minute: -1, count: 0 };
  private forceDay = { day: -1, count: 0 };
  private lastForceAt?: number;

  constructor(
    private readonly now: () => number,
    private readonly ttlSeconds: number,
  ) {}

  /** The tokens and quota counts, as JSON data, to survive a restart. */
  toSaved(): SavedTokens {
    return {
      tokens: [...this.tokens.entries()],
      currentClassic: this.currentClassic,
      currentStable: this.currentStable,
      classicDay: this.classicDay,
      forceDay: this.forceDay,
      lastForceAt: this.lastForceAt,
    };
  }

  /** Takes back what {@link toSaved} kept. */
  restore(saved: SavedTokens): void {
    this.tokens = new Map(saved.tokens);
    this.currentClassic = saved.currentClassic;
    this.currentStable = saved.currentStable;
    this.classicDay = saved.classicDay;
    this.forceDay = saved.forceDay;
    this.lastForceAt = saved.lastForceAt;
  }

  /** Forgets every token and quota count. */
  reset(): void {
    this.tokens.clear();
    this.currentClassic = undefined;
    this.currentStable = undefined;
    this.classicDay = { day: -1, count: 0 };
    this.stableMinute = { minute: -1, count: 0 };
    this.forceDay = { day: -1, count: 0 };
    this.lastForceAt = undefined;
  }

  /** Forgets tokens expired for a day: the map holds at most a day's tokens (2 000 classic, a few stable). */
  private prune(now: number): void {
    for (const [value, record] of this.tokens) if (record.expiresAt < now - 86_400_000) this.tokens.delete(value);
  }

  private newValue(): string {
    // Shaped like WeChat's: about 136 characters of [A-Za-z0-9_-].
    return `${randomBytes(102).toString('base64url')}`;
  }

  private dayOf(t: number): number {
    return Math.floor((t + BEIJING_OFFSET_MS) / DAY_MS);
  }

  /** `cgi-bin/token`: a new token; the previous one dies 5 minutes later. */
  issueClassic(): { access_token: string; expires_in: number } {
    const now = this.now();
    const day = this.dayOf(now);
    if (this.classicDay.day !== day) this.classicDay = { day, count: 0 };
    if (this.classicDay.count >= TOKEN_LIMITS.classicPerDay) throw new WeChatRefusalError(45009, 'cgi-bin/token allows 2000 calls a day');
    this.classicDay.count++;
    if (this.currentClassic) {
      const previous = this.tokens.get(this.currentClassic);
      if (previous && previous.revokedAt === undefined) previous.revokedAt = now + GRACE_MS;
    }
    const value = this.newValue();
    this.prune(now);
    this.tokens.set(value, { kind: 'classic', expiresAt: now + this.ttlSeconds * 1000 });
    this.currentClassic = value;
    return { access_token: value, expires_in: this.ttlSeconds };
  }

  /** Seconds before expiry at which stable_token hands out a new token: 300, or half the lifetime if shorter. */
  private get stableMarginMs(): number {
    return Math.min(GRACE_MS, Math.floor((this.ttlSeconds * 1000) / 2));
  }

  /** `cgi-bin/stable_token`. */
  issueStable(forceRefresh: boolean): { access_token: string; expires_in: number } {
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    if (this.stableMinute.minute !== minute) this.stableMinute = { minute, count: 0 };
    if (this.stableMinute.count >= TOKEN_LIMITS.stablePerMinute)
      throw new WeChatRefusalError(45011, 'stable_token allows 10000 calls a minute');
    this.stableMinute.count++;

    if (forceRefresh) {
      if (this.lastForceAt !== undefined && now - this.lastForceAt < TOKEN_LIMITS.forceRefreshSpacingMs) {
        throw new WeChatRefusalError(45011, 'force_refresh calls must be 30 s apart');
      }
      const day = this.dayOf(now);
      if (this.forceDay.day !== day) this.forceDay = { day, count: 0 };
      if (this.forceDay.count >= TOKEN_LIMITS.forceRefreshPerDay)
        throw new WeChatRefusalError(45009, 'force_refresh allows 20 calls a day');
      this.forceDay.count++;
      this.lastForceAt = now;
      if (this.currentStable) {
        const previous = this.tokens.get(this.currentStable);
        if (previous) previous.revokedAt = now;
      }
      return this.newStable(now);
    }

    const current = this.currentStable ? this.tokens.get(this.currentStable) : undefined;
    if (current && this.currentStable && this.checkRecord(current, now) === 0 && now < current.expiresAt - this.stableMarginMs) {
      return { access_token: this.currentStable, expires_in: Math.floor((current.expiresAt - now) / 1000) };
    }
    return this.newStable(now);
  }

  private newStable(now: number): { access_token: string; expires_in: number } {
    const value = this.newValue();
    this.prune(now);
    this.tokens.set(value, { kind: 'stable', expiresAt: now + this.ttlSeconds * 1000 });
    this.currentStable = value;
    return { access_token: value, expires_in: this.ttlSeconds };
  }

  private checkRecord(record: TokenRecord, now: number): number {
    if (record.invalidated) return 40001;
    if (record.forcedExpired || now >= record.expiresAt) return 42001;
    if (record.revokedAt !== undefined && now >= record.revokedAt) return 40001;
    return 0;
  }

  /**
   * Checks the `access_token` of an API call.
   *
   * @throws {WeChatRefusalError} 41001 missing, 40001 unknown / replaced / invalidated, 42001 expired.
   */
  check(token: string | undefined): void {
    if (token === undefined || token === '') throw new WeChatRefusalError(41001);
    const record = this.tokens.get(token);
    if (!record) throw new WeChatRefusalError(40001);
    const code = this.checkRecord(record, this.now());
    if (code !== 0) throw new WeChatRefusalError(code);
  }

  /** Whether this authority issued the token (still valid or not): how the sandbox knows which account a call is for. */
  issued(token: string): boolean {
    return this.tokens.has(token);
  }

  /** Every token issued so far answers 40001. */
  invalidateAll(): void {
    for (const record of this.tokens.values()) record.invalidated = true;
    this.currentClassic = undefined;
    this.currentStable = undefined;
  }

  /** Every token issued so far answers 42001. */
  expireAll(): void {
    for (const record of this.tokens.values()) record.forcedExpired = true;
    this.currentClassic = undefined;
    this.currentStable = undefined;
  }
}
