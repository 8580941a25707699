/**
 * What every store in this folder is made with: a DynamoDB client, the one table (table.ts) and a clock.
 * Each store's options extend {@link TableStoreOptions} and each store extends {@link TableStore}, so the
 * three are declared, documented and defaulted once, and every UpdateItem is one `this.update(spec)`.
 *
 * @example
 * ```ts
 * export interface NotesOptions extends TableStoreOptions {
 *   appId: string;
 * }
 * export class NoteStore extends TableStore {
 *   constructor(options: NotesOptions) {
 *     super(options);
 *   }
 *   async get(id: string) {
 *     return this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshallKey({ pk: `NOTE#${id}`, sk: 'NOTE' }) }));
 *   }
 *   async touch(id: string) {
 *     await this.update({ key: { pk: `NOTE#${id}`, sk: 'NOTE' }, set: { touchedAt: n(this.now()) } });
 *   }
 * }
 * ```
 */
import {
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { names, s, TABLE_PARTITION_KEY } from './table';
import { updateItem, type UpdateSpec } from './update';

/** The options every store takes. */
export interface TableStoreOptions {
  /** The DynamoDB client (createDynamoClient). */
  client: DynamoDBClient;
  /** The table's name (ensureTable; `TABLE_NAME` in the functions). */
  tableName: string;
  /** The clock (ms). Default `Date.now`. */
  now?: () => number;
}

/** A store on the one table: its client, the table's name and its clock. */
export abstract class TableStore {
  protected readonly client: DynamoDBClient;
  protected readonly tableName: string;
  protected readonly now: () => number;

  constructor(options: TableStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  /**
   * Every item of one partition, read consistently page by page: the partitions that hold a deployment's
   * few things (its accounts, its subscriptions). `projection` narrows the attributes read; `most` stops
   * after that many items.
   */
  protected async queryPartition(
    partition: string,
    projection: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> } = {},
    most = Number.POSITIVE_INFINITY,
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeValues: { ':pk': s(partition) },
          ...projection,
          ExpressionAttributeNames: { ...projection.ExpressionAttributeNames, ...names(TABLE_PARTITION_KEY) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < most);
    return items;
  }

  /** How many items one partition holds (a COUNT query: no item is read out). */
  protected async countPartition(partition: string): Promise<number> {
    let count = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY),
          ExpressionAttributeValues: { ':pk': s(partition) },
          Select: 'COUNT',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** One UpdateItem on the table, built from what it means (update.ts). */
  protected update(spec: UpdateSpec): Promise<UpdateItemCommandOutput> {
    return this.client.send(new UpdateItemCommand(updateItem(this.tableName, spec)));
  }
}
