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
  type QueryCommandOutput,
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
   * Queries one partition consistently, page by page, handing each page to `visit`, which answers
   * whether to read on (up to the last page): the partitions that hold a deployment's few things (its accounts,
   * its subscriptions). `query` adds to the key condition (a projection, `Select: 'COUNT'`).
   */
  private async eachPage(
    partition: string,
    query: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string>; Select?: 'COUNT' },
    visit: (page: QueryCommandOutput) => boolean,
  ): Promise<void> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeValues: { ':pk': s(partition) },
          ...query,
          ExpressionAttributeNames: { ...query.ExpressionAttributeNames, ...names(TABLE_PARTITION_KEY) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      start = page.LastEvaluatedKey;
      if (!visit(page)) return;
    } while (start);
  }

  /**
   * Every item of one partition (see eachPage). `projection` narrows the attributes read; `most` stops
   * after the page that reaches that many items.
   */
  protected async queryPartition(
    partition: string,
    projection: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> } = {},
    most = Number.POSITIVE_INFINITY,
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    await this.eachPage(partition, projection, (page) => {
      items.push(...(page.Items ?? []));
      return items.length < most;
    });
    return items;
  }

  /** How many items one partition holds (a COUNT query: no item is read out). */
  protected async countPartition(partition: string): Promise<number> {
    let count = 0;
    await this.eachPage(partition, { Select: 'COUNT' }, (page) => {
      count += page.Count ?? 0;
      return true;
    });
    return count;
  }

  /** One UpdateItem on the table, built from what it means (update.ts). */
  protected update(spec: UpdateSpec): Promise<UpdateItemCommandOutput> {
    return this.client.send(new UpdateItemCommand(updateItem(this.tableName, spec)));
  }
}
