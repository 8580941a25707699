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
import { AccountDirectory, accountSealerFromEnv } from '../context/accounts';
import type { AppConfig, WeChatSecrets } from '../context/config';
import { AccountStore } from '../store/accounts';

/** What the refresher uses of a handler context; a full {@link AppContext} will do. */
export type TokenRefresherContext = Pick<AppContext, 'tokens' | 'logger' | 'metrics'> & {
  /** Every account of the deployment (docs/accounts.md): each one's token is kept fresh. */
  accounts: { appIds(): Promise<string[]>; contextOf(appId: string): Promise<Pick<AppContext, 'tokens'>> };
};

/** How many accounts' tokens are checked at once: a hundred accounts within the function's 30 s. */
const REFRESH_CONCURRENCY = 8;

/** One account's outcome: when its token expires, or why it could not be refreshed (never a secret). */
export type AccountRefresh = { appId: string; expiresAt: string } | { appId: string; error: string };

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
    async (_event: unknown, ctx): Promise<{ expiresAt: string; accounts: AccountRefresh[] }> => {
      // The default account first, as before: its failure fails the run (and its alarm), as it always did.
      const token = await ctx.tokens.getToken();
      ctx.metrics.addMetric('TokenChecks', MetricUnit.Count, 1);
      ctx.logger.info('access token is fresh', { expiresAt: new Date(token.expiresAt).toISOString() });
      // Then each added account, a few at a time; one account's failure is logged and counted, and never
      // keeps the others' tokens from being refreshed.
      const [defaultAppId, ...others] = await ctx.accounts.appIds();
      const accounts: AccountRefresh[] = [{ appId: defaultAppId!, expiresAt: new Date(token.expiresAt).toISOString() }];
      for (let i = 0; i < others.length; i += REFRESH_CONCURRENCY) {
        const batch = others.slice(i, i + REFRESH_CONCURRENCY);
        accounts.push(...(await Promise.all(batch.map((appId) => refreshAccount(ctx, appId)))));
      }
      return { expiresAt: new Date(token.expiresAt).toISOString(), accounts };
    },
  );
}

async function refreshAccount(ctx: TokenRefresherContext, appId: string): Promise<AccountRefresh> {
  try {
    const { expiresAt } = await (await ctx.accounts.contextOf(appId)).tokens.getToken();
    ctx.metrics.addMetric('TokenChecks', MetricUnit.Count, 1);
    return { appId, expiresAt: new Date(expiresAt).toISOString() };
  } catch (error) {
    ctx.metrics.addMetric('TokenRefreshFailures', MetricUnit.Count, 1);
    ctx.logger.error("an account's access token could not be refreshed", { appId, error: (error as Error).message });
    return { appId, error: (error as Error).message };
  }
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
    const dynamo = createDynamoClient({ endpoint: config.dynamodbEndpoint });
    const transport = new NodeHttpTransport();
    const now = Date.now;
    const tokensOf = (accountSecrets: WeChatSecrets, accountConfig: AppConfig) =>
      createTokenProvider({ config: accountConfig, secrets: accountSecrets, dynamo, transport, metrics, now });
    const base = { config, secrets, tokens: tokensOf(secrets, config), logger: createLogger(), metrics };
    // The accounts added with POST /accounts: their secrets opened with the account key (docs/accounts.md).
    const accounts = new AccountDirectory<Pick<AppContext, 'tokens'>>({
      store: new AccountStore({ client: dynamo, tableName: config.tableName, now }),
      sealer: accountSealerFromEnv(),
      defaultContext: base,
      env: process.env,
      now,
      build: async (accountSecrets, accountConfig) => ({ tokens: tokensOf(accountSecrets, accountConfig) }),
    });
    return { ...base, accounts };
  });
}

export const handler = createTokenRefresher(lambdaTokenRefresherContext());
