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
import { UpdateItemCommand, type DynamoDBClient, type UpdateItemCommandOutput } from '@aws-sdk/client-dynamodb';
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

  /** One UpdateItem on the table, built from what it means (update.ts). */
  protected update(spec: UpdateSpec): Promise<UpdateItemCommandOutput> {
    return this.client.send(new UpdateItemCommand(updateItem(this.tableName, spec)));
  }
}
