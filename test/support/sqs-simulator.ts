/**
 * An SQS queue and its Lambda event source mapping, in memory, as they behave for the webhook delivery
 * function (docs/webhooks.md, "Isolation"): messages become visible after their delay; up to `concurrency`
 * pollers each take a batch of at most 10 visible messages (hiding them for the visibility timeout and
 * counting a receive), invoke the handler with the SQS event Lambda would build, delete the records not
 * reported as batch item failures, and leave the failures to the visibility the handler set
 * (ChangeMessageVisibility); after `maxReceiveCount` receives a message goes to the dead-letter list.
 *
 * @example
 * ```ts
 * const sqs = new SqsSimulator({ concurrency: 20, maxReceiveCount: 5, visibilityTimeoutSeconds: 180 });
 * const handler = createDeliveryHandler(() => runtime, sqs.changeVisibility, { requeue: sqs.requeue });
 * sqs.start(handler);
 * await sqs.send([message]);
 * await sqs.stop();
 * ```
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsRecord } from './aws-events';

interface Held {
  messageId: string;
  body: string;
  receives: number;
  visibleAt: number;
  receiptHandle?: string;
  sentAt: number;
}

export interface SqsSimulatorOptions {
  concurrency: number;
  batchSize?: number;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

export class SqsSimulator {
  private readonly messages = new Map<string, Held>();
  readonly deadLetters: Held[] = [];
  private running = false;
  private pollers: Promise<void>[] = [];
  private seq = 0;
  invocations = 0;

  constructor(private readonly options: SqsSimulatorOptions) {}

  /** SendMessage / SendMessageBatch. */
  readonly send = async (bodies: unknown[], delaySeconds = 0): Promise<void> => {
    const now = Date.now();
    for (const body of bodies) {
      const messageId = `m-${++this.seq}`;
      this.messages.set(messageId, {
        messageId,
        body: JSON.stringify(body),
        receives: 0,
        visibleAt: now + delaySeconds * 1000,
        sentAt: now,
      });
    }
  };

  /** The handler's requeue (SendMessage with DelaySeconds). */
  readonly requeue = async (message: unknown, seconds: number): Promise<void> => this.send([message], seconds);

  /** ChangeMessageVisibility by receipt handle. */
  readonly changeVisibility = async (receiptHandle: string, seconds: number): Promise<void> => {
    for (const m of this.messages.values()) if (m.receiptHandle === receiptHandle) m.visibleAt = Date.now() + seconds * 1000;
  };

  /** Messages still queued (visible or not). */
  get size(): number {
    return this.messages.size;
  }

  private take(): Held[] {
    const now = Date.now();
    const batch: Held[] = [];
    // SQS standard queues hand out visible messages roughly oldest first.
    for (const m of this.messages.values()) {
      if (batch.length >= (this.options.batchSize ?? 10)) break;
      if (m.visibleAt > now) continue;
      if (m.receives >= this.options.maxReceiveCount) {
        this.messages.delete(m.messageId);
        this.deadLetters.push(m);
        continue;
      }
      m.receives += 1;
      m.receiptHandle = `AQEB${m.messageId}-${m.receives}`;
      m.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      batch.push(m);
    }
    return batch;
  }

  /** Starts the pollers (Lambda's event source mapping) invoking `handler`. */
  start(handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>): void {
    this.running = true;
    this.pollers = Array.from({ length: this.options.concurrency }, async () => {
      while (this.running) {
        const batch = this.take();
        if (batch.length === 0) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const event: SQSEvent = {
          Records: batch.map((m) => {
            const record = sqsRecord(m.messageId, m.body);
            record.receiptHandle = m.receiptHandle!;
            record.attributes.ApproximateReceiveCount = String(m.receives);
            record.attributes.SentTimestamp = String(m.sentAt);
            record.eventSourceARN = 'arn:aws:sqs:us-east-1:123456789012:WebhookDeliveryQueue';
            return record;
          }),
        };
        this.invocations += 1;
        let failed = new Set<string>();
        try {
          const answer = await handler(event);
          failed = new Set((answer?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch {
          // The whole batch failed: every message comes back after its visibility timeout.
          failed = new Set(batch.map((m) => m.messageId));
        }
        for (const m of batch) if (!failed.has(m.messageId)) this.messages.delete(m.messageId);
      }
    });
  }

  /** Stops polling and waits for the invocations in progress. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.pollers);
  }
}
