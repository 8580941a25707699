/**
 * dynalite leaves one LevelDB iterator open per query unless functions/store/level-iterator-close.ts gives
 * abstract-level's iterators the `return()` dynalite calls (issue 28, item 12). Counted on abstract-level's
 * own resource bookkeeping: every iterator is attached to its database when made and detached when closed.
 */
import { PutItemCommand, QueryCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { dirname } from 'path';
import { startTestDynamo, type TestDynamo } from './helpers';

interface Level {
  prototype: { attachResource(r: unknown): void; detachResource(r: unknown): void };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AbstractLevel } = require(require.resolve('abstract-level', { paths: [dirname(require.resolve('dynalite/package.json'))] })) as {
  AbstractLevel: Level;
};

const open = new Set<unknown>();
const attach = AbstractLevel.prototype.attachResource;
const detach = AbstractLevel.prototype.detachResource;

let dynamo: TestDynamo;
beforeAll(async () => {
  AbstractLevel.prototype.attachResource = function (r) {
    open.add(r);
    return attach.call(this, r);
  };
  AbstractLevel.prototype.detachResource = function (r) {
    open.delete(r);
    return detach.call(this, r);
  };
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo.stop();
  AbstractLevel.prototype.attachResource = attach;
  AbstractLevel.prototype.detachResource = detach;
});

describe('the embedded DynamoDB', () => {
  it('closes the iterator of every query, those stopped early at their Limit and those read to the end', async () => {
    // Prepare: a partition of 30 items
    const TableName = await dynamo.newTable();
    for (let i = 0; i < 30; i++) {
      await dynamo.client.send(new PutItemCommand({ TableName, Item: { pk: { S: 'P' }, sk: { S: `I#${String(i).padStart(3, '0')}` } } }));
    }
    await new Promise((r) => setTimeout(r, 50));
    const before = open.size;
    // Act: 200 queries stopped at Limit 2, 100 read to the end, 100 gets, 20 scans
    for (let i = 0; i < 200; i++) {
      await dynamo.client.send(
        new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'P' } }, Limit: 2 }),
      );
    }
    for (let i = 0; i < 100; i++) {
      await dynamo.client.send(
        new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'P' } } }),
      );
      await dynamo.client.send(new GetItemCommand({ TableName, Key: { pk: { S: 'P' }, sk: { S: 'I#001' } } }));
    }
    for (let i = 0; i < 20; i++) await dynamo.client.send(new ScanCommand({ TableName, Limit: 5 }));
    await new Promise((r) => setTimeout(r, 50));
    // Assess: nothing left open beyond a handful in flight
    expect(open.size - before).toBeLessThan(5);
  });
});
