/**
 * The send-window and handoff stores of the official account, as every handler context builds them from
 * its configuration: the full context (context.ts) and the interactions function, which builds only these
 * (interactions.ts). In a file of its own, importing the two stores' files rather than the store's index,
 * so that the interactions bundle stays small (docs/bundles.md).
 *
 * @example
 * ```ts
 * const { windows, handoffs } = createWindowStores({ config: configFromEnv(), dynamo, appId: 'wx123', now: Date.now });
 * await windows.state('OPENID');
 * ```
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HandoffStore } from '../store/handoff';
import { WindowStore } from '../store/windows';
import type { AppConfig } from './config';

export interface WindowStoresOptions {
  config: AppConfig;
  dynamo: DynamoDBClient;
  /** The official account the records are keyed by. */
  appId: string;
  now: () => number;
}

/** The window store (the configured rules and policy) and the handoff store; see the module comment. */
export function createWindowStores({ config, dynamo, appId, now }: WindowStoresOptions): { windows: WindowStore; handoffs: HandoffStore } {
  return {
    windows: new WindowStore({
      client: dynamo,
      tableName: config.tableName,
      appId,
      profile: config.windowRules,
      policy: config.windowPolicy,
      now,
    }),
    handoffs: new HandoffStore({ client: dynamo, tableName: config.tableName, appId, now }),
  };
}
