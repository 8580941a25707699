/**
 * The terminal log of `npm start`: one line per event the product publishes, so whoever runs it sees the
 * users writing in and what became of each reply.
 *
 * The publisher carries three kinds of event (docs/deliveries.md, docs/webhooks.md, docs/turns.md): a user's
 * message or event (`message.*`, `event.*`, its `detail.message` as WeChat pushed it), a send attempt's
 * outcome (`delivery.sent`, `delivery.failed`, its `detail` the delivery record, with no `message`) and a
 * user's closed turn (`turn.ready`, `turn.limited`). The line is
 * built from whichever it is; it never throws, because the publisher calls its listeners inline and a
 * listener's failure would keep the event from the webhook subscriptions.
 *
 * @example
 * ```ts
 * logEvents(product.events, console.log);
 * // [inbound] message.text from oUser1: hello
 * // [delivery] delivery.sent to oUser1 (sendText)
 * ```
 */
import type { MemoryPublisher, OutboundEvent } from '../../context/publisher';

/**
 * The log line of one published event.
 *
 * @example
 * ```ts
 * eventLogLine({ source: 'wechat.kf', detailType: 'delivery.failed', detail: { openid: 'oUser1', operation: 'sendText', outcome: 'refused_by_window', reason: 'quota-used' } });
 * // '[delivery] delivery.failed to oUser1 (sendText): refused_by_window, quota-used'
 * ```
 */
export function eventLogLine(event: OutboundEvent): string {
  const detail = event.detail ?? {};
  const openid = String(detail.openid);
  if (event.detailType.startsWith('delivery.')) {
    const why = [detail.outcome, detail.reason ?? detail.errcode].filter((part) => part !== undefined && part !== null && part !== 'sent');
    const part = typeof detail.part === 'number' ? `, part ${detail.part}` : '';
    return `[delivery] ${event.detailType} to ${openid} (${String(detail.operation)}${part})${why.length > 0 ? `: ${why.join(', ')}` : ''}`;
  }
  if (event.detailType.startsWith('turn.')) {
    // A user's burst, closed (docs/turns.md): how many messages, and the limit when it was limited.
    const count = Array.isArray(detail.messages) ? detail.messages.length : 0;
    const limited = event.detailType === 'turn.limited' ? `, ${String(detail.count)} of ${String(detail.limit)} this hour` : '';
    return `[turn] ${event.detailType} from ${openid}: ${count} message${count === 1 ? '' : 's'}${limited}`;
  }
  const message = (detail.message ?? {}) as Record<string, unknown>;
  return `[inbound] ${event.detailType} from ${openid}${message.Content ? `: ${String(message.Content)}` : ''}`;
}

/**
 * Prints a line for every event `events` publishes from now on; returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = logEvents(product.events, (line) => console.log(line));
 * ```
 */
export function logEvents(events: MemoryPublisher, print: (line: string) => void): () => void {
  return events.onEvent((event) => print(eventLogLine(event)));
}
