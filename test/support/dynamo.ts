/**
 * Shared by the tests that use the table directly (test/store, and core and handler tests that need a
 * real DynamoDB): an embedded DynamoDB (dynalite, in memory, on a free port), a fresh table per test, and a
 * clock the test moves by hand.
 *
 * @example
 * ```ts
 * describe('WindowStore', () => {
 *   const { dynamo, table, clock } = useTestTable();
 *   const store = () => new WindowStore({ client: dynamo.client, tableName: table.name, appId: 'wx1', now: clock.now });
 * });
 * ```
 */
import { randomUUID } from 'crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient, ensureTable, startEmbeddedDynamo } from '../../functions/store';

export interface TestDynamo {
  endpoint: string;
  client: DynamoDBClient;
  /** Creates a table with a fresh name and returns the name. */
  newTable(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts dynalite in memory and a client on it. */
export async function startTestDynamo(): Promise<TestDynamo> {
  const dynamo = await startEmbeddedDynamo();
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  return {
    endpoint: dynamo.endpoint,
    client,
    async newTable() {
      const name = `t-${randomUUID()}`;
      await ensureTable(client, name);
      return name;
    },
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}

/** A clock the test moves by hand. `sleep` moves it too, so waits take no real time. */
export function fakeClock(start = Date.UTC(2025, 0, 1)) {
  const clock = {
    t: start,
    now: () => clock.t,
    advance: (ms: number) => {
      clock.t += ms;
    },
    sleep: async (ms: number) => {
      clock.t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
  return clock;
}

export type FakeClock = ReturnType<typeof fakeClock>;

/** Stands for the value `current()` gives when it is used (reads and writes go to it). */
function standIn<T extends object>(what: string, current: () => T | undefined): T {
  const target = () => {
    const value = current();
    if (!value) throw new Error(`the ${what} is made in a hook: use it inside a test or a hook`);
    return value;
  };
  return new Proxy({} as T, {
    get: (_t, key) => Reflect.get(target(), key),
    set: (_t, key, value) => Reflect.set(target(), key, value),
  });
}

/**
 * dynalite for a describe block (started in `beforeAll`, stopped in `afterAll`), and before each test a
 * table with a fresh name (`table.name`) and a fresh fake clock starting at `clockStart`. The values
 * returned stand for the current ones: use them inside tests and hooks.
 */
export function useTestTable(clockStart?: number): { dynamo: TestDynamo; table: { readonly name: string }; clock: FakeClock } {
  let dynamo: TestDynamo | undefined;
  let name: string | undefined;
  let clock: FakeClock | undefined;
  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  beforeEach(async () => {
    name = await dynamo!.newTable();
    clock = fakeClock(clockStart);
  });
  return {
    dynamo: standIn('embedded DynamoDB', () => dynamo),
    table: {
      get name() {
        if (name === undefined) throw new Error('the test table is made in beforeEach: use it inside a test or a hook');
        return name;
      },
    },
    clock: standIn('fake clock', () => clock),
  };
}
