/**
 * The one backoff of the product: how long to wait before trying something again. The WeChat client
 * (every surface: Lambda, local server, n8n's direct mode), the token fetch, and the store's waits for
 * another caller (token lease, idempotency record, unprocessed batch items) all use
 * {@link backoffDelay}, each with its own {@link RetryPolicy}.
 */

/** Retry settings. */
export interface RetryPolicy {
  /** Tries in all, the first included. Default 3. */
  attempts?: number;
  /** First backoff ceiling in ms. Default 200. */
  baseDelayMs?: number;
  /** Largest backoff ceiling in ms. Default 2000. */
  maxDelayMs?: number;
  /**
   * How the wait is drawn below its ceiling: `full` (default) a random wait from 0, which spreads callers
   * that failed together best; `equal` at least half the ceiling (a waiter that must not spin); `none`
   * the ceiling itself.
   */
  jitter?: 'full' | 'equal' | 'none';
}

/** The client's defaults: 3 tries, waits up to 200 ms, then 400 ms (at most 2 s). */
export const DEFAULT_RETRY_POLICY = {
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  jitter: 'full',
} as const satisfies Required<RetryPolicy>;

/**
 * The wait before retry number `retry` (1 for the first retry): exponential, min(max, base × 2^(retry-1)),
 * with the policy's jitter.
 *
 * @param random the jitter source, in [0, 1).
 * @example
 * ```ts
 * backoffDelay(1, { baseDelayMs: 200 }, () => 0.5); // 100 (full jitter: half of 200)
 * backoffDelay(3, { baseDelayMs: 25, maxDelayMs: 500, jitter: 'none' }); // 100
 * ```
 */
export function backoffDelay(retry: number, policy: RetryPolicy = {}, random: () => number = Math.random): number {
  const base = policy.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs;
  const max = policy.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  switch (policy.jitter ?? 'full') {
    case 'none':
      return ceiling;
    case 'equal':
      return Math.floor(ceiling / 2 + random() * (ceiling / 2));
    default:
      return Math.floor(random() * ceiling);
  }
}
