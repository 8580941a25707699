/**
 * The WeChat Customer Service node, built (n8n-nodes/dist), run by n8n-core's WorkflowExecute against the
 * sandbox over HTTP. Build first: `npm run build --workspace n8n-nodes`.
 */
import { startSandbox, type Sandbox } from '../../functions/dev/sandbox';
import { stableToken, uploadMedia } from '../sandbox/helpers';
import { amr, jpeg, mp4 } from '../support/media-samples';
import { createHarness } from './harness';

const CRED = { weChatOfficialAccountApi: { id: 'c1', name: 'WeChat sandbox' } };
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7), Buffer.from([0xff, 0xd9])]);

let sandbox: Sandbox;
let harness: ReturnType<typeof createHarness>;
let userSeq = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  harness = createHarness({
    credentials: {
      c1: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: sandbox.appSecret, baseUrl: sandbox.url, grantMode: 'stable', accessToken: '' },
      },
      bad: {
        type: 'weChatOfficialAccountApi',
        data: { appId: sandbox.appId, appSecret: 'wrong-secret', baseUrl: sandbox.url, grantMode: 'classic', accessToken: '' },
      },
    },
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

/** A user who just wrote in, so the send window is open. */
async function activeUser(): Promise<string> {
  const openid = `o_n8n_user_${++userSeq}`;
  await sandbox.simulateUser(openid, { type: 'text', content: 'hello' });
  return openid;
}

const sendParams = (touser: string, msgtype: string, fields: Record<string, unknown> = {}) => ({
  authentication: 'direct',
  resource: 'message',
  operation: 'send',
  touser,
  msgtype,
  ...fields,
});

describe('message: send, every type', () => {
  // The sandbox refuses made-up media_ids, as WeChat does: IMAGE, VOICE, VIDEO and THUMB stand for real uploads.
  let ids: Record<string, string> = {};
  const withIds = (o: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' && v in ids ? ids[v] : v]));
  beforeAll(async () => {
    const token = String((await stableToken(sandbox)).access_token);
    const upload = async (type: string, data: Buffer) => String((await uploadMedia(sandbox, token, type, data)).media_id);
    ids = {
      IMAGE: await upload('image', jpeg()),
      VOICE: await upload('voice', amr(1)),
      VIDEO: await upload('video', mp4()),
      THUMB: await upload('thumb', jpeg()),
    };
  });

  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['text', { content: '你好 <a href="https://example.com">link</a>' }, { content: '你好 <a href="https://example.com">link</a>' }],
    ['image', { mediaId: 'IMAGE' }, { media_id: 'IMAGE' }],
    ['voice', { mediaId: 'VOICE' }, { media_id: 'VOICE' }],
    [
      'video',
      { mediaId: 'VIDEO', thumbMediaId: 'THUMB', title: 'T', description: 'D' },
      { media_id: 'VIDEO', thumb_media_id: 'THUMB', title: 'T', description: 'D' },
    ],
    [
      'music',
      { title: 'Song', description: '', musicUrl: 'https://m/1.mp3', hqMusicUrl: 'https://m/1hq.mp3', thumbMediaId: 'THUMB' },
      { title: 'Song', musicurl: 'https://m/1.mp3', hqmusicurl: 'https://m/1hq.mp3', thumb_media_id: 'THUMB' },
    ],
    [
      'news',
      { title: 'News', description: 'Desc', url: 'https://example.com/a', picUrl: 'https://example.com/p.jpg' },
      { articles: [{ title: 'News', description: 'Desc', url: 'https://example.com/a', picurl: 'https://example.com/p.jpg' }] },
    ],
    ['mpnews', { mediaId: 'MPNEWS' }, { media_id: 'MPNEWS' }],
    ['mpnewsarticle', { articleId: 'ARTICLE_1' }, { article_id: 'ARTICLE_1' }],
    [
      'msgmenu',
      {
        headContent: 'Happy?',
        menuItems: {
          item: [
            { id: '101', content: 'Yes' },
            { id: '102', content: 'No' },
          ],
        },
        tailContent: 'Thanks',
      },
      {
        head_content: 'Happy?',
        list: [
          { id: '101', content: 'Yes' },
          { id: '102', content: 'No' },
        ],
        tail_content: 'Thanks',
      },
    ],
    [
      'wxcard',
      { cardId: 'CARD', cardExt: '{"code":"1","openid":"","timestamp":"1","signature":"s"}' },
      { card_id: 'CARD', card_ext: '{"code":"1","openid":"","timestamp":"1","signature":"s"}' },
    ],
    [
      'miniprogrampage',
      { title: 'Mini', appid: 'wxminiapp', pagepath: 'pages/index/index', thumbMediaId: 'THUMB' },
      { title: 'Mini', appid: 'wxminiapp', pagepath: 'pages/index/index', thumb_media_id: 'THUMB' },
    ],
  ];

  it.each(cases)('%s is sent as WeChat documents it', async (msgtype, fields, expected) => {
    const openid = await activeUser();
    const { items, error } = await harness.run(sendParams(openid, msgtype, withIds(fields)), [{ json: {} }], CRED);
    expect(error).toBeUndefined();
    expect(items).toHaveLength(1);
    expect(items[0]!.json).toMatchObject({ errcode: 0, touser: openid, msgtype });
    expect(items[0]!.pairedItem).toEqual({ item: 0 });
    const sent = sandbox.messages(openid);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ touser: openid, msgtype, [msgtype]: withIds(expected) });
    const request = sandbox.requests('/cgi-bin/message/custom/send').at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.query.access_token).toMatch(/.+/);
  });

  it('sends as a named kf account (customservice.kf_account)', async () => {
    const openid = await activeUser();
    const added = await harness.run(
      { authentication: 'direct', resource: 'kfAccount', operation: 'add', kfAccount: 'kf1@sandbox', nickname: 'Agent' },
      [{ json: {} }],
      CRED,
    );
    expect(added.error).toBeUndefined();
    const { error } = await harness.run(
      sendParams(openid, 'text', { content: 'from kf', options: { kfAccount: 'kf1@sandbox' } }),
      [{ json: {} }],
      CRED,
    );
    expect(error).toBeUndefined();
    expect(sandbox.messages(openid)[0]!.body).toEqual({
      touser: openid,
      msgtype: 'text',
      text: { content: 'from kf' },
      customservice: { kf_account: 'kf1@sandbox' },
    });
  });

  it('sends a Raw JSON body as it is', async () => {
    const openid = await activeUser();
    const body = { touser: openid, msgtype: 'text', text: { content: 'raw' } };
    const { error } = await harness.run(
      { authentication: 'direct', resource: 'message', operation: 'send', msgtype: 'raw', rawBody: JSON.stringify(body) },
      [{ json: {} }],
      CRED,
    );
    expect(error).toBeUndefined();
    expect(sandbox.messages(openid)[0]!.body).toEqual(body);
  });

  it('sends one message per input item, each paired with its item (expressions per item)', async () => {
    const a = await activeUser();
    const b = await activeUser();
    const { items, error } = await harness.run(
      sendParams('={{ $json.openid }}', 'text', { content: '=Hi {{ $json.name }}' }),
      [{ json: { openid: a, name: 'A' } }, { json: { openid: b, name: 'B' } }],
      CRED,
    );
    expect(error).toBeUndefined();
    expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
    expect(sandbox.messages(a)[0]!.body).toMatchObject({ text: { content: 'Hi A' } });
    expect(sandbox.messages(b)[0]!.body).toMatchObject({ text: { content: 'Hi B' } });
  });
});

describe('validation and errors', () => {
  it('refuses an invalid input before WeChat is called, naming the field and rule', async () => {
    const before = sandbox.count('/cgi-bin/message/custom/send');
    const { error } = await harness.run(sendParams('o_someone', 'msgmenu', { headContent: 'h', menuItems: {} }), [{ json: {} }], CRED);
    expect(error).toBeDefined();
    expect(error!.name).toBe('NodeOperationError');
    expect(error!.message).toMatch(/msgmenu\.list/);
    expect(error!.message).toMatch(/at least 1 menu item|required/);
    expect((error as unknown as { context: { itemIndex: number } }).context.itemIndex).toBe(0);
    expect(sandbox.count('/cgi-bin/message/custom/send')).toBe(before);
  });

  it("maps WeChat's 45015 (window closed) to a NodeApiError with errcode, errmsg and hint", async () => {
    const openid = await activeUser();
    sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: 45015 });
    const { error } = await harness.run(sendParams(openid, 'text', { content: 'hi' }), [{ json: {} }], CRED);
    expect(error).toBeDefined();
    expect(error!.name).toBe('NodeApiError');
    const context = (error as unknown as { context: Record<string, unknown> }).context;
    expect(context.errcode).toBe(45015);
    expect(typeof context.errmsg).toBe('string');
    expect(String(context.hint)).toMatch(/send window has closed/);
    expect(error!.message).toMatch(/45015/);
  });

  it('maps an injected 40164 to the whitelist hint', async () => {
    const openid = await activeUser();
    sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: 40164 });
    const { error } = await harness.run(sendParams(openid, 'text', { content: 'hi' }), [{ json: {} }], CRED);
    const context = (error as unknown as { context: Record<string, unknown> }).context;
    expect(context.errcode).toBe(40164);
    expect(String(context.hint)).toMatch(/whitelist/);
  });

  it('a bad AppSecret fails the token fetch with a clear message', async () => {
    const openid = await activeUser();
    const { error } = await harness.run(sendParams(openid, 'text', { content: 'hi' }), [{ json: {} }], {
      weChatOfficialAccountApi: { id: 'bad', name: 'bad' },
    });
    expect(error).toBeDefined();
    expect(error!.message + String((error as unknown as { description?: string }).description)).toMatch(/40125|AppSecret/);
  });

  it('continueOnFail: a failed item becomes {error} with its pairedItem, the others go on', async () => {
    const good = await activeUser();
    const { items, error } = await harness.run(
      sendParams('={{ $json.openid }}', 'text', { content: '={{ $json.text }}' }),
      [{ json: { openid: 'o_never_wrote_in_2', text: 'x' } }, { json: { openid: good, text: '' } }, { json: { openid: good, text: 'ok' } }],
      CRED,
      { continueOnFail: true },
    );
    expect(error).toBeUndefined();
    expect(items).toHaveLength(3);
    expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
    // The sandbox has never seen this openid: 40003 (invalid openid).
    expect(items[0]!.json).toMatchObject({ errcode: 40003, hint: expect.stringMatching(/openid/) });
    expect(String(items[0]!.json.error)).toMatch(/40003/);
    expect(String(items[1]!.json.error)).toMatch(/text\.content/);
    expect(items[2]!.json).toMatchObject({ errcode: 0, touser: good });
  });
});

describe('access token (the node keeps its own cache per credential: n8n-nodes/README.md)', () => {
  const forcedFlags = (since: number) =>
    sandbox
      .requests('/cgi-bin/stable_token')
      .slice(since)
      .map((r) => (r.body as { force_refresh?: boolean }).force_refresh);

  it('is fetched once, reused by every later call, and never written into the credential', async () => {
    // prepare
    const openid = await activeUser();
    await harness.run(sendParams(openid, 'text', { content: 'one' }), [{ json: {} }], CRED);
    const tokenCalls = sandbox.count('/cgi-bin/stable_token');
    // act
    const { error } = await harness.run(sendParams(openid, 'text', { content: 'two' }), [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(sandbox.count('/cgi-bin/stable_token')).toBe(tokenCalls);
    const [first, second] = sandbox.requests('/cgi-bin/message/custom/send').slice(-2);
    expect(second!.query.access_token).toMatch(/.+/);
    expect(second!.query.access_token).toBe(first!.query.access_token);
    expect(harness.credentialsHelper.updates.filter((u) => u.id === 'c1')).toEqual([]);
  });

  it('after another system replaced the token: one normal-mode fetch, no force, exactly one retry', async () => {
    // prepare
    const openid = await activeUser();
    await harness.run(sendParams(openid, 'text', { content: 'warm' }), [{ json: {} }], CRED);
    const old = sandbox.requests('/cgi-bin/message/custom/send').at(-1)!.query.access_token;
    sandbox.invalidateTokens();
    const sends = sandbox.count('/cgi-bin/message/custom/send');
    const tokens = sandbox.requests('/cgi-bin/stable_token').length;
    // act
    const { items, error } = await harness.run(sendParams(openid, 'text', { content: 'after refresh' }), [{ json: {} }], CRED);
    // assess
    expect(error).toBeUndefined();
    expect(items[0]!.json).toMatchObject({ errcode: 0 });
    expect(sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 2);
    expect(forcedFlags(tokens)).toEqual([false]);
    const [first, second] = sandbox.requests('/cgi-bin/message/custom/send').slice(-2);
    expect(first!.query.access_token).toBe(old);
    expect(second!.query.access_token).not.toBe(old);
    expect(sandbox.messages(openid).map((m) => (m.body.text as { content: string }).content)).toContain('after refresh');
  });

  it('a token refused twice is reported, not retried again (normal mode first, then one force)', async () => {
    // prepare
    const openid = await activeUser();
    sandbox.injectFault({ path: '/cgi-bin/message/custom/send', kind: 'errcode', errcode: 40001, times: 2 });
    const sends = sandbox.count('/cgi-bin/message/custom/send');
    const tokens = sandbox.requests('/cgi-bin/stable_token').length;
    // act
    const { error } = await harness.run(sendParams(openid, 'text', { content: 'x' }), [{ json: {} }], CRED);
    // assess
    expect(sandbox.count('/cgi-bin/message/custom/send')).toBe(sends + 2);
    // The sandbox still hands out the refused token in normal mode: only then is a refresh forced.
    expect(forcedFlags(tokens)).toEqual([false, true]);
    expect((error as unknown as { context: Record<string, unknown> }).context.errcode).toBe(40001);
  });
});

describe('kf accounts', () => {
  const kf = { authentication: 'direct', resource: 'kfAccount' };

  it('add, list, update, upload avatar (binary), delete', async () => {
    let r = await harness.run(
      { ...kf, operation: 'add', kfAccount: 'kf2001@sandbox', nickname: '客服一号', password: 'secret' },
      [{ json: {} }],
      CRED,
    );
    expect(r.error).toBeUndefined();
    const add = sandbox.requests('/customservice/kfaccount/add').at(-1)!;
    expect(add.method).toBe('POST');
    expect(add.body).toEqual({ kf_account: 'kf2001@sandbox', nickname: '客服一号', password: '5ebe2294ecd0e0f08eab7690d2a6ee69' });

    r = await harness.run({ ...kf, operation: 'list' }, [{ json: {} }], CRED);
    expect(r.error).toBeUndefined();
    expect(r.items.map((i) => i.json.kf_account)).toContain('kf2001@sandbox');
    expect(sandbox.requests('/cgi-bin/customservice/getkflist').at(-1)!.method).toBe('GET');

    r = await harness.run({ ...kf, operation: 'update', kfAccount: 'kf2001@sandbox', nickname: 'Agent One' }, [{ json: {} }], CRED);
    expect(r.error).toBeUndefined();
    expect(sandbox.requests('/customservice/kfaccount/update').at(-1)!.body).toEqual({
      kf_account: 'kf2001@sandbox',
      nickname: 'Agent One',
    });

    r = await harness.run(
      { ...kf, operation: 'uploadAvatar', kfAccount: 'kf2001@sandbox', binaryPropertyName: 'photo' },
      [{ json: {}, binary: { photo: { data: JPEG.toString('base64'), mimeType: 'image/jpeg', fileName: 'me.jpg' } } }],
      CRED,
    );
    expect(r.error).toBeUndefined();
    const upload = sandbox.requests('/customservice/kfaccount/uploadheadimg').at(-1)!;
    expect(upload.method).toBe('POST');
    expect(upload.query.kf_account).toBe('kf2001@sandbox');
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toMatchObject({ multipart: [{ name: 'media', filename: 'me.jpg', size: JPEG.length }] });

    r = await harness.run({ ...kf, operation: 'delete', kfAccount: 'kf2001@sandbox' }, [{ json: {} }], CRED);
    expect(r.error).toBeUndefined();
    const del = sandbox.requests('/customservice/kfaccount/del').at(-1)!;
    expect(del.method).toBe('POST');
    expect(del.body).toEqual({ kf_account: 'kf2001@sandbox' });
    expect(sandbox.kfAccounts().map((a) => a.kf_account)).not.toContain('kf2001@sandbox');
  });

  it('an avatar that is not a JPG is refused before WeChat is called', async () => {
    const { error } = await harness.run(
      { ...kf, operation: 'uploadAvatar', kfAccount: 'kf2002@sandbox', binaryPropertyName: 'data' },
      [{ json: {}, binary: { data: { data: Buffer.from('not a jpeg').toString('base64'), mimeType: 'image/png', fileName: 'x.png' } } }],
      CRED,
    );
    expect(error!.message).toMatch(/media: must be a JPG/);
  });

  it('a missing binary property is reported', async () => {
    const { error } = await harness.run(
      { ...kf, operation: 'uploadAvatar', kfAccount: 'kf2002@sandbox', binaryPropertyName: 'nothing' },
      [{ json: {} }],
      CRED,
    );
    expect(error!.message).toMatch(/nothing/);
  });
});

describe('typing', () => {
  it('Typing and CancelTyping', async () => {
    const openid = await activeUser();
    let r = await harness.run(
      { authentication: 'direct', resource: 'typing', operation: 'set', touser: openid, command: 'Typing' },
      [{ json: {} }],
      CRED,
    );
    expect(r.error).toBeUndefined();
    expect(sandbox.requests('/cgi-bin/message/custom/typing').at(-1)!.body).toEqual({ touser: openid, command: 'Typing' });
    r = await harness.run(
      { authentication: 'direct', resource: 'typing', operation: 'set', touser: openid, command: 'CancelTyping' },
      [{ json: {} }],
      CRED,
    );
    expect(r.error).toBeUndefined();
    expect(sandbox.requests('/cgi-bin/message/custom/typing').at(-1)!.body).toEqual({ touser: openid, command: 'CancelTyping' });
  });
});
