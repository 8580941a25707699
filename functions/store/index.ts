/**
 * DynamoDB: the access-token cache, the per-user send and typing windows, inbound callback dedup and
 * idempotency records, all in one table (see README.md in this folder for the item layout), plus the
 * embedded DynamoDB used by `npm start` and the tests.
 *
 * @example
 * ```ts
 * import { createDynamoClient, DynamoDbTokenProvider, WindowStore } from '../store';
 * const client = createDynamoClient();
 * const windows = new WindowStore({ client, tableName: process.env.TABLE_NAME!, appId });
 * ```
 */
export * from './table';
export * from './table-store';
export * from './update';
export * from './embedded';
export * from './token-cache';
export * from './windows';
export * from './deliveries';
export * from './part-progress';
export * from './inbound-dedup';
export * from './idempotency';
export * from './handoff';
export * from './subscriptions';
export * from './webhook-ledger';
export * from './webhook-slots';
export * from './webhook-dead-letters';
export * from './local-queue';
export * from './media-cache';
export * from './passive-replies';
export * from './turns';
export * from './conversations';
export * from './accounts';
