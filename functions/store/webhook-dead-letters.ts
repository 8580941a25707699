/**
 * Deliveries given up on after their last try, kept in the table per subscription so they can be listed
 * (GET /subscriptions/{id}/dead-letters) and sent again (POST /subscriptions/{id}/redrive), deployed and
 * locally alike (docs/webhooks.md, "Dead letters").
 *
 * Kept here rather than read from the SQS dead-letter queue: a queue can only be read by receiving its
 * messages (hiding them from every other reader for a visibility timeout, counting a receive each time),
 * in no order and with no way to pick one subscription's; the table answers "this subscription's dead
 * letters, oldest first" with one Query, the same code serves `npm start`, and the list function needs
 * only read access to the table. The SQS dead-letter queue stays for what never reached this code (a
 * delivery whose function crashed on every try), with its alarm.
 *
 * One item per (subscription, event): `pk = WEBHOOK_DEAD#<subscriptionId>`,
 * `sk = DEAD#<deadAt, 15 digits>#<eventId>`, with `event` (the event as delivered, JSON), `attempts`,
 * `lastError`, `deadAt` (ms) and `expiresAt` ({@link DEAD_LETTER_DAYS}, also checked in code: dynalite has
 * no TTL). At most {@link MAX_DEAD_LETTERS} are listed per page.
 *
 * @example
 * ```ts
 * const deadLetters = new DeadLetterStore({ client, tableName });
 * await deadLetters.put('sub_1', event, { attempts: 5, lastError: 'HTTP 500' });
 * const { deadLetters: page } = await deadLetters.list('sub_1');
 * ```
 */
import { DeleteItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { epochSeconds, marshallKey, n, numberAttr, s, stringAttr, TABLE_TTL_ATTRIBUTE } from './table';
import { TableStore } from './table-store';

/** How long a dead letter is kept (as the SQS dead-letter queue's retention). */
export const DEAD_LETTER_DAYS = 14;
/** Most dead letters one page lists (and one redrive sends). */
export const MAX_DEAD_LETTERS = 100;

const partition = (subscriptionId: string) => `WEBHOOK_DEAD#${subscriptionId}`;

/** A dead letter as the API shows it. */
export interface DeadLetter {
  eventId: string;
  type: string;
  /** When the delivery was given up on (ISO 8601). */
  deadAt: string;
  attempts: number;
  /** The class of the last failure (`HTTP 500`, `timeout`, …). */
  lastError: string;
  /** The event, as it was POSTed. */
  event: { id: string; type: string } & Record<string, unknown>;
}

/** Dead letters in the table; see the module comment. */
export class DeadLetterStore extends TableStore {
  /** Keeps an event given up on. */
  async put(subscriptionId: string, event: { id: string; type: string }, outcome: { attempts: number; lastError: string }): Promise<void> {
    const deadAt = this.now();
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...marshallKey({ pk: partition(subscriptionId), sk: `DEAD#${String(deadAt).padStart(15, '0')}#${event.id}` }),
          event: s(JSON.stringify(event)),
          attempts: n(outcome.attempts),
          lastError: s(outcome.lastError.slice(0, 200)),
          deadAt: n(deadAt),
          [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(deadAt + DEAD_LETTER_DAYS * 86_400_000)),
        },
      }),
    );
  }

  /** A page of a subscription's dead letters, oldest first; `cursor` continues where the last page stopped. */
  async list(
    subscriptionId: string,
    options: { limit?: number; cursor?: string } = {},
  ): Promise<{ deadLetters: DeadLetter[]; cursor: string | null }> {
    const page = await this.page(subscriptionId, Math.min(options.limit ?? MAX_DEAD_LETTERS, MAX_DEAD_LETTERS), options.cursor);
    return { deadLetters: page.items.map((i) => i.deadLetter), cursor: page.cursor };
  }

  /** Removes up to `limit` dead letters (oldest first), handing each to `send` first; returns the events sent. */
  async drain(
    subscriptionId: string,
    send: (events: DeadLetter['event'][]) => Promise<void>,
    limit = MAX_DEAD_LETTERS,
  ): Promise<DeadLetter[]> {
    const { items } = await this.page(subscriptionId, limit);
    if (items.length === 0) return [];
    // Sent before removed: a stop in between leaves a dead letter whose event was sent again, which the
    // delivery ledger drops if it got through (never the reverse, an event neither queued nor kept).
    await send(items.map((i) => i.deadLetter.event));
    for (const i of items) {
      await this.client.send(
        new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey({ pk: partition(subscriptionId), sk: i.sk }) }),
      );
    }
    return items.map((i) => i.deadLetter);
  }

  private async page(subscriptionId: string, limit: number, cursor?: string) {
    const now = this.now();
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dead)',
        ExpressionAttributeValues: { ':pk': s(partition(subscriptionId)), ':dead': s('DEAD#') },
        ExclusiveStartKey: cursor ? marshallKey({ pk: partition(subscriptionId), sk: cursor }) : undefined,
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    const items = (page.Items ?? [])
      .filter((item) => (numberAttr(item, TABLE_TTL_ATTRIBUTE) ?? Infinity) > Math.floor(now / 1000))
      .map((item) => ({ sk: stringAttr(item, 'sk')!, deadLetter: toDeadLetter(item) }));
    return { items, cursor: page.LastEvaluatedKey ? stringAttr(page.LastEvaluatedKey as Record<string, AttributeValue>, 'sk')! : null };
  }
}

function toDeadLetter(item: Record<string, AttributeValue>): DeadLetter {
  const event = JSON.parse(stringAttr(item, 'event') ?? '{}') as DeadLetter['event'];
  return {
    eventId: event.id,
    type: event.type,
    deadAt: new Date(numberAttr(item, 'deadAt') ?? 0).toISOString(),
    attempts: numberAttr(item, 'attempts') ?? 0,
    lastError: stringAttr(item, 'lastError') ?? '',
    event,
  };
}
