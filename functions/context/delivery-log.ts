/**
 * The delivery record and event of every send attempt, kept off the send's critical path.
 *
 * A send reports each attempt (each part of a split text) as soon as its outcome is known; the record's
 * write and the event's publication start at once, in parallel, and are **not** awaited by the send: the
 * next part's WeChat call overlaps them. The invocation awaits {@link DeliveryLog.flush} before it answers,
 * so nothing is lost when Lambda freezes the container. A failed write or publication is logged and
 * counted (`DeliveryRecordFailed`), never turned into a send failure: the message did go out (or not), and
 * a retry because of a bookkeeping error would send it twice.
 *
 * Events: source `wechat.kf`, detail-type `delivery.sent` or `delivery.failed`, detail = the record
 * (`at` and `expiresAt` as ISO times) plus `appId`. Content only with DELIVERY_RECORD_CONTENT=true, as in
 * the record.
 *
 * @example
 * ```ts
 * const log = new DeliveryLog(ctx);
 * log.report({ openid, operation: 'sendText', msgtype: 'text', at, outcome: 'sent', latencyMs: 87 });
 * await log.flush(); // before the Lambda answers
 * ```
 */
import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { deliveryEventType, DELIVERY_RETENTION_MS, type DeliveryAttempt, type DeliveryRecord } from '../core/deliveries';
import type { DeliveryStore } from '../store';
import { INBOUND_EVENT_SOURCE, type EventPublisher, type OutboundEvent } from './publisher';
import { afterSend, type TurnHooksContext } from './turns/hooks';

/** What a delivery log needs from the context. */
export interface DeliveryLogContext {
  deliveries: DeliveryStore;
  publisher: EventPublisher;
  logger: Logger;
  metrics: Metrics;
  secrets: { appId: string };
  /** The conversation history (CONVERSATION_RECORD=true), which each message sent joins. */
  conversations?: TurnHooksContext['conversations'];
}

/** The source of delivery events: the same as inbound events, so one rule or subscription sees both. */
export const DELIVERY_EVENT_SOURCE = INBOUND_EVENT_SOURCE;

/**
 * A record as it is answered and published: times as ISO 8601.
 *
 * @example
 * ```ts
 * deliveryView(record).at; // '2026-12-01T09:00:00.000Z'
 * ```
 */
export function deliveryView(record: DeliveryRecord): Record<string, unknown> {
  return { ...record, at: new Date(record.at).toISOString(), expiresAt: new Date(record.expiresAt).toISOString() };
}

/**
 * The event of a record.
 *
 * @example
 * ```ts
 * deliveryEvent('wx123', record).detailType; // 'delivery.failed'
 * ```
 */
export function deliveryEvent(appId: string, record: DeliveryRecord): OutboundEvent {
  return { source: DELIVERY_EVENT_SOURCE, detailType: deliveryEventType(record.outcome), detail: { appId, ...deliveryView(record) } };
}

/** Collects one invocation's delivery writes and events; {@link flush} awaits them. */
export class DeliveryLog {
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly ctx: DeliveryLogContext) {}

  /** Starts writing the record and publishing the event of one attempt; does not wait for either. */
  report(attempt: DeliveryAttempt): void {
    const { ctx } = this;
    const id = randomBytes(8).toString('hex');
    // The event carries what the record keeps: content only when records keep it.
    const { content, ...rest } = attempt;
    const record: DeliveryRecord = {
      ...rest,
      ...(ctx.deliveries.keepContent && content !== undefined ? { content } : {}),
      id,
      expiresAt: attempt.at + DELIVERY_RETENTION_MS,
    };
    const failed = (what: string) => (error: unknown) => {
      ctx.metrics.addMetric('DeliveryRecordFailed', MetricUnit.Count, 1);
      ctx.logger.error(`could not ${what} of a send attempt`, {
        operation: attempt.operation,
        outcome: attempt.outcome,
        error: (error as Error)?.message ?? String(error),
      });
    };
    this.pending.push(ctx.deliveries.record(attempt, id).then(() => undefined, failed('store the delivery record')));
    this.pending.push(
      ctx.publisher.publish([deliveryEvent(ctx.secrets.appId, record)]).then(() => undefined, failed('publish the delivery event')),
    );
    // The conversation history's outbound side (docs/conversations.md): one hook, off the send's critical path like the record.
    this.pending.push(afterSend(ctx, attempt, id).then(() => undefined, failed('keep in the conversation history')));
  }

  /** Waits for every write and publication started so far (they never throw). */
  async flush(): Promise<void> {
    while (this.pending.length > 0) await Promise.all(this.pending.splice(0));
  }
}
