/**
 * Where inbound WeChat messages and events are published: EventBridge when deployed, an in-process list
 * (and the console) when running locally.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';

import type { OutboundEvent } from '../core/inbound/events';

export { INBOUND_EVENT_SOURCE, type OutboundEvent } from '../core/inbound/events';

export interface EventPublisher {
  publish(events: OutboundEvent[]): Promise<void>;
}

/**
 * Publishes to an EventBridge bus; a partial failure is an error, so the callback answers 500 and WeChat
 * pushes again.
 *
 * @example
 * ```ts
 * await new EventBridgePublisher('wechat-kf-bus').publish([{ source: 'wechat.kf', detailType: 'message.text', detail }]);
 * ```
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName: string,
    private client?: EventBridgeClient,
  ) {}

  async publish(events: OutboundEvent[]): Promise<void> {
    if (events.length === 0) return;
    // The SDK client is loaded on the first publish, not at the function's load: functions that never
    // publish never pay for it (docs/bundles.md, cold start). `require`, not `import()`: the runtime's SDK
    // is found on NODE_PATH, which only `require` reads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EventBridgeClient, PutEventsCommand } = require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
    this.client ??= new EventBridgeClient({});
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((e) => ({
          EventBusName: this.busName,
          Source: e.source,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
        })),
      }),
    );
    if (out.FailedEntryCount) {
      const first = out.Entries?.find((e) => e.ErrorCode);
      throw new Error(
        `EventBridge refused ${out.FailedEntryCount} event(s): ${first?.ErrorCode ?? 'unknown'} ${first?.ErrorMessage ?? ''}`,
      );
    }
  }
}

/**
 * Keeps published events in memory (the most recent `limit`), for the local server and tests, and tells
 * listeners.
 */
export class MemoryPublisher implements EventPublisher {
  readonly events: OutboundEvent[] = [];
  private readonly listeners = new Set<(event: OutboundEvent) => void>();
  constructor(private readonly limit = 1000) {}

  async publish(events: OutboundEvent[]): Promise<void> {
    for (const event of events) {
      this.events.push(event);
      if (this.events.length > this.limit) this.events.shift();
      // A listener only watches (npm start's terminal log, the console's live view): its failure is
      // reported and must not fail the publish, or the event would never reach the webhook fan-out that
      // runs after it, and a user's push would be answered 500.
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          console.error(`an event listener failed on ${event.detailType}: ${(error as Error)?.message ?? String(error)}`);
        }
      }
    }
  }

  /** Calls `listener` for each event published from now on; returns a function that stops it. */
  onEvent(listener: (event: OutboundEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
