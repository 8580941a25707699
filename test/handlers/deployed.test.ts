/**
 * The handlers as they are deployed: bundled by esbuild the way the CDK construct bundles them, loaded in
 * a fresh Node process with only the deployed environment (TABLE_NAME, SECRET_ID, EVENT_BUS_NAME,
 * WECHAT_API_BASE_URL, OPERATION_NAME, and the SDK's AWS_ENDPOINT_URL_* redirects), and invoked with API
 * Gateway events. Secrets Manager, EventBridge, SQS and KMS are small stand-ins speaking their JSON protocols;
 * DynamoDB is dynalite; WeChat is the sandbox. The secret, the callback token, the AES key and the access
 * token must never appear in what the functions print.
 */
import { execFile } from 'child_process';
import { createHash } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { WeChatCrypto } from '../../functions/core/callback';
import { buildPush } from '../support/push';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { createDynamoClient, ensureTable, startEmbeddedDynamo, type EmbeddedDynamo } from '../../functions/store';
import { eventBridgeEvent, httpApiEvent, sqsRecord } from '../support/aws-events';
import { verifyDelivery } from '../../functions/core/webhooks';
import { startReceiver } from '../webhooks/receiver';
import { createWebhookRuntime } from '../../functions/webhooks/runtime';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { buildBundles } from '../support/bundles';
import { LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';

const CALLBACK_TOKEN = 'deployedToken123';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

interface AwsStandIn {
  url: string;
  putEvents: Array<Record<string, unknown>>;
  /** KMS Decrypt requests (the webhook delivery opening a subscription's secret, a function opening an account's). */
  kmsDecrypts: Array<{ KeyId: string; EncryptionContext: Record<string, string> }>;
  /** KMS Encrypt requests (createAccount sealing an account's secret). */
  kmsEncrypts: Array<{ KeyId: string; EncryptionContext: Record<string, string> }>;
  /** SQS SendMessageBatch requests (the webhook fan-out's deliveries). */
  sqsBatches: Array<{ QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> }>;
  /** SQS SendMessage requests (turn timers: the callback arming one, the closer re-arming). */
  sqsSends: Array<{ QueueUrl: string; MessageBody: string; DelaySeconds?: number }>;
  secretReads: number;
  stop(): Promise<void>;
}

const ACCOUNT_B = 'wxbbbbbbbbbbbbbbbb';
const ACCOUNT_B_SECRET = 'secretOfAccountBdeployed';
const ACCOUNT_B_TOKEN = 'tokenOfB2026';
const ACCOUNT_KEY = 'arn:aws:kms:us-east-1:123456789012:key/accounts';

/** Secrets Manager GetSecretValue, EventBridge PutEvents, KMS Decrypt (awsJson1_1) and SQS SendMessageBatch (awsJson1_0), as the SDK speaks them. */
async function startAwsStandIn(secret: Record<string, string>): Promise<AwsStandIn> {
  const state: AwsStandIn = {
    url: '',
    putEvents: [],
    kmsDecrypts: [],
    kmsEncrypts: [],
    sqsBatches: [],
    sqsSends: [],
    secretReads: 0,
    stop: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'secretsmanager.GetSecretValue') {
        state.secretReads++;
        res.end(
          JSON.stringify({
            ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${body.SecretId}`,
            Name: body.SecretId,
            SecretString: JSON.stringify(secret),
            VersionId: 'v1',
          }),
        );
      } else if (target === 'AWSEvents.PutEvents') {
        state.putEvents.push(...body.Entries);
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: body.Entries.map((_: unknown, i: number) => ({ EventId: `e-${i}` })) }));
      } else if (target === 'TrentService.Decrypt') {
        // The test's sealer stores the secret itself as the "ciphertext": Decrypt hands it back.
        state.kmsDecrypts.push({ KeyId: body.KeyId, EncryptionContext: body.EncryptionContext });
        res.end(JSON.stringify({ KeyId: body.KeyId, Plaintext: body.CiphertextBlob, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
      } else if (target === 'TrentService.Encrypt') {
        // The stand-in's "ciphertext" is the plaintext itself, which its Decrypt hands back.
        state.kmsEncrypts.push({ KeyId: body.KeyId, EncryptionContext: body.EncryptionContext });
        res.end(JSON.stringify({ KeyId: body.KeyId, CiphertextBlob: body.Plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }));
      } else if (target === 'AmazonSQS.SendMessage') {
        state.sqsSends.push(body);
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(
          JSON.stringify({
            MessageId: `m-${state.sqsSends.length}`,
            MD5OfMessageBody: createHash('md5').update(body.MessageBody, 'utf8').digest('hex'),
          }),
        );
      } else if (target === 'AmazonSQS.SendMessageBatch') {
        state.sqsBatches.push(body);
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
        res.end(
          JSON.stringify({
            Successful: body.Entries.map((e: { Id: string; MessageBody: string }) => ({
              Id: e.Id,
              MessageId: `m-${e.Id}`,
              MD5OfMessageBody: md5(e.MessageBody),
            })),
            Failed: [],
          }),
        );
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

/** An HTTP API request with a raw body and query, as API Gateway delivers WeChat's push. */
function httpEvent(
  method: string,
  path: string,
  body: string | undefined,
  query: Record<string, string> = {},
  contentType = 'application/json',
) {
  const event = httpApiEvent(method, path, undefined, {
    queryStringParameters: Object.keys(query).length ? query : undefined,
    rawQueryString: new URLSearchParams(query).toString(),
    body,
  });
  event.headers = { ...event.headers, 'content-type': contentType };
  return event;
}

describe('bundled handlers in the deployed environment', () => {
  let dir: string;
  let sandbox: Sandbox;
  let dynamo: EmbeddedDynamo;
  let aws: AwsStandIn;
  let env: NodeJS.ProcessEnv;

  /** Invokes a bundled handler in a fresh process; returns its result and everything it printed. */
  function invoke(entry: string, event: unknown, extraEnv: Record<string, string> = {}): Promise<{ result: any; output: string }> {
    const eventFile = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(eventFile, JSON.stringify(event));
    const runner = `require(${JSON.stringify(join(dir, entry, 'index.js'))}).handler(require(${JSON.stringify(eventFile)}), { functionName: 'fn', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10000 }).then((r) => { process.stdout.write('\\nRESULT ' + JSON.stringify(r) + '\\n'); }, (e) => { process.stdout.write('\\nRESULT ' + JSON.stringify({ thrown: e.name, message: e.message }) + '\\n'); });`;
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', runner], { env: { ...env, ...extraEnv }, timeout: 30_000 }, (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stdout}\n${stderr}`));
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        resolve({ result: line ? JSON.parse(line.slice(7)) : undefined, output: stdout + stderr });
      });
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wechat-kf-bundle-'));
    // A second official account (docs/accounts.md): added through createAccount, served by AccountOperations.
    sandbox = await startSandbox({ quiet: true, callback: undefined, accounts: [{ appId: ACCOUNT_B, appSecret: ACCOUNT_B_SECRET }] });
    dynamo = await startEmbeddedDynamo({});
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    await ensureTable(client, 'deployed-test');
    client.destroy();
    aws = await startAwsStandIn({
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      callbackToken: CALLBACK_TOKEN,
      encodingAesKey: AES_KEY,
    });
    // Built as the construct builds them (infra/lib/bundling.ts): the AWS SDK is the runtime's, found on NODE_PATH.
    await buildBundles(
      LAMBDA_FUNCTIONS.filter((s) =>
        [
          'operation',
          'account-operations',
          'callback',
          'interactions',
          'token-refresher',
          'webhook-fanout',
          'webhook-delivery',
          'turn-closer',
        ].includes(s.entry),
      ),
      dir,
    );
    env = {
      PATH: process.env.PATH,
      // Where the Lambda runtime keeps the AWS SDK v3 (/var/runtime/node_modules); here, the repository's copy.
      NODE_PATH: join(__dirname, '../../node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
      AWS_ENDPOINT_URL_SQS: aws.url,
      AWS_ENDPOINT_URL_KMS: aws.url,
      TABLE_NAME: 'deployed-test',
      SECRET_ID: 'wechat-kf/official-account',
      EVENT_BUS_NAME: 'wechat-kf',
      WECHAT_API_BASE_URL: sandbox.url,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_SERVICE_NAME: 'wechat-kf',
      POWERTOOLS_METRICS_NAMESPACE: 'WeChatKf',
    };
  });
  afterAll(async () => {
    await sandbox?.stop();
    await dynamo?.stop();
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives a safe-mode push, publishes it to EventBridge, then sends the reply, printing no secret', async () => {
    // Prepare: a user writes in; WeChat pushes it encrypted to the callback
    await sandbox.simulateUser('oDeployed', { type: 'text', content: 'hello' });
    const now = Math.floor(Date.now() / 1000);
    const push = buildPush({
      message: {
        ToUserName: 'gh_sandbox',
        FromUserName: 'oDeployed',
        CreateTime: now,
        MsgType: 'text',
        Content: 'hello',
        MsgId: 24436487191827001n,
      },
      token: CALLBACK_TOKEN,
      crypto: new WeChatCrypto(CALLBACK_TOKEN, AES_KEY, sandbox.appId),
      mode: 'safe',
    });

    // Act
    const callback = await invoke('callback', httpEvent('POST', '/callback', push.body, push.query, 'text/xml'));
    if (callback.result.statusCode !== 200) console.log(callback.output);
    const send = await invoke(
      'operation',
      httpEvent('POST', '/messages/text', JSON.stringify({ touser: 'oDeployed', text: { content: 'Hi from Lambda' } })),
      { OPERATION_NAME: 'sendText' },
    );

    // Assess
    expect(callback.result).toMatchObject({ statusCode: 200, body: 'success' });
    expect(aws.putEvents).toEqual([
      expect.objectContaining({ EventBusName: 'wechat-kf', Source: 'wechat.kf', DetailType: 'message.text' }),
      expect.objectContaining({ EventBusName: 'wechat-kf', Source: 'wechat.kf', DetailType: 'delivery.sent' }),
    ]);
    expect(JSON.parse(aws.putEvents[1]!.Detail as string)).toMatchObject({
      openid: 'oDeployed',
      operation: 'sendText',
      outcome: 'sent',
      source: 'http',
    });
    expect(JSON.parse(aws.putEvents[0]!.Detail as string)).toMatchObject({
      openid: 'oDeployed',
      message: { Content: 'hello', MsgId: '24436487191827001' },
    });
    expect(send.result.statusCode).toBe(200);
    expect(sandbox.messages('oDeployed')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ text: { content: 'Hi from Lambda' } }) }),
    ]);
    expect(callback.output).toContain('inbound push'); // the logs are there, and hold no secret:
    expect(callback.output).toMatch(/"InboundMessages":1/); // CloudWatch EMF metrics
    expect(send.output).toMatch(/"MessagesSent":1/);
    expect(send.output).toMatch(/"TokenFetches":1/);
    const accessToken =
      (sandbox.requests('/cgi-bin/stable_token')[0]!.answer?.body as { access_token?: string } | undefined)?.access_token ?? '';
    expect(accessToken.length).toBeGreaterThan(10);
    for (const output of [callback.output, send.output]) {
      for (const secret of [sandbox.appSecret, CALLBACK_TOKEN, AES_KEY, accessToken]) expect(output).not.toContain(secret);
    }
    expect(aws.secretReads).toBeGreaterThanOrEqual(2);
  });

  it('turns: the callback arms a delayed SQS timer, and the bundled closer, when it fires, publishes one turn.ready', async () => {
    // Prepare: turns on, as the stack configures the callback and the closer (infra/lib/turns.ts)
    const turnEnv = { TURN_QUIET_MS: '1000', TURN_QUEUE_URL: `${aws.url}/123456789012/turn-timers` };
    const second = Math.floor(Date.now() / 1000);
    const pushes = ['one', 'two'].map((content, i) =>
      buildPush({
        message: {
          ToUserName: 'gh_sandbox',
          FromUserName: 'oDeployedTurn',
          CreateTime: second,
          MsgType: 'text',
          Content: content,
          MsgId: 24436487191828001n + BigInt(i),
        },
        token: CALLBACK_TOKEN,
        crypto: new WeChatCrypto(CALLBACK_TOKEN, AES_KEY, sandbox.appId),
        mode: 'safe',
      }),
    );
    const sendsBefore = aws.sqsSends.length;
    const eventsBefore = aws.putEvents.length;

    // Act: two pushes (one timer: the turn opened with the first), then the timer fires after its delay
    for (const push of pushes) {
      const answer = await invoke('callback', httpEvent('POST', '/callback', push.body, push.query, 'text/xml'), turnEnv);
      if (answer.result.statusCode !== 200) console.log(answer.output);
      expect(answer.result.statusCode).toBe(200);
    }
    const timers = aws.sqsSends.slice(sendsBefore);
    await new Promise((r) => setTimeout(r, 1200));
    const closed = await invoke('turn-closer', { Records: [sqsRecord('t-1', timers[0]!.MessageBody)] }, turnEnv);
    const again = await invoke('turn-closer', { Records: [sqsRecord('t-1', timers[0]!.MessageBody)] }, turnEnv);

    // Assess
    expect(timers).toEqual([expect.objectContaining({ QueueUrl: turnEnv.TURN_QUEUE_URL, DelaySeconds: 1 })]);
    expect(JSON.parse(timers[0]!.MessageBody)).toMatchObject({ openid: 'oDeployedTurn' });
    expect(closed.result).toEqual({ batchItemFailures: [] });
    expect(again.result).toEqual({ batchItemFailures: [] });
    const turns = aws.putEvents.slice(eventsBefore).filter((e) => e.DetailType === 'turn.ready');
    expect(turns).toHaveLength(1);
    expect(JSON.parse(turns[0]!.Detail as string)).toMatchObject({ openid: 'oDeployedTurn', text: 'one\ntwo' });
    expect(closed.output).toMatch(/"TurnsReady":1/);
    for (const secret of [sandbox.appSecret, CALLBACK_TOKEN, AES_KEY]) expect(closed.output).not.toContain(secret);
  });

  it('answers a send outside the window with 409 and a bad push with 401, without calling WeChat', async () => {
    const before = sandbox.requests().length;
    const refused = await invoke(
      'operation',
      httpEvent('POST', '/messages', JSON.stringify({ touser: 'oNobody', msgtype: 'text', text: { content: 'x' } })),
      { OPERATION_NAME: 'sendMessage' },
    );
    const forged = await invoke(
      'callback',
      httpEvent(
        'POST',
        '/callback',
        '<xml></xml>',
        { signature: 'x'.repeat(40), timestamp: String(Math.floor(Date.now() / 1000)), nonce: '1' },
        'text/xml',
      ),
    );
    expect(refused.result.statusCode).toBe(409);
    expect(refused.output).toMatch(/"reason":"no-interaction"[^\n]*"SendRefused":1|"SendRefused":1[^\n]*"reason":"no-interaction"/);
    expect(JSON.parse(refused.result.body).error.code).toBe('SEND_WINDOW_CLOSED');
    expect(forged.result.statusCode).toBe(401);
    expect(sandbox.requests().filter((r) => r.path === '/cgi-bin/message/custom/send').length).toBe(
      sandbox
        .requests()
        .slice(0, before)
        .filter((r) => r.path === '/cgi-bin/message/custom/send').length,
    );
  });

  it('runs the token refresher and the interactions function, which build only their part of the context, on the same token and windows as the senders', async () => {
    // Prepare: oInteracts writes in, and the push reaches another system (not this product's callback)
    await sandbox.simulateUser('oInteracts', { type: 'text', content: 'hello elsewhere' });
    const fetchesBefore = sandbox.requests('/cgi-bin/stable_token').length;

    // Act: the refresher checks the token; another system records an interaction; a send follows
    const refreshed = await invoke('token-refresher', { source: 'aws.scheduler' });
    const recorded = await invoke('interactions', httpEvent('POST', '/interactions', JSON.stringify({ openid: 'oInteracts' })));
    const state = await invoke('interactions', {
      ...httpEvent('GET', '/interactions/oInteracts', undefined),
      pathParameters: { openid: 'oInteracts' },
    });
    const send = await invoke(
      'operation',
      httpEvent('POST', '/messages/text', JSON.stringify({ touser: 'oInteracts', text: { content: 'after the interaction' } })),
      { OPERATION_NAME: 'sendText' },
    );

    // Assess: the refresher read (or fetched) the one cached token, the send used it without a fetch
    expect(Date.parse(refreshed.result.expiresAt)).toBeGreaterThan(Date.now());
    expect(refreshed.output).toContain('access token is fresh');
    expect(refreshed.output).toMatch(/"TokenChecks":1/);
    expect(sandbox.requests('/cgi-bin/stable_token').length).toBeLessThanOrEqual(fetchesBefore + 1);
    expect(send.output).not.toMatch(/"TokenFetches"/);
    // the interaction opened the window the sender then sent through: both key it by the same app id
    expect(recorded.result.statusCode).toBe(200);
    expect(JSON.parse(recorded.result.body)).toMatchObject({ openid: 'oInteracts', canSend: true });
    expect(JSON.parse(state.result.body)).toMatchObject({ openid: 'oInteracts', lastInteractionKind: 'message', humanSession: null });
    expect(send.result.statusCode).toBe(200);
    expect(sandbox.messages('oInteracts')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ text: { content: 'after the interaction' } }) }),
    ]);
    const accessToken =
      (sandbox.requests('/cgi-bin/stable_token')[0]!.answer?.body as { access_token?: string } | undefined)?.access_token ?? '';
    for (const output of [refreshed.output, recorded.output, state.output]) {
      for (const secret of [sandbox.appSecret, CALLBACK_TOKEN, AES_KEY, accessToken]) expect(output).not.toContain(secret);
    }
  });

  it('fans an inbound event out to the delivery queue, then delivers it signed, from the webhook bundles, which carry their own SQS and KMS clients', async () => {
    // Prepare: a receiver, and a subscription to messages stored as the subscription API stores it
    const receiver = await startReceiver();
    const runtime = createWebhookRuntime({
      dynamo: createDynamoClient({ endpoint: dynamo.endpoint }),
      tableName: 'deployed-test',
      sealer: { seal: async (_id, secret) => `kms:v1:${Buffer.from(secret).toString('base64')}`, open: async () => '' },
      addressPolicy: 'any',
      allowLoopbackHttp: true,
    });
    const subscription = await createSubscription(runtime, { url: receiver.url, events: ['message.*'] });
    const event = {
      ...eventBridgeEvent('evt-deployed', 'message.text', {
        appId: sandbox.appId,
        openid: 'oHook',
        receivedAt: '2026-11-24T13:00:00.000Z',
        message: { MsgType: 'text', Content: 'hi' },
      }),
      source: 'wechat.kf',
    };

    // Act
    const fanned = await invoke('webhook-fanout', event, {
      WEBHOOK_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/deployed',
      WEBHOOK_DELIVERY_QUEUE_URL: `${aws.url}/123456789012/deliveries`,
    });
    // (the SQS client sends to the queue URL's host, here the stand-in)

    // Assess
    expect(fanned.result).toEqual({ deliveries: 1 });
    expect(aws.sqsBatches).toHaveLength(1);
    expect(aws.sqsBatches[0]!.QueueUrl).toBe(`${aws.url}/123456789012/deliveries`);
    expect(JSON.parse(aws.sqsBatches[0]!.Entries[0]!.MessageBody)).toMatchObject({
      subscriptionId: subscription.id,
      event: { id: 'evt-deployed', type: 'message.text' },
    });
    expect(fanned.output).not.toContain(subscription.secret);

    // Act: the queue hands the message to the delivery function
    const record = {
      ...sqsRecord('m-0', JSON.parse(aws.sqsBatches[0]!.Entries[0]!.MessageBody)),
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:deliveries',
    };
    const delivered = await invoke(
      'webhook-delivery',
      { Records: [record] },
      { WEBHOOK_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/deployed', WEBHOOK_ADDRESS_POLICY: 'any' },
    ).finally(() => receiver.stop());

    // Assess: KMS opened the secret for this subscription only, and the receiver got the event signed with it
    expect(delivered.result).toEqual({ batchItemFailures: [] });
    expect(aws.kmsDecrypts).toEqual([
      { KeyId: 'arn:aws:kms:us-east-1:123456789012:key/deployed', EncryptionContext: { subscriptionId: subscription.id } },
    ]);
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(() =>
      verifyDelivery({ secret: subscription.secret, headers: got.headers as Record<string, unknown>, body: got.body }),
    ).not.toThrow();
    expect(JSON.parse(got.body)).toMatchObject({ id: 'evt-deployed', type: 'message.text' });
    expect(delivered.output).not.toContain(subscription.secret);
  });

  it('serves the subscription operations from functions without the webhook key, and redrives dead letters to the queue', async () => {
    // Prepare: a subscription and one of its dead letters in the table
    const runtime = createWebhookRuntime({
      dynamo: createDynamoClient({ endpoint: dynamo.endpoint }),
      tableName: 'deployed-test',
      sealer: { seal: async (_id, secret) => `kms:v1:${Buffer.from(secret).toString('base64')}`, open: async () => '' },
      addressPolicy: 'any',
      allowLoopbackHttp: true,
    });
    const subscription = await createSubscription(runtime, { url: 'http://127.0.0.1:9/hook' });
    await runtime.deadLetters.put(
      subscription.id,
      { id: 'evt-dead-deployed', source: 'wechat.kf', type: 'message.text', time: '', detail: {} } as never,
      { attempts: 5, lastError: 'HTTP 500' },
    );
    const batchesBefore = aws.sqsBatches.length;
    const withId = (method: string, path: string) => {
      const event = httpEvent(method, path.replace('{id}', subscription.id), undefined);
      event.routeKey = `${method} ${path}`;
      event.pathParameters = { id: subscription.id };
      return event;
    };
    // Act
    const listed = await invoke('operation', httpEvent('GET', '/subscriptions', undefined), { OPERATION_NAME: 'listSubscriptions' });
    const dead = await invoke('operation', withId('GET', '/subscriptions/{id}/dead-letters'), {
      OPERATION_NAME: 'listSubscriptionDeadLetters',
    });
    const redriven = await invoke('operation', withId('POST', '/subscriptions/{id}/redrive'), {
      OPERATION_NAME: 'redriveSubscription',
      WEBHOOK_DELIVERY_QUEUE_URL: `${aws.url}/123456789012/deliveries`,
    });
    // Assess
    expect(listed.result.statusCode).toBe(200);
    expect(JSON.parse(listed.result.body).subscriptions.map((s: { id: string }) => s.id)).toContain(subscription.id);
    expect(JSON.parse(dead.result.body).deadLetters.map((d: { eventId: string }) => d.eventId)).toEqual(['evt-dead-deployed']);
    expect(JSON.parse(redriven.result.body)).toMatchObject({ redriven: 1, eventIds: ['evt-dead-deployed'] });
    expect(aws.sqsBatches.slice(batchesBefore).map((b) => JSON.parse(b.Entries[0]!.MessageBody).event.id)).toEqual(['evt-dead-deployed']);
    expect((await runtime.deadLetters.list(subscription.id)).deadLetters).toEqual([]);
  });

  it('refuses to start with a clear error when OPERATION_NAME names no operation', async () => {
    const { output } = await invoke('operation', {}, { OPERATION_NAME: 'sendFax' }).catch((e: Error) => ({ output: e.message }));
    expect(output).toMatch(/operation: must be one of listKfAccounts/);
  });

  it('adds an account, then serves it through the greedy account route and its own callback, its secret opened with the account key', async () => {
    // Prepare: createAccount seals the secret with the account key (Encrypt only, context {appId})
    const created = await invoke(
      'operation',
      httpEvent(
        'POST',
        '/accounts',
        JSON.stringify({ appId: ACCOUNT_B, appSecret: ACCOUNT_B_SECRET, callbackToken: ACCOUNT_B_TOKEN, name: 'Brand B' }),
      ),
      { OPERATION_NAME: 'createAccount', ACCOUNT_KEY_ID: ACCOUNT_KEY },
    );
    await sandbox.account(ACCOUNT_B).simulateUser('oUserOfB', { type: 'text', content: 'hi' });
    const push = buildPush({
      message: {
        ToUserName: sandbox.account(ACCOUNT_B).ghId,
        FromUserName: 'oUserOfB',
        CreateTime: Math.floor(Date.now() / 1000),
        MsgType: 'text',
        Content: 'hi',
        MsgId: 24436487191827777n,
      },
      token: ACCOUNT_B_TOKEN,
    });
    const accountRoute = (method: string, proxy: string, body: unknown) =>
      httpApiEvent(method, `/accounts/${ACCOUNT_B}/${proxy}`, body, {
        routeKey: 'ANY /accounts/{appId}/{proxy+}',
        pathParameters: { appId: ACCOUNT_B, proxy },
      });

    // Act: WeChat pushes B's user to /callback/{appId}; a caller answers through /accounts/{appId}/messages/text
    const callbackEvent = {
      ...httpEvent('POST', `/callback/${ACCOUNT_B}`, push.body, push.query, 'text/xml'),
      pathParameters: { appId: ACCOUNT_B },
    };
    const callback = await invoke('callback', callbackEvent, { ACCOUNT_KEY_ID: ACCOUNT_KEY });
    const send = await invoke(
      'account-operations',
      accountRoute('POST', 'messages/text', { touser: 'oUserOfB', text: { content: 'Hi from B' } }),
      {
        ACCOUNT_KEY_ID: ACCOUNT_KEY,
      },
    );
    const unknown = await invoke(
      'account-operations',
      { ...accountRoute('GET', 'interactions/o1', undefined), pathParameters: { appId: 'wxcccccccccccccccc', proxy: 'interactions/o1' } },
      {
        ACCOUNT_KEY_ID: ACCOUNT_KEY,
      },
    );

    // Assess
    expect(created.result.statusCode).toBe(201);
    expect(JSON.parse(created.result.body)).toMatchObject({ appId: ACCOUNT_B, default: false, hasCallbackToken: true });
    expect(aws.kmsEncrypts).toEqual([{ KeyId: ACCOUNT_KEY, EncryptionContext: { appId: ACCOUNT_B } }]);
    expect(callback.result).toMatchObject({ statusCode: 200, body: 'success' });
    expect(send.result.statusCode).toBe(200);
    expect(sandbox.account(ACCOUNT_B).messages('oUserOfB')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ text: { content: 'Hi from B' } }) }),
    ]);
    expect(sandbox.messages('oUserOfB')).toEqual([]);
    expect(aws.kmsDecrypts.filter((d) => d.KeyId === ACCOUNT_KEY)).toEqual(
      expect.arrayContaining([{ KeyId: ACCOUNT_KEY, EncryptionContext: { appId: ACCOUNT_B } }]),
    );
    expect(unknown.result.statusCode).toBe(404);
    expect(JSON.parse(unknown.result.body).error.code).toBe('ACCOUNT_NOT_FOUND');
    const inbound = aws.putEvents.map((e) => JSON.parse(e.Detail as string)).find((d) => d.openid === 'oUserOfB' && d.message);
    expect(inbound).toMatchObject({ appId: ACCOUNT_B });
    for (const output of [created.output, callback.output, send.output]) {
      for (const secret of [ACCOUNT_B_SECRET, ACCOUNT_B_TOKEN]) expect(output).not.toContain(secret);
    }
  });

  it("vends an added account's own token at GET /access-token/{appId}, as API Gateway routes it to the vending function", async () => {
    // Prepare: B is an account of the deployment (the test before added it), and its user wrote in
    // Act
    const vended = await invoke(
      'operation',
      httpApiEvent('GET', `/access-token/${ACCOUNT_B}`, undefined, {
        routeKey: 'GET /access-token/{appId}',
        pathParameters: { appId: ACCOUNT_B },
      }),
      { OPERATION_NAME: 'getAccessToken', ACCOUNT_KEY_ID: ACCOUNT_KEY, TOKEN_VENDING: 'on' },
    );
    const token = JSON.parse(vended.result.body).access_token as string;
    // WeChat takes it as B's: a send to B's user with it goes through (another account's token gets 40003)
    const used = (await (
      await fetch(`${sandbox.url}/cgi-bin/message/custom/send?access_token=${token}`, {
        method: 'POST',
        body: JSON.stringify({ touser: 'oUserOfB', msgtype: 'text', text: { content: 'from the vended token' } }),
      })
    ).json()) as { errcode: number };
    // Assess
    expect(vended.result.statusCode).toBe(200);
    expect(used.errcode).toBe(0);
    // what the function logged (its answer aside: the runner prints that on its RESULT line)
    const logged = vended.output
      .split('\n')
      .filter((line) => !line.startsWith('RESULT '))
      .join('\n');
    expect(logged).not.toContain(token);
  });
});
