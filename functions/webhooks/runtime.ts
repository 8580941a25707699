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
import { createLogger, createMetrics } from '../context/observability';
import { WebhookDeliverer } from './deliverer';
import { KmsSecretSealer, type SecretSealer } from './sealer';

export interface WebhookRuntime {
  subscriptions: SubscriptionStore;
  ledger: DeliveryLedger;
  sealer: SecretSealer;
  deliverer: WebhookDeliverer;
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
  return {
    subscriptions,
    ledger,
    sealer: options.sealer,
    deliverer: new WebhookDeliverer({ subscriptions, ledger, sealer: options.sealer, addressPolicy: options.addressPolicy, timeoutMs: options.timeoutMs, now: options.now }),
    addressPolicy: options.addressPolicy,
    allowLoopbackHttp: options.allowLoopbackHttp ?? false,
    logger: options.logger ?? createLogger(),
    metrics: options.metrics ?? createMetrics(),
  };
}

/** The address policy from `WEBHOOK_ADDRESS_POLICY` (default `public`). */
export function addressPolicyFromEnv(env: NodeJS.ProcessEnv = process.env, fallback: AddressPolicy = 'public'): AddressPolicy {
  const raw = env.WEBHOOK_ADDRESS_POLICY;
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'public' && raw !== 'any') throw new ConfigurationError(`WEBHOOK_ADDRESS_POLICY must be public or any, got ${JSON.stringify(raw)}`);
  return raw;
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
    });
    return runtime;
  };
}
