/**
 * The pieces of webhook delivery, built once per container (deployed) or once per local server: the
 * subscription store, the delivery ledger, the secret sealer and the address policy.
 *
 * Deployed configuration (set by the CDK construct):
 *
 * | variable | meaning |
 * | --- | --- |
 * | `TABLE_NAME` | the product's table |
 * | `WEBHOOK_KEY_ID` | the KMS key that seals subscription secrets |
 * | `WEBHOOK_DELIVERY_QUEUE_URL` | the delivery queue (the fan-out function sends to it) |
 * | `WEBHOOK_ADDRESS_POLICY` | `public` (default when deployed): only public addresses are delivered to |
 * | `WEBHOOK_MAX_IN_FLIGHT` | tries of one subscription in flight at once while it is healthy (default 5; one once a try failed) |
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigurationError } from '../core/errors';
import type { AddressPolicy } from '../core/net';
// The store's files, not its index: the index also brings Powertools idempotency (and its JMESPath
// engine), which webhook delivery never uses (docs/bundles.md).
import { createDynamoClient } from '../store/embedded';
import { SubscriptionStore } from '../store/subscriptions';
import { DeliveryLedger } from '../store/webhook-ledger';
import { DeliverySlots } from '../store/webhook-slots';
import { DeadLetterStore } from '../store/webhook-dead-letters';
import { createLogger, createMetrics } from '../context/observability';
import { DEFAULT_MAX_IN_FLIGHT, WebhookDeliverer, type DeliveryMessage } from './deliverer';
import { KmsSecretSealer, type SecretSealer } from './sealer';

export interface WebhookRuntime {
  subscriptions: SubscriptionStore;
  ledger: DeliveryLedger;
  deadLetters: DeadLetterStore;
  sealer: SecretSealer;
  deliverer: WebhookDeliverer;
  /**
   * Puts deliveries on the delivery queue (a redrive, a test event): SQS deployed (where the function may
   * send to the queue), the local queue under `npm start`; absent where neither is reachable.
   */
  enqueue?: (messages: DeliveryMessage[]) => Promise<void>;
  addressPolicy: AddressPolicy;
  /** `http:` to loopback accepted (running locally only). */
  allowLoopbackHttp: boolean;
  logger: Logger;
  metrics: Metrics;
}

export interface WebhookRuntimeOptions {
  dynamo: DynamoDBClient;
  tableName: string;
  sealer: SecretSealer;
  addressPolicy: AddressPolicy;
  allowLoopbackHttp?: boolean;
  timeoutMs?: number;
  /** Tries of one subscription in flight at once (WEBHOOK_MAX_IN_FLIGHT). */
  maxInFlight?: number;
  enqueue?: (messages: DeliveryMessage[]) => Promise<void>;
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * Builds the runtime from its pieces.
 *
 * @example
 * ```ts
 * const runtime = createWebhookRuntime({ dynamo, tableName, sealer: new LocalKeySealer(), addressPolicy: 'any', allowLoopbackHttp: true });
 * ```
 */
export function createWebhookRuntime(options: WebhookRuntimeOptions): WebhookRuntime {
  const subscriptions = new SubscriptionStore({ client: options.dynamo, tableName: options.tableName, now: options.now });
  const ledger = new DeliveryLedger({ client: options.dynamo, tableName: options.tableName, now: options.now });
  const timeoutMs = options.timeoutMs;
  // A slot's lease outlasts one try (its timeout and the bookkeeping around it).
  const slots = new DeliverySlots({
    client: options.dynamo,
    tableName: options.tableName,
    now: options.now,
    leaseMs: (timeoutMs ?? 10_000) + 20_000,
  });
  const deadLetters = new DeadLetterStore({ client: options.dynamo, tableName: options.tableName, now: options.now });
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  return {
    subscriptions,
    ledger,
    deadLetters,
    enqueue: options.enqueue,
    sealer: options.sealer,
    deliverer: new WebhookDeliverer({
      subscriptions,
      ledger,
      slots,
      deadLetters,
      sealer: options.sealer,
      addressPolicy: options.addressPolicy,
      timeoutMs,
      maxInFlight,
      now: options.now,
    }),
    addressPolicy: options.addressPolicy,
    allowLoopbackHttp: options.allowLoopbackHttp ?? false,
    logger: options.logger ?? createLogger(),
    metrics: options.metrics ?? createMetrics(),
  };
}

/** Tries of one subscription in flight at once, from `WEBHOOK_MAX_IN_FLIGHT` (1–20, default {@link DEFAULT_MAX_IN_FLIGHT}). */
export function maxInFlightFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WEBHOOK_MAX_IN_FLIGHT;
  if (raw === undefined || raw === '') return DEFAULT_MAX_IN_FLIGHT;
  if (!/^\d{1,2}$/.test(raw) || Number(raw) < 1 || Number(raw) > 20) {
    throw new ConfigurationError(`WEBHOOK_MAX_IN_FLIGHT must be a whole number from 1 to 20, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** The address policy from `WEBHOOK_ADDRESS_POLICY` (default `public`). */
export function addressPolicyFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: AddressPolicy = 'public'): AddressPolicy {
  const raw = env.WEBHOOK_ADDRESS_POLICY;
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'public' && raw !== 'any')
    throw new ConfigurationError(`WEBHOOK_ADDRESS_POLICY must be public or any, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * The webhook runtime of a deployed catalogue function serving a subscription operation: sealing with KMS
 * where the function has the key (create, rotate), sending to the delivery queue where it may (redrive,
 * test). The caller decides which functions need it (context.ts, isSubscriptionOperation).
 *
 * @example
 * ```ts
 * const webhooks = await lambdaSubscriptionRuntime(dynamo, config.tableName);
 * ```
 */
export async function lambdaSubscriptionRuntime(dynamo: DynamoDBClient, tableName: string): Promise<WebhookRuntime> {
  const keyId = process.env.WEBHOOK_KEY_ID;
  const [{ KmsSecretSealer, NoKeySealer }, { sqsEnqueue }] = await Promise.all([import('./sealer'), import('./sqs-queue')]);
  const queueUrl = process.env.WEBHOOK_DELIVERY_QUEUE_URL;
  return createWebhookRuntime({
    dynamo,
    tableName,
    sealer: keyId ? new KmsSecretSealer(keyId) : new NoKeySealer(),
    addressPolicy: addressPolicyFromEnv(),
    enqueue: queueUrl ? sqsEnqueue(queueUrl) : undefined,
  });
}

/** The runtime of a deployed function, from its environment (built once per container). */
export function lambdaWebhookRuntime(): () => WebhookRuntime {
  let runtime: WebhookRuntime | undefined;
  return () => {
    if (runtime) return runtime;
    const keyId = process.env.WEBHOOK_KEY_ID;
    if (!keyId) throw new ConfigurationError('WEBHOOK_KEY_ID is not set: the KMS key that seals subscription secrets');
    runtime = createWebhookRuntime({
      dynamo: createDynamoClient(),
      tableName: process.env.TABLE_NAME || 'wechat-kf',
      sealer: new KmsSecretSealer(keyId),
      addressPolicy: addressPolicyFromEnv(),
      maxInFlight: maxInFlightFromEnv(),
    });
    return runtime;
  };
}
