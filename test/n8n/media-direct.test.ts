/**
 * Media in Direct mode: the built node checks each file by its bytes, uploads it to WeChat (the sandbox)
 * and sends the message with the media_id; URLs are fetched by n8n's own request helper; Media → Download
 * is media/get. Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/sandbox';
import { createHarness } from './harness';
import { describeMediaCases, FILES, startFileServer, type MediaMode } from './media-cases';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;
let files: Awaited<ReturnType<typeof startFileServer>>;

beforeAll(async () => {
  files = await startFileServer(
    { '/made.jpg': FILES.image, '/note.amr': FILES.voice, '/clip.mp4': FILES.video, '/thumb.jpg': FILES.thumb, '/card.png': FILES.card, '/big.jpg': Buffer.concat([FILES.image, Buffer.alloc(2 * 1024 * 1024)]) },
    { '/to-metadata': 'http://169.254.169.254/latest/meta-data/', '/to-card': '/card.png' },
  );
  sandbox = await startSandbox({ quiet: true });
  harness = createHarness({ credentials: { c1: { type: 'weChatOfficialAccountApi', data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' } } } });
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
  describeMediaCases(() => direct, () => files.url);

  const urlSend = async (url: string) => {
    const openid = `o_media_url_${Math.random().toString(36).slice(2, 8)}`;
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    const before = sandbox.count('/cgi-bin/media/upload');
    const result = await direct.run({ resource: 'message', operation: 'send', touser: openid, msgtype: 'image', mediaIdSource: 'url', mediaIdUrl: url }, [{ json: {} }]);
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

  it('refuses a URL to the cloud metadata address before fetching anything', async () => {
    const openid = 'o_media_metadata';
    await sandbox.simulateUser(openid, { type: 'text', content: 'hi' });
    const before = sandbox.count('/cgi-bin/media/upload');
    const { error } = await direct.run({ resource: 'message', operation: 'send', touser: openid, msgtype: 'image', mediaIdSource: 'url', mediaIdUrl: 'http://169.254.169.254/latest/meta-data/' }, [{ json: {} }]);
    expect(error?.message).toMatch(/image\.media_id\.url: must not point to 169\.254\.169\.254: it is a cloud metadata address/);
    expect(sandbox.count('/cgi-bin/media/upload')).toBe(before);
  });
});
