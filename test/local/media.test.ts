/**
 * Media through the whole local product (`startLocal`: the sandbox, the embedded DynamoDB, the callback):
 * what users send arrives with its mediaId.
 */
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { callProduct as call, useLocalProduct } from '../support/local-product';
import { amr, gif, jpeg, mp4, png } from '../support/media-samples';

const UPLOAD = '/cgi-bin/media/upload';
const SEND = '/cgi-bin/message/custom/send';
const b64 = (b: Buffer) => b.toString('base64');

describe('npm start: media', () => {
  let files: Server;
  let filesUrl: string;
  const saved = process.env.MEDIA_URL_ALLOW_PRIVATE;

  // Before the product starts: the file server is on loopback, which local runs and tests allow with
  // MEDIA_URL_ALLOW_PRIVATE=true.
  beforeAll(() => {
    process.env.MEDIA_URL_ALLOW_PRIVATE = 'true';
  });
  const product = useLocalProduct('wechat-kf-media-');

  beforeAll(async () => {
    files = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/cat.png') res.end(png(3000));
      else if (url.pathname === '/thumb.jpg') res.end(jpeg(2000));
      else if (url.pathname === '/big.gif') res.end(gif(2 * 1024 * 1024 + 10));
      else if (url.pathname === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    files?.closeAllConnections();
    await new Promise<void>((resolve) => files?.close(() => resolve()));
    if (saved === undefined) delete process.env.MEDIA_URL_ALLOW_PRIVATE;
    else process.env.MEDIA_URL_ALLOW_PRIVATE = saved;
  });

  const sandbox = () => product.sandbox!;
  const activeUser = async (openid: string) => {
    await sandbox().simulateUser(openid, { type: 'text', content: 'hi' });
    return openid;
  };
  const sendsLeft = async (openid: string) => (await call(product, 'GET', `/interactions/${openid}`)).json.sendsLeft;

  it('uploads media: multipart with type, a raw body with ?type=, and JSON with a url', async () => {
    // prepare
    const form = new FormData();
    form.append('type', 'image');
    form.append('media', new Blob([new Uint8Array(png(500))], { type: 'image/png' }), 'a.png');
    const before = sandbox().count(UPLOAD);

    // act
    const multipart = await call(product, 'POST', '/media', form);
    const raw = await call(product, 'POST', '/media?type=voice', new Uint8Array(amr(2)), { 'content-type': 'audio/amr' });
    const byUrl = await call(product, 'POST', '/media', { type: 'thumb', url: `${filesUrl}/thumb.jpg` });

    // assess
    expect(multipart.status).toBe(200);
    expect(multipart.json).toEqual({
      type: 'image',
      media_id: expect.any(String),
      created_at: expect.any(Number),
      expires_at: multipart.json.created_at + 3 * 24 * 3600,
    });
    expect(raw.json).toMatchObject({ type: 'voice', media_id: expect.any(String) });
    expect(byUrl.json).toMatchObject({ type: 'thumb', media_id: expect.any(String) });
    expect(sandbox().count(UPLOAD) - before).toBe(3);
  });

  it('downloads what a user sent, with its content type and name', async () => {
    // prepare
    const photo = png(1200);
    const push = await sandbox().simulateUser('oDownload', { type: 'image', data: photo, filename: 'me.png' });

    // act
    const file = await call(product, 'GET', `/media/${push.message.MediaId}`);

    // assess
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-disposition')).toContain('me.png');
    expect(file.bytes.equals(photo)).toBe(true);
  });

  it('sends an image from a URL, and the same image again without a second upload', async () => {
    // prepare
    const openid = await activeUser('oImageUrl');
    const before = sandbox().count(UPLOAD);

    // act
    const first = await call(product, 'POST', '/messages/image', { touser: openid, image: { media_id: { url: `${filesUrl}/cat.png` } } });
    const second = await call(product, 'POST', '/messages', {
      touser: openid,
      msgtype: 'image',
      image: { media_id: { url: `${filesUrl}/cat.png` } },
    });

    // assess
    expect([first.status, second.status]).toEqual([200, 200]);
    const sent = sandbox().messages(openid);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body).toEqual({ touser: openid, msgtype: 'image', image: { media_id: expect.stringMatching(/^sbx_image_/) } });
    expect(sent[1]!.body.image).toEqual(sent[0]!.body.image);
    expect(sandbox().count(UPLOAD) - before).toBe(1);
  });

  it('re-uploads ONCE a cached media_id WeChat has forgotten (40007) and sends again, counting one send', async () => {
    // prepare: the image is uploaded and cached by a first send; then WeChat forgets that media_id early.
    const openid = await activeUser('oForgotten');
    const image = { media_id: { file: b64(jpeg(1500)), filename: 'again.jpg' } };
    const first = await call(product, 'POST', '/messages/image', { touser: openid, image });
    const forgotten = (sandbox().messages(openid)[0]!.body as any).image.media_id as string;
    expect(sandbox().forgetMedia(forgotten)).toBe(true);
    const uploadsBefore = sandbox().count(UPLOAD);
    const sendsBefore = sandbox().count(SEND);
    const leftBefore = await sendsLeft(openid);

    // act
    const second = await call(product, 'POST', '/messages/image', { touser: openid, image });
    const third = await call(product, 'POST', '/messages/image', { touser: openid, image });

    // assess: the refused try, one new upload, the retry; the next send reuses the new media_id
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect(sandbox().count(UPLOAD) - uploadsBefore).toBe(1);
    expect(sandbox().count(SEND) - sendsBefore).toBe(3);
    const delivered = sandbox()
      .messages(openid)
      .map((m) => (m.body as any).image.media_id as string);
    expect(delivered).toHaveLength(3);
    expect(delivered[1]).not.toBe(forgotten);
    expect(delivered[2]).toBe(delivered[1]);
    expect(leftBefore - (await sendsLeft(openid))).toBe(2);
    // One delivery record per send: the refused try was recovered, not a delivery of its own.
    const records = (await call(product, 'GET', `/deliveries?openid=${openid}`)).json.deliveries as Array<{ outcome: string }>;
    expect(records.map((r) => r.outcome)).toEqual(['sent', 'sent', 'sent']);
  });

  it('does not re-upload a media_id it uploaded just now: a 40007 then is the answer, and the send is given back', async () => {
    // prepare: WeChat refuses the next send with 40007 although the upload is fresh
    const openid = await activeUser('oFresh40007');
    const leftBefore = await sendsLeft(openid);
    const uploadsBefore = sandbox().count(UPLOAD);
    sandbox().injectFault({ path: SEND, kind: 'errcode', errcode: 40007, times: 1 });

    // act
    const answer = await call(product, 'POST', '/messages/image', { touser: openid, image: { media_id: { file: b64(jpeg(1700)) } } });

    // assess
    expect(answer.status).toBe(502);
    expect(answer.json.error).toMatchObject({ errcode: 40007 });
    expect(sandbox().count(UPLOAD) - uploadsBefore).toBe(1);
    expect(await sendsLeft(openid)).toBe(leftBefore);
  });

  it('sends a video from a multipart file with its thumbnail, a voice from base64, music and a mini-program card from URLs', async () => {
    // prepare
    const openid = await activeUser('oMediaMix');
    const form = new FormData();
    form.append('touser', openid);
    form.append('video.title', 'Clip');
    form.append('video.media_id', new Blob([new Uint8Array(mp4(800))]), 'clip.mp4');
    form.append('video.thumb_media_id', new Blob([new Uint8Array(jpeg(900))]), 'thumb.jpg');

    // act
    const video = await call(product, 'POST', '/messages/video', form);
    const voice = await call(product, 'POST', '/messages/voice', {
      touser: openid,
      voice: { media_id: { file: b64(amr(3)), filename: 'note.amr' } },
    });
    const music = await call(product, 'POST', '/messages/music', {
      touser: openid,
      music: {
        musicurl: 'https://m.example/1.mp3',
        hqmusicurl: 'https://m.example/1hq.mp3',
        thumb_media_id: { url: `${filesUrl}/thumb.jpg` },
      },
    });
    const card = await call(product, 'POST', '/messages/miniprogrampage', {
      touser: openid,
      miniprogrampage: { title: 'Shop', appid: 'wxapp', pagepath: 'pages/index', thumb_media_id: { url: `${filesUrl}/cat.png` } },
    });

    // assess
    expect([video.status, voice.status, music.status, card.status]).toEqual([200, 200, 200, 200]);
    const held = new Map(
      sandbox()
        .media()
        .map((m) => [m.media_id, m]),
    );
    const [v, vo, mu, mp] = sandbox()
      .messages(openid)
      .map((m) => m.body as any);
    expect(v!.video).toMatchObject({ title: 'Clip' });
    expect(held.get(v!.video.media_id)).toMatchObject({ type: 'video', format: 'mp4' });
    expect(held.get(v!.video.thumb_media_id)).toMatchObject({ type: 'thumb', format: 'jpeg' });
    expect(held.get(vo!.voice.media_id)).toMatchObject({ type: 'voice', format: 'amr', filename: 'note.amr' });
    expect(held.get(mu!.music.thumb_media_id)).toMatchObject({ type: 'thumb' });
    expect(held.get(mp!.miniprogrampage.thumb_media_id)).toMatchObject({ type: 'image', format: 'png' });
  });

  describe('every bad file or URL gets a clear 4xx, and nothing reaches WeChat', () => {
    it.each([
      [
        'a PNG as a thumb',
        () => ({ msgtype: 'video', video: { media_id: { file: b64(mp4()) }, thumb_media_id: { file: b64(png()) } } }),
        400,
        'video.thumb_media_id.file',
        'must be JPG',
      ],
      [
        'a GIF over the limit',
        () => ({ msgtype: 'image', image: { media_id: { url: `${filesUrl}/big.gif` } } }),
        400,
        'image.media_id.url',
        'larger than the 2 MB allowed',
      ],
      ['an empty file', () => ({ msgtype: 'image', image: { media_id: { file: '' } } }), 400, 'image.media_id.file', 'must not be empty'],
      [
        'a URL to 169.254.169.254',
        () => ({ msgtype: 'image', image: { media_id: { url: 'http://169.254.169.254/latest/meta-data/' } } }),
        400,
        'image.media_id.url',
        'metadata',
      ],
      [
        'a redirect to the metadata address',
        () => ({ msgtype: 'image', image: { media_id: { url: `${filesUrl}/to-metadata` } } }),
        400,
        'image.media_id.url',
        'metadata',
      ],
      [
        'a URL that is not found',
        () => ({ msgtype: 'image', image: { media_id: { url: `${filesUrl}/nothing.png` } } }),
        422,
        'image.media_id.url',
        'HTTP 404',
      ],
      [
        'an object that is neither url nor file',
        () => ({ msgtype: 'image', image: { media_id: { path: '/etc/passwd' } } }),
        400,
        'image.media_id',
        'exactly one of url or file',
      ],
    ])('%s', async (_what, body, status, field, rule) => {
      // prepare
      const openid = await activeUser(`oBad${Math.random().toString(36).slice(2, 8)}`);
      const [uploads, sends, left] = [sandbox().count(UPLOAD), sandbox().count(SEND), await sendsLeft(openid)];

      // act
      const res = await call(product, 'POST', '/messages', { touser: openid, ...body() });

      // assess
      expect(res.status).toBe(status);
      expect(JSON.stringify(res.json.error)).toContain(field);
      expect(JSON.stringify(res.json.error)).toContain(rule);
      expect([sandbox().count(UPLOAD), sandbox().count(SEND), await sendsLeft(openid)]).toEqual([uploads, sends, left]);
    });

    it('a 3 MB voice sent as a multipart file', async () => {
      // prepare
      const openid = await activeUser('oBigVoice');
      const form = new FormData();
      form.append('touser', openid);
      form.append('voice.media_id', new Blob([new Uint8Array(Buffer.concat([amr(1), Buffer.alloc(3 * 1024 * 1024)]))]), 'long.amr');
      const [uploads, sends, left] = [sandbox().count(UPLOAD), sandbox().count(SEND), await sendsLeft(openid)];

      // act
      const res = await call(product, 'POST', '/messages/voice', form);

      // assess
      expect(res.status).toBe(400);
      expect(res.json.error.message).toContain('voice.media_id.file: a voice may have at most 2 MB');
      expect([sandbox().count(UPLOAD), sandbox().count(SEND), await sendsLeft(openid)]).toEqual([uploads, sends, left]);
    });

    it('a URL to 127.0.0.1 or a private address, with private addresses not allowed (the default)', async () => {
      // prepare
      const openid = await activeUser('oNoPrivate');
      const uploads = sandbox().count(UPLOAD);
      delete process.env.MEDIA_URL_ALLOW_PRIVATE;
      try {
        // act
        const loopback = await call(product, 'POST', '/messages/image', {
          touser: openid,
          image: { media_id: { url: `${filesUrl}/cat.png` } },
        });
        const https = await call(product, 'POST', '/messages/image', {
          touser: openid,
          image: { media_id: { url: 'https://127.0.0.1/cat.png' } },
        });
        const privateAddress = await call(product, 'POST', '/media', { type: 'image', url: 'https://10.1.2.3/cat.png' });

        // assess
        expect([loopback.status, https.status, privateAddress.status]).toEqual([400, 400, 400]);
        expect(loopback.json.error.message).toContain('https');
        expect(https.json.error.message).toContain('loopback');
        expect(privateAddress.json.error.message).toContain('private');
        // the field and the rule, as every 400 names them (error.issues), beside the code that says why
        expect(https.json.error).toMatchObject({
          code: 'MEDIA_URL_REFUSED',
          field: 'image.media_id.url',
          issues: [{ field: 'image.media_id.url', rule: expect.stringContaining('loopback') }],
        });
        expect(privateAddress.json.error.issues).toEqual([{ field: 'url', rule: expect.stringContaining('private') }]);
        expect(sandbox().count(UPLOAD)).toBe(uploads);
      } finally {
        process.env.MEDIA_URL_ALLOW_PRIVATE = 'true';
      }
    });
  });

  it('publishes a photo a user sends with its mediaId, which the sandbox serves', async () => {
    // prepare
    const photo = png(2000);
    const form = new FormData();
    form.append('media', new Blob([new Uint8Array(photo)], { type: 'image/png' }), 'holiday.png');

    // act
    const res = await fetch(`${product.sandbox!.url}/sandbox/users/oPhoto/messages`, { method: 'POST', body: form });
    const push = (await res.json()) as { delivered: boolean; message: { MediaId: string } };
    const event = product.events.events.find((e) => e.detailType === 'message.image' && e.detail.openid === 'oPhoto');

    // assess
    expect(push.delivered).toBe(true);
    expect(event?.detail).toMatchObject({
      openid: 'oPhoto',
      mediaId: push.message.MediaId,
      message: { MsgType: 'image', MediaId: push.message.MediaId },
    });
    expect(product.sandbox!.media()).toContainEqual(
      expect.objectContaining({ media_id: push.message.MediaId, type: 'image', size: photo.length, origin: 'user' }),
    );
  });

  it('publishes a voice note with its mediaId and Format', async () => {
    // act
    const res = await fetch(`${product.sandbox!.url}/sandbox/users/oVoice/messages`, {
      method: 'POST',
      headers: { 'content-type': 'audio/amr' },
      body: new Uint8Array(amr(2)),
    });
    const push = (await res.json()) as { message: { MediaId: string } };
    const event = product.events.events.find((e) => e.detailType === 'message.voice' && e.detail.openid === 'oVoice');

    // assess
    expect(event?.detail).toMatchObject({ mediaId: push.message.MediaId, message: { Format: 'amr' } });
  });
});
