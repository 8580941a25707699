/**
 * Lambda entry run on a schedule: keeps the cached access token fresh, so that senders rarely wait for a
 * fetch. The token cache refreshes only when the stored token is within 5 minutes of expiry, under its
 * lease, so running this more often costs one DynamoDB read and nothing at WeChat.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { lambdaContext, type AppContext } from './context';
import { withObservability } from './middleware';

/**
 * The refresher, for any context.
 *
 * @example
 * ```ts
 * await createTokenRefresher(() => createContext(options))();
 * ```
 */
export function createTokenRefresher(getContext: () => Promise<AppContext>) {
  return withObservability({ name: 'tokenRefresher', context: getContext }, async (_event: unknown, ctx): Promise<{ expiresAt: string }> => {
    const token = await ctx.tokens.getToken();
    ctx.metrics.addMetric('TokenChecks', MetricUnit.Count, 1);
    ctx.logger.info('access token is fresh', { expiresAt: new Date(token.expiresAt).toISOString() });
    return { expiresAt: new Date(token.expiresAt).toISOString() };
  });
}

export const handler = createTokenRefresher(lambdaContext());
