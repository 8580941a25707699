/**
 * Lambda entry run on a schedule: keeps the cached access token fresh, so that senders rarely wait for a
 * fetch. The token cache refreshes only when the stored token is within 5 minutes of expiry, under its
 * lease, so running this more often costs one DynamoDB read and nothing at WeChat.
 *
 * It builds only the part of the handler context it uses (the token cache, logger, metrics): the full
 * context's WeChat client brings the catalogue of every operation, which this function never calls
 * (docs/bundles.md).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { NodeHttpTransport } from '../core/node-transport';
import { createDynamoClient } from '../store/embedded';
import { configFromEnv } from '../context/config';
import type { AppContext } from '../context/context';
import { withObservability } from '../http/middleware';
import { createLogger, createMetrics } from '../context/observability';
import { perContainer } from '../context/per-container';
import { lambdaSecrets } from '../context/secrets';
import { createTokenProvider } from '../context/tokens';

/** What the refresher uses of a handler context; a full {@link AppContext} will do. */
export type TokenRefresherContext = Pick<AppContext, 'tokens' | 'logger' | 'metrics'>;

/**
 * The refresher, for any context.
 *
 * @example
 * ```ts
 * await createTokenRefresher(() => createContext(options))();
 * ```
 */
export function createTokenRefresher(getContext: () => Promise<TokenRefresherContext>) {
  return withObservability(
    { name: 'tokenRefresher', context: getContext },
    async (_event: unknown, ctx): Promise<{ expiresAt: string }> => {
      const token = await ctx.tokens.getToken();
      ctx.metrics.addMetric('TokenChecks', MetricUnit.Count, 1);
      ctx.logger.info('access token is fresh', { expiresAt: new Date(token.expiresAt).toISOString() });
      return { expiresAt: new Date(token.expiresAt).toISOString() };
    },
  );
}

/**
 * The refresher's context in a deployed function, from its environment, as `lambdaContext` (context.ts) builds
 * the same pieces (the secret through Powertools parameters, the keep-alive transport).
 *
 * @example
 * ```ts
 * export const handler = createTokenRefresher(lambdaTokenRefresherContext());
 * ```
 */
export function lambdaTokenRefresherContext(): () => Promise<TokenRefresherContext> {
  return perContainer(async () => {
    const config = configFromEnv();
    const secrets = await lambdaSecrets(config)();
    const metrics = createMetrics();
    const tokens = createTokenProvider({
      config,
      secrets,
      dynamo: createDynamoClient({ endpoint: config.dynamodbEndpoint }),
      transport: new NodeHttpTransport(),
      metrics,
      now: Date.now,
    });
    return { tokens, logger: createLogger(), metrics };
  });
}

export const handler = createTokenRefresher(lambdaTokenRefresherContext());
