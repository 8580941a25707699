/**
 * The Lambda handlers invoked with real-shaped AWS events: API Gateway HTTP API (2.0) and REST (1.0),
 * SQS with a failing item, EventBridge, and direct invocation. DynamoDB is dynalite, WeChat the sandbox.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { startSandbox, type Sandbox } from '../../functions/sandbox';
import { createDynamoClient, ensureTable, startEmbeddedDynamo } from '../../functions/store';
import { configFromEnv } from '../../functions/handlers/config';
import { createContext, type AppContext } from '../../functions/handlers/context';
import { createOperationHandler } from '../../functions/handlers/operation-handler';
import { createInteractionsHandler } from '../../functions/handlers/interactions-handler';
import { MemoryPublisher } from '../../functions/handlers/publisher';

const SEND = '/cgi-bin/message/custom/send';

function httpApiEvent(method: string, path: string, body?: unknown, extra: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', host: 'abc123.execute-api.us-east-1.amazonaws.com', 'user-agent': 'curl/8.5.0', 'x-forwarded-for': '203.0.113.7' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      // IAM-authorized routes carry the caller's identity, as API Gateway sends it.
      ...({ authorizer: { iam: { accessKey: 'AKIAEXAMPLE', accountId: '123456789012', callerId: 'AIDAEXAMPLE', principalOrgId: null, userArn: 'arn:aws:iam::123456789012:user/n8n', userId: 'AIDAEXAMPLE' } } } as object),
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '24/Nov/2026:13:00:00 +0000',
      timeEpoch: 1795957200000,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
    ...extra,
  };
}

function restEvent(method: string, path: string, resource: string, body?: unknown, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent {
  return {
    resource,
    path,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json', Host: 'abc123.execute-api.us-east-1.amazonaws.com' },
    multiValueHeaders: { 'Content-Type': ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' } as any,
      path: `/prod${path}`,
      stage: 'prod',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: 1795957200000,
      resourceId: 'x1y2z3',
      resourcePath: resource,
    },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

function sqsRecord(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1795957200000', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1795957200001' },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:wechat-kf-bulk-send',
    awsRegion: 'us-east-1',
  };
}

function eventBridgeEvent(id: string, detailType: string, detail: unknown): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'com.example.orders',
    account: '123456789012',
    time: '2026-11-24T13:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

describe('Lambda handlers with real-shaped AWS events', () => {
  let sandbox: Sandbox;
  let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let ctx: AppContext;
  const getContext = async () => ctx;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    dynamo = await startEmbeddedDynamo({});
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    const config = configFromEnv({ TABLE_NAME: 'handlers-test', WECHAT_API_BASE_URL: sandbox.url, DYNAMODB_ENDPOINT: dynamo.endpoint });
    await ensureTable(client, config.tableName);
    ctx = await createContext({ config, dynamo: client, publisher: new MemoryPublisher(), secrets: async () => ({ appId: sandbox.appId, appSecret: sandbox.appSecret }) });
  });
  afterAll(async () => {
    await sandbox.stop();
    await dynamo.stop();
  });

  async function userWritesIn(openid: string) {
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    await ctx.windows.recordInbound(openid, 'message', Date.now());
  }

  it('answers an HTTP API (payload 2.0) request in the 2.0 shape', async () => {
    await userWritesIn('oV2');
    const handler = createOperationHandler('sendMessage', getContext);
    const result: any = await handler(httpApiEvent('POST', '/messages', { touser: 'oV2', msgtype: 'text', text: { content: 'v2' } }));
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false });
    expect(JSON.parse(result.body)).toMatchObject({ errcode: 0 });
    expect(sandbox.messages('oV2')).toHaveLength(1);
  });

  it('answers a REST (payload 1.0) request, taking kf_account from the path', async () => {
    const add = createOperationHandler('addKfAccount', getContext);
    const update = createOperationHandler('updateKfAccount', getContext);
    await add(restEvent('POST', '/kf-accounts', '/kf-accounts', { kf_account: 'rest@sandbox', nickname: 'Rest' }));
    const result: any = await update(restEvent('PUT', '/kf-accounts/rest%40sandbox', '/kf-accounts/{kf_account}', { nickname: 'Rest 2' }, { kf_account: 'rest%40sandbox' }));
    expect(result.statusCode).toBe(200);
    expect(sandbox.kfAccounts().find((k) => k.kf_account === 'rest@sandbox')?.kf_nick).toBe('Rest 2');
  });

  it('reports only the failing SQS message in batchItemFailures, and is idempotent by message id', async () => {
    // Prepare
    await userWritesIn('oSqs1');
    await userWritesIn('oSqs2');
    const handler = createOperationHandler('sendMessage', getContext);
    const batch: SQSEvent = {
      Records: [
        sqsRecord('m-1', { touser: 'oSqs1', msgtype: 'text', text: { content: 'one' } }),
        sqsRecord('m-2', { touser: 'oSqs2', msgtype: 'text', text: {} }),
        sqsRecord('m-3', { touser: 'oSqs2', msgtype: 'text', text: { content: 'three' } }),
        sqsRecord('m-4', '{not json'),
      ],
    };
    const before = sandbox.count(SEND);
    // Act
    const first: any = await handler(batch);
    const redelivered: any = await handler(batch);
    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-4' }]);
    expect(redelivered.batchItemFailures).toEqual([{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-4' }]);
    expect(sandbox.count(SEND) - before).toBe(2);
  });

  it('performs an EventBridge event whose detail-type is the operation name, once per event id', async () => {
    await userWritesIn('oEb');
    const handler = createOperationHandler('sendText', getContext);
    const event = eventBridgeEvent('6a7e8feb-b491-4cf7-a9f1-bf3703467718', 'sendText', { touser: 'oEb', text: { content: 'from EventBridge' } });
    const result = await handler(event);
    await handler(event);
    expect(result).toMatchObject({ errcode: 0 });
    expect(sandbox.messages('oEb')).toHaveLength(1);
    await expect(handler(eventBridgeEvent('x', 'sendImage', {}))).rejects.toThrow(/detail-type: must be "sendText"/);
  });

  it('takes a direct invocation with the input as the event, and throws typed errors', async () => {
    const handler = createOperationHandler('listKfAccounts', getContext);
    expect(await handler({})).toMatchObject({ kf_list: expect.any(Array) });
    const send = createOperationHandler('sendText', getContext);
    await expect(send({ touser: 'oClosed', text: { content: 'x' } })).rejects.toMatchObject({ code: 'SEND_WINDOW_CLOSED' });
  });

  it('answers window state over HTTP API', async () => {
    await userWritesIn('oState');
    const handler = createInteractionsHandler(getContext);
    const result: any = await handler(httpApiEvent('GET', '/interactions/oState', undefined, { pathParameters: { openid: 'oState' } }));
    expect(JSON.parse(result.body)).toMatchObject({ openid: 'oState', canSend: true, sendsLeft: 5, canType: true });
  });
});
