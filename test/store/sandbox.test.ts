/**
 * The store end to end against the project's WeChat sandbox over HTTP: the token cache shared by several
 * containers, and the send gate in front of the real client.
 */
import { WeChatClient } from '../../functions/core/client';
import { SendWindowClosedError } from '../../functions/core/errors';
import type { TokenMode } from '../../functions/core/token';
import { FetchTransport } from '../../functions/core/transport';
import { startSandbox } from '../../functions/dev/sandbox';
import { DynamoDbTokenProvider, WindowStore } from '../../functions/store';
import { startTestDynamo, type TestDynamo } from './helpers';

const SEND_PATH = '/cgi-bin/message/custom/send';
const TOKEN_PATHS: Record<TokenMode, string> = { stable: '/cgi-bin/stable_token', classic: '/cgi-bin/token' };

describe('the store against the WeChat sandbox', () => {
  let dynamo: TestDynamo;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    sandbox = await startSandbox({ quiet: true });
  });
  afterAll(async () => {
    await sandbox.stop();
    await dynamo.stop();
  });
  beforeEach(async () => {
    sandbox.reset();
    tableName = await dynamo.newTable();
  });

  /** One token provider and WeChat client per simulated Lambda container. */
  const containers = (count: number, mode: TokenMode = 'stable') =>
    Array.from({ length: count }, () => {
      const transport = new FetchTransport();
      const tokens = new DynamoDbTokenProvider({
        client: dynamo.client,
        tableName,
        fetch: async () => ({ transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret, mode }),
      });
      return { tokens, wechat: new WeChatClient({ transport, tokens, baseUrl: sandbox.url }) };
    });

  test.each<TokenMode>(['stable', 'classic'])(
    '50 concurrent callers in 5 containers: one token fetch reaches WeChat (%s)',
    async (mode) => {
      // Prepare
      const fleet = containers(5, mode);

      // Act
      const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => fleet[i % 5]!.tokens.getToken()));

      // Assess
      expect(sandbox.count(TOKEN_PATHS[mode])).toBe(1);
      expect(new Set(tokens.map((t) => t.value)).size).toBe(1);
    },
  );

  test('a token WeChat refuses is replaced by exactly one refresh across containers, a normal one when WeChat has a new token', async () => {
    // Prepare: the user wrote in; every container has the token; then WeChat stops accepting it
    await sandbox.simulateUser('o_refresh', { type: 'text', content: 'hi' });
    const fleet = containers(5);
    await Promise.all(fleet.map((c) => c.tokens.getToken()));
    sandbox.invalidateTokens();

    // Act: each container sends once; each gets 40001, invalidates and retries
    const results = await Promise.all(
      fleet.map((c, i) => c.wechat.call('sendText', { touser: 'o_refresh', text: { content: `hello ${i}` } })),
    );

    // Assess
    expect(results.every((r) => (r.errcode ?? 0) === 0)).toBe(true);
    const fetches = sandbox.requests(TOKEN_PATHS.stable);
    expect(fetches).toHaveLength(2);
    expect(fetches[0]!.body).toMatchObject({ force_refresh: false });
    expect(fetches[1]!.body).toMatchObject({ force_refresh: false });
    expect(sandbox.messages('o_refresh')).toHaveLength(5);
  });

  test('20 concurrent sends to a user whose window allows 5: the gate lets 5 reach WeChat', async () => {
    // Prepare
    const [container] = containers(1);
    const windows = new WindowStore({ client: dynamo.client, tableName, appId: sandbox.appId });
    await sandbox.simulateUser('o_gate', { type: 'text', content: 'hi' });
    await windows.recordInbound('o_gate', 'message', Date.now());

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, async (_, i) => {
        const permit = await windows.acquireSend('o_gate');
        try {
          return await container!.wechat.call('sendText', { touser: 'o_gate', text: { content: `message ${i}` } });
        } catch (error) {
          await permit.release();
          throw error;
        }
      }),
    );

    // Assess
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    expect(refused).toHaveLength(15);
    expect(refused.every((r) => r.reason instanceof SendWindowClosedError && r.reason.reason === 'quota-used')).toBe(true);
    expect(sandbox.count(SEND_PATH)).toBe(5);
    expect(sandbox.messages('o_gate')).toHaveLength(5);
  });
});
