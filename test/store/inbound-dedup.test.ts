import { InboundDedup } from '../../functions/store';
import { fakeClock, startTestDynamo, type TestDynamo } from './helpers';

describe('InboundDedup', () => {
  let dynamo: TestDynamo;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    tableName = await dynamo.newTable();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  test('the first time a key is seen is true, the second false', async () => {
    // Prepare
    const dedup = new InboundDedup({ client: dynamo.client, tableName, appId: 'wx1' });

    // Act
    const first = await dedup.firstTime('msg:1001');
    const second = await dedup.firstTime('msg:1001');

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
  });

  test('concurrent deliveries of one push: exactly one is first', async () => {
    // Prepare
    const dedup = new InboundDedup({ client: dynamo.client, tableName, appId: 'wx1' });

    // Act
    const answers = await Promise.all(Array.from({ length: 10 }, () => dedup.firstTime('evt:o_user:1700000000')));

    // Assess
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  test('an expired mark counts as unseen, though nothing deleted it', async () => {
    // Prepare
    const clock = fakeClock();
    const dedup = new InboundDedup({ client: dynamo.client, tableName, appId: 'wx1', now: clock.now });
    await dedup.firstTime('msg:2002', 60);

    // Act
    clock.advance(30_000);
    const within = await dedup.firstTime('msg:2002', 60);
    clock.advance(32_000);
    const after = await dedup.firstTime('msg:2002', 60);

    // Assess
    expect(within).toBe(false);
    expect(after).toBe(true);
  });

  test('forget() lets the next retry through; apps are kept apart', async () => {
    // Prepare
    const dedup = new InboundDedup({ client: dynamo.client, tableName, appId: 'wx1' });
    const other = new InboundDedup({ client: dynamo.client, tableName, appId: 'wx2' });
    await dedup.firstTime('msg:3003');

    // Act
    await dedup.forget('msg:3003');
    const again = await dedup.firstTime('msg:3003');
    const otherApp = await other.firstTime('msg:3003');

    // Assess
    expect(again).toBe(true);
    expect(otherApp).toBe(true);
  });
});
