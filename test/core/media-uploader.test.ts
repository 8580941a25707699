/**
 * MediaUploader against the sandbox over HTTP, with the media cache on dynalite: files checked before any
 * upload, one upload per content and type, an expired entry uploaded again, URLs fetched from a local file
 * server (private addresses allowed for the test only).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchTransport, InMemoryTokenProvider, ValidationError, WeChatClient } from '../../functions/core';
import { MediaUploader } from '../../functions/core/media';
import { fetchUrl, MediaUrlError } from '../../functions/core/net';
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { MEDIA_LIFETIME_MS, MediaCache } from '../../functions/store';
import { fakeClock, startTestDynamo, type TestDynamo } from '../store/helpers';
import { amr, jpeg, mp4, png } from '../support/media-samples';

const UPLOAD = '/cgi-bin/media/upload';

describe('MediaUploader', () => {
  let sandbox: Sandbox;
  let dynamo: TestDynamo;
  let files: Server;
  let filesUrl: string;
  let clock: ReturnType<typeof fakeClock>;
  let uploader: MediaUploader;

  beforeAll(async () => {
    clock = fakeClock(Date.now());
    sandbox = await startSandbox({ quiet: true, now: clock.now });
    dynamo = await startTestDynamo();
    files = createServer((req, res) => {
      if (req.url === '/cat.png') res.end(png(4000));
      else if (req.url === '/huge.jpg') res.end(jpeg(3 * 1024 * 1024));
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await sandbox.stop();
    await dynamo.stop();
    files.closeAllConnections();
    await new Promise<void>((resolve) => files.close(() => resolve()));
  });
  beforeEach(async () => {
    sandbox.reset();
    const transport = new FetchTransport();
    const tokens = new InMemoryTokenProvider({
      transport,
      baseUrl: sandbox.url,
      appId: sandbox.appId,
      appSecret: sandbox.appSecret,
      now: clock.now,
    });
    const client = new WeChatClient({ transport, tokens, baseUrl: sandbox.url });
    const cache = new MediaCache({ client: dynamo.client, tableName: await dynamo.newTable(), appId: sandbox.appId, now: clock.now });
    uploader = new MediaUploader({
      client,
      cache,
      now: clock.now,
      fetchUrl: (url, options) => fetchUrl(url, { ...options, allowPrivate: true }),
    });
  });

  it('uploads a video and its thumbnail as video and thumb, and answers the content with their media_ids', async () => {
    // prepare
    const prepared = await uploader.prepare('video', {
      media_id: { file: mp4(300), filename: 'clip.mp4' },
      thumb_media_id: { file: jpeg(100) },
      title: 'T',
    });

    // act
    const content = await uploader.upload(prepared);

    // assess
    expect(sandbox.media().map((m) => [m.type, m.format, m.media_id])).toEqual([
      ['video', 'mp4', content.media_id],
      ['thumb', 'jpeg', content.thumb_media_id],
    ]);
    expect(content.title).toBe('T');
    expect(sandbox.requests(UPLOAD).map((r) => r.query.type)).toEqual(['video', 'thumb']);
  });

  it('uploads the same bytes of the same type once, and again as another type', async () => {
    // prepare
    const photo = jpeg(500);

    // act
    const first = await uploader.uploadFile((await uploader.prepare('image', { media_id: { file: photo } })).files[0]!.file);
    const second = await uploader.uploadFile((await uploader.prepare('image', { media_id: { file: photo } })).files[0]!.file);
    const asThumb = await uploader.upload(
      await uploader.prepare('music', { musicurl: 'https://m', hqmusicurl: 'https://h', thumb_media_id: { file: photo } }),
    );

    // assess
    expect(second).toEqual({ ...first, cached: true });
    expect(first.cached).toBe(false);
    expect(asThumb.thumb_media_id).not.toBe(first.media_id);
    expect(sandbox.count(UPLOAD)).toBe(2);
  });

  it('uploads again once the cached media_id is about to expire', async () => {
    // prepare
    const prepared = await uploader.prepare('voice', { media_id: { file: amr(2) } });
    const first = await uploader.upload(prepared);

    // act
    clock.advance(MEDIA_LIFETIME_MS - 30 * 60 * 1000);
    const second = await uploader.upload(prepared);

    // assess
    expect(second.media_id).not.toBe(first.media_id);
    expect(sandbox.count(UPLOAD)).toBe(2);
  });

  it('fetches a URL and names the file by its bytes', async () => {
    // act
    const content = await uploader.upload(await uploader.prepare('image', { media_id: { url: `${filesUrl}/cat.png` } }));

    // assess
    expect(sandbox.media()).toEqual([
      expect.objectContaining({ media_id: content.media_id, format: 'png', filename: 'cat.png', size: 4000 }),
    ]);
  });

  it.each([
    [
      'a PNG as a thumb',
      'video',
      () => ({ media_id: { file: mp4() }, thumb_media_id: { file: png() } }),
      ValidationError,
      'video.thumb_media_id.file',
    ],
    [
      'a 3 MB voice',
      'voice',
      () => ({ media_id: { file: Buffer.concat([amr(1), Buffer.alloc(3 * 1024 * 1024)]) } }),
      ValidationError,
      'at most 2 MB',
    ],
    ['an empty file', 'image', () => ({ media_id: { file: new Uint8Array(0) } }), ValidationError, 'must not be empty'],
    [
      'a URL over the size limit',
      'image',
      () => ({ media_id: { url: `${filesUrl}/huge.jpg` } }),
      MediaUrlError,
      'larger than the 2 MB allowed',
    ],
    ['a URL that is not found', 'image', () => ({ media_id: { url: `${filesUrl}/missing.png` } }), MediaUrlError, 'HTTP 404'],
  ])('refuses %s before uploading anything', async (_what, msgtype, content, kind, text) => {
    // act
    const error = await uploader.prepare(msgtype, content()).catch((e: unknown) => e);

    // assess
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toContain(text);
    expect(sandbox.count(UPLOAD)).toBe(0);
  });
});
