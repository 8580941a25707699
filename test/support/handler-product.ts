/**
 * Shared by the handler tests that invoke the product's handlers on an AppContext of their own: WeChat is
 * the sandbox, DynamoDB is dynalite with one table, events go to a MemoryPublisher; and a user who writes in
 * (the sandbox's push, and the send window it opens).
 *
 * @example
 * ```ts
 * let product: HandlerProduct;
 * beforeAll(async () => {
 *   product = await startHandlerProduct({ tableName: 'handlers-test' });
 * });
 * afterAll(() => product?.stop());
 * it('sends', async () => {
 *   await product.userWritesIn('o1');
 *   await createOperationHandler('sendText', product.getContext)(httpApiEvent('POST', '/messages/text', body));
 * });
 * ```
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HttpTransport } from '../../functions/core/transport';
import { configFromEnv } from '../../functions/context/config';
import { createContext, type AppContext } from '../../functions/context/context';
import { MemoryPublisher } from '../../functions/context/publisher';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { createDynamoClient, ensureTable, startEmbeddedDynamo } from '../../functions/store';

export interface HandlerProductOptions {
  tableName: string;
  /** How the context reaches WeChat (the context's own transport when absent). */
  transport?: HttpTransport;
  /** Called with the DynamoDB client before the table is made (e.g. to add a middleware that logs commands). */
  onClient?: (client: DynamoDBClient) => void;
}

export interface HandlerProduct {
  sandbox: Sandbox;
  ctx: AppContext;
  /** What the handlers are made with (`createOperationHandler(name, getContext)`). */
  getContext: () => Promise<AppContext>;
  publisher: MemoryPublisher;
  /** The user writes in: the sandbox pushes their message and the send window opens, as /callback does. */
  userWritesIn(openid: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the sandbox and dynalite, makes the table and the context on them. */
export async function startHandlerProduct(options: HandlerProductOptions): Promise<HandlerProduct> {
  const sandbox = await startSandbox({ quiet: true });
  const dynamo = await startEmbeddedDynamo({});
  const client = createDynamoClient({ endpoint: dynamo.endpoint });
  options.onClient?.(client);
  const config = configFromEnv({ TABLE_NAME: options.tableName, WECHAT_API_BASE_URL: sandbox.url, DYNAMODB_ENDPOINT: dynamo.endpoint });
  await ensureTable(client, config.tableName);
  const publisher = new MemoryPublisher();
  const ctx = await createContext({
    config,
    dynamo: client,
    ...(options.transport ? { transport: options.transport } : {}),
    publisher,
    secrets: async () => ({ appId: sandbox.appId, appSecret: sandbox.appSecret }),
  });
  return {
    sandbox,
    ctx,
    getContext: async () => ctx,
    publisher,
    async userWritesIn(openid: string) {
      await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
      await ctx.windows.recordInbound(openid, 'message', Date.now());
    },
    async stop() {
      await sandbox.stop();
      await dynamo.stop();
    },
  };
}
