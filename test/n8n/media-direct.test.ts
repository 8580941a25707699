/**
 * Media in Direct mode: the built node checks each file by its bytes, uploads it to WeChat (the sandbox)
 * and sends the message with the media_id; URLs are fetched by n8n's own request helper; Media → Download
 * is media/get. Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { createHarness } from './harness';
import { binaryOf, describeMediaCases, FILES, SEND, startFileServer, UPLOAD, type MediaMode } from './media-cases';
import { jpeg } from '../support/media-samples';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  files = await startFileServer(
    {
      '/made.jpg': FILES.image,
      '/note.amr': FILES.voice,
      '/clip.mp4': FILES.video,
      '/thumb.jpg': FILES.thumb,
      '/card.png': FILES.card,
      '/big.jpg': Buffer.concat([FILES.image, Buffer.alloc(2 * 1024 * 1024)]),
    },
    { '/to-metadata': 'http://169.254.169.254/latest/meta-data/', '/to-card': '/card.png' },
  );
  sandbox = await startSandbox({ quiet: true });
  harness = createHarness({
    credentials: {
      c1: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
      },
    },
  });
});

afterAll(async () => {
  await sandbox?.stop();
  await files?.stop();
});

const direct: MediaMode = {
  mode: 'direct',
  sandbox: () => sandbox,
  run: (parameters, items) => harness.run({ authentication: 'direct', ...parameters }, items, CRED),
};

describe('n8n media, Direct mode (the node uploads to WeChat itself)', () => {
  describeMediaCases(
    () => direct,
    () => files.url,
  );

  const urlSend = async (url: string) => {
    const openid = `o_media_url_${Math.random().toString(36).slice(2, 8)}`;
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    const before = sandbox.count('/cgi-bin/media/upload');
    const result = await direct.run(
      { resource: 'message', operation: 'send', touser: openid, msgtype: 'image', mediaIdSource: 'url', mediaIdUrl: url },
      [{ json: {} }],
    );
    return { ...result, uploads: sandbox.count('/cgi-bin/media/upload') - before, openid };
  };

  it('follows a redirect, refuses one to the metadata address, and a file over the limit, uploading nothing then', async () => {
    const followed = await urlSend(`${files.url}/to-card`);
    const toMetadata = await urlSend(`${files.url}/to-metadata`);
    const tooLarge = await urlSend(`${files.url}/big.jpg`);
    expect(followed.error).toBeUndefined();
    expect(followed.uploads).toBe(1);
    expect(toMetadata.error?.message).toMatch(/image\.media_id\.url: must not point to 169\.254\.169\.254/);
    expect(tooLarge.error?.message).toMatch(/image\.media_id\.url: the file (is larger than|has \d+ bytes, more than) 2097152/);
    expect([toMetadata.uploads, tooLarge.uploads]).toEqual([0, 0]);
  });

  it('uploads the same file once per workflow (its static data), and again once when WeChat has forgotten the media_id (40007)', async () => {
    // prepare: one workflow's static data, as n8n keeps it between production executions
    const staticData = {};
    const openid = 'o_media_cache';
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    const logo = jpeg(2345);
    const sendLogo = () =>
      harness.run(
        {
          authentication: 'direct',
          resource: 'message',
          operation: 'send',
          touser: openid,
          msgtype: 'image',
          mediaIdSource: 'file',
          mediaIdBinaryProperty: 'data',
        },
        [{ json: {}, binary: { data: binaryOf(logo, 'logo.jpg', 'image/jpeg') } } as never],
        CRED,
        { staticData },
      );
    const uploads = sandbox.count(UPLOAD);
    const sends = sandbox.count(SEND);

    // act
    const first = await sendLogo();
    const second = await sendLogo();
    const cached = (sandbox.messages(openid).at(-1)!.body as { image: { media_id: string } }).image.media_id;
    sandbox.forgetMedia(cached);
    const third = await sendLogo();

    // assess: one upload for the first two; the third is refused (40007), uploads again, and is sent
    expect([first.error, second.error, third.error]).toEqual([undefined, undefined, undefined]);
    expect(sandbox.count(UPLOAD) - uploads).toBe(2);
    expect(sandbox.count(SEND) - sends).toBe(4);
    const ids = sandbox.messages(openid).map((m) => (m.body as { image: { media_id: string } }).image.media_id);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(cached);
  });

  it('refuses a URL to the cloud metadata address before fetching anything', async () => {
    const openid = 'o_media_metadata';
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    const before = sandbox.count('/cgi-bin/media/upload');
    const { error } = await direct.run(
      {
        resource: 'message',
        operation: 'send',
        touser: openid,
        msgtype: 'image',
        mediaIdSource: 'url',
        mediaIdUrl: 'http://169.254.169.254/latest/meta-data/',
      },
      [{ json: {} }],
    );
    expect(error?.message).toMatch(/image\.media_id\.url: must not point to 169\.254\.169\.254: it is a cloud metadata address/);
    expect(sandbox.count('/cgi-bin/media/upload')).toBe(before);
  });
});
