/**
 * Media end to end in a real n8n (2.8.4 and 2.40.7) (the built package installed as a community package, Direct mode
 * against the sandbox):
 * - `n8n execute`: a workflow makes a JPEG (Set → Convert to File, from base64) and the action node sends
 *   it as an image from that binary property: the sandbox user receives an image of the same bytes;
 * - `n8n start`: the shipped example n8n-nodes/examples/photo-back.json, published: its trigger with Download Media receives a user's photo and the next node sends
 *   the item's binary data straight back: the image the user gets back has the bytes they sent, so the
 *   trigger's output item held them.
 *
 * - the same two in Gateway mode, with the product (`startLocal`) between n8n and the sandbox: the file goes
 *   to POST /messages/image as multipart, the trigger subscribes itself and downloads with GET /media/{id}.
 *
 * Needs: n8n installed (N8N_E2E_DIR or test/n8n-e2e/install.sh) and `npm run build --workspace n8n-nodes`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startLocal, type LocalProduct } from '../../functions/dev/local/server';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { jpeg } from '../support/media-samples';
import {
  callbackCredential,
  connectCallback,
  describeWithN8n,
  N8N_VERSION,
  gatewayCredential,
  importIntoN8n,
  nodeType,
  PACKAGE_DIR,
  prepareN8n,
  publishWorkflow,
  sandboxCredential,
  waitFor,
  workflowBase,
  type N8nUnderTest,
} from './support';

const OPENID_MADE = 'o_e2e_media_made';
const OPENID_PHOTO = 'o_e2e_media_photo';
const CALLBACK_TOKEN = 'e2eMediaToken1';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const WEBHOOK_ID = 'wechat-e2e-media';
const API_CRED = { weChatOfficialAccountApi: { id: 'credWeChatMedia1', name: 'WeChat sandbox' } };
const GATEWAY_CRED = { weChatKfGatewayApi: { id: 'credGatewayMed01', name: 'Product gateway' } };
const CALLBACK_CRED = { weChatCallbackApi: { id: 'credCallbackMed1', name: 'WeChat callback' } };

jest.setTimeout(300_000);

/** The JPEG the workflow "makes" (a Set node holding its base64, then Convert to File). */
const MADE = jpeg(2048);

function makeAndSendWorkflow(id = 'wfMediaMake00001', wechat: Record<string, unknown> = { credentials: API_CRED }, touser = OPENID_MADE) {
  return {
    ...workflowBase(id, 'E2E make an image and send it', ['Start', 'Image As Base64', 'Convert to File', 'WeChat']),
    nodes: [
      { id: 'm1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
      {
        id: 'm2',
        name: 'Image As Base64',
        type: 'n8n-nodes-base.set',
        typeVersion: 3.4,
        position: [200, 0],
        parameters: { mode: 'raw', jsonOutput: JSON.stringify({ picture: MADE.toString('base64') }) },
      },
      {
        id: 'm3',
        name: 'Convert to File',
        type: 'n8n-nodes-base.convertToFile',
        typeVersion: 1.1,
        position: [400, 0],
        parameters: {
          operation: 'toBinary',
          sourceProperty: 'picture',
          binaryPropertyName: 'data',
          options: { fileName: 'made.jpg', mimeType: 'image/jpeg' },
        },
      },
      {
        id: 'm4',
        name: 'WeChat',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [600, 0],
        parameters: {
          resource: 'message',
          operation: 'send',
          touser,
          msgtype: 'image',
          mediaIdSource: 'file',
          mediaIdBinaryProperty: 'data',
          ...(wechat.parameters as object),
        },
        credentials: wechat.credentials,
      },
    ],
  };
}

/**
 * The shipped example (n8n-nodes/examples/photo-back.json), with this test's credentials and webhook id:
 * what a user imports is what is tested.
 */
function photoBackExample() {
  const example = JSON.parse(readFileSync(join(PACKAGE_DIR, 'examples', 'photo-back.json'), 'utf8')) as {
    nodes: Array<Record<string, any>>;
  } & Record<string, unknown>;
  const cred = (c: Record<string, { id: string; name: string }>) =>
    Object.fromEntries(
      Object.keys(c).map((type) => [
        type,
        type === 'weChatCallbackApi' ? CALLBACK_CRED.weChatCallbackApi : API_CRED.weChatOfficialAccountApi,
      ]),
    );
  return {
    ...example,
    id: 'wfMediaEcho00001',
    active: false,
    nodes: example.nodes.map((node) => ({
      ...node,
      credentials: cred(node.credentials),
      ...(node.webhookId ? { webhookId: WEBHOOK_ID } : {}),
    })),
  };
}

function downloadAndEchoWorkflow(id = 'wfMediaEcho00001', gateway = false) {
  const credentials = gateway ? GATEWAY_CRED : undefined;
  return {
    ...workflowBase(id, 'E2E download what the user sent and send it back', ['WeChat Trigger', 'Send It Back']),
    nodes: [
      {
        id: 'e1',
        name: 'WeChat Trigger',
        type: nodeType('weChatKfTrigger'),
        typeVersion: 1,
        position: [0, 0],
        webhookId: gateway ? `${WEBHOOK_ID}-gw` : WEBHOOK_ID,
        parameters: { ...(gateway ? { mode: 'gateway' } : {}), messageTypes: ['image'], downloadMedia: true, mediaBinaryProperty: 'photo' },
        credentials: credentials ?? { ...CALLBACK_CRED, ...API_CRED },
      },
      {
        id: 'e2',
        name: 'Send It Back',
        type: nodeType('weChatKf'),
        typeVersion: 1,
        position: [220, 0],
        parameters: {
          ...(gateway ? { authentication: 'gateway' } : {}),
          resource: 'message',
          operation: 'send',
          touser: '={{ $json.openid }}',
          msgtype: 'image',
          mediaIdSource: 'file',
          mediaIdBinaryProperty: 'photo',
        },
        credentials: credentials ?? API_CRED,
      },
    ],
  };
}

/** The bytes the sandbox holds for a media_id (its control route, as WeChat's CDN would serve them). */
async function heldBytes(sandbox: Sandbox, mediaId: string): Promise<Buffer> {
  const res = await fetch(`${sandbox.url}/sandbox/media/${encodeURIComponent(mediaId)}`);
  return Buffer.from(await res.arrayBuffer());
}

describeWithN8n()(`n8n ${N8N_VERSION}: media end to end`, () => {
  let sandbox: Sandbox;
  let n8n: N8nUnderTest;

  beforeAll(async () => {
    sandbox = await startSandbox({ quiet: true });
    n8n = await prepareN8n('n8n-e2e-media-');
    await importIntoN8n(n8n, {
      credentials: [
        sandboxCredential(API_CRED.weChatOfficialAccountApi, sandbox),
        callbackCredential(CALLBACK_CRED.weChatCallbackApi, { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, appId: sandbox.appId }),
      ],
      workflows: { 'make.json': makeAndSendWorkflow(), 'echo.json': photoBackExample() },
    });
  });

  afterAll(async () => {
    await n8n?.stop();
    await sandbox?.stop();
  });

  it('a workflow makes a JPEG from base64 and sends it: the user receives an image of the same bytes', async () => {
    // prepare
    await sandbox.simulateUser(OPENID_MADE, { type: 'text', content: 'send me a picture' });
    // act
    const result = await n8n.cli('execute', '--id=wfMediaMake00001');
    // assess
    const sent = sandbox.messages(OPENID_MADE);
    if (sent.length === 0)
      throw new Error(`the sandbox received no message; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    const body = sent[0]!.body as { msgtype: string; image: { media_id: string } };
    expect(body.msgtype).toBe('image');
    expect((await heldBytes(sandbox, body.image.media_id)).equals(MADE)).toBe(true);
    expect(sandbox.media().find((m) => m.media_id === body.image.media_id)).toMatchObject({
      type: 'image',
      format: 'jpeg',
      origin: 'upload',
    });
  });

  it('a published trigger with Download Media gets the photo a user sent as binary data (sent straight back, byte for byte)', async () => {
    // prepare
    await publishWorkflow(n8n, 'wfMediaEcho00001');
    const server = await n8n.start();
    await connectCallback(
      sandbox,
      n8n.triggerUrl(WEBHOOK_ID),
      { token: CALLBACK_TOKEN, encodingAesKey: AES_KEY, mode: 'safe', format: 'xml' },
      server.log,
    );
    const photo = jpeg(3456);
    // act
    const push = await sandbox.simulateUser(OPENID_PHOTO, { type: 'image', data: photo, filename: 'holiday.jpg' });
    // assess
    expect(push.delivered).toBe(true);
    const echoed = await waitFor('the image sent back', () => sandbox.messages(OPENID_PHOTO)[0], 60_000, server.log);
    const mediaId = (echoed.body as { image: { media_id: string } }).image.media_id;
    expect(mediaId).not.toBe(push.message.MediaId);
    expect((await heldBytes(sandbox, mediaId)).equals(photo)).toBe(true);
  });
});

describeWithN8n()(`n8n ${N8N_VERSION}: media end to end in Gateway mode (through the product)`, () => {
  let product: LocalProduct;
  let dataDir = '';
  let n8n: N8nUnderTest;
  const sandbox = () => product.sandbox!;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'product-e2e-media-gw-'));
    product = await startLocal({ port: 0, dataDir, env: {} });
    n8n = await prepareN8n('n8n-e2e-media-gw-');
    await importIntoN8n(n8n, {
      credentials: [gatewayCredential(GATEWAY_CRED.weChatKfGatewayApi, product.url)],
      workflows: {
        'make.json': makeAndSendWorkflow(
          'wfMediaMakeGw001',
          { parameters: { authentication: 'gateway' }, credentials: GATEWAY_CRED },
          `${OPENID_MADE}_gw`,
        ),
        'echo.json': downloadAndEchoWorkflow('wfMediaEchoGw001', true),
      },
    });
  });

  afterAll(async () => {
    await n8n?.stop();
    await product?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a workflow makes a JPEG and sends it through the product: uploaded, counted in the window, the same bytes', async () => {
    // prepare
    const openid = `${OPENID_MADE}_gw`;
    await sandbox().simulateUser(openid, { type: 'text', content: 'send me a picture' });
    // act
    const result = await n8n.cli('execute', '--id=wfMediaMakeGw001');
    // assess
    const sent = sandbox().messages(openid);
    if (sent.length === 0)
      throw new Error(`the sandbox received no message; n8n execute said (${result.code}):\n${result.out.slice(-6000)}`);
    const body = sent[0]!.body as { image: { media_id: string } };
    expect((await heldBytes(sandbox(), body.image.media_id)).equals(MADE)).toBe(true);
    const state = (await (await fetch(`${product.url}/interactions/${openid}`)).json()) as Record<string, unknown>;
    expect(state).toMatchObject({ sendsLeft: 4 });
  });

  it('a published Gateway trigger with Download Media gets the photo a user sent from the product, and sends it back', async () => {
    // prepare
    await publishWorkflow(n8n, 'wfMediaEchoGw001');
    const server = await n8n.start();
    const webhookUrl = n8n.triggerUrl(`${WEBHOOK_ID}-gw`);
    await waitFor(
      'the subscription',
      async () => (await product.webhooks.subscriptions.list()).find((s) => s.url === webhookUrl),
      60_000,
      server.log,
    );
    const photo = jpeg(3789);
    // act: a user sends a photo to the product's /callback
    const push = await sandbox().simulateUser(OPENID_PHOTO, { type: 'image', data: photo, filename: 'holiday.jpg' });
    // assess
    expect(push.delivered).toBe(true);
    const echoed = await waitFor('the image sent back', () => sandbox().messages(OPENID_PHOTO)[0], 60_000, server.log);
    const mediaId = (echoed.body as { image: { media_id: string } }).image.media_id;
    expect(mediaId).not.toBe(push.message.MediaId);
    expect((await heldBytes(sandbox(), mediaId)).equals(photo)).toBe(true);
  });
});
