import { amr, jpeg, mp4 } from '../support/media-samples';
import { call, classicToken, getJson, postJson, useSandbox, send, uploadMedia, type Json } from './helpers';

const USER = 'o_send_user_000000000000001';

/**
 * One valid payload per msgtype, and one invalid one with the errcode it gets. IMAGE, VOICE, VIDEO and THUMB
 * stand for media_ids uploaded before each test (the sandbox refuses made-up ones).
 */
const CASES: Array<{ msgtype: string; valid: Json; invalid: Json; errcode: number }> = [
  { msgtype: 'text', valid: { content: 'Hello <a href="https://example.com">link</a>' }, invalid: { content: '' }, errcode: 40035 },
  { msgtype: 'image', valid: { media_id: 'IMAGE' }, invalid: {}, errcode: 40035 },
  { msgtype: 'voice', valid: { media_id: 'VOICE' }, invalid: { media_id: 42 }, errcode: 40035 },
  {
    msgtype: 'video',
    valid: { media_id: 'VIDEO', thumb_media_id: 'THUMB', title: 'Title', description: 'D' },
    invalid: { media_id: 'M' },
    errcode: 40035,
  },
  {
    msgtype: 'music',
    valid: { title: 'T', musicurl: 'http://m', hqmusicurl: 'http://hq', thumb_media_id: 'THUMB' },
    invalid: { musicurl: 'http://m', thumb_media_id: 'T' },
    errcode: 40035,
  },
  {
    msgtype: 'news',
    valid: {
      articles: [
        { title: 'Happy Day', description: 'Is Really A Happy Day', url: 'https://example.com', picurl: 'https://example.com/p.jpg' },
      ],
    },
    invalid: { articles: [{ title: 'One' }, { title: 'Two' }] },
    errcode: 45008,
  },
  { msgtype: 'mpnews', valid: { media_id: 'MEDIA_ID' }, invalid: { article_id: 'A' }, errcode: 40035 },
  { msgtype: 'mpnewsarticle', valid: { article_id: 'ARTICLE_ID' }, invalid: { media_id: 'M' }, errcode: 40035 },
  {
    msgtype: 'msgmenu',
    valid: {
      head_content: 'Satisfied?',
      list: [
        { id: '101', content: 'Yes' },
        { id: '102', content: 'No' },
      ],
      tail_content: 'Thanks',
    },
    invalid: { head_content: 'Satisfied?', list: [{ id: '101' }] },
    errcode: 40035,
  },
  {
    msgtype: 'wxcard',
    valid: { card_id: 'CARD', card_ext: '{"code":"","openid":"","timestamp":"1","signature":"s"}' },
    invalid: { card_id: 'CARD', card_ext: { code: '' } },
    errcode: 40035,
  },
  {
    msgtype: 'miniprogrampage',
    valid: { title: 'T', appid: 'wxmini', pagepath: 'pages/index', thumb_media_id: 'THUMB' },
    invalid: { title: 'T', appid: 'wxmini', thumb_media_id: 'T' },
    errcode: 40035,
  },
];

describe('sandbox custom/send payloads', () => {
  const { sandbox } = useSandbox({ rules: 'seed' });
  let token: string;
  let ids: Record<string, string>;

  /** The payload with the placeholders IMAGE, VOICE, VIDEO, THUMB replaced by this test's media_ids. */
  const withIds = (payload: Json): Json =>
    Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' && v in ids ? ids[v] : v]));

  beforeEach(async () => {
    token = await classicToken(sandbox);
    await sandbox.simulateUser(USER, { type: 'text', content: 'hi' });
    const upload = async (type: string, data: Buffer) => String((await uploadMedia(sandbox, token, type, data)).media_id);
    ids = {
      IMAGE: await upload('image', jpeg()),
      VOICE: await upload('voice', amr(1)),
      VIDEO: await upload('video', mp4()),
      THUMB: await upload('thumb', jpeg()),
    };
  });

  it.each(CASES)('accepts a valid $msgtype and records it as received', async ({ msgtype, valid }) => {
    // prepare
    const body = { touser: USER, msgtype, [msgtype]: withIds(valid) };

    // act
    const answer = await send(sandbox, token, body);

    // assess
    expect(answer).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(sandbox.messages(USER)).toEqual([expect.objectContaining({ openid: USER, msgtype, body })]);
  });

  it.each(CASES)('refuses an invalid $msgtype with $errcode', async ({ msgtype, invalid, errcode }) => {
    // act
    const answer = await send(sandbox, token, { touser: USER, msgtype, [msgtype]: invalid });

    // assess
    expect(answer.errcode).toBe(errcode);
    expect(sandbox.messages()).toEqual([]);
  });

  it('refuses a msgtype whose object is missing (40035)', async () => {
    // act
    const answer = await send(sandbox, token, { touser: USER, msgtype: 'text', content: 'hi' });

    // assess
    expect(answer.errcode).toBe(40035);
  });

  it('refuses an unknown msgtype (40008)', async () => {
    // act
    const answer = await send(sandbox, token, { touser: USER, msgtype: 'sticker', sticker: {} });

    // assess
    expect(answer.errcode).toBe(40008);
  });

  it('refuses an openid never seen (40003)', async () => {
    // act
    const answer = await send(sandbox, token, { touser: 'o_never_seen', msgtype: 'text', text: { content: 'hi' } });

    // assess
    expect(answer.errcode).toBe(40003);
  });

  it('sends as an existing kf account, and refuses an unknown one (61452)', async () => {
    // prepare
    await call(sandbox, token, '/customservice/kfaccount/add', { kf_account: 'alice@sandbox', nickname: 'Alice' });

    // act
    const known = await send(sandbox, token, {
      touser: USER,
      msgtype: 'text',
      text: { content: 'hi' },
      customservice: { kf_account: 'alice@sandbox' },
    });
    const unknown = await send(sandbox, token, {
      touser: USER,
      msgtype: 'text',
      text: { content: 'hi' },
      customservice: { kf_account: 'bob@sandbox' },
    });

    // assess
    expect(known.errcode).toBe(0);
    expect(unknown.errcode).toBe(61452);
    expect(sandbox.messages(USER).map((m) => m.kf_account)).toEqual(['alice@sandbox']);
  });

  it('answers 44002 to an empty body and 47001 to a body that is not JSON', async () => {
    // act
    const empty = await postJson(`${sandbox.url}/cgi-bin/message/custom/send?access_token=${token}`, '');
    const broken = await postJson(`${sandbox.url}/cgi-bin/message/custom/send?access_token=${token}`, '{"touser":');

    // assess
    expect(empty.errcode).toBe(44002);
    expect(broken.errcode).toBe(47001);
  });

  it('answers 40066 on an unknown API path and HTTP 404 outside the API', async () => {
    // act
    const unknownApi = await getJson(`${sandbox.url}/cgi-bin/nothing/here?access_token=${token}`);
    const outside = await fetch(`${sandbox.url}/favicon.ico`);

    // assess
    expect(unknownApi.errcode).toBe(40066);
    expect(outside.status).toBe(404);
  });

  it('records requests with their query, parsed body and answer', async () => {
    // prepare
    const body = { touser: USER, msgtype: 'text', text: { content: '你好' } };

    // act
    await send(sandbox, token, body);

    // assess
    const [recorded] = sandbox.requests('/cgi-bin/message/custom/send');
    expect(recorded).toMatchObject({
      method: 'POST',
      path: '/cgi-bin/message/custom/send',
      query: { access_token: token },
      body,
      answer: { status: 200, body: { errcode: 0 } },
    });
    expect(recorded?.headers['content-type']).toBe('application/json');
  });
});
