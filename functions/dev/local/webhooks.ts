/**
 * Webhook delivery under `npm start`: the same fan-out and the same {@link WebhookDeliverer} as the
 * deployed functions, with a {@link LocalQueue} in the embedded table in place of SQS. Deliveries and their
 * retry state survive a restart; retries follow the deployed schedule (10 s, 1 min, 5 min, 30 min; five
 * tries), then the message moves to the queue's dead-letter partition and the subscription is reported
 * as failing. One poll at a time, at most {@link LocalDeliveryWorkerOptions.batch} messages each, so nothing
 * grows without bound in memory.
 *
 * @example
 * ```ts
 * const worker = new LocalDeliveryWorker({ queue, deliverer });
 * worker.start();
 * const publisher = new FanOutPublisher(memory, new WebhookFanOut({ subscriptions, enqueue: (m) => worker.enqueue(m) }));
 * await worker.stop();
 * ```
 */
import { randomUUID } from 'crypto';
import type { LocalQueue } from '../../store';
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs, RETRY_DELAYS_MS, type DeliveryMessage, type WebhookDeliverer } from '../../webhooks/deliverer';
import type { WebhookFanOut } from '../../webhooks/fan-out';
import type { EventPublisher, OutboundEvent } from '../../context/publisher';

export interface LocalDeliveryWorkerOptions {
  queue: LocalQueue;
  deliverer: WebhookDeliverer;
  maxAttempts?: number;
  retryDelaysMs?: readonly number[];
  /** How often the queue is looked at when idle. Default 500 ms. */
  pollMs?: number;
  /** Messages handled per poll (in parallel). Default 10, as an SQS batch. */
  batch?: number;
  /** Told about each outcome (the local server logs it). */
  onOutcome?: (message: DeliveryMessage, outcome: string) => void;
}

/** Runs the local delivery queue. */
export class LocalDeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly maxAttempts: number;

  constructor(private readonly options: LocalDeliveryWorkerOptions) {
    this.maxAttempts = options.maxAttempts ?? MAX_DELIVERY_ATTEMPTS;
  }

  /** Queues deliveries and looks at the queue at once. */
  async enqueue(messages: DeliveryMessage[]): Promise<void> {
    await this.options.queue.send(messages.map((m) => ({ id: `${m.subscriptionId}.${m.event.id}`, body: JSON.stringify(m) })));
    this.kick(0);
  }

  start(): void {
    this.stopped = false;
    this.kick(0);
  }

  /** Stops polling and waits for the poll in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private kick(delayMs: number) {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.poll()
        .catch((error) => console.error(`webhook delivery: ${(error as Error).message}`))
        .finally(() => {
          this.running = undefined;
          this.kick(this.options.pollMs ?? 500);
        });
    }, delayMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    const { queue, deliverer } = this.options;
    const received = await queue.receive(this.options.batch ?? 10);
    await Promise.all(
      received.map(async (m) => {
        let message: DeliveryMessage;
        try {
          message = JSON.parse(m.body) as DeliveryMessage;
        } catch {
          await queue.deadLetter(m, 'malformed message');
          return;
        }
        let outcome: string;
        try {
          const result = await deliverer.deliver(message, { attempt: m.receives, maxAttempts: this.maxAttempts });
          outcome = result.outcome === 'retry' ? `retry: ${result.error}` : result.outcome;
          if (result.outcome !== 'retry') await queue.delete(m);
          else if (m.receives >= this.maxAttempts) await queue.deadLetter(m, result.error);
          else await queue.retryLater(m, retryDelayMs(m.receives, this.options.retryDelaysMs ?? RETRY_DELAYS_MS));
        } catch (error) {
          // The store failed: the message comes back after its visibility timeout, as in SQS.
          outcome = `error: ${(error as Error).message}`;
        }
        this.options.onOutcome?.(message, outcome);
      }),
    );
  }
}

/**
 * The local server's publisher: publishes (to memory) and then fans each event out to the subscriptions.
 * A fan-out failure fails the publish, so the callback answers 500 and WeChat pushes again.
 *
 * @example
 * ```ts
 * const publisher = new FanOutPublisher(new MemoryPublisher(), fanOut);
 * ```
 */
export class FanOutPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly fanOut: WebhookFanOut,
    private readonly now: () => number = Date.now,
  ) {}

  async publish(events: OutboundEvent[]): Promise<void> {
    await this.inner.publish(events);
    for (const e of events) {
      await this.fanOut.fanOut({ id: randomUUID(), source: e.source, type: e.detailType, time: new Date(this.now()).toISOString(), detail: e.detail });
    }
  }
}
