/**
 * A forced refresh knocks out every other system on the AppID, and WeChat allows 20 a day, 30 s apart.
 * Against the sandbox (whose stable_token hands every caller the same token, as WeChat's does), through
 * the WeChat client and the DynamoDB token cache on dynalite: normal mode first, force only when normal
 * mode hands back the very token refused, and the budget is kept in the table for every container.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { WeChatClient } from '../../functions/core/client';
import { TokenRefreshBudgetError } from '../../functions/core/errors';
import { beijingDay, InMemoryTokenProvider } from '../../functions/core/token';
import { FetchTransport } from '../../functions/core/transport';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { DynamoDbTokenProvider, keys, marshallKey } from '../../functions/store';
import { startTestDynamo, type TestDynamo } from './helpers';

const SEND = '/cgi-bin/message/custom/send';
const STABLE = '/cgi-bin/stable_token';

describe('forced token refreshes', () => {
  let dynamo: TestDynamo;
  let tableName: string;
  let sandbox: Sandbox;
  let clock: number;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    clock = Date.UTC(2026, 5, 1, 2, 0, 0);
    sandbox = await startSandbox({ quiet: true, now: () => clock });
    tableName = await dynamo.newTable();
    await sandbox.simulateUser('oBudget', { type: 'text', content: 'hi' });
  });
  afterEach(async () => {
    await sandbox.stop();
  });

  /** One WeChat client per simulated Lambda container, all on one table. */
  const container = () => {
    const transport = new FetchTransport();
    const tokens = new DynamoDbTokenProvider({
      client: dynamo.client,
      tableName,
      now: () => clock,
      fetch: { transport, baseUrl: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret, mode: 'stable', now: () => clock },
    });
    return new WeChatClient({ transport, tokens, baseUrl: sandbox.url, retry: { attempts: 1 } });
  };
  const send = (client: WeChatClient, content = 'hi') => client.call('sendText', { touser: 'oBudget', text: { content } });
  const forces = () => sandbox.requests(STABLE).filter((r) => (r.body as { force_refresh?: boolean }).force_refresh === true).length;
  const otherSystemForces = () =>
    fetch(`${sandbox.url}${STABLE}`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', appid: sandbox.appId, secret: sandbox.appSecret, force_refresh: true }),
    });

  it("after another system's forced refresh, a normal fetch gets the new token: nothing is forced and the send succeeds", async () => {
    // Prepare: this product holds the token; another system on the AppID forces a refresh
    const client = container();
    await send(client);
    await otherSystemForces();
    // Act
    const answer = await send(client, 'after the other system forced');
    // Assess
    expect(answer).toMatchObject({ errcode: 0 });
    expect(forces()).toBe(1);
    expect(sandbox.messages('oBudget')).toHaveLength(2);
  });

  it('forces only when normal mode hands back the refused token, and a second force within 30 s in another container is refused with a clear error', async () => {
    // Prepare: WeChat refuses a valid token (40001) that stable_token in normal mode still hands out
    const a = container();
    const b = container();
    await send(a);
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 40001, times: 1 });
    // Act: container A recovers by forcing once; 10 s later the same happens to B
    const first = await send(a, 'A after 40001');
    clock += 10_000;
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 40001, times: 1 });
    const second = await send(b, 'B after 40001').catch((e: unknown) => e);
    // Assess
    expect(first).toMatchObject({ errcode: 0 });
    expect(forces()).toBe(1);
    expect(second).toBeInstanceOf(TokenRefreshBudgetError);
    expect(second).toMatchObject({ status: 503, limit: 'spacing', code: 'TOKEN_REFRESH_BUDGET_SPENT' });
    expect((second as Error).message).toMatch(/30 s apart/);
  });

  it('when the 20 forced refreshes of the day are spent, fails with an error naming the budget and forces nothing', async () => {
    // Prepare: the table says 20 forces were made today, the last an hour ago
    const client = container();
    await send(client);
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshallKey(keys.token(sandbox.appId, 'stable')),
        UpdateExpression: 'SET forceDay = :day, forceCount = :count, lastForceAt = :last',
        ExpressionAttributeValues: {
          ':day': { N: String(beijingDay(clock)) },
          ':count': { N: '20' },
          ':last': { N: String(clock - 3_600_000) },
        },
      }),
    );
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 40001, times: 1 });
    // Act
    const error = await send(client, 'after 40001').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TokenRefreshBudgetError);
    expect(error).toMatchObject({ limit: 'daily', retryable: false });
    expect((error as Error).message).toMatch(/all 20 of today/);
    expect(forces()).toBe(0);
  });

  it("n8n's direct mode rule in memory: normal first, force once, then the 30 s spacing holds per provider", async () => {
    // Prepare
    const transport = new FetchTransport();
    const tokens = new InMemoryTokenProvider({
      transport,
      baseUrl: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      now: () => clock,
    });
    const client = new WeChatClient({ transport, tokens, baseUrl: sandbox.url, retry: { attempts: 1 } });
    await send(client);
    await otherSystemForces();
    // Act
    const afterOther = await send(client, 'after the other system');
    clock += 31_000;
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 40001, times: 1 });
    const afterRefusal = await send(client, 'after 40001');
    clock += 5_000;
    sandbox.injectFault({ path: SEND, kind: 'errcode', errcode: 40001, times: 1 });
    const tooSoon = await send(client, 'again').catch((e: unknown) => e);
    // Assess
    expect(afterOther).toMatchObject({ errcode: 0 });
    expect(afterRefusal).toMatchObject({ errcode: 0 });
    expect(forces()).toBe(2);
    expect(tooSoon).toMatchObject({ limit: 'spacing' });
  });
});
