/**
 * Webhook delivery under `npm start`: the same fan-out and the same {@link WebhookDeliverer} as the
 * deployed functions, with a {@link LocalQueue} in the embedded table in place of SQS. Deliveries and their
 * retry state survive a restart; retries follow the deployed schedule (10 s, 1 min, 5 min, 30 min; five
 * tries), then the event is kept as a dead letter and the subscription is reported as failing.
 *
 * Isolation (docs/webhooks.md): each subscription's deliveries are a group of the queue, read due-first;
 * at most `perSubscription` tries of one subscription are in flight and at most `maxInFlight` in all, and
 * no try waits for another: a poll starts what it received and returns, and each try's end looks at the
 * queue again. A slow or failing receiver therefore delays only its own deliveries. What is held in memory
 * is bounded by `maxInFlight` (the tries in flight) and the groups (one per subscription, at most 100).
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
import type { LocalQueue, ReceivedMessage } from '../../store';
import {
  DEFAULT_MAX_IN_FLIGHT,
  MAX_DELIVERY_ATTEMPTS,
  PROBE_DEFER_MS,
  retryDelayMs,
  RETRY_DELAYS_MS,
  type DeliveryMessage,
  type WebhookDeliverer,
} from '../../webhooks/deliverer';
import type { WebhookFanOut } from '../../webhooks/fan-out';
import type { EventPublisher, OutboundEvent } from '../../context/publisher';

export interface LocalDeliveryWorkerOptions {
  queue: LocalQueue;
  deliverer: WebhookDeliverer;
  maxAttempts?: number;
  retryDelaysMs?: readonly number[];
  /** How often the queue is looked at when nothing else wakes the worker. Default 500 ms. */
  pollMs?: number;
  /** Tries in flight at once, all subscriptions together. Default 32. */
  maxInFlight?: number;
  /** Tries of one subscription in flight at once (WEBHOOK_MAX_IN_FLIGHT). Default 2, as deployed. */
  perSubscription?: number;
  /** Told about each outcome (the local server logs it). */
  onOutcome?: (message: DeliveryMessage, outcome: string) => void;
}

/** The group of a queued delivery: its subscription. */
export const deliveryGroupOf = (body: string): string => {
  try {
    const id = (JSON.parse(body) as Partial<DeliveryMessage>).subscriptionId;
    return typeof id === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(id) ? id : 'malformed';
  } catch {
    return 'malformed';
  }
};

/** Runs the local delivery queue. */
export class LocalDeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private everyGroup = false;
  /** Groups not to receive from until then (ms): a failing subscription's, whose deliveries would only be deferred. */
  private readonly pausedUntil = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private stopped = true;
  private readonly maxAttempts: number;
  private readonly inFlight = new Map<string, number>();
  private readonly tries = new Set<Promise<void>>();
  private polls = 0;

  constructor(private readonly options: LocalDeliveryWorkerOptions) {
    this.maxAttempts = options.maxAttempts ?? MAX_DELIVERY_ATTEMPTS;
  }

  /** Queues deliveries and looks at the queue at once. */
  async enqueue(messages: DeliveryMessage[]): Promise<void> {
    await this.options.queue.send(
      messages.map((m) => ({ id: `${m.event.id}.${randomUUID().slice(0, 8)}`, group: m.subscriptionId, body: JSON.stringify(m) })),
    );
    for (const m of messages) this.wake(m.subscriptionId);
  }

  /** Starts polling; deliveries queued by an earlier version are moved into their groups first. */
  start(): void {
    this.stopped = false;
    this.polling = this.options.queue
      .adoptUngrouped(deliveryGroupOf)
      .then(() => undefined)
      .catch((error) => console.error(`webhook delivery: ${(error as Error).message}`))
      .finally(() => {
        this.polling = undefined;
        this.wake();
      });
  }

  /** Stops polling and waits for the poll and the tries in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
    await Promise.all([...this.tries]);
  }

  private get total(): number {
    let sum = 0;
    for (const n of this.inFlight.values()) sum += n;
    return sum;
  }

  /**
   * Polls now (or right after the poll in progress): the groups named (a queued delivery's, a finished
   * try's), or every group when none is named (the timer's poll, which also finds retries come due).
   */
  private wake(group?: string): void {
    if (this.stopped) return;
    if (group === undefined) this.everyGroup = true;
    else this.dirty.add(group);
    if (this.polling) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const only = this.everyGroup ? undefined : [...this.dirty];
    this.everyGroup = false;
    this.dirty.clear();
    this.polling = this.poll(only)
      .catch((error) => console.error(`webhook delivery: ${(error as Error).message}`))
      .finally(() => {
        this.polling = undefined;
        if (this.stopped) return;
        if (this.everyGroup) return this.wake();
        if (this.dirty.size) return this.wake([...this.dirty][0]);
        this.timer = setTimeout(() => this.wake(), this.options.pollMs ?? 500);
        this.timer.unref?.();
      });
  }

  private async poll(only?: string[]): Promise<void> {
    const { queue } = this.options;
    const maxInFlight = this.options.maxInFlight ?? 32;
    const perSubscription = this.options.perSubscription ?? DEFAULT_MAX_IN_FLIGHT;
    const groups = only ?? (await queue.groups());
    this.polls += 1;
    // Start at a different group each poll, so no group is always served last when the total cap binds.
    const offset = groups.length ? this.polls % groups.length : 0;
    for (let i = 0; i < groups.length; i++) {
      const group = groups[(i + offset) % groups.length]!;
      if ((this.pausedUntil.get(group) ?? 0) > Date.now()) continue;
      this.pausedUntil.delete(group);
      const free = Math.min(perSubscription - (this.inFlight.get(group) ?? 0), maxInFlight - this.total);
      if (free <= 0) continue;
      const received = await queue.receive(free, group);
      // Now and then, a group with nothing at all left (a deleted subscription's) is forgotten.
      if (!only && received.length === 0 && !this.inFlight.get(group) && this.polls % 20 === 0) await queue.forgetIfEmpty(group);
      for (const m of received) this.start1(group, m);
    }
  }

  /** One try, not awaited by the poll: its end frees its place and wakes the worker. */
  private start1(group: string, m: ReceivedMessage): void {
    this.inFlight.set(group, (this.inFlight.get(group) ?? 0) + 1);
    const run = this.try1(group, m).finally(() => {
      const left = (this.inFlight.get(group) ?? 1) - 1;
      if (left > 0) this.inFlight.set(group, left);
      else this.inFlight.delete(group);
      this.tries.delete(run);
      this.wake(group);
    });
    this.tries.add(run);
  }

  private async try1(group: string, m: ReceivedMessage): Promise<void> {
    const { queue, deliverer } = this.options;
    let message: DeliveryMessage;
    try {
      message = JSON.parse(m.body) as DeliveryMessage;
      if (typeof message?.subscriptionId !== 'string' || typeof message?.event?.id !== 'string') throw new Error('not a delivery');
    } catch {
      await queue.deadLetter(m, 'malformed message').catch(() => undefined);
      return;
    }
    let outcome: string;
    try {
      const result = await deliverer.deliver(message, { attempt: m.receives, maxAttempts: this.maxAttempts });
      outcome = result.outcome === 'retry' ? `${result.final ? 'dead letter' : 'retry'}: ${result.error}` : result.outcome;
      // A failing subscription's group rests while its circuit is open (the deliverer would only defer):
      // its messages stay queued untouched instead of being received and put back.
      const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
      if (result.outcome === 'deferred') this.pausedUntil.set(group, Date.now() + result.delayMs);
      if (result.outcome === 'retry') this.pausedUntil.set(group, Date.now() + Math.min(PROBE_DEFER_MS, retryDelayMs(m.receives, delays)));
      if (result.outcome === 'deferred')
        await queue.defer(m, result.delayMs, JSON.stringify({ ...message, deferrals: (message.deferrals ?? 0) + 1 }));
      else if (result.outcome === 'retry' && !result.final) await queue.retryLater(m, retryDelayMs(m.receives, delays));
      // Delivered, dropped, or given up on (the deliverer kept it as a dead letter): done.
      else await queue.delete(m);
    } catch (error) {
      // The store failed: the message comes back after its visibility timeout, as in SQS.
      outcome = `error: ${(error as Error).message}`;
    }
    this.options.onOutcome?.(message, outcome);
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
      await this.fanOut.fanOut({
        id: randomUUID(),
        source: e.source,
        type: e.detailType,
        time: new Date(this.now()).toISOString(),
        detail: e.detail,
      });
    }
  }
}
