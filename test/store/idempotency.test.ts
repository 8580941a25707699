import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { IdempotencyInProgressError, SendWindowClosedError } from '../../functions/core/errors';
import { createIdempotentRunner, IdempotencyKeyReusedError, keys } from '../../functions/store';
import { useTestTable } from './helpers';

describe('createIdempotentRunner (Powertools idempotency on dynalite)', () => {
  const { dynamo, table } = useTestTable();

  const payload = { touser: 'o_user', msgtype: 'text', text: { content: 'Hello' } };

  /** A function body that counts its runs and can be held open. */
  const body = () => {
    let runs = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    return {
      runs: () => runs,
      open: () => open(),
      fn: async () => {
        runs += 1;
        await gate;
        return { errcode: 0, errmsg: 'ok', run: runs };
      },
    };
  };

  test('one key replayed 10 times at once runs the body exactly once; the others are told it is in progress', async () => {
    // Prepare
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name });
    const work = body();

    // Act: the body is held open until the 9 replays have been answered
    let settled = 0;
    const calls = Array.from({ length: 10 }, () => runner.run('sendText', 'key-1', payload, work.fn).finally(() => (settled += 1)));
    while (settled < 9) await new Promise((r) => setTimeout(r, 5));
    work.open();
    const outcomes = await Promise.allSettled(calls);

    // Assess
    expect(work.runs()).toBe(1);
    const done = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(9);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(IdempotencyInProgressError);
      expect(r.reason.status).toBe(409);
      expect(r.reason.retryable).toBe(true);
    }
  });

  test('with waitForInProgressMs, concurrent replays wait and get the first result', async () => {
    // Prepare
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name, waitForInProgressMs: 10_000 });
    const work = body();

    // Act
    const calls = Array.from({ length: 10 }, () => runner.run('sendText', 'key-wait', payload, work.fn));
    await new Promise((r) => setTimeout(r, 50));
    work.open();
    const results = await Promise.all(calls);

    // Assess
    expect(work.runs()).toBe(1);
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ errcode: 0, errmsg: 'ok', run: 1 })));
  });

  test('replays after completion return the first result without running', async () => {
    // Prepare
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name });
    const work = body();
    work.open();
    const first = await runner.run('sendText', 'key-2', payload, work.fn);

    // Act: a replay, also from another container (a second runner)
    const again = await runner.run('sendText', 'key-2', payload, work.fn);
    const elsewhere = await createIdempotentRunner({ client: dynamo.client, tableName: table.name }).run(
      'sendText',
      'key-2',
      payload,
      work.fn,
    );

    // Assess
    expect(work.runs()).toBe(1);
    expect(again).toEqual(first);
    expect(elsewhere).toEqual(first);
  });

  test('the same key with a different payload is refused with IdempotencyKeyReusedError', async () => {
    // Prepare
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name });
    const work = body();
    work.open();
    await runner.run('sendText', 'key-3', payload, work.fn);

    // Act
    const error = await runner.run('sendText', 'key-3', { ...payload, text: { content: 'Bye' } }, work.fn).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect((error as IdempotencyKeyReusedError).code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((error as IdempotencyKeyReusedError).status).toBe(422);
    expect(work.runs()).toBe(1);
  });

  test('a failure stores nothing, so a retry runs again', async () => {
    // Prepare
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name });
    let runs = 0;
    const failing = async () => {
      runs += 1;
      throw new SendWindowClosedError({ openid: 'o_user', reason: 'no-interaction', message: 'closed' });
    };

    // Act
    const error = await runner.run('sendText', 'key-4', payload, failing).catch((e: unknown) => e);
    const retried = await runner.run('sendText', 'key-4', payload, async () => ({ errcode: 0, errmsg: 'ok' }));

    // Assess
    expect(error).toBeInstanceOf(SendWindowClosedError);
    expect(runs).toBe(1);
    expect(retried).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  test('a run that died in progress is taken over after its in-progress timeout', async () => {
    // Prepare: a run whose container died (it never completes)
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name });
    void runner.run('sendText', 'key-5', payload, () => new Promise<never>(() => undefined), { inProgressTimeoutMs: 1 });
    await new Promise((r) => setTimeout(r, 50));

    // Act
    const result = await runner.run('sendText', 'key-5', payload, async () => ({ errcode: 0, errmsg: 'taken over' }));

    // Assess
    expect(result).toEqual({ errcode: 0, errmsg: 'taken over' });
  });

  test("keys are per operation, and records live in the operation's partition", async () => {
    // Prepare
    const runner = createIdempotentRunner({ client: dynamo.client, tableName: table.name });

    // Act
    const a = await runner.run('sendText', 'same-key', payload, async () => 'text');
    const b = await runner.run('sendImage', 'same-key', { other: true }, async () => 'image');

    // Assess
    expect([a, b]).toEqual(['text', 'image']);
    const items = await dynamo.client.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: keys.idempotencyPartition('sendText') } },
      }),
    );
    expect(items.Items).toHaveLength(1);
    expect(items.Items![0]!.sk!.S).toMatch(/^sendText#/);
    expect(items.Items![0]!.status!.S).toBe('COMPLETED');
    expect(Number(items.Items![0]!.expiresAt!.N)).toBeGreaterThan(Date.now() / 1000 + 3000);
  });
});
