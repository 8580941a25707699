/**
 * The product's one backoff (functions/core/retry.ts), used by the WeChat client, the token fetch and the
 * store's waits.
 */
import { backoffDelay } from '../../functions/core/retry';

describe('backoffDelay', () => {
  it.each([
    // retry, policy, random, wait
    [1, {}, 0.5, 100],
    [2, {}, 0.5, 200],
    [5, {}, 0.999, 1998],
    [1, { baseDelayMs: 50, maxDelayMs: 1000, jitter: 'equal' as const }, 0, 25],
    [1, { baseDelayMs: 50, maxDelayMs: 1000, jitter: 'equal' as const }, 0.999, 49],
    [10, { baseDelayMs: 50, maxDelayMs: 1000, jitter: 'equal' as const }, 0, 500],
    [3, { baseDelayMs: 25, maxDelayMs: 500, jitter: 'none' as const }, 0.3, 100],
    [9, { baseDelayMs: 25, maxDelayMs: 500, jitter: 'none' as const }, 0.3, 500],
  ])('retry %i with %j and jitter %d waits %i ms', (retry, policy, random, wait) => {
    // act + assess
    expect(backoffDelay(retry, policy, () => random)).toBe(wait);
  });

  it('full jitter stays below the ceiling and reaches down to 0', () => {
    // prepare
    const waits = [0, 0.25, 0.999999].map((r) => backoffDelay(2, { baseDelayMs: 200 }, () => r));
    // assess
    expect(waits).toEqual([0, 100, 399]);
  });
});
