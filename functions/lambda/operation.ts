/**
 * Lambda entry shared by every catalogue operation: the CDK construct deploys it once per operation, and
 * OPERATION_NAME says which one this function serves (see functions.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lambdaContext } from '../context/context';
import { isSubscriptionOperation } from '../core/catalogue/subscriptions';
import { OPERATION_ENV } from './functions';
import { createOperationHandler } from './operation-handler';

// The subscription functions: the webhook key where they seal (create, rotate), the queue where they send (redrive,
// test); loaded only by them, at their first invocation.
const webhooks = async (dynamo: DynamoDBClient, tableName: string) =>
  process.env.WEBHOOK_KEY_ID || isSubscriptionOperation(process.env[OPERATION_ENV])
    ? (await import('../webhooks/runtime')).lambdaSubscriptionRuntime(dynamo, tableName)
    : undefined;

export const handler = createOperationHandler(process.env[OPERATION_ENV] ?? '', lambdaContext(webhooks));
