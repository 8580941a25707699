/**
 * The n8n media cases, run in both credential modes (media-direct.test.ts, media-gateway.test.ts): sends
 * whose media are a binary property or a URL (every media type), Media → Upload from a binary property,
 * Media → Download into the item's binary data, and bad inputs that must stop in the node with nothing
 * reaching WeChat. Each case checks what the sandbox received, byte for byte.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import type { INodeExecutionData } from 'n8n-workflow';
import type { Sandbox } from '../../functions/dev/sandbox';
import { amr, jpeg, mp4, png } from '../support/media-samples';

export const UPLOAD = '/cgi-bin/media/upload';
export const SEND = '/cgi-bin/message/custom/send';

/** What a mode's test file provides. */
export interface MediaMode {
  mode: 'direct' | 'gateway';
  sandbox(): Sandbox;
  /** Runs `Items → WeChat` with the mode's credential. */
  run(
    parameters: Record<string, unknown>,
    items: INodeExecutionData[],
  ): Promise<{ items: INodeExecutionData[]; error?: Error & Record<string, unknown> }>;
}

/** A binary property of an input item, as n8n keeps small files (base64 in memory). */
export const binaryOf = (data: Buffer, fileName: string, mimeType: string) => ({
  data: data.toString('base64'),
  mimeType,
  fileName,
  fileSize: String(data.length),
});

/** The bytes of a media_id the sandbox holds (its control route serves them, as WeChat's CDN would). */
export async function heldBytes(sandbox: Sandbox, mediaId: string): Promise<Buffer> {
  const res = await fetch(`${sandbox.url}/sandbox/media/${encodeURIComponent(mediaId)}`);
  if (res.status !== 200) throw new Error(`the sandbox holds no media ${mediaId} (${res.status})`);
  return Buffer.from(await res.arrayBuffer());
}

/** A file server on loopback (the product and the node fetch from it with private addresses allowed). */
export async function startFileServer(
  files: Record<string, Buffer>,
  redirects: Record<string, string> = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files[path];
    if (redirects[path]) res.writeHead(302, { location: redirects[path] }).end();
    else if (!file) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The sample files: what a workflow would have made or downloaded. */
export const FILES = {
  image: jpeg(3000),
  voice: amr(2),
  video: mp4(4000),
  thumb: jpeg(1800),
  card: png(2500),
};

let seq = 0;

/** Defines the media cases for a mode. `mode()` is read when the tests run (after beforeAll). */
export function describeMediaCases(mode: () => MediaMode, fileServerUrl: () => string): void {
  const sandbox = () => mode().sandbox();
  const activeUser = async () => {
    const openid = `o_media_${mode().mode}_${++seq}`;
    await sandbox().simulateUser(openid, { type: 'text', content: 'send me a picture' });
    return openid;
  };
  const send = (touser: string, msgtype: string, fields: Record<string, unknown>) => ({
    resource: 'message',
    operation: 'send',
    touser,
    msgtype,
    ...fields,
  });
  const lastSent = (openid: string) => sandbox().messages(openid).at(-1)?.body as Record<string, Record<string, string>> | undefined;

  /** Each media send: its parameters for a binary property / a URL, and the media fields with their files. */
  const cases: Array<{
    msgtype: string;
    extra: Record<string, unknown>;
    media: Array<{ param: string; field: string; file: Buffer; name: string; path: string }>;
  }> = [
    {
      msgtype: 'image',
      extra: {},
      media: [{ param: 'mediaId', field: 'media_id', file: FILES.image, name: 'made.jpg', path: '/made.jpg' }],
    },
    {
      msgtype: 'voice',
      extra: {},
      media: [{ param: 'mediaId', field: 'media_id', file: FILES.voice, name: 'note.amr', path: '/note.amr' }],
    },
    {
      msgtype: 'video',
      extra: { title: 'Clip', description: 'Made in n8n' },
      media: [
        { param: 'mediaId', field: 'media_id', file: FILES.video, name: 'clip.mp4', path: '/clip.mp4' },
        { param: 'thumbMediaId', field: 'thumb_media_id', file: FILES.thumb, name: 'thumb.jpg', path: '/thumb.jpg' },
      ],
    },
    {
      msgtype: 'music',
      extra: { title: 'Song', musicUrl: 'https://music.example/1.mp3', hqMusicUrl: 'https://music.example/1hq.mp3' },
      media: [{ param: 'thumbMediaId', field: 'thumb_media_id', file: FILES.thumb, name: 'cover.jpg', path: '/thumb.jpg' }],
    },
    {
      msgtype: 'miniprogrampage',
      extra: { title: 'Shop', appid: 'wxminiapp', pagepath: 'pages/index/index' },
      media: [{ param: 'thumbMediaId', field: 'thumb_media_id', file: FILES.card, name: 'card.png', path: '/card.png' }],
    },
  ];

  describe.each(cases)('sends $msgtype', ({ msgtype, extra, media }) => {
    it('from binary properties of the input item: uploaded, then sent with the media_id, the same bytes', async () => {
      // prepare
      const openid = await activeUser();
      const params: Record<string, unknown> = { ...extra };
      const binary: Record<string, ReturnType<typeof binaryOf>> = {};
      media.forEach((m, i) => {
        params[`${m.param}Source`] = 'file';
        params[`${m.param}BinaryProperty`] = `file${i}`;
        binary[`file${i}`] = binaryOf(m.file, m.name, 'application/octet-stream');
      });
      // act
      const { items, error } = await mode().run(send(openid, msgtype, params), [{ json: {}, binary } as never]);
      // assess
      expect(error).toBeUndefined();
      expect(items[0]!.json).toMatchObject({ errcode: 0, touser: openid, msgtype });
      const body = lastSent(openid)!;
      for (const m of media) expect((await heldBytes(sandbox(), body[msgtype]![m.field]!)).equals(m.file)).toBe(true);
    });

    it('from URLs: fetched, uploaded, then sent', async () => {
      // prepare
      const openid = await activeUser();
      const params: Record<string, unknown> = { ...extra };
      for (const m of media) {
        params[`${m.param}Source`] = 'url';
        params[`${m.param}Url`] = `${fileServerUrl()}${m.path}`;
      }
      // act
      const { items, error } = await mode().run(send(openid, msgtype, params), [{ json: {} }]);
      // assess
      expect(error).toBeUndefined();
      expect(items[0]!.json).toMatchObject({ errcode: 0 });
      const body = lastSent(openid)!;
      for (const m of media) expect((await heldBytes(sandbox(), body[msgtype]![m.field]!)).equals(m.file)).toBe(true);
    });
  });

  it('Media → Upload takes a binary property and answers the media_id of those bytes', async () => {
    // prepare
    const file = jpeg(2222);
    // act
    const { items, error } = await mode().run(
      { resource: 'media', operation: 'upload', type: 'image', mediaSource: 'file', mediaBinaryProperty: 'picture' },
      [{ json: {}, binary: { picture: binaryOf(file, 'poster.jpg', 'image/jpeg') } } as never],
    );
    // assess
    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({
      type: 'image',
      media_id: expect.any(String),
      created_at: expect.any(Number),
      expires_at: expect.any(Number),
    });
    expect((await heldBytes(sandbox(), String(items[0]!.json.media_id))).equals(file)).toBe(true);
  });

  it('Media → Upload takes a URL', async () => {
    const { items, error } = await mode().run(
      { resource: 'media', operation: 'upload', type: 'thumb', mediaSource: 'url', mediaUrl: `${fileServerUrl()}/thumb.jpg` },
      [{ json: {} }],
    );
    expect(error).toBeUndefined();
    expect((await heldBytes(sandbox(), String(items[0]!.json.media_id))).equals(FILES.thumb)).toBe(true);
  });

  it('Media → Download puts what a user sent into the binary data, with its content type and name', async () => {
    // prepare: a user sends a photo
    const photo = jpeg(2600);
    const push = await sandbox().simulateUser(`o_media_dl_${mode().mode}`, { type: 'image', data: photo, filename: 'holiday.jpg' });
    // act
    const { items, error } = await mode().run(
      { resource: 'media', operation: 'download', mediaId: push.message.MediaId, binaryPropertyName: 'photo' },
      [{ json: {} }],
    );
    // assess
    expect(error).toBeUndefined();
    const binary = items[0]!.binary!.photo!;
    expect(Buffer.from(binary.data, 'base64').equals(photo)).toBe(true);
    expect(binary).toMatchObject({ mimeType: 'image/jpeg', fileName: 'holiday.jpg' });
    expect(items[0]!.json).toMatchObject({
      media_id: push.message.MediaId,
      binaryProperty: 'photo',
      fileName: 'holiday.jpg',
      mimeType: 'image/jpeg',
    });
  });

  it('Media → Download of a video: media/get answers {video_url}, and the video is fetched from there', async () => {
    // prepare
    const clip = mp4(3333);
    const uploaded = await mode().run(
      { resource: 'media', operation: 'upload', type: 'video', mediaSource: 'file', mediaBinaryProperty: 'data' },
      [{ json: {}, binary: { data: binaryOf(clip, 'clip.mp4', 'video/mp4') } } as never],
    );
    expect(uploaded.error).toBeUndefined();
    // act
    const { items, error } = await mode().run({ resource: 'media', operation: 'download', mediaId: uploaded.items[0]!.json.media_id }, [
      { json: {} },
    ]);
    // assess
    expect(error).toBeUndefined();
    expect(Buffer.from(items[0]!.binary!.data!.data, 'base64').equals(clip)).toBe(true);
    expect(items[0]!.binary!.data!.mimeType).toBe('video/mp4');
  });

  it('Custom API Call: a file WeChat answers (media/get of an image) arrives as binary data, the same bytes; a JSON answer stays JSON', async () => {
    // prepare: an image and a video uploaded (media/get answers the image itself, the video as {video_url})
    const photo = jpeg(2468);
    const clip = mp4(2345);
    const upload = (type: string, data: Buffer, fileName: string, mimeType: string) =>
      mode().run({ resource: 'media', operation: 'upload', type, mediaSource: 'file', mediaBinaryProperty: 'data' }, [
        { json: {}, binary: { data: binaryOf(data, fileName, mimeType) } } as never,
      ]);
    const image = await upload('image', photo, 'scan.jpg', 'image/jpeg');
    const video = await upload('video', clip, 'clip.mp4', 'video/mp4');
    expect([image.error, video.error]).toEqual([undefined, undefined]);
    const call = (mediaId: unknown, options: Record<string, unknown> = {}) =>
      mode().run(
        {
          resource: 'wechatApi',
          operation: 'call',
          method: 'GET',
          path: '/cgi-bin/media/get',
          query: JSON.stringify({ media_id: mediaId }),
          options,
        },
        [{ json: {} }],
      );
    // act
    const asFile = await call(image.items[0]!.json.media_id);
    const named = await call(image.items[0]!.json.media_id, { binaryPropertyName: 'qr' });
    const asJson = await call(video.items[0]!.json.media_id);
    // assess
    expect(asFile.error).toBeUndefined();
    const binary = asFile.items[0]!.binary!.data!;
    expect(Buffer.from(binary.data, 'base64').equals(photo)).toBe(true);
    expect(binary).toMatchObject({ mimeType: 'image/jpeg', fileName: 'scan.jpg' });
    expect(asFile.items[0]!.json).toMatchObject({
      binaryProperty: 'data',
      mimeType: 'image/jpeg',
      fileName: 'scan.jpg',
      fileSize: expect.anything(),
    });
    expect(named.error).toBeUndefined();
    expect(Object.keys(named.items[0]!.binary ?? {})).toEqual(['qr']);
    expect(Buffer.from(named.items[0]!.binary!.qr!.data, 'base64').equals(photo)).toBe(true);
    expect(asJson.error).toBeUndefined();
    expect(asJson.items[0]!.binary).toBeUndefined();
    expect(asJson.items[0]!.json).toEqual({ video_url: expect.stringMatching(/^https?:\/\//) });
  });

  describe('bad inputs stop in the node (NodeOperationError naming the field and the rule) and nothing reaches WeChat', () => {
    const nothingReachesWeChat = async (act: () => Promise<{ error?: Error & Record<string, unknown> }>, message: RegExp) => {
      const before = { uploads: sandbox().count(UPLOAD), sends: sandbox().count(SEND) };
      const { error } = await act();
      expect(error?.name).toBe('NodeOperationError');
      expect(error?.message).toMatch(message);
      expect({ uploads: sandbox().count(UPLOAD), sends: sandbox().count(SEND) }).toEqual(before);
    };

    it('a missing binary property', async () => {
      const openid = await activeUser();
      await nothingReachesWeChat(
        () =>
          mode().run(send(openid, 'image', { mediaIdSource: 'file', mediaIdBinaryProperty: 'photo' }), [
            { json: {}, binary: { other: binaryOf(FILES.image, 'a.jpg', 'image/jpeg') } } as never,
          ]),
        /image\.media_id.*no binary property "photo"/,
      );
    });

    it('a PNG as a video thumbnail', async () => {
      const openid = await activeUser();
      await nothingReachesWeChat(
        () =>
          mode().run(
            send(openid, 'video', {
              mediaIdSource: 'file',
              mediaIdBinaryProperty: 'clip',
              thumbMediaIdSource: 'file',
              thumbMediaIdBinaryProperty: 'thumb',
            }),
            [
              {
                json: {},
                binary: { clip: binaryOf(FILES.video, 'clip.mp4', 'video/mp4'), thumb: binaryOf(png(900), 'thumb.png', 'image/png') },
              } as never,
            ],
          ),
        /video\.thumb_media_id\.file: a thumb must be JPG .*this file is PNG/,
      );
    });

    it('an empty file', async () => {
      const openid = await activeUser();
      await nothingReachesWeChat(
        () =>
          mode().run(send(openid, 'voice', { mediaIdSource: 'file', mediaIdBinaryProperty: 'data' }), [
            { json: {}, binary: { data: binaryOf(Buffer.alloc(0), 'empty.amr', 'audio/amr') } } as never,
          ]),
        /voice\.media_id\.file: must not be empty/,
      );
    });

    it('an empty URL', async () => {
      const openid = await activeUser();
      await nothingReachesWeChat(
        () => mode().run(send(openid, 'image', { mediaIdSource: 'url', mediaIdUrl: ' ' }), [{ json: {} }]),
        /image\.media_id.*the URL is empty/,
      );
    });

    it('an upload that is not the type it says', async () => {
      await nothingReachesWeChat(
        () =>
          mode().run({ resource: 'media', operation: 'upload', type: 'voice', mediaSource: 'file', mediaBinaryProperty: 'data' }, [
            { json: {}, binary: { data: binaryOf(FILES.image, 'x.jpg', 'image/jpeg') } } as never,
          ]),
        /media: a voice must be AMR or MP3/,
      );
    });
  });
}
