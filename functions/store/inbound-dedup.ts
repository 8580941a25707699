/**
 * Deduplication of WeChat's callbacks. WeChat retries a push it got no answer to within 5 s, three times in
 * all; the callback handles each message once by keying it (MsgId for messages, FromUserName + CreateTime
 * for events) and asking {@link InboundDedup.firstTime}.
 *
 * The item (`pk = INBOUND#<appId>#<key>`, `sk = DEDUP`) holds only `expiresAt` (epoch s).
 *
 * @example
 * ```ts
 * const dedup = new InboundDedup({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * if (await dedup.firstTime(msg.MsgId ?? `${msg.FromUserName}:${msg.CreateTime}`)) await handle(msg);
 * ```
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { epochSeconds, isConditionalCheckFailed, keys, marshallKey, n, names, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface InboundDedupOptions extends TableStoreOptions {
  /** Keeps the keys of several official accounts apart. Default `''`. */
  appId?: string;
}

/**
 * Remembers which inbound callbacks were already seen, for a while.
 *
 * @example
 * ```ts
 * await dedup.firstTime('msg:1234567890'); // true
 * await dedup.firstTime('msg:1234567890'); // false
 * ```
 */
export class InboundDedup extends TableStore {
  private readonly appId: string;

  constructor(options: InboundDedupOptions) {
    super(options);
    this.appId = options.appId ?? '';
  }

  /**
   * Whether this is the first time `key` is seen within `ttlSeconds`; marks it seen.
   *
   * One conditional put. DynamoDB deletes expired items only eventually (dynalite never), so an item whose
   * `expiresAt` has passed counts as absent:
   * ```
   *  PutItem {expiresAt: now + ttl} IF attribute_not_exists(pk) OR expiresAt < now
   * ```
   *
   * @example
   * ```ts
   * if (!(await dedup.firstTime(key))) return 'success'; // a retry of a push already handled
   * ```
   */
  async firstTime(key: string, ttlSeconds = 600): Promise<boolean> {
    const now = this.now();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...marshallKey(keys.inbound(this.appId, key)), [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(now + ttlSeconds * 1000)) },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE),
          ExpressionAttributeValues: { ':now': n(Math.floor(now / 1000)) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Claims `key` for `holder` (what the key was first used for) within `ttlSeconds`: `true` when this is
   * the first use, else the holder recorded by the first use. One conditional put, and on a conflict one
   * consistent read:
   * ```
   *  PutItem {holder, expiresAt: now + ttl} IF attribute_not_exists(pk) OR expiresAt < now
   *    ✗ → GetItem → the first holder (a retry of the same push has the same holder)
   * ```
   *
   * @example
   * ```ts
   * await dedup.claim('sig:…', 'msg:123'); // true
   * await dedup.claim('sig:…', 'msg:999'); // 'msg:123': the same signature was used for another message
   * ```
   */
  async claim(key: string, holder: string, ttlSeconds = 600): Promise<true | string> {
    const now = this.now();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...marshallKey(keys.inbound(this.appId, key)),
            holder: { S: holder },
            [TABLE_TTL_ATTRIBUTE]: n(epochSeconds(now + ttlSeconds * 1000)),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE),
          ExpressionAttributeValues: { ':now': n(Math.floor(now / 1000)) },
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(keys.inbound(this.appId, key)), ConsistentRead: true }),
    );
    return out.Item?.holder?.S ?? '';
  }

  /**
   * Forgets a key, so that WeChat's next retry of that push is handled again: call it when handling
   * failed after {@link firstTime} said true.
   *
   * @example
   * ```ts
   * try { await handle(msg); } catch (e) { await dedup.forget(key); throw e; }
   * ```
   */
  async forget(key: string): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshallKey(keys.inbound(this.appId, key)) }));
  }
}
