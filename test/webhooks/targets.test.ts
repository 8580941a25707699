/**
 * Where a webhook may point when running locally (WEBHOOK_ADDRESS_POLICY=any, npm start's default) and what
 * a failed try tells (issue 28, item 8): link-local and metadata targets are refused always, at create and
 * on the connection; `lastError` names only the class of failure, never what answered.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { createWebhookRuntime, type WebhookRuntime } from '../../functions/webhooks/runtime';
import { LocalKeySealer } from '../../functions/webhooks/sealer';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { newSubscriptionId } from '../../functions/store';
import { startTestDynamo, type TestDynamo } from '../store/helpers';

let dynamo: TestDynamo;
let runtime: WebhookRuntime;
let server: Server;
let port: number;
beforeAll(async () => {
  dynamo = await startTestDynamo();
  const tableName = await dynamo.newTable();
  runtime = createWebhookRuntime({
    dynamo: dynamo.client,
    tableName,
    sealer: new LocalKeySealer(),
    addressPolicy: 'any',
    allowLoopbackHttp: true,
    timeoutMs: 500,
  });
  // A receiver that tells too much: its body names internal things.
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(), 1_500);
    res.writeHead(500, { 'x-internal': 'db-01.corp' }).end('stack trace: db-01.corp:5432 password=hunter2');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await dynamo.stop();
});

/** A subscription stored as is (as one made before a rule existed, or whose name was re-pointed). */
async function stored(url: string) {
  const id = newSubscriptionId();
  await runtime.subscriptions.create({ id, url, events: ['*'], sealedSecret: await runtime.sealer.seal(id, 'whsec_x') });
  return id;
}

async function lastErrorAfterOneTry(url: string) {
  const id = await stored(url);
  const result = await runtime.deliverer.deliver(
    { subscriptionId: id, event: { id: `evt-${id}`, source: 'wechat.kf', type: 'message.text', time: '', detail: {} } },
    { attempt: 1, maxAttempts: 5 },
  );
  expect(result.outcome).toBe('retry');
  return (await runtime.subscriptions.get(id)).deliveries.lastError;
}

describe('local webhook targets', () => {
  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://169.254.10.1/',
    'https://[fe80::1]/',
    'https://100.100.100.200/',
    'https://[fd00:ec2::254]/',
    'https://metadata.google.internal/computeMetadata/v1/',
    'https://instance-data/latest/',
    'https://[::ffff:169.254.169.254]/',
  ])('refuses %s with 400 naming url, though private and loopback addresses are accepted', async (url) => {
    await expect(createSubscription(runtime, { url })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^url: must not (reach a link-local or metadata address|be a cloud metadata service)/),
    });
  });

  it('accepts loopback over http and private addresses over https, and refuses http elsewhere', async () => {
    await expect(createSubscription(runtime, { url: `http://127.0.0.1:${port}/hook` })).resolves.toMatchObject({
      url: `http://127.0.0.1:${port}/hook`,
    });
    await expect(createSubscription(runtime, { url: 'https://10.1.2.3/hook' })).resolves.toMatchObject({ url: 'https://10.1.2.3/hook' });
    await expect(createSubscription(runtime, { url: 'http://10.1.2.3/hook' })).rejects.toMatchObject({ status: 400 });
  });

  it('never connects to a metadata or link-local target stored before, and says only "address refused"', async () => {
    expect(await lastErrorAfterOneTry('https://169.254.169.254/latest/meta-data/')).toBe('address refused');
    expect(await lastErrorAfterOneTry('https://[fd00:ec2::254]/')).toBe('address refused');
    expect(await lastErrorAfterOneTry('https://metadata.google.internal/')).toBe('address refused');
  });

  it('reports the class of failure only: the status, never the body or headers of what answered', async () => {
    expect(await lastErrorAfterOneTry(`http://127.0.0.1:${port}/boom`)).toBe('HTTP 500');
    expect(await lastErrorAfterOneTry(`http://127.0.0.1:${port}/slow`)).toBe('timeout');
    expect(await lastErrorAfterOneTry(`https://127.0.0.1:${port}/tls-to-plain-http`)).toBe('TLS failure');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(await lastErrorAfterOneTry(`http://127.0.0.1:${closedPort}/`)).toBe('connection refused');
    expect(await lastErrorAfterOneTry('https://no-such-host.invalid/')).toBe('host not found');
  });
});
