/**
 * A small persistent queue in the product's table, for `npm start`: what SQS does in the stack (a
 * message is received by one worker at a time, comes back after a visibility timeout when its worker
 * dies, is retried after a delay, and after its last try moves to a dead-letter partition), so local
 * webhook deliveries survive a restart and retry with the same schedule, without a loop in memory.
 *
 * Items: `pk = QUEUE#<name>` (or `QUEUE#<name>#dead`), `sk = MSG#<id>`, with `body` S, `receives` N and
 * `visibleAt` N (ms).
 *
 * ```
 * send      PutItem {body, receives: 0, visibleAt: now + delay}
 * receive   Query pk, visibleAt <= now (consistent), then per message:
 *           UpdateItem SET visibleAt = now + visibility, receives = receives + 1 IF visibleAt = <what was read>
 *           (two workers reading the same message: only one update's condition holds)
 * delete    DeleteItem IF receives = <this receive's count>   (a worker whose visibility ran out and whose
 *           message was received again must not delete the newer receive's message)
 * retry     UpdateItem SET visibleAt = now + delay IF receives = <count>
 * dead      PutItem into QUEUE#<name>#dead, then DeleteItem
 * ```
 *
 * @example
 * ```ts
 * const queue = new LocalQueue({ client, tableName, name: 'webhook-delivery' });
 * await queue.send([{ id: 'm1', body: '{}' }]);
 * const received = await queue.receive(10); // [{ id, body, receives: 1, ... }]
 * await queue.delete(received[0]);
 * ```
 */
import { DeleteItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed, marshallKey, n, names, numberAttr, s, stringAttr, type TableKey } from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface LocalQueueOptions extends TableStoreOptions {
  name: string;
  /** How long a received message stays hidden from other receives. Default 60 s. */
  visibilityMs?: number;
}

/** A received message. */
export interface ReceivedMessage {
  id: string;
  body: string;
  /** How many times it has been received, this time included (SQS's ApproximateReceiveCount). */
  receives: number;
}

const partition = (name: string) => `QUEUE#${name}`;
const deadPartition = (name: string) => `QUEUE#${name}#dead`;
const key = (pk: string, id: string): TableKey => ({ pk, sk: `MSG#${id}` });

/**
 * A queue of messages in DynamoDB; see the module comment.
 */
export class LocalQueue extends TableStore {
  private readonly name: string;
  private readonly visibilityMs: number;

  constructor(options: LocalQueueOptions) {
    super(options);
    this.name = options.name;
    this.visibilityMs = options.visibilityMs ?? 60_000;
  }

  /** Queues messages (ids must be unique; a message with an id already queued replaces it). */
  async send(messages: Array<{ id: string; body: string; delayMs?: number }>): Promise<void> {
    for (const m of messages) {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...marshallKey(key(partition(this.name), m.id)), body: s(m.body), receives: n(0), visibleAt: n(this.now() + (m.delayMs ?? 0)) },
        }),
      );
    }
  }

  /** Receives up to `max` visible messages, each hidden for the visibility timeout. */
  async receive(max: number): Promise<ReceivedMessage[]> {
    const now = this.now();
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: '#visibleAt <= :now',
        ExpressionAttributeNames: names('visibleAt'),
        ExpressionAttributeValues: { ':pk': s(partition(this.name)), ':now': n(now) },
        ConsistentRead: true,
        Limit: 100,
      }),
    );
    const out: ReceivedMessage[] = [];
    for (const item of page.Items ?? []) {
      if (out.length >= max) break;
      const got = await this.take(item, now);
      if (got) out.push(got);
    }
    return out;
  }

  private async take(item: Record<string, AttributeValue>, now: number): Promise<ReceivedMessage | undefined> {
    const id = stringAttr(item, 'sk')!.slice('MSG#'.length);
    const receives = (numberAttr(item, 'receives') ?? 0) + 1;
    try {
      await this.update({
        key: key(partition(this.name), id),
        set: { visibleAt: n(now + this.visibilityMs), receives: n(receives) },
        condition: '#visibleAt = :seen',
        values: { ':seen': item.visibleAt! },
      });
      return { id, body: stringAttr(item, 'body') ?? '', receives };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Done with a message: removes it (unless it was received again since). */
  async delete(message: ReceivedMessage): Promise<void> {
    await this.ifStillMine(message, (condition) =>
      this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey(key(partition(this.name), message.id)), ...condition })),
    );
  }

  /** Makes a message visible again after `delayMs` (a failed try with tries left). */
  async retryLater(message: ReceivedMessage, delayMs: number): Promise<void> {
    await this.ifStillMine(message, (condition) =>
      this.update({
        key: key(partition(this.name), message.id),
        set: { visibleAt: n(this.now() + delayMs) },
        condition: condition.ConditionExpression,
        values: condition.ExpressionAttributeValues,
      }),
    );
  }

  /** No try left: moves the message to the dead-letter partition. */
  async deadLetter(message: ReceivedMessage, reason: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...marshallKey(key(deadPartition(this.name), message.id)), body: s(message.body), receives: n(message.receives), reason: s(reason.slice(0, 500)), deadAt: n(this.now()) },
      }),
    );
    await this.delete(message);
  }

  /** The dead-lettered messages (for tests and `npm start` diagnostics). */
  async deadLetters(): Promise<Array<{ id: string; body: string; receives: number; reason: string }>> {
    const page = await this.client.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': s(deadPartition(this.name)) }, ConsistentRead: true }),
    );
    return (page.Items ?? []).map((item) => ({
      id: stringAttr(item, 'sk')!.slice('MSG#'.length),
      body: stringAttr(item, 'body') ?? '',
      receives: numberAttr(item, 'receives') ?? 0,
      reason: stringAttr(item, 'reason') ?? '',
    }));
  }

  private async ifStillMine(
    message: ReceivedMessage,
    write: (condition: { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, AttributeValue> }) => Promise<unknown>,
  ): Promise<void> {
    try {
      await write({ ConditionExpression: '#receives = :mine', ExpressionAttributeNames: names('receives'), ExpressionAttributeValues: { ':mine': n(message.receives) } });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}
