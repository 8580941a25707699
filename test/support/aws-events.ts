/**
 * Real-shaped AWS events for handler tests, as AWS documents them: API Gateway HTTP API (payload 2.0) and
 * REST (payload 1.0) proxy events, SQS records and EventBridge events.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, EventBridgeEvent, SQSRecord } from 'aws-lambda';

export function httpApiEvent(
  method: string,
  path: string,
  body?: unknown,
  extra: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-forwarded-for': '203.0.113.7',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      // IAM-authorized routes carry the caller's identity, as API Gateway sends it.
      ...({
        authorizer: {
          iam: {
            accessKey: 'AKIAEXAMPLE',
            accountId: '123456789012',
            callerId: 'AIDAEXAMPLE',
            principalOrgId: null,
            userArn: 'arn:aws:iam::123456789012:user/n8n',
            userId: 'AIDAEXAMPLE',
          },
        },
      } as object),
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

export function restEvent(
  method: string,
  path: string,
  resource: string,
  body?: unknown,
  pathParameters: Record<string, string> | null = null,
): APIGatewayProxyEvent {
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

export function sqsRecord(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795957200000',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1795957200001',
    },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:wechat-kf-bulk-send',
    awsRegion: 'us-east-1',
  };
}

export function eventBridgeEvent(id: string, detailType: string, detail: unknown): EventBridgeEvent<string, unknown> {
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
