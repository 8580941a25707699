/**
 * Everything a handler needs, built once per container (or once per local server) and shared by every
 * invocation: configuration, the official account's secrets, the DynamoDB-backed token cache, the WeChat
 * client, the window store, idempotency, inbound dedup, the event publisher, logger and metrics.
 *
 * Lambda entries call {@link lambdaContext}; the local server and tests call {@link createContext} with
 * their own pieces (embedded DynamoDB, the sandbox, an in-memory publisher).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { WeChatClient } from '../core/client';
import { NodeHttpTransport } from '../core/node-transport';
import type { HttpTransport } from '../core/transport';
import {
  createDynamoClient,
  createIdempotentRunner,
  DeliveryStore,
  type DynamoDbTokenProvider,
  PartProgressStore,
  type HandoffStore,
  InboundDedup,
  MediaCache,
  PassiveReplyStore,
  type ConversationStore,
  type WindowStore,
  type IdempotentRunner,
} from '../store';
import { configFromEnv, type AppConfig, type WeChatSecrets } from './config';
import { createLogger, createMetrics } from './observability';
import { perContainer } from './per-container';
import { lambdaSecrets } from './secrets';
import { createTokenProvider } from './tokens';
import { createWindowStores } from './window-stores';
import { EventBridgePublisher, MemoryPublisher, type EventPublisher } from './publisher';
import type { WebhookRuntime } from '../webhooks/runtime';
import { createTurns } from './turns/create';
import type { TurnService, TurnTimer } from './turns/service';
import { AccountStore } from '../store/accounts';
import type { SecretSealer } from '../webhooks/sealer';
import { AccountDirectory, accountSealerFromEnv } from './accounts';

export { createLogger, createMetrics } from './observability';
export { localSecretsFromEnv } from './secrets';

export interface AppContext {
  config: AppConfig;
  secrets: WeChatSecrets;
  client: WeChatClient;
  tokens: DynamoDbTokenProvider;
  windows: WindowStore;
  idempotency: IdempotentRunner;
  /** Delivery records of every send attempt (GET /deliveries). */
  deliveries: DeliveryStore;
  /** How far split sends got, per idempotency key. */
  parts: PartProgressStore;
  dedup: InboundDedup;
  /** Handoff marks and human sessions (docs/handoff.md). */
  handoffs: HandoffStore;
  /** Uploaded media by content, reused for their 3 days (docs/media.md). */
  mediaCache: MediaCache;
  /** Pushes waiting for a passive reply, their replies, kept answers (docs/passive-replies.md). */
  passiveReplies: PassiveReplyStore;
  publisher: EventPublisher;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  /** Webhook subscriptions (docs/webhooks.md): where the function has the webhook key (WEBHOOK_KEY_ID), and locally. */
  webhooks?: WebhookRuntime;
  /** Turns (TURN_QUIET_MS; docs/turns.md): the buffer and its closer. */
  turns?: TurnService;
  /** Each user's conversation (CONVERSATION_RECORD=true; docs/conversations.md). */
  conversations?: ConversationStore;
  /** The deployment's official accounts and the context of each (docs/accounts.md); shared by them all. */
  accounts: AccountDirectory<AppContext>;
  /**
   * What this context's idempotency and split-send progress keys are scoped by: an added account's AppID,
   * so that two accounts' callers using the same key never share a result; absent for the default account
   * (today's keys, docs/accounts.md).
   */
  keyScope?: string;
}

export interface ContextOptions {
  config: AppConfig;
  /** Loads the secrets; called once (Lambda: Powertools parameters, cached; locally: env vars). */
  secrets: () => Promise<WeChatSecrets>;
  dynamo?: DynamoDBClient;
  transport?: HttpTransport;
  publisher?: EventPublisher;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
  webhooks?: WebhookRuntime;
  /** Where turn timers go (TURN_QUIET_MS): the local queue; deployed, the turn queue (TURN_QUEUE_URL) by default. */
  turnTimer?: TurnTimer;
  /**
   * Seals and opens the secrets of added accounts (docs/accounts.md): locally a key in DATA_DIR; deployed the
   * account key (ACCOUNT_KEY_ID) by default, or none (only the default account acts).
   */
  accountSealer?: SecretSealer;
  /** The environment `config` was read from: an account's settings are laid over it. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** What an added account's context is built with besides the options of the default one. */
interface AccountOf {
  directory: AccountDirectory<AppContext>;
  keyScope: string;
}

/**
 * Builds a context from its pieces.
 *
 * @example
 * ```ts
 * const ctx = await createContext({ config: configFromEnv(), secrets: async () => ({ appId, appSecret }) });
 * ```
 */
export async function createContext(options: ContextOptions, accountOf?: AccountOf): Promise<AppContext> {
  const { config } = options;
  const secrets = await options.secrets();
  const now = options.now ?? Date.now;
  const dynamo = options.dynamo ?? createDynamoClient({ endpoint: config.dynamodbEndpoint });
  // Keep-alive connections to WeChat: a send reuses the open TLS connection of the one before (bench/README.md).
  const transport = options.transport ?? new NodeHttpTransport();
  const metrics = options.metrics ?? createMetrics();
  const logger = options.logger ?? createLogger();
  const publisher = options.publisher ?? new MemoryPublisher();
  const tokens = createTokenProvider({ config, secrets, dynamo, transport, metrics, now });
  const operationOptions = { profile: config.windowRules, textMaxBytes: config.textMaxBytes, aiLabelDefault: config.aiLabelDefault };
  const client = new WeChatClient({ transport, tokens, baseUrl: config.apiBaseUrl, options: operationOptions });
  const windowStores = createWindowStores({ config, dynamo, appId: secrets.appId, now });
  const features = createTurns({
    ...{ config, dynamo, appId: secrets.appId, now, publisher, logger, metrics, client },
    windows: windowStores.windows,
    timer: options.turnTimer,
  });
  const context: AppContext = {
    config,
    secrets,
    client,
    tokens,
    ...windowStores,
    idempotency: createIdempotentRunner({ client: dynamo, tableName: config.tableName }),
    deliveries: new DeliveryStore({
      client: dynamo,
      tableName: config.tableName,
      appId: secrets.appId,
      keepContent: config.deliveryRecordContent,
      now,
    }),
    parts: new PartProgressStore({ client: dynamo, tableName: config.tableName, now }),
    dedup: new InboundDedup({ client: dynamo, tableName: config.tableName, appId: secrets.appId, now }),
    mediaCache: new MediaCache({ client: dynamo, tableName: config.tableName, appId: secrets.appId, now }),
    passiveReplies: new PassiveReplyStore({ client: dynamo, tableName: config.tableName, appId: secrets.appId, now }),
    publisher,
    logger,
    metrics,
    now,
    webhooks: options.webhooks,
    ...features,
    // Replaced below for the default account; an added account shares the default one's directory.
    accounts: accountOf?.directory as AccountDirectory<AppContext>,
    ...(accountOf ? { keyScope: accountOf.keyScope } : {}),
  };
  if (!accountOf) {
    // An added account's context shares this container's clients: one keep-alive pool, one DynamoDB client.
    const shared = { ...options, dynamo, transport, metrics, logger, publisher, now };
    const directory: AccountDirectory<AppContext> = new AccountDirectory<AppContext>({
      store: new AccountStore({ client: dynamo, tableName: config.tableName, now }),
      sealer: options.accountSealer ?? accountSealerFromEnv(),
      defaultContext: context,
      env: options.env ?? process.env,
      now,
      build: (accountSecrets, accountConfig, keyScope) =>
        createContext({ ...shared, config: accountConfig, secrets: async () => accountSecrets }, { directory, keyScope }),
    });
    context.accounts = directory;
  }
  return context;
}

/**
 * The context of a deployed function, from its environment: the secret comes from Secrets Manager
 * through Powertools parameters (cached for 5 minutes), events go to EventBridge. `webhooks` gives the
 * webhook runtime of the functions that need it (the operation entry: subscription operations and the
 * webhook key); the other entries leave it out, and so does their bundle (docs/bundles.md).
 *
 * @example
 * ```ts
 * export const handler = createCallbackHandler(lambdaContext());
 * ```
 */
export function lambdaContext(
  webhooks?: (dynamo: DynamoDBClient, tableName: string) => Promise<WebhookRuntime | undefined>,
): () => Promise<AppContext> {
  return perContainer(async () => {
    const config = configFromEnv();
    const dynamo = createDynamoClient({ endpoint: config.dynamodbEndpoint });
    return createContext({
      config,
      dynamo,
      webhooks: await webhooks?.(dynamo, config.tableName),
      secrets: lambdaSecrets(config),
      publisher: config.eventBusName ? new EventBridgePublisher(config.eventBusName) : undefined,
    });
  });
}
