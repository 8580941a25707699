/**
 * The access-token provider every function that calls WeChat shares: the DynamoDB token cache
 * (store/token-cache.ts), fetching from WeChat through the given transport and counting each fetch as the
 * `TokenFetches` metric. In a file of its own so that the token refresher builds it without the rest of
 * the handler context (docs/bundles.md).
 *
 * @example
 * ```ts
 * const tokens = createTokenProvider({ config, secrets, dynamo, transport: new NodeHttpTransport(), metrics: createMetrics(), now: Date.now });
 * const { token } = await tokens.getToken();
 * ```
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HttpTransport } from '../core/transport';
import { DynamoDbTokenProvider } from '../store/token-cache';
import type { AppConfig, WeChatSecrets } from './config';

export interface TokenProviderOptions {
  config: AppConfig;
  secrets: WeChatSecrets;
  dynamo: DynamoDBClient;
  /** How token fetches reach WeChat. */
  transport: HttpTransport;
  metrics: Metrics;
  now: () => number;
}

/** The token cache of the official account, fetching through `transport`; see the module comment. */
export function createTokenProvider({ config, secrets, dynamo, transport, metrics, now }: TokenProviderOptions): DynamoDbTokenProvider {
  // Token fetches go through their own door, so each one is counted.
  const tokenTransport: HttpTransport = {
    send: (request) => {
      metrics.addMetric('TokenFetches', MetricUnit.Count, 1);
      return transport.send(request);
    },
  };
  return new DynamoDbTokenProvider({
    client: dynamo,
    tableName: config.tableName,
    fetch: {
      transport: tokenTransport,
      baseUrl: config.apiBaseUrl,
      appId: secrets.appId,
      appSecret: secrets.appSecret,
      mode: config.tokenMode,
      now,
    },
    now,
  });
}
