import { amr, gif, jpeg, mp3, mp4, png } from '../support/media-samples';
import { classicToken, getJson, HOUR, multipart, useSandbox, send, uploadMedia, type Json } from './helpers';

const USER = 'o_media_user_00000000000001';
const DAY = 24 * HOUR;
const MB = 1024 * 1024;

describe('sandbox temporary media (media/upload, media/get)', () => {
  const { sandbox, clock } = useSandbox();
  let token: string;

  beforeEach(async () => {
    token = await classicToken(sandbox);
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
  });

  const download = (mediaId: string) =>
    fetch(`${sandbox.url}/cgi-bin/media/get?access_token=${token}&media_id=${encodeURIComponent(mediaId)}`);

  it.each([
    ['image', 'a.png', png()],
    ['image', 'a.gif', gif()],
    ['image', 'a.jpg', jpeg()],
    ['voice', 'a.amr', amr(2)],
    ['voice', 'a.mp3', mp3(2)],
    ['video', 'a.mp4', mp4()],
    ['thumb', 'a.jpg', jpeg(64 * 1024)],
  ])('uploads a %s (%s) and answers {type, media_id, created_at}', async (type, filename, data) => {
    // act
    const answer = await uploadMedia(sandbox, token, type, data, filename);

    // assess
    expect(answer).toEqual({ type, media_id: expect.any(String), created_at: Math.floor(clock.t / 1000) });
    expect(sandbox.media()).toEqual([expect.objectContaining({ media_id: answer.media_id, type, size: data.length, origin: 'upload' })]);
  });

  it.each([
    ['a type that does not exist', 'sticker', jpeg(), 'a.jpg', 40004],
    ['no type', '', jpeg(), 'a.jpg', 40004],
    ['a PNG as a thumb', 'thumb', png(), 'a.png', 40005],
    ['a GIF named .jpg as a thumb', 'thumb', gif(), 'a.jpg', 40005],
    ['an MP3 as a video', 'video', mp3(1), 'a.mp4', 40005],
    ['bytes that are no format', 'image', Buffer.alloc(100, 7), 'a.jpg', 40005],
    ['a thumb over 64 KB', 'thumb', jpeg(64 * 1024 + 1), 'a.jpg', 40006],
    ['a voice over 2 MB', 'voice', Buffer.concat([amr(1), Buffer.alloc(2 * MB)]), 'a.amr', 40006],
    ['a voice over 60 s', 'voice', amr(61), 'a.amr', 40006],
    ['an image over 10 MB', 'image', gif(10 * MB + 1), 'a.gif', 40006],
    ['a video over 10 MB', 'video', mp4(10 * MB + 1), 'a.mp4', 40006],
    ['an empty file', 'image', Buffer.alloc(0), 'a.jpg', 41005],
  ])('refuses %s', async (_what, type, data, filename, errcode) => {
    // act
    const answer = await uploadMedia(sandbox, token, type, data, filename);

    // assess
    expect(answer.errcode).toBe(errcode);
    expect(sandbox.media()).toEqual([]);
  });

  it('refuses a body without a media part, or a part without a filename (41005)', async () => {
    // prepare
    const wrongField = multipart('file', 'a.jpg', 'image/jpeg', jpeg());
    const noName = {
      body: Buffer.concat([
        Buffer.from('--b1\r\nContent-Disposition: form-data; name="media"\r\nContent-Type: image/jpeg\r\n\r\n'),
        jpeg(),
        Buffer.from('\r\n--b1--\r\n'),
      ]),
      contentType: 'multipart/form-data; boundary=b1',
    };

    // act
    const answers: Json[] = [];
    for (const m of [wrongField, noName, { body: jpeg(), contentType: 'image/jpeg' }]) {
      const res = await fetch(`${sandbox.url}/cgi-bin/media/upload?access_token=${token}&type=image`, {
        method: 'POST',
        headers: { 'content-type': m.contentType },
        body: new Uint8Array(m.body),
      });
      answers.push((await res.json()) as Json);
    }

    // assess
    expect(answers.map((a) => a.errcode)).toEqual([41005, 41005, 41005]);
  });

  it('needs an access token and POST', async () => {
    // act
    const noToken = await fetch(`${sandbox.url}/cgi-bin/media/upload?type=image`, { method: 'POST' });
    const get = await getJson(`${sandbox.url}/cgi-bin/media/upload?access_token=${token}&type=image`);

    // assess
    expect(((await noToken.json()) as Json).errcode).toBe(41001);
    expect(get.errcode).toBe(43002);
  });

  it('downloads an image with its content type and name', async () => {
    // prepare
    const data = png(300);
    const { media_id } = await uploadMedia(sandbox, token, 'image', data, 'cat.png');

    // act
    const res = await download(media_id);

    // assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="cat.png"');
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
  });

  it('answers a video download with {video_url}, which serves the file', async () => {
    // prepare
    const data = mp4(500);
    const { media_id } = await uploadMedia(sandbox, token, 'video', data, 'clip.mp4');

    // act
    const answer = (await (await download(media_id)).json()) as Json;
    const file = await fetch(answer.video_url);

    // assess
    expect(answer).toEqual({ video_url: expect.stringContaining(sandbox.url) });
    expect(file.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);
  });

  it('keeps a media_id for 3 days of its clock, then answers 40007 to get and send', async () => {
    // prepare
    const { media_id } = await uploadMedia(sandbox, token, 'image', jpeg());
    clock.advance(3 * DAY - 1000);
    await sandbox.simulateUser(USER, { type: 'text', content: 'still here' });
    token = await classicToken(sandbox); // the first one expired long ago

    // act
    const before = await send(sandbox, token, { touser: USER, msgtype: 'image', image: { media_id } });
    const again = await send(sandbox, token, { touser: USER, msgtype: 'image', image: { media_id } });
    clock.advance(1000);
    const afterGet = (await (await download(media_id)).json()) as Json;
    const afterSend = await send(sandbox, token, { touser: USER, msgtype: 'image', image: { media_id } });

    // assess
    expect([before.errcode, again.errcode]).toEqual([0, 0]);
    expect(afterGet.errcode).toBe(40007);
    expect(afterSend.errcode).toBe(40007);
    expect(sandbox.messages(USER)).toHaveLength(2);
  });

  it.each([
    ['a made-up media_id', 'image', { media_id: 'MEDIA_ID' }],
    ['a voice media_id as an image', 'image', { media_id: 'VOICE' }],
    ['an image media_id as a video', 'video', { media_id: 'IMAGE', thumb_media_id: 'THUMB' }],
    ['a made-up thumb_media_id', 'music', { musicurl: 'https://m', hqmusicurl: 'https://h', thumb_media_id: 'T' }],
    ['a made-up mini-program thumbnail', 'miniprogrampage', { title: 't', appid: 'wxa', pagepath: 'p', thumb_media_id: 'T' }],
  ])('refuses a send with %s (40007) and counts nothing', async (_what, msgtype, payload) => {
    // prepare
    const ids: Record<string, string> = {
      IMAGE: (await uploadMedia(sandbox, token, 'image', jpeg())).media_id,
      VOICE: (await uploadMedia(sandbox, token, 'voice', amr(1))).media_id,
      THUMB: (await uploadMedia(sandbox, token, 'thumb', jpeg())).media_id,
    };
    const content = Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, ids[v] ?? v]));

    // act
    const answer = await send(sandbox, token, { touser: USER, msgtype, [msgtype]: content });

    // assess
    expect(answer.errcode).toBe(40007);
    expect(sandbox.messages()).toEqual([]);
    expect(sandbox.user(USER)?.window?.sends).toBe(0);
  });

  it('accepts an image media_id as a thumbnail', async () => {
    // prepare
    const image = (await uploadMedia(sandbox, token, 'image', jpeg())).media_id;

    // act
    const answer = await send(sandbox, token, {
      touser: USER,
      msgtype: 'miniprogrampage',
      miniprogrampage: { title: 't', appid: 'wxa', pagepath: 'p', thumb_media_id: image },
    });

    // assess
    expect(answer.errcode).toBe(0);
  });

  it('answers 40007 to a download of a media_id never issued', async () => {
    // act
    const answer = (await (await download('nope')).json()) as Json;

    // assess
    expect(answer.errcode).toBe(40007);
  });

  it('forgets one media_id early on DELETE /sandbox/media/{media_id}, as WeChat may: get and send then answer 40007', async () => {
    // prepare
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi again' });
    const { media_id } = await uploadMedia(sandbox, token, 'image', jpeg());
    const kept = (await uploadMedia(sandbox, token, 'image', jpeg(90))).media_id;

    // act
    const forgotten = await fetch(`${sandbox.url}/sandbox/media/${media_id}`, { method: 'DELETE' });
    const unknown = await fetch(`${sandbox.url}/sandbox/media/nope`, { method: 'DELETE' });
    const afterGet = (await (await download(media_id)).json()) as Json;
    const afterSend = await send(sandbox, token, { touser: USER, msgtype: 'image', image: { media_id } });
    const other = await send(sandbox, token, { touser: USER, msgtype: 'image', image: { media_id: kept } });

    // assess
    expect([forgotten.status, unknown.status]).toEqual([200, 404]);
    expect([afterGet.errcode, afterSend.errcode, other.errcode]).toEqual([40007, 40007, 0]);
  });

  it('forgets media on reset', async () => {
    // prepare
    const { media_id } = await uploadMedia(sandbox, token, 'image', jpeg());

    // act
    sandbox.reset();
    token = await classicToken(sandbox);
    const answer = (await (await download(media_id)).json()) as Json;

    // assess
    expect(answer.errcode).toBe(40007);
    expect(sandbox.media()).toEqual([]);
  });
});

describe('sandbox users sending images and voice notes', () => {
  const { sandbox } = useSandbox({}, { reset: false });
  let token: string;

  beforeAll(async () => {
    token = await classicToken(sandbox);
  });

  const download = async (mediaId: string) => {
    const res = await fetch(`${sandbox.url}/cgi-bin/media/get?access_token=${token}&media_id=${encodeURIComponent(String(mediaId))}`);
    return { type: res.headers.get('content-type'), data: Buffer.from(await res.arrayBuffer()) };
  };

  it('pushes a photo sent as a multipart file with a MediaId that media/get downloads', async () => {
    // prepare
    const photo = png(1000);
    const { body, contentType } = multipart('media', 'holiday.png', 'image/png', photo);

    // act
    const res = await fetch(`${sandbox.url}/sandbox/users/${USER}/messages`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    });
    const push = (await res.json()) as Json;
    const file = await download(push.message.MediaId);

    // assess
    expect(res.status).toBe(200);
    expect(push.message).toMatchObject({
      MsgType: 'image',
      FromUserName: USER,
      MediaId: expect.any(String),
      PicUrl: expect.stringContaining('/sandbox/media/'),
    });
    expect(file.type).toBe('image/png');
    expect(file.data.equals(photo)).toBe(true);
    expect(sandbox.user(USER)?.window?.kind).toBe('message');
  });

  it('pushes a voice note sent as a raw audio body, with its Format', async () => {
    // prepare
    const note = amr(3);

    // act
    const res = await fetch(`${sandbox.url}/sandbox/users/${USER}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'audio/amr' },
      body: new Uint8Array(note),
    });
    const push = (await res.json()) as Json;
    const file = await download(push.message.MediaId);

    // assess
    expect(push.message).toMatchObject({ MsgType: 'voice', Format: 'amr', MediaId: expect.any(String) });
    expect(file.type).toBe('audio/amr');
    expect(file.data.equals(note)).toBe(true);
  });

  it('gives a photo without a file a downloadable sample JPEG', async () => {
    // act
    const push = await sandbox.simulateUser(USER, { type: 'image' });
    const file = await download(String(push.message.MediaId));

    // assess
    expect(file.type).toBe('image/jpeg');
    expect(file.data.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
  });

  it('refuses (400) a user file that is neither an image nor audio of a kind WeChat takes', async () => {
    // act
    const res = await fetch(`${sandbox.url}/sandbox/users/${USER}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: 'not an image',
    });

    // assess
    expect(res.status).toBe(400);
  });
});
