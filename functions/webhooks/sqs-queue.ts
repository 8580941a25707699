/**
 * The delivery queue deployed (SQS, `WEBHOOK_DELIVERY_QUEUE_URL`): what the fan-out, a deferred delivery,
 * a redrive and a test event send deliveries with. The SDK is loaded on first use.
 *
 * @example
 * ```ts
 * const enqueue = sqsEnqueue(process.env.WEBHOOK_DELIVERY_QUEUE_URL);
 * await enqueue([{ subscriptionId: 'sub_1', event, queuedAt: Date.now() }]);
 * ```
 */
import { ConfigurationError } from '../core/errors';
import type { DeliveryMessage } from './deliverer';

type SqsClient = import('@aws-sdk/client-sqs').SQSClient;
type SqsSdk = typeof import('@aws-sdk/client-sqs');

function sqs(): { sdk: SqsSdk; client: () => SqsClient } {
  // `require`, not `import()`: where the function uses the runtime's AWS SDK it is found on NODE_PATH, which
  // only `require` reads; where the bundle carries it, this initialises it (docs/bundles.md).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-sqs') as SqsSdk;
  let client: SqsClient | undefined;
  return { sdk, client: () => (client ??= new sdk.SQSClient({})) };
}

function queueUrlOrThrow(queueUrl: string | undefined): string {
  if (!queueUrl) throw new ConfigurationError('WEBHOOK_DELIVERY_QUEUE_URL is not set: the webhook delivery queue');
  return queueUrl;
}

/** Sends deliveries to SQS in batches of 10, each visible after `delaySeconds`; any entry refused is an error. */
export function sqsEnqueue(queueUrl: string | undefined): (messages: DeliveryMessage[], delaySeconds?: number) => Promise<void> {
  let loaded: ReturnType<typeof sqs> | undefined;
  return async (messages, delaySeconds) => {
    const url = queueUrlOrThrow(queueUrl);
    loaded ??= sqs();
    const { sdk, client } = loaded;
    for (let i = 0; i < messages.length; i += 10) {
      const batch = messages.slice(i, i + 10);
      const out = await client().send(
        new sdk.SendMessageBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m), DelaySeconds: delaySeconds })),
        }),
      );
      if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} delivery message(s): ${out.Failed[0]!.Code ?? ''}`);
    }
  };
}
