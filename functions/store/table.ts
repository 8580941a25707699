/**
 * The one DynamoDB table everything in functions/store lives in, and how its keys are built.
 *
 * Every item has a string partition key `pk` and a string sort key `sk`, and may carry `expiresAt` (epoch
 * seconds), the table's TTL attribute. DynamoDB deletes expired items lazily (up to days late) and the
 * embedded dynalite never does, so every reader checks expiry in code and TTL only keeps the table small.
 *
 * | item | pk | sk | written by |
 * | --- | --- | --- | --- |
 * | access token of an app, per token mode | `TOKEN#<appId>` | `MODE#stable` or `MODE#classic` | {@link DynamoDbTokenProvider} |
 * | a user's send and typing window | `WINDOW#<appId>#<openid>` | `WINDOW` | {@link WindowStore} |
 * | an inbound callback already seen | `INBOUND#<appId>#<key>` | `DEDUP` | {@link InboundDedup} |
 * | an idempotency record | `IDEMPOTENCY#<operation>` | `<operation>#<hash of the key>` | Powertools idempotency |
 * | a delivery record, by user / by day | `DELIVERY#<appId>#<openid>` / `DELIVERIES#<appId>#<day>` | `AT#<ms>#<id>` | {@link DeliveryStore} |
 *
 * Each user's window gets a partition of its own, so sends to many users spread over the table; the
 * token is one item per app and mode, read rarely (containers keep it in memory).
 *
 * @example
 * ```ts
 * const client = createDynamoClient();
 * await ensureTable(client, 'wechat-kf');
 * ```
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The partition key attribute (string). */
export const TABLE_PARTITION_KEY = 'pk';
/** The sort key attribute (string). */
export const TABLE_SORT_KEY = 'sk';
/** The TTL attribute: epoch seconds after which DynamoDB may delete the item. Set it on the table in CDK. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';

/**
 * The table's CreateTable input, without its name: `pk` (S) and `sk` (S), on-demand.
 *
 * @example
 * ```ts
 * await client.send(new CreateTableCommand({ ...tableSchema, TableName: 'wechat-kf' }));
 * ```
 */
export const tableSchema: Readonly<Omit<CreateTableCommandInput, 'TableName'>> = {
  KeySchema: [
    { AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' },
    { AttributeName: TABLE_SORT_KEY, KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' },
    { AttributeName: TABLE_SORT_KEY, AttributeType: 'S' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

/** A primary key of the table. */
export interface TableKey {
  pk: string;
  sk: string;
}

/** The keys of each kind of item; see the module comment. */
export const keys = {
  /**
   * @example
   * ```ts
   * keys.token('wx123', 'stable'); // { pk: 'TOKEN#wx123', sk: 'MODE#stable' }
   * ```
   */
  token: (appId: string, mode: string): TableKey => ({ pk: `TOKEN#${appId}`, sk: `MODE#${mode}` }),
  /**
   * @example
   * ```ts
   * keys.window('wx123', 'OPENID'); // { pk: 'WINDOW#wx123#OPENID', sk: 'WINDOW' }
   * ```
   */
  window: (appId: string, openid: string): TableKey => ({ pk: `WINDOW#${appId}#${openid}`, sk: 'WINDOW' }),
  /**
   * @example
   * ```ts
   * keys.inbound('wx123', 'msg:123'); // { pk: 'INBOUND#wx123#msg:123', sk: 'DEDUP' }
   * ```
   */
  inbound: (appId: string, key: string): TableKey => ({ pk: `INBOUND#${appId}#${key}`, sk: 'DEDUP' }),
  /**
   * The partition of one operation's idempotency records (the sort key is Powertools' hashed key).
   *
   * @example
   * ```ts
   * keys.idempotencyPartition('sendText'); // 'IDEMPOTENCY#sendText'
   * ```
   */
  idempotencyPartition: (operation: string): string => `IDEMPOTENCY#${operation}`,
};

/**
 * A key in the SDK's attribute-value form.
 *
 * @example
 * ```ts
 * await client.send(new GetItemCommand({ TableName, Key: marshallKey(keys.window(appId, openid)) }));
 * ```
 */
export function marshallKey(key: TableKey): Record<string, AttributeValue> {
  return { [TABLE_PARTITION_KEY]: { S: key.pk }, [TABLE_SORT_KEY]: { S: key.sk } };
}

/**
 * Epoch seconds of a time in ms, rounded up, for `expiresAt`.
 *
 * @example
 * ```ts
 * epochSeconds(1_700_000_000_001); // 1_700_000_001
 * ```
 */
export function epochSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/**
 * Whether an error is DynamoDB's answer to a failed ConditionExpression.
 *
 * @example
 * ```ts
 * try { await client.send(conditionalPut); } catch (e) { if (!isConditionalCheckFailed(e)) throw e; }
 * ```
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * Reads a number attribute.
 *
 * @example
 * ```ts
 * numberAttr({ sendsUsed: { N: '2' } }, 'sendsUsed'); // 2
 * ```
 */
export function numberAttr(item: Record<string, AttributeValue> | undefined, name: string): number | undefined {
  const v = item?.[name];
  return v && 'N' in v && v.N !== undefined ? Number(v.N) : undefined;
}

/**
 * Reads a string attribute.
 *
 * @example
 * ```ts
 * stringAttr({ lastInboundKind: { S: 'message' } }, 'lastInboundKind'); // 'message'
 * ```
 */
export function stringAttr(item: Record<string, AttributeValue> | undefined, name: string): string | undefined {
  const v = item?.[name];
  return v && 'S' in v ? v.S : undefined;
}

/**
 * An `N` attribute value.
 *
 * @example
 * ```ts
 * n(5); // { N: '5' }
 * ```
 */
export function n(value: number): AttributeValue {
  return { N: String(value) };
}

/**
 * An `S` attribute value.
 *
 * @example
 * ```ts
 * s('message'); // { S: 'message' }
 * ```
 */
export function s(value: string): AttributeValue {
  return { S: value };
}

/**
 * `#name` placeholders for attribute names, so reserved words (`status`, `data`, ...) never bite.
 *
 * @example
 * ```ts
 * names('sendsUsed', 'status'); // { '#sendsUsed': 'sendsUsed', '#status': 'status' }
 * ```
 */
export function names(...attributes: string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
}

export interface EnsureTableOptions {
  /** Give up waiting for ACTIVE after this long. Default 60 s. */
  timeoutMs?: number;
  /** Poll interval while the table is being created. Default 100 ms. */
  pollMs?: number;
}

/**
 * Creates the table if it does not exist, waits until it is ACTIVE, and turns TTL on (best effort: the
 * embedded dynalite has no TTL, and every reader checks expiry in code anyway). Safe to call concurrently
 * and repeatedly. Used by the local server and the tests; in AWS the CDK construct creates the table.
 *
 * @example
 * ```ts
 * const { endpoint } = await startEmbeddedDynamo();
 * const client = createDynamoClient({ endpoint });
 * await ensureTable(client, 'wechat-kf');
 * ```
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: EnsureTableOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  const started = Date.now();
  let status = await describeStatus(client, tableName);
  if (status === undefined) {
    try {
      await client.send(new CreateTableCommand({ ...tableSchema, TableName: tableName }));
    } catch (error) {
      // Someone else created it between our describe and create: fine, wait for it like they do.
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    }
    status = await describeStatus(client, tableName);
  }
  while (status !== 'ACTIVE') {
    if (Date.now() - started > timeoutMs)
      throw new Error(`table ${tableName} is not ACTIVE after ${timeoutMs} ms (status ${status ?? 'missing'})`);
    await new Promise((r) => setTimeout(r, pollMs));
    status = await describeStatus(client, tableName);
  }
  await enableTtl(client, tableName);
}

async function describeStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus ?? 'ACTIVE';
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status === 'ENABLED' || status === 'ENABLING') return;
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true } }),
    );
  } catch {
    // Best effort: dynalite answers UnknownOperationException, and a concurrent caller may have turned it
    // on already. Nothing depends on TTL but the table's size.
  }
}
