import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { WeChatApiError } from '../../functions/core/errors';
import type { TokenFetchConfig, TokenMode } from '../../functions/core/token';
import { FetchTransport } from '../../functions/core/transport';
import { createDynamoClient, DynamoDbTokenProvider, keys, marshallKey } from '../../functions/store';
import { fakeClock, startTestDynamo, startTokenServer, type TestDynamo } from './helpers';

const APP_ID = 'wx-test-app';
const APP_SECRET = 'the-app-secret-0123456789';
const PATHS: Record<TokenMode, string> = { stable: '/cgi-bin/stable_token', classic: '/cgi-bin/token' };

describe('DynamoDbTokenProvider', () => {
  let dynamo: TestDynamo;
  let wechat: Awaited<ReturnType<typeof startTokenServer>>;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    wechat = await startTokenServer();
    tableName = await dynamo.newTable();
  });
  afterEach(async () => {
    await wechat.stop();
  });

  const fetchConfig = (mode: TokenMode = 'stable', now?: () => number): TokenFetchConfig => ({
    transport: new FetchTransport(),
    baseUrl: wechat.url,
    appId: APP_ID,
    appSecret: APP_SECRET,
    mode,
    now,
  });

  /** One provider per simulated Lambda container. */
  const containers = (count: number, mode: TokenMode, extra: Partial<ConstructorParameters<typeof DynamoDbTokenProvider>[0]> = {}) =>
    Array.from(
      { length: count },
      (_, i) =>
        new DynamoDbTokenProvider({
          client: dynamo.client,
          tableName,
          // Half of them resolve their config lazily, as a secret would be.
          fetch: i % 2 === 0 ? fetchConfig(mode, extra.now) : async () => fetchConfig(mode, extra.now),
          ...extra,
        }),
    );

  const storedItem = async (mode: TokenMode = 'stable') =>
    (
      await dynamo.client.send(
        new GetItemCommand({ TableName: tableName, Key: marshallKey(keys.token(APP_ID, mode)), ConsistentRead: true }),
      )
    ).Item;

  test.each<TokenMode>(['stable', 'classic'])(
    '50 concurrent callers in 5 containers with a cold cache cause exactly one fetch (%s mode)',
    async (mode) => {
      // Prepare
      const providers = containers(5, mode);

      // Act
      const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => providers[i % 5]!.getToken()));

      // Assess
      expect(wechat.count(PATHS[mode])).toBe(1);
      expect(wechat.requests).toHaveLength(1);
      expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-1']));
      const item = await storedItem(mode);
      expect(item?.accessToken?.S).toBe('token-1');
      expect(item?.leaseOwner).toBeUndefined();
    },
  );

  test('each token mode has its own item', async () => {
    // Prepare
    const [stable] = containers(1, 'stable');
    const [classic] = containers(1, 'classic');

    // Act
    const a = await stable!.getToken();
    const b = await classic!.getToken();

    // Assess
    expect(a.value).not.toBe(b.value);
    expect((await storedItem('stable'))?.accessToken?.S).toBe(a.value);
    expect((await storedItem('classic'))?.accessToken?.S).toBe(b.value);
  });

  test('a container keeps the token in memory until it is stale, then exactly one caller refreshes it', async () => {
    // Prepare
    const clock = fakeClock();
    const providers = containers(3, 'stable', { now: clock.now, sleep: clock.sleep });
    const first = await providers[0]!.getToken();
    await Promise.all(providers.map((p) => p.getToken()));
    expect(wechat.requests).toHaveLength(1);

    // Act: 5 minutes before expiry the token is stale
    clock.advance(first.expiresAt - clock.now() - 5 * 60_000);
    const tokens = await Promise.all(providers.flatMap((p) => [p.getToken(), p.getToken()]));

    // Assess
    expect(wechat.requests).toHaveLength(2);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-2']));
  });

  test('a caller that read the stale item before another stored a fresh token does not fetch again', async () => {
    // Prepare: container X's lease write is held back until A has refreshed (a real client, slowed down)
    const slowClient = createDynamoClient({ endpoint: dynamo.endpoint });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let waiting = false;
    slowClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && !waiting) {
          waiting = true;
          await gate;
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const x = new DynamoDbTokenProvider({ client: slowClient, tableName, fetch: fetchConfig() });
    const [a] = containers(1, 'stable');

    // Act
    const xToken = x.getToken();
    while (!waiting) await new Promise((r) => setTimeout(r, 5));
    const aToken = await a!.getToken();
    open();

    // Assess
    expect((await xToken).value).toBe(aToken.value);
    expect(wechat.requests).toHaveLength(1);
    slowClient.destroy();
  });

  test('a lease whose holder died is taken over once it expires, with exactly one new fetch', async () => {
    // Prepare: a holder took the lease 1 s ago and died
    const clock = fakeClock();
    await dynamo.client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...marshallKey(keys.token(APP_ID, 'stable')),
          leaseOwner: { S: 'dead-container' },
          leaseUntil: { N: String(clock.now() + 9_000) },
        },
      }),
    );
    const providers = containers(3, 'stable', { now: clock.now, sleep: clock.sleep, leaseMs: 10_000, maxWaitMs: 30_000 });

    // Act
    const tokens = await Promise.all(providers.map((p) => p.getToken()));

    // Assess
    expect(wechat.requests).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-1']));
    const item = await storedItem();
    expect(item?.accessToken?.S).toBe('token-1');
    expect(item?.leaseOwner).toBeUndefined();
  });

  test('a holder whose fetch hangs past its lease is replaced, and its late token does not overwrite the newer one', async () => {
    // Prepare: container A takes the lease and its fetch hangs
    const clock = fakeClock();
    const [a, b] = containers(2, 'stable', { now: clock.now, sleep: clock.sleep, leaseMs: 10_000, maxWaitMs: 30_000 });
    wechat.hold(1);
    const slow = a!.getToken();
    while (wechat.heldCount() < 1) await new Promise((r) => setTimeout(r, 5));

    // Act: B waits until A's lease lapses, takes it over and fetches; then A's answer arrives
    const fast = await b!.getToken();
    wechat.release();
    const late = await slow;

    // Assess
    expect(wechat.requests).toHaveLength(2);
    expect(fast.value).toBe('token-1');
    expect(late.value).toBe('token-2');
    expect((await storedItem())?.accessToken?.S).toBe('token-1');
    expect((await storedItem())?.leaseOwner).toBeUndefined();
  });

  test('invalidating a token that was already replaced does nothing', async () => {
    // Prepare: token-1, then (stale) token-2 is stored
    const clock = fakeClock();
    const [p1, p2] = containers(2, 'stable', { now: clock.now, sleep: clock.sleep });
    const first = await p1!.getToken();
    clock.advance(first.expiresAt - clock.now());
    expect((await p1!.getToken()).value).toBe('token-2');

    // Act
    await p2!.invalidate('token-1');
    const after = await p2!.getToken();

    // Assess
    expect(after.value).toBe('token-2');
    expect(wechat.requests).toHaveLength(2);
    expect((await storedItem())?.refusedHash).toBeUndefined();
  });

  test('invalidating the current token causes exactly one refresh across containers, a normal one when WeChat hands a new token', async () => {
    // Prepare
    const providers = containers(5, 'stable');
    await Promise.all(providers.map((p) => p.getToken()));
    expect(wechat.requests).toHaveLength(1);

    // Act: every container's call was refused with token-1
    await Promise.all(providers.map((p) => p.invalidate('token-1')));
    const tokens = await Promise.all(providers.flatMap((p) => [p.getToken(), p.getToken()]));

    // Assess: normal mode handed back a new token, so nothing was forced
    expect(wechat.requests).toHaveLength(2);
    expect(wechat.requests.map((r) => JSON.parse(r.body).force_refresh)).toEqual([false, false]);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-2']));
    expect((await storedItem())?.refusedHash).toBeUndefined();
  });

  test('a failed fetch releases the lease, throws without the secret, and the next caller fetches again', async () => {
    // Prepare
    const [provider] = containers(1, 'stable');
    wechat.failWith(40125);

    // Act
    const failure = await provider!.getToken().catch((e: unknown) => e);
    const item = await storedItem();
    const token = await provider!.getToken();

    // Assess
    expect(failure).toBeInstanceOf(WeChatApiError);
    expect((failure as WeChatApiError).errcode).toBe(40125);
    expect(String((failure as Error).message)).not.toContain(APP_SECRET);
    expect(item?.leaseOwner).toBeUndefined();
    expect(token.value).toBe('token-1');
    expect(wechat.requests).toHaveLength(2);
  });

  test('a failed refresh after a refusal keeps what was refused for the next try, which fetches normally', async () => {
    // Prepare
    const [provider] = containers(1, 'stable');
    await provider!.getToken();
    await provider!.invalidate('token-1');
    // (Not -1: a busy WeChat is asked again by fetchAccessToken itself.)
    wechat.failWith(40164);

    // Act
    await expect(provider!.getToken()).rejects.toThrow();
    const refusedKept = (await storedItem())?.refusedHash;
    const token = await provider!.getToken();

    // Assess
    expect(refusedKept).toBeDefined();
    expect(token.value).toBe('token-2');
    expect(wechat.requests.map((r) => JSON.parse(r.body).force_refresh)).toEqual([false, false, false]);
  });
});
