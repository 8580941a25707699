/**
 * A small persistent queue in the product's table, for `npm start`: what SQS does in the stack (a
 * message is received by one worker at a time, comes back after a visibility timeout when its worker
 * dies, is retried after a delay, and after its last try moves to a dead-letter partition), so local
 * webhook deliveries survive a restart and retry with the same schedule, without a loop in memory.
 *
 * Messages are kept in **groups** (one per webhook subscription), each its own partition, sorted by when
 * the message is next due: a receive reads only due messages, oldest due first, from the group it is
 * asked for, so messages that are not due yet (a failing receiver's retries) or belong to another group
 * (a slow receiver's backlog) are never read past and can never starve the others (docs/webhooks.md,
 * "Isolation").
 *
 * Items:
 * ```
 * QUEUE#<name>             GROUPS                     groups SS: the groups that may hold messages
 * QUEUE#<name>#g#<group>   AT#<visibleAt, 15 digits>#<id>   id, body, receives, visibleAt (ms)
 * QUEUE#<name>#dead        MSG#<id>                   body, receives, reason, deadAt
 * ```
 *
 * ```
 * send      UpdateItem GROUPS ADD groups <group>; PutItem AT#<now + delay>#<id> {receives: 0}
 * receive   Query the group's partition, sk <= AT#<now>, FILTER visibleAt <= now (consistent), then per message:
 * move      1. UpdateItem SET visibleAt = <new>, receives = <new> IF visibleAt = <what was read>   (the claim:
 *              of two receivers reading the same message only one condition holds; should the process stop
 *              after it, the item is still where a receive finds it once <new> has passed)
 *           2. PutItem AT#<new>#<id>              (where the next receive looks)
 *           3. DeleteItem the old key             (a stop between 2 and 3 leaves a duplicate, which the
 *                                                  webhook ledger drops: at least once, as SQS)
 * delete    DeleteItem IF receives = <this receive's count>   (a worker whose visibility ran out and whose
 *           message was received again must not delete the newer receive's message)
 * retry     move IF receives = <count>, to now + delay
 * defer     the same, receives - 1: the message was not tried (its group was at its in-flight cap)
 * dead      PutItem into QUEUE#<name>#dead, then delete
 * ```
 *
 * @example
 * ```ts
 * const queue = new LocalQueue({ client, tableName, name: 'webhook-delivery' });
 * await queue.send([{ id: 'm1', group: 'sub_1', body: '{}' }]);
 * const received = await queue.receive(10, 'sub_1'); // [{ id, body, receives: 1, ... }]
 * await queue.delete(received[0]);
 * ```
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
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
  /** Its group. */
  group: string;
  /** Where it is kept now (the sort key); the queue's own business. */
  at: string;
}

/** The group of a message sent without one. */
export const DEFAULT_GROUP = 'default';
const GROUPS_SK = 'GROUPS';
const groupsKey = (name: string): TableKey => ({ pk: `QUEUE#${name}`, sk: GROUPS_SK });
const groupPartition = (name: string, group: string) => `QUEUE#${name}#g#${group}`;
const deadPartition = (name: string) => `QUEUE#${name}#dead`;
const at = (visibleAt: number, id: string) => `AT#${String(Math.max(0, Math.floor(visibleAt))).padStart(15, '0')}#${id}`;

/**
 * A queue of messages in DynamoDB; see the module comment.
 */
export class LocalQueue extends TableStore {
  private readonly name: string;
  private readonly visibilityMs: number;
  /** Sends and the forgetting of an empty group run one at a time (a send's group must not be forgotten). */
  private exclusive: Promise<unknown> = Promise.resolve();

  constructor(options: LocalQueueOptions) {
    super(options);
    this.name = options.name;
    this.visibilityMs = options.visibilityMs ?? 60_000;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work, work);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  /** Queues messages (a message with an id already queued in its group may be delivered twice: ids are for the receiver's dedup). */
  async send(messages: Array<{ id: string; body: string; group?: string; delayMs?: number }>): Promise<void> {
    await this.serially(async () => {
      const groups = [...new Set(messages.map((m) => m.group ?? DEFAULT_GROUP))];
      if (groups.length) {
        await this.update({ key: groupsKey(this.name), add: { groups: ':g' }, values: { ':g': { SS: groups } } });
      }
      const now = this.now();
      for (const m of messages) {
        const visibleAt = now + (m.delayMs ?? 0);
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...marshallKey({ pk: groupPartition(this.name, m.group ?? DEFAULT_GROUP), sk: at(visibleAt, m.id) }),
              id: s(m.id),
              body: s(m.body),
              receives: n(0),
              visibleAt: n(visibleAt),
            },
          }),
        );
      }
    });
  }

  /** The groups that may hold messages. */
  async groups(): Promise<string[]> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(groupsKey(this.name)), ConsistentRead: true }),
    );
    return [...(out.Item?.groups?.SS ?? [])].sort();
  }

  /** Forgets a group that holds no message (due or not), so receives stop looking at it. */
  async forgetIfEmpty(group: string): Promise<boolean> {
    return this.serially(async () => {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': s(groupPartition(this.name, group)) },
          ConsistentRead: true,
          Limit: 1,
        }),
      );
      if (page.Items?.length) return false;
      // DELETE from a set, which update.ts does not build.
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshallKey(groupsKey(this.name)),
          UpdateExpression: 'DELETE #groups :g',
          ExpressionAttributeNames: names('groups'),
          ExpressionAttributeValues: { ':g': { SS: [group] } },
        }),
      );
      return true;
    });
  }

  /** Receives up to `max` due messages of `group`, oldest due first, each hidden for the visibility timeout. */
  async receive(max: number, group: string = DEFAULT_GROUP): Promise<ReceivedMessage[]> {
    if (max <= 0) return [];
    const now = this.now();
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: '#visibleAt <= :now',
        ExpressionAttributeNames: names('visibleAt'),
        ExpressionAttributeValues: {
          ':pk': s(groupPartition(this.name, group)),
          ':from': s('AT#'),
          ':to': s(at(now, '\uffff')),
          ':now': n(now),
        },
        ConsistentRead: true,
        // Claimed items not yet moved (a stop mid-move) are filtered out after the Limit: read a few more.
        Limit: max + 5,
      }),
    );
    const out: ReceivedMessage[] = [];
    for (const item of page.Items ?? []) {
      if (out.length >= max) break;
      const seen = {
        id: stringAttr(item, 'id')!,
        body: stringAttr(item, 'body') ?? '',
        receives: numberAttr(item, 'receives') ?? 0,
        group,
        at: stringAttr(item, 'sk')!,
      };
      const moved = await this.move(seen, now + this.visibilityMs, seen.receives + 1, {
        condition: '#visibleAt = :seen',
        values: { ':seen': item.visibleAt! },
      });
      if (moved) out.push(moved);
    }
    return out;
  }

  /** Done with a message: removes it (unless it was received again since). */
  async delete(message: ReceivedMessage): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshallKey({ pk: groupPartition(this.name, message.group), sk: message.at }),
          ConditionExpression: '#receives = :mine',
          ExpressionAttributeNames: names('receives'),
          ExpressionAttributeValues: { ':mine': n(message.receives) },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Makes a message visible again after `delayMs` (a failed try with tries left). */
  async retryLater(message: ReceivedMessage, delayMs: number): Promise<void> {
    await this.move(message, this.now() + delayMs, message.receives, mine(message));
  }

  /** Puts a message back untried for `delayMs` (its body replaced by `body`): this receive does not count as a try. */
  async defer(message: ReceivedMessage, delayMs: number, body: string = message.body): Promise<void> {
    await this.move({ ...message, body }, this.now() + delayMs, Math.max(0, message.receives - 1), mine(message));
  }

  /** No try left: moves the message to the dead-letter partition. */
  async deadLetter(message: ReceivedMessage, reason: string): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...marshallKey({ pk: deadPartition(this.name), sk: `MSG#${message.id}` }),
          body: s(message.body),
          receives: n(message.receives),
          reason: s(reason.slice(0, 500)),
          deadAt: n(this.now()),
        },
      }),
    );
    await this.delete(message);
  }

  /** The dead-lettered messages (malformed ones: a delivery given up on is kept by the webhook dead-letter store). */
  async deadLetters(): Promise<Array<{ id: string; body: string; receives: number; reason: string }>> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': s(deadPartition(this.name)) },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).map((item) => ({
      id: stringAttr(item, 'sk')!.slice('MSG#'.length),
      body: stringAttr(item, 'body') ?? '',
      receives: numberAttr(item, 'receives') ?? 0,
      reason: stringAttr(item, 'reason') ?? '',
    }));
  }

  /**
   * Messages queued by an earlier version (one partition, `sk = MSG#<id>`), moved into their groups.
   * Run once at start.
   */
  async adoptUngrouped(groupOf: (body: string) => string): Promise<number> {
    const pk = `QUEUE#${this.name}`;
    let moved = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
          ExpressionAttributeValues: { ':pk': s(pk), ':msg': s('MSG#') },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const sk = stringAttr(item, 'sk')!;
        const body = stringAttr(item, 'body') ?? '';
        await this.send([{ id: sk.slice('MSG#'.length), body, group: groupOf(body) }]);
        await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey({ pk, sk }) }));
        moved += 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return moved;
  }

  /** The three steps of a move (module comment); `undefined` when the claim's condition failed. */
  private async move(
    message: ReceivedMessage,
    visibleAt: number,
    receives: number,
    claim: { condition: string; values: Record<string, AttributeValue> },
  ): Promise<ReceivedMessage | undefined> {
    const pk = groupPartition(this.name, message.group);
    try {
      await this.update({
        key: { pk, sk: message.at },
        set: { visibleAt: n(visibleAt), receives: n(receives) },
        condition: claim.condition,
        values: claim.values,
      });
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
    const next = at(visibleAt, message.id);
    if (next !== message.at) {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...marshallKey({ pk, sk: next }),
            id: s(message.id),
            body: s(message.body),
            receives: n(receives),
            visibleAt: n(visibleAt),
          },
        }),
      );
      await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey({ pk, sk: message.at }) }));
    }
    return { ...message, receives, at: next };
  }
}

const mine = (message: ReceivedMessage) => ({ condition: '#receives = :mine', values: { ':mine': n(message.receives) } });
