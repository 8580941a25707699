import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, ensureTable, startEmbeddedDynamo, tableSchema, TABLE_TTL_ATTRIBUTE } from '../../functions/store';

describe('startEmbeddedDynamo', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-dynamo-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('data kept under dataDir survives a stop and a start', async () => {
    // Prepare
    const first = await startEmbeddedDynamo({ dataDir });
    const client1 = createDynamoClient({ endpoint: first.endpoint });
    await ensureTable(client1, 'kept-table');
    await client1.send(new PutItemCommand({ TableName: 'kept-table', Item: { pk: { S: 'a' }, sk: { S: 'b' }, value: { S: 'kept' } } }));
    client1.destroy();
    await first.stop();

    // Act
    const second = await startEmbeddedDynamo({ dataDir });
    const client2 = createDynamoClient({ endpoint: second.endpoint });
    const out = await client2.send(new GetItemCommand({ TableName: 'kept-table', Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
    client2.destroy();
    await second.stop();

    // Assess
    expect(out.Item?.value?.S).toBe('kept');
  });

  test('without dataDir the data lives in memory only', async () => {
    // Prepare
    const first = await startEmbeddedDynamo();
    const client1 = createDynamoClient({ endpoint: first.endpoint });
    await ensureTable(client1, 'memory-table');
    client1.destroy();
    await first.stop();

    // Act
    const second = await startEmbeddedDynamo();
    const client2 = createDynamoClient({ endpoint: second.endpoint });
    const error = await client2.send(new DescribeTableCommand({ TableName: 'memory-table' })).catch((e: unknown) => e);
    client2.destroy();
    await second.stop();

    // Assess
    expect((error as Error).name).toBe('ResourceNotFoundException');
  });

  test('ensureTable creates the table once, on-demand, keyed by pk and sk, and may be called again', async () => {
    // Prepare
    const dynamo = await startEmbeddedDynamo();
    const client = createDynamoClient({ endpoint: dynamo.endpoint });

    // Act
    await Promise.all([ensureTable(client, 'schema-table'), ensureTable(client, 'schema-table')]);
    await ensureTable(client, 'schema-table');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'schema-table' }));
    client.destroy();
    await dynamo.stop();

    // Assess
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual(tableSchema.KeySchema);
    expect(Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    expect(TABLE_TTL_ATTRIBUTE).toBe('expiresAt');
  });

  test('createDynamoClient takes its endpoint from DYNAMODB_ENDPOINT when none is given', async () => {
    // Prepare
    const saved = process.env.DYNAMODB_ENDPOINT;
    process.env.DYNAMODB_ENDPOINT = 'http://127.0.0.1:1';
    try {
      // Act
      const client = createDynamoClient();
      const endpoint = await client.config.endpoint?.();
      client.destroy();

      // Assess
      expect(endpoint?.hostname).toBe('127.0.0.1');
      expect(endpoint?.port).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.DYNAMODB_ENDPOINT;
      else process.env.DYNAMODB_ENDPOINT = saved;
    }
  });
});
