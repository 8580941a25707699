/**
 * The trigger's Download Media option, in both modes, run by n8n-core's own WebhookContext (real
 * credentials, HTTP and binary helpers): a sandbox user sends a photo or a voice note; the item the
 * workflow starts with holds those bytes as binary data. (The sandbox's users send no videos: the video
 * path, media/get answering a video_url, is Media → Download in media-cases.ts.) Direct: the sandbox pushes
 * to the trigger, which downloads with the WeChat API credential (media/get). Gateway: the product
 * delivers the push, the trigger downloads with the gateway credential (GET /media/{media_id}, SigV4-checked).
 * Build first: `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, rmSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { createSubscription } from '../../functions/webhooks/subscriptions-api';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { waitUntil } from '../webhooks/receiver';
import { amr, jpeg } from '../support/media-samples';
import { createHarness } from './harness';
import { GATEWAY_KEYS, GATEWAY_REGION, startIamAuthorizer, type Authorizer } from './iam-authorizer';

const TOKEN = 'mediaTriggerTok1';
type Harness = ReturnType<typeof createHarness>;
type Started = { status?: number; items?: INodeExecutionData[] };

/** An endpoint standing in for n8n's webhook server: each request goes to the trigger's webhook(). */
async function startEndpoint(
  handle: (req: {
    headers: Record<string, string>;
    rawBody: Buffer;
    query: Record<string, string>;
  }) => Promise<Started & { body?: string }>,
) {
  const calls: Started[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => (query[k] = v));
      try {
        const started = await handle({ headers: req.headers as Record<string, string>, rawBody: Buffer.concat(chunks), query });
        calls.push(started);
        res.writeHead(started.status ?? 500).end(started.body ?? '');
      } catch (error) {
        calls.push({ status: 500 });
        res.writeHead(500).end((error as Error).message);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/hook1/wechat`,
    calls,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const bytesOf = (item: INodeExecutionData, property = 'data') => Buffer.from(item.binary![property]!.data, 'base64');

describe('Trigger → Download Media, Direct mode (media/get with the WeChat API credential)', () => {
  let sandbox: Sandbox;
  let harness: Harness;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  let params: IDataObject;
  const staticData = {};

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    harness = createHarness({
      credentials: {
        cb: { type: 'weChatCallbackApi', data: { token: TOKEN, encodingAesKey: '', appId: sandbox.appId } },
        api: {
          type: 'weChatOfficialAccountApi',
          data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
        },
      },
    });
    endpoint = await startEndpoint((req) =>
      harness.webhook(
        params,
        req,
        { weChatCallbackApi: { id: 'cb', name: 'Callback' }, weChatOfficialAccountApi: { id: 'api', name: 'WeChat' } },
        staticData,
      ),
    );
    sandbox.configureCallback({ url: endpoint.url, token: TOKEN, mode: 'plain' });
  });
  afterAll(async () => {
    await endpoint?.stop();
    await sandbox?.stop();
  });
  beforeEach(() => {
    endpoint.calls.length = 0;
    params = { mode: 'direct', downloadMedia: true, mediaBinaryProperty: 'data', messageTypes: [], events: [], options: {} };
  });

  it('puts the photo a user sent into the binary data, with its content type and name', async () => {
    // prepare
    const photo = jpeg(4321);
    // act
    const push = await sandbox.simulateUser('o_dm_photo', { type: 'image', data: photo, filename: 'cat.jpg' });
    // assess
    expect(push.delivered).toBe(true);
    const item = endpoint.calls[0]!.items![0]!;
    expect(bytesOf(item).equals(photo)).toBe(true);
    expect(item.binary!.data).toMatchObject({ mimeType: 'image/jpeg', fileName: 'cat.jpg' });
    expect(item.json).toMatchObject({
      messageType: 'image',
      mediaId: push.message.MediaId,
      binaryProperty: 'data',
      mimeType: 'image/jpeg',
    });
  });

  it('a voice note, into the field it is told', async () => {
    params.mediaBinaryProperty = 'voice';
    const note = amr(2);
    await sandbox.simulateUser('o_dm_voice', { type: 'voice', data: note });
    const item = endpoint.calls[0]!.items![0]!;
    expect(bytesOf(item, 'voice').equals(note)).toBe(true);
    expect(item.binary!.voice!.mimeType).toBe('audio/amr');
  });

  it('leaves a text message as it is, and does nothing with Download Media off', async () => {
    await sandbox.simulateUser('o_dm_text', { type: 'text', content: 'no file' });
    params.downloadMedia = false;
    await sandbox.simulateUser('o_dm_off', { type: 'image', data: jpeg(800) });
    const [text, off] = endpoint.calls.map((c) => c.items![0]!);
    expect(text!.binary).toBeUndefined();
    expect(off!.binary).toBeUndefined();
    expect(off!.json.mediaId).toEqual(expect.any(String));
  });

  it('starts the workflow anyway when the download fails, saying why in mediaError', async () => {
    // prepare: WeChat refuses media/get once
    sandbox.injectFault({ path: '/cgi-bin/media/get', kind: 'errcode', errcode: 40007, times: 1 });
    // act
    await sandbox.simulateUser('o_dm_fail', { type: 'image', data: jpeg(900) });
    // assess
    const item = endpoint.calls[0]!.items![0]!;
    expect(item.binary).toBeUndefined();
    expect(item.json.mediaError).toMatch(/40007/);
  });
});

describe('Trigger → Download Media, Gateway mode (GET /media/{media_id} of the product)', () => {
  let dataDir: string;
  let product: LocalProduct;
  let authorizer: Authorizer;
  let harness: Harness;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  // The workflow's static data; the trigger's own part is keyed by its node's name, as n8n keeps it.
  const nodeData: IDataObject = {};
  const staticData: IDataObject = { 'node:Trigger': nodeData };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wechat-kf-trigger-media-'));
    product = await startLocal({ port: 0, dataDir, env: {}, webhookRetryDelaysMs: [100, 100, 100] });
    authorizer = await startIamAuthorizer(product.url);
    harness = createHarness({
      credentials: {
        gw: { type: 'weChatKfGatewayApi', data: { url: authorizer.url, region: GATEWAY_REGION, ...GATEWAY_KEYS, sessionToken: '' } },
      },
    });
    const params = {
      mode: 'gateway',
      startOn: 'messages',
      downloadMedia: true,
      mediaBinaryProperty: 'data',
      messageTypes: [],
      events: [],
      options: {},
    };
    endpoint = await startEndpoint((req) =>
      harness.webhook(params, req, { weChatKfGatewayApi: { id: 'gw', name: 'Gateway' } }, staticData),
    );
    // What webhookMethods.create keeps in the node's static data (test/n8n-e2e activates it for real).
    const sub = await createSubscription(product.webhooks, { url: endpoint.url, events: ['message.*'] });
    Object.assign(nodeData, { subscriptionId: sub.id, subscriptionSecret: sub.secret, subscriptionUrl: endpoint.url });
  });
  afterAll(async () => {
    await endpoint?.stop();
    await authorizer?.stop();
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts the photo a user sent into the binary data, downloaded through the product', async () => {
    // prepare
    const photo = jpeg(5555);
    const before = authorizer.verified;
    // act
    await product.sandbox!.simulateUser('o_gw_photo', { type: 'image', data: photo, filename: 'dog.jpg' });
    const started = await waitUntil('the delivery that started the workflow', () => endpoint.calls.find((c) => c.items)).catch(
      (error: Error) => {
        throw new Error(`${error.message}; the trigger answered: ${JSON.stringify(endpoint.calls.map((c) => c.status))}`);
      },
    );
    // assess
    const item = started.items![0]!;
    expect(item.json).toMatchObject({ mode: 'gateway', messageType: 'image', binaryProperty: 'data' });
    expect(bytesOf(item).equals(photo)).toBe(true);
    expect(item.binary!.data).toMatchObject({ mimeType: 'image/jpeg', fileName: 'dog.jpg' });
    expect(authorizer.verified - before).toBe(1);
    expect(authorizer.refused).toEqual([]);
  });
});
