/**
 * Lambda entry: POST /interactions and GET /interactions/{openid}.
 *
 * It builds only the part of the handler context it uses (the window and handoff stores, logger,
 * metrics): the full context's WeChat client brings the catalogue of every operation, and this function
 * calls none (docs/bundles.md).
 */
import { createDynamoClient } from '../store/embedded';
import { configFromEnv } from '../context/config';
import { createInteractionsHandler, type InteractionsContext } from './interactions-handler';
import { createLogger, createMetrics } from '../context/observability';
import { perContainer } from '../context/per-container';
import { lambdaSecrets } from '../context/secrets';
import { createWindowStores } from '../context/window-stores';
import { AccountStore } from '../store/accounts';
import { AccountContexts, accountConfig as configForAccount } from '../context/accounts';

/**
 * The interactions function's context, from its environment, as `lambdaContext` (context.ts) builds the
 * same stores (the app id from the secret, or from WECHAT_APP_ID when deployed without it).
 *
 * @example
 * ```ts
 * export const handler = createInteractionsHandler(lambdaInteractionsContext());
 * ```
 */
export function lambdaInteractionsContext(): () => Promise<InteractionsContext> {
  return perContainer(async () => {
    const config = configFromEnv();
    const { appId } = await lambdaSecrets(config)();
    const dynamo = createDynamoClient({ endpoint: config.dynamodbEndpoint });
    const now = Date.now;
    const store = new AccountStore({ client: dynamo, tableName: config.tableName, now });
    const base = { now, logger: createLogger(), metrics: createMetrics() };
    // An added account's window records: its AppID and its own window settings; no secret is opened. Kept
    // per container as every function keeps an account's context (a change is seen within a minute).
    const added = new AccountContexts<InteractionsContext>(store, now, async (stored) => {
      const accountConfig = configForAccount(config, process.env, stored.settings);
      return { ...deployment, config: accountConfig, ...createWindowStores({ config: accountConfig, dynamo, appId: stored.appId, now }) };
    });
    const deployment: InteractionsContext = {
      ...base,
      config,
      ...createWindowStores({ config, dynamo, appId, now }),
      accounts: {
        contextOf: (accountId) => (accountId === undefined || accountId === appId ? Promise.resolve(deployment) : added.of(accountId)),
      },
    };
    return deployment;
  });
}

export const handler = createInteractionsHandler(lambdaInteractionsContext());
