/**
 * Delivery records on DynamoDB: one record per send attempt (per part of a split text), kept 30 days,
 * listed by user, time and outcome.
 *
 * Each record is written as two items of the same attributes, in one BatchWriteItem, so that both ways of
 * asking are a Query on one partition (no scan, no secondary index, and the same on dynalite):
 *
 * | item | pk | sk |
 * | --- | --- | --- |
 * | by user | `DELIVERY#<appId>#<openid>` | `AT#<at, 13-digit ms>#<id>` |
 * | by day (every user) | `DELIVERIES#<appId>#<YYYY-MM-DD>` (UTC day of `at`) | `AT#<at, 13-digit ms>#<id>` |
 *
 * `since` is a key condition (`sk >= AT#<since>`), `outcome` a filter; a query without an openid reads
 * the day partitions from `since`'s day to today, so one busy day is one partition, not the whole table.
 * Records carry `expiresAt` (epoch s, the table's TTL): DynamoDB deletes them lazily and dynalite never,
 * so every read also filters `expiresAt > now`.
 *
 * No message content is kept unless the store is created with `keepContent` (DELIVERY_RECORD_CONTENT=true).
 *
 * @example
 * ```ts
 * const deliveries = new DeliveryStore({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * await deliveries.record({ openid: 'OPENID', operation: 'sendText', msgtype: 'text', at: Date.now(), outcome: 'sent', latencyMs: 120 });
 * const { deliveries: failed } = await deliveries.list({ openid: 'OPENID', outcome: 'failed' });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DELIVERY_QUERY_DEFAULT_LIMIT,
  DELIVERY_RETENTION_MS,
  type DeliveryAttempt,
  type DeliveryPage,
  type DeliveryQuery,
  type DeliveryRecord,
} from '../core/deliveries';
import { ValidationError } from '../core/errors';
import { backoffDelay, type RetryPolicy } from '../core/retry';
import { epochSeconds, n, names, numberAttr, s, stringAttr, TABLE_PARTITION_KEY, TABLE_SORT_KEY } from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface DeliveryStoreOptions extends TableStoreOptions {
  appId: string;
  /** Keep each attempt's message content (DELIVERY_RECORD_CONTENT=true). Default false. */
  keepContent?: boolean;
  /** How long records are kept. Default 30 days. */
  retentionMs?: number;
}

const DAY_MS = 86_400_000;
/** How far back a query without an openid looks by default; with one, the whole retention. */
const DEFAULT_SINCE_ALL_USERS_MS = DAY_MS;
/** Retries of items BatchWriteItem left unprocessed (throttling). */
const BATCH_ATTEMPTS = 4;
/** The waits between those tries: 50 ms, 100 ms, 200 ms (as before: 25 × 2^try). */
const UNPROCESSED_WAIT: RetryPolicy = { baseDelayMs: 50, maxDelayMs: 1_000, jitter: 'none' };

const padded = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, '0');
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const SORT_KEY = /^AT#\d{13}#[0-9a-f]{16}$/;

/** The pk of a user's records. */
export function deliveryUserPartition(appId: string, openid: string): string {
  return `DELIVERY#${appId}#${openid}`;
}

/** The pk of one UTC day's records, every user. */
export function deliveryDayPartition(appId: string, day: string): string {
  return `DELIVERIES#${appId}#${day}`;
}

interface Cursor {
  /** The day partition (queries without an openid). */
  d?: string;
  /** The sort key of the last record answered. */
  k: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string, allUsers: boolean): Cursor {
  const bad = () => new ValidationError([{ field: 'cursor', rule: 'must be the `next` value of a previous answer to the same query' }]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const c = value as Partial<Cursor> | null;
  if (!c || typeof c !== 'object' || typeof c.k !== 'string' || !SORT_KEY.test(c.k)) throw bad();
  if (allUsers !== (typeof c.d === 'string')) throw bad();
  if (c.d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(c.d)) throw bad();
  return { k: c.k, ...(c.d !== undefined ? { d: c.d } : {}) };
}

/**
 * Delivery records of one official account.
 *
 * @example
 * ```ts
 * const store = new DeliveryStore({ client, tableName: 'wechat-kf', appId: 'wx123', keepContent: false });
 * const page = await store.list({ since: Date.now() - 3_600_000, outcome: 'refused_by_wechat' });
 * ```
 */
export class DeliveryStore extends TableStore {
  private readonly appId: string;
  /** Whether message content is kept. */
  readonly keepContent: boolean;
  private readonly retentionMs: number;

  constructor(options: DeliveryStoreOptions) {
    super(options);
    this.appId = options.appId;
    this.keepContent = options.keepContent ?? false;
    this.retentionMs = options.retentionMs ?? DELIVERY_RETENTION_MS;
  }

  /**
   * Stores one attempt (both items in one BatchWriteItem) and answers the record. The content is dropped
   * unless `keepContent`. `id` (16 hex digits) may be chosen by the caller, e.g. to publish an event naming
   * the record while it is being written.
   *
   * @example
   * ```ts
   * const record = await store.record({ openid, operation: 'sendText', msgtype: 'text', at, outcome: 'refused_by_wechat', errcode: 45015 });
   * record.id; // '9f1c…'
   * ```
   */
  async record(attempt: DeliveryAttempt, id: string = randomBytes(8).toString('hex')): Promise<DeliveryRecord> {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new RangeError('a delivery record id is 16 lower-case hex digits');
    const { content, ...rest } = attempt;
    const record: DeliveryRecord = {
      ...rest,
      ...(this.keepContent && content !== undefined ? { content } : {}),
      id,
      expiresAt: attempt.at + this.retentionMs,
    };
    const sk = `AT#${padded(attempt.at)}#${id}`;
    const item = toItem(record);
    let requests = [deliveryUserPartition(this.appId, attempt.openid), deliveryDayPartition(this.appId, dayOf(attempt.at))].map((pk) => ({
      PutRequest: { Item: { [TABLE_PARTITION_KEY]: s(pk), [TABLE_SORT_KEY]: s(sk), ...item } },
    }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } }));
      requests = (out.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      if (requests.length === 0) break;
      if (attempt >= BATCH_ATTEMPTS)
        throw new Error(`DynamoDB left ${requests.length} delivery record item(s) unprocessed after ${attempt} tries`);
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, UNPROCESSED_WAIT)));
    }
    return record;
  }

  /**
   * Records from `since` on, oldest first, at most `limit` per page; `next` continues.
   *
   * @throws {ValidationError} a cursor that is not the `next` of the same kind of query.
   * @example
   * ```ts
   * let page = await store.list({ openid: 'OPENID' });
   * while (page.next) page = await store.list({ openid: 'OPENID', cursor: page.next });
   * ```
   */
  async list(query: DeliveryQuery = {}): Promise<DeliveryPage> {
    const now = this.now();
    const horizon = now - this.retentionMs;
    const allUsers = query.openid === undefined;
    const since = Math.max(horizon, query.since ?? (allUsers ? now - DEFAULT_SINCE_ALL_USERS_MS : horizon));
    const limit = query.limit ?? DELIVERY_QUERY_DEFAULT_LIMIT;
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, allUsers);
    const out: DeliveryRecord[] = [];

    const partitions: string[] = [];
    if (allUsers) {
      const first = cursor?.d ?? dayOf(since);
      for (let day = Date.parse(`${first}T00:00:00Z`); dayOf(day) <= dayOf(now); day += DAY_MS) partitions.push(dayOf(day));
    } else {
      partitions.push('');
    }
    for (const [i, day] of partitions.entries()) {
      const pk = allUsers ? deliveryDayPartition(this.appId, day) : deliveryUserPartition(this.appId, query.openid!);
      let startKey: Record<string, AttributeValue> | undefined =
        cursor && i === 0 ? { [TABLE_PARTITION_KEY]: s(pk), [TABLE_SORT_KEY]: s(cursor.k) } : undefined;
      do {
        const filters = ['#expiresAt > :nowS'];
        const values: Record<string, AttributeValue> = { ':pk': s(pk), ':from': s(`AT#${padded(since)}`), ':nowS': n(epochSeconds(now)) };
        if (query.outcome === 'failed') {
          filters.push('#outcome <> :sent');
          values[':sent'] = s('sent');
        } else if (query.outcome !== undefined) {
          filters.push('#outcome = :outcome');
          values[':outcome'] = s(query.outcome);
        }
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk >= :from',
            FilterExpression: filters.join(' AND '),
            ExpressionAttributeNames: names('pk', 'sk', 'expiresAt', ...(query.outcome !== undefined ? ['outcome'] : [])),
            ExpressionAttributeValues: values,
            ExclusiveStartKey: startKey,
            // A filter is applied after Limit: ask for what is still missing, and page on.
            Limit: limit - out.length,
          }),
        );
        for (const item of page.Items ?? []) {
          out.push(fromItem(item));
          if (out.length === limit)
            return { deliveries: out, next: encodeCursor({ k: stringAttr(item, TABLE_SORT_KEY)!, ...(allUsers ? { d: day } : {}) }) };
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return { deliveries: out };
  }
}

const STRING_FIELDS = [
  'openid',
  'operation',
  'msgtype',
  'outcome',
  'reason',
  'errmsg',
  'errorCode',
  'idempotencyKey',
  'source',
  'channel',
  'id',
] as const;
const NUMBER_FIELDS = ['at', 'errcode', 'part', 'parts', 'latencyMs'] as const;

function toItem(record: DeliveryRecord): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { expiresAt: n(epochSeconds(record.expiresAt)) };
  for (const f of STRING_FIELDS) if (typeof record[f] === 'string') item[f] = s(record[f]);
  for (const f of NUMBER_FIELDS) if (typeof record[f] === 'number' && Number.isFinite(record[f])) item[f] = n(record[f]);
  if (record.content !== undefined) item.content = s(JSON.stringify(record.content));
  if (record.aimsgcontext !== undefined) item.aimsgcontext = s(JSON.stringify(record.aimsgcontext));
  return item;
}

function fromItem(item: Record<string, AttributeValue>): DeliveryRecord {
  const out: Record<string, unknown> = {};
  for (const f of STRING_FIELDS) {
    const v = stringAttr(item, f);
    if (v !== undefined) out[f] = v;
  }
  for (const f of NUMBER_FIELDS) {
    const v = numberAttr(item, f);
    if (v !== undefined) out[f] = v;
  }
  out.expiresAt = (numberAttr(item, 'expiresAt') ?? 0) * 1000;
  const content = stringAttr(item, 'content');
  if (content !== undefined) out.content = JSON.parse(content);
  const aimsgcontext = stringAttr(item, 'aimsgcontext');
  if (aimsgcontext !== undefined) out.aimsgcontext = JSON.parse(aimsgcontext);
  return out as unknown as DeliveryRecord;
}
