/**
 * Passive replies on DynamoDB (docs/passive-replies.md): each push the callback waits on, the reply given
 * to it with `POST /replies`, and a late answer kept for the user's next message. Three kinds of item on
 * one partition per user, each written by single-item conditional writes (dynalite has no transactions):
 *
 * | item | pk | sk | attributes |
 * | --- | --- | --- | --- |
 * | a push being waited on | `PASSIVE#<appId>#<openid>` | `PUSH#<dedup key>` | `tries` N, `firstAt` / `lastAt` /
 *   `answerableUntil` N ms, `reply` S (JSON), `replyAt` N ms, `kept` BOOL, `answeredAt` / `closedAt` N ms, `expiresAt` |
 * | the user's latest push | same | `LATEST` | `pushKey` S, `msgId` S, `at` N ms, `expiresAt` |
 * | a late answer kept | same | `KEPT` | `reply` S (JSON), `keptAt` N ms, `until` N ms, `expiresAt` |
 *
 * The waiting callback polls its push item with one consistent GetItem per poll; every other reader and
 * writer touches one item once. Expiry is checked in code (`answerableUntil`, `until`); `expiresAt` only
 * lets DynamoDB's TTL clean up.
 *
 * @example
 * ```ts
 * const replies = new PassiveReplyStore({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * const push = await replies.arrive('OPENID', 'msg:1', { msgId: '1', answerableUntil: Date.now() + 6000 });
 * await replies.offer('OPENID', undefined, { message });   // from POST /replies
 * (await replies.read('OPENID', 'msg:1'))?.reply;           // the waiting callback sees it
 * ```
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SendMessageInput } from '../core/catalogue/messages';
import { epochSeconds, isConditionalCheckFailed, marshallKey, n, numberAttr, s, stringAttr, type TableKey } from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface PassiveReplyStoreOptions extends TableStoreOptions {
  appId: string;
}

/** A reply as it is kept: the message (its media already media_ids) and who asked for it. */
export interface StoredReply {
  message: SendMessageInput;
  /** What posted it: `http`, `eventbridge`, `sqs`, `direct`. */
  source?: string;
  /** ms */
  postedAt: number;
}

/** A push being waited on, as its item says. */
export interface WaitingPush {
  pushKey: string;
  /** How many of WeChat's tries of this push arrived. */
  tries: number;
  firstAt: number;
  lastAt: number;
  /** After this time no try can answer: a reply offered later is late. */
  answerableUntil: number;
  reply?: StoredReply;
  /** The reply is a kept answer of an earlier push. */
  kept?: boolean;
  answeredAt?: number;
  closedAt?: number;
}

/** Why an offered reply cannot be the passive answer of a push. */
export type LateReason = 'no-push' | 'answered' | 'closed' | 'too-late';

/** A kept answer. */
export interface KeptReply {
  reply: StoredReply;
  keptAt: number;
  until: number;
}

/** Pushes are kept a day (WeChat's retries are over in 15 s; the day is for the story in logs). */
const PUSH_ITEM_MS = 86_400_000;

/**
 * The pushes, replies and kept answers of one official account.
 */
export class PassiveReplyStore extends TableStore {
  private readonly appId: string;
  /** Consistent reads made by {@link read} since the store was made (what a wait costs, measured). */
  reads = 0;

  constructor(options: PassiveReplyStoreOptions) {
    super(options);
    this.appId = options.appId;
  }

  private key(openid: string, sk: string): TableKey {
    return { pk: `PASSIVE#${this.appId}#${openid}`, sk };
  }

  /**
   * Counts one try of a push and answers its item: `tries` 1 on WeChat's first try, 2 and 3 on its retries.
   * One UpdateItem (ADD is atomic: two tries arriving together get 1 and 2); the first try also points
   * `LATEST` at the push, for replies that name no msgId.
   */
  async arrive(openid: string, pushKey: string, options: { msgId?: string; answerableUntil: number }): Promise<WaitingPush> {
    const now = this.now();
    const out = await this.update({
      key: this.key(openid, `PUSH#${pushKey}`),
      add: { tries: n(1) },
      set: {
        firstAt: 'if_not_exists(#firstAt, :now)',
        lastAt: ':now',
        answerableUntil: n(options.answerableUntil),
        expiresAt: n(epochSeconds(now + PUSH_ITEM_MS)),
      },
      values: { ':now': n(now) },
      returnValues: 'ALL_NEW',
    });
    const push = pushOf(pushKey, out.Attributes);
    if (push.tries === 1) {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...marshallKey(this.key(openid, 'LATEST')),
            pushKey: s(pushKey),
            ...(options.msgId ? { msgId: s(options.msgId) } : {}),
            at: n(now),
            expiresAt: n(epochSeconds(now + PUSH_ITEM_MS)),
          },
        }),
      );
    }
    return push;
  }

  /** The push's item, read consistently (the waiting callback's poll). */
  async read(openid: string, pushKey: string): Promise<WaitingPush | undefined> {
    this.reads += 1;
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(this.key(openid, `PUSH#${pushKey}`)), ConsistentRead: true }),
    );
    return out.Item ? pushOf(pushKey, out.Item) : undefined;
  }

  /**
   * The push a reply answers: the one of `msgId`, else the user's latest. Answers its dedup key, or
   * undefined when the user has no push (or another push is the latest: a msgId that is not the latest
   * is looked up by its own key, `msg:<MsgId>`).
   */
  async target(openid: string, msgId: string | undefined): Promise<string | undefined> {
    if (msgId !== undefined) return `msg:${msgId}`;
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(this.key(openid, 'LATEST')), ConsistentRead: true }),
    );
    return stringAttr(out.Item, 'pushKey');
  }

  /**
   * Gives a push its reply, if a try can still answer with it. One conditional UpdateItem:
   * ```
   *  SET reply IF exists AND no reply AND not closed AND answerableUntil >= now
   *    ✓ → the waiting try (or the next one) answers WeChat with it
   *    ✗ → one read says why: no-push, answered (a reply is there), closed (the last try gave up), too-late
   * ```
   * The last try's close (below) is conditional on no reply, so exactly one of the two wins.
   */
  async offer(openid: string, pushKey: string, reply: StoredReply, options: { kept?: boolean } = {}): Promise<true | LateReason> {
    const now = this.now();
    try {
      await this.update({
        key: this.key(openid, `PUSH#${pushKey}`),
        set: { reply: s(JSON.stringify(reply)), replyAt: n(now), kept: options.kept ? { BOOL: true } : undefined },
        condition:
          'attribute_exists(#pk) AND attribute_not_exists(#reply) AND attribute_not_exists(#closedAt) AND #answerableUntil >= :now',
        values: { ':now': n(now) },
      });
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const push = await this.read(openid, pushKey);
    if (!push) return 'no-push';
    if (push.reply) return 'answered';
    if (push.closedAt !== undefined) return 'closed';
    return 'too-late';
  }

  /** Marks the push answered; true for the first try that answers (it writes the delivery record). */
  async claimAnswer(openid: string, pushKey: string): Promise<boolean> {
    try {
      await this.update({
        key: this.key(openid, `PUSH#${pushKey}`),
        set: { answeredAt: n(this.now()) },
        condition: 'attribute_not_exists(#answeredAt)',
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The last try gives up waiting: true when no reply came first (a reply offered from now on is late).
   * ```
   *  SET closedAt IF no reply AND not closed   ✗ → a reply just came: answer with it
   * ```
   */
  async close(openid: string, pushKey: string): Promise<boolean> {
    try {
      await this.update({
        key: this.key(openid, `PUSH#${pushKey}`),
        set: { closedAt: n(this.now()) },
        condition: 'attribute_not_exists(#reply) AND attribute_not_exists(#closedAt)',
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Keeps a late answer for the user's next message until `until`; answers the one it replaced, if any. */
  async keep(openid: string, reply: StoredReply, until: number): Promise<KeptReply | undefined> {
    const now = this.now();
    const out = await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...marshallKey(this.key(openid, 'KEPT')),
          reply: s(JSON.stringify(reply)),
          keptAt: n(now),
          until: n(until),
          expiresAt: n(epochSeconds(until + PUSH_ITEM_MS)),
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return keptOf(out.Attributes);
  }

  /**
   * Takes the kept answer, if any (expired or not: the caller checks `until` and records which). One
   * DeleteItem returning what it deleted, so two tries of the next push never both take it.
   */
  async takeKept(openid: string): Promise<KeptReply | undefined> {
    const out = await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey(this.key(openid, 'KEPT')), ReturnValues: 'ALL_OLD' }),
    );
    return keptOf(out.Attributes);
  }
}

function replyOf(item: Record<string, AttributeValue> | undefined): StoredReply | undefined {
  const text = stringAttr(item, 'reply');
  return text === undefined ? undefined : (JSON.parse(text) as StoredReply);
}

function pushOf(pushKey: string, item: Record<string, AttributeValue> | undefined): WaitingPush {
  const reply = replyOf(item);
  const answeredAt = numberAttr(item, 'answeredAt');
  const closedAt = numberAttr(item, 'closedAt');
  return {
    pushKey,
    tries: numberAttr(item, 'tries') ?? 0,
    firstAt: numberAttr(item, 'firstAt') ?? 0,
    lastAt: numberAttr(item, 'lastAt') ?? 0,
    answerableUntil: numberAttr(item, 'answerableUntil') ?? 0,
    ...(reply ? { reply } : {}),
    ...(item?.kept?.BOOL ? { kept: true } : {}),
    ...(answeredAt !== undefined ? { answeredAt } : {}),
    ...(closedAt !== undefined ? { closedAt } : {}),
  };
}

function keptOf(item: Record<string, AttributeValue> | undefined): KeptReply | undefined {
  const reply = replyOf(item);
  if (!reply) return undefined;
  return { reply, keptAt: numberAttr(item, 'keptAt') ?? 0, until: numberAttr(item, 'until') ?? 0 };
}
