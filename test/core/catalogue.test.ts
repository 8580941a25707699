import {
  CATALOGUE,
  getOperation,
  MESSAGE_TYPES,
  md5Hex,
  parseMessage,
  sendOperationFor,
  ValidationError,
  type MessageType,
} from '../../functions/core';

/** A valid custom/send body of each type, as WeChat documents them. */
const VALID: Record<MessageType, Record<string, unknown>> = {
  text: { text: { content: 'Hello <a href="https://example.com">link</a>' } },
  image: { image: { media_id: 'MEDIA_ID' } },
  voice: { voice: { media_id: 'MEDIA_ID' } },
  video: { video: { media_id: 'MEDIA_ID', thumb_media_id: 'THUMB', title: 'T', description: 'D' } },
  music: { music: { title: 'T', description: 'D', musicurl: 'http://m', hqmusicurl: 'http://hq', thumb_media_id: 'THUMB' } },
  news: { news: { articles: [{ title: 'Happy Day', description: 'Is Really A Happy Day', url: 'http://u', picurl: 'http://p' }] } },
  mpnews: { mpnews: { media_id: 'MEDIA_ID' } },
  mpnewsarticle: { mpnewsarticle: { article_id: 'ARTICLE_ID' } },
  msgmenu: {
    msgmenu: {
      head_content: 'Are you happy?',
      list: [
        { id: '101', content: 'Yes' },
        { id: '102', content: 'No' },
      ],
      tail_content: 'Thanks',
    },
  },
  wxcard: { wxcard: { card_id: 'CARD_ID', card_ext: '{"code":"","openid":""}' } },
  miniprogrampage: { miniprogrampage: { title: 'T', appid: 'wxappid', pagepath: 'pages/index', thumb_media_id: 'THUMB' } },
};

/** For each type, one broken field per case: [description, body change, field named, rule fragment]. */
const INVALID: Record<MessageType, Array<[string, Record<string, unknown>, string, string]>> = {
  text: [
    ['content missing', { text: {} }, 'text.content', 'is required'],
    ['content empty', { text: { content: '' } }, 'text.content', 'must not be empty'],
    ['content a number', { text: { content: 5 } }, 'text.content', 'must be a string, got a number'],
    ['text missing', { text: undefined }, 'text', 'is required'],
  ],
  image: [['media_id missing', { image: {} }, 'image.media_id', 'is required']],
  voice: [['media_id a list', { voice: { media_id: ['x'] } }, 'voice.media_id', 'got an array']],
  video: [
    ['thumb_media_id missing', { video: { media_id: 'M' } }, 'video.thumb_media_id', 'is required'],
    ['title a number', { video: { media_id: 'M', thumb_media_id: 'T', title: 1 } }, 'video.title', 'must be a string'],
  ],
  music: [
    ['musicurl missing', { music: { hqmusicurl: 'h', thumb_media_id: 't' } }, 'music.musicurl', 'is required'],
    ['hqmusicurl missing', { music: { musicurl: 'm', thumb_media_id: 't' } }, 'music.hqmusicurl', 'is required'],
    ['thumb missing', { music: { musicurl: 'm', hqmusicurl: 'h' } }, 'music.thumb_media_id', 'is required'],
  ],
  news: [
    [
      'two articles',
      { news: { articles: [{ title: 'a' }, { title: 'b' }] } },
      'news.articles',
      "at most 1 article (WeChat's current limit)",
    ],
    ['no articles', { news: { articles: [] } }, 'news.articles', 'at least 1 article'],
    ['articles not a list', { news: { articles: { title: 'a' } } }, 'news.articles', 'must be an array'],
    ['article title a number', { news: { articles: [{ title: 3 }] } }, 'news.articles.0.title', 'must be a string'],
  ],
  mpnews: [['media_id missing', { mpnews: {} }, 'mpnews.media_id', 'is required']],
  mpnewsarticle: [['article_id missing', { mpnewsarticle: { media_id: 'x' } }, 'mpnewsarticle.article_id', 'is required']],
  msgmenu: [
    ['list missing', { msgmenu: { head_content: 'h' } }, 'msgmenu.list', 'is required'],
    ['item without id', { msgmenu: { list: [{ content: 'Yes' }] } }, 'msgmenu.list.0.id', 'is required'],
    ['empty list', { msgmenu: { list: [] } }, 'msgmenu.list', 'at least 1 menu item'],
  ],
  wxcard: [
    ['card_id missing', { wxcard: {} }, 'wxcard.card_id', 'is required'],
    ['card_ext not JSON', { wxcard: { card_id: 'c', card_ext: '{oops' } }, 'wxcard.card_ext', 'JSON-encoded string'],
    ['card_ext a number', { wxcard: { card_id: 'c', card_ext: 5 } }, 'wxcard.card_ext', 'got a number'],
  ],
  miniprogrampage: [
    ['appid missing', { miniprogrampage: { title: 't', pagepath: 'p', thumb_media_id: 'x' } }, 'miniprogrampage.appid', 'is required'],
    ['pagepath missing', { miniprogrampage: { title: 't', appid: 'a', thumb_media_id: 'x' } }, 'miniprogrampage.pagepath', 'is required'],
  ],
};

function expectIssue(fn: () => unknown, field: string, rule: string): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule: expect.stringContaining(rule) })]));
  expect(error.status).toBe(400);
  expect(error.toBody().error.code).toBe('INVALID_INPUT');
  return error;
}

describe('catalogue', () => {
  it('has a send operation for every message type, plus the generic send, kf accounts and typing', () => {
    // Act
    const names = CATALOGUE.map((op) => op.name);
    // Assess
    for (const type of MESSAGE_TYPES) expect(sendOperationFor(type).msgtype).toBe(type);
    expect(names).toEqual(
      expect.arrayContaining([
        'listKfAccounts',
        'addKfAccount',
        'updateKfAccount',
        'deleteKfAccount',
        'uploadKfAvatar',
        'sendMessage',
        'sendTyping',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    const routes = CATALOGUE.map((op) => `${op.route.method} ${op.route.path}`);
    expect(new Set(routes).size).toBe(routes.length);
  });

  describe.each(MESSAGE_TYPES)('message type %s', (type) => {
    it('accepts the documented body, unchanged, with and without a kf account sender', () => {
      // Prepare
      const body = { touser: 'oUser123', msgtype: type, ...VALID[type] };
      const asKf = { ...body, customservice: { kf_account: 'kf1@mywechat' } };
      // Act
      const parsed = parseMessage(body);
      const request = getOperation('sendMessage').toRequest!(getOperation('sendMessage').parse(asKf));
      // Assess
      expect(parsed).toEqual(body);
      expect(request).toEqual({ method: 'POST', path: '/cgi-bin/message/custom/send', json: asKf });
    });

    it('fills msgtype in for its own single-type operation and refuses another type', () => {
      const op = sendOperationFor(type);
      expect(op.parse({ touser: 'oUser', ...VALID[type] }).msgtype).toBe(type);
      const other = type === 'text' ? 'image' : 'text';
      expectIssue(() => op.parse({ touser: 'oUser', msgtype: other, ...VALID[type] }), 'msgtype', `must be "${type}"`);
    });

    it.each(INVALID[type])('refuses %s, naming the field and the rule', (_name, change, field, rule) => {
      const body: Record<string, unknown> = { touser: 'oUser123', msgtype: type, ...VALID[type], ...change };
      for (const [k, v] of Object.entries(change)) if (v === undefined) delete body[k];
      expectIssue(() => parseMessage(body), field, rule);
    });
  });

  it('refuses a missing touser, an unknown msgtype and a body that is not an object', () => {
    expectIssue(() => parseMessage({ msgtype: 'text', text: { content: 'x' } }), 'touser', 'is required');
    expectIssue(() => parseMessage({ touser: 'o', msgtype: 'fax', fax: {} }), 'msgtype', 'must be one of text, image');
    expectIssue(() => parseMessage({ touser: 'o' }), 'msgtype', 'is required');
    expectIssue(() => parseMessage('hello'), '(body)', 'must be a JSON object, got a string');
    expectIssue(() => parseMessage([1]), '(body)', 'got an array');
  });

  it('checks the sender kf account format', () => {
    const base = { touser: 'o', msgtype: 'text', text: { content: 'x' } };
    expectIssue(() => parseMessage({ ...base, customservice: { kf_account: 'noat' } }), 'customservice.kf_account', 'prefix@wechatid');
    expectIssue(() => parseMessage({ ...base, customservice: {} }), 'customservice.kf_account', 'is required');
  });

  it('allows up to 10 news articles under the seed profile', () => {
    const articles = Array.from({ length: 10 }, (_, i) => ({ title: `a${i}` }));
    expect(parseMessage({ touser: 'o', msgtype: 'news', news: { articles } }, { profile: 'seed' }).touser).toBe('o');
    expectIssue(
      () => parseMessage({ touser: 'o', msgtype: 'news', news: { articles: [...articles, { title: 'x' }] } }, { profile: 'seed' }),
      'news.articles',
      'at most 10 articles (the 2017 limit)',
    );
  });

  it('encodes a card_ext object as the JSON string WeChat wants', () => {
    const parsed = parseMessage({ touser: 'o', msgtype: 'wxcard', wxcard: { card_id: 'c', card_ext: { code: '1' } } });
    expect(parsed.wxcard).toEqual({ card_id: 'c', card_ext: '{"code":"1"}' });
  });
});

describe('kf accounts', () => {
  const add = getOperation('addKfAccount');

  it('accepts a 32-hex MD5 password and hashes a plain one only when asked', () => {
    const md5 = md5Hex('secret');
    expect(add.parse({ kf_account: 'kf1@wx', nickname: 'Agent', password: md5 })).toEqual({
      kf_account: 'kf1@wx',
      nickname: 'Agent',
      password: md5,
    });
    expect(add.parse({ kf_account: 'kf1@wx', nickname: 'Agent', password: 'secret', hash_password: true }).password).toBe(md5);
    expectIssue(() => add.parse({ kf_account: 'kf1@wx', nickname: 'Agent', password: 'secret' }), 'password', 'hash_password: true');
  });

  it.each([
    [{ kf_account: 'abcdefghijk@wx', nickname: 'n' }, 'kf_account', 'at most 10 characters'],
    [{ kf_account: 'ab-c@wx', nickname: 'n' }, 'kf_account', 'letters, digits and _'],
    [{ kf_account: 'kf1@' + 'w'.repeat(30), nickname: 'n' }, 'kf_account', 'at most 30 characters'],
    [{ kf_account: 'kf1@wx', nickname: 'n'.repeat(17) }, 'nickname', "at most 16 characters (WeChat's current limit)"],
    [{ kf_account: 'kf1@wx' }, 'nickname', 'is required'],
    [{ nickname: 'n' }, 'kf_account', 'is required'],
  ])('refuses %j', (input, field, rule) => {
    expectIssue(() => add.parse(input), field, rule);
  });

  it('deletes by POST body by default and by GET query in the 2017 form, keeping @ literal later in the query', () => {
    const del = getOperation('deleteKfAccount');
    const input = del.parse({ kf_account: 'kf1@wx' });
    expect(del.toRequest!(input)).toEqual({ method: 'POST', path: '/customservice/kfaccount/del', json: { kf_account: 'kf1@wx' } });
    expect(del.toRequest!(input, { kfDeleteMethod: 'GET' })).toEqual({
      method: 'GET',
      path: '/customservice/kfaccount/del',
      query: { kf_account: 'kf1@wx' },
    });
  });

  it('takes avatar bytes or base64, and refuses what is not a JPG or too large', () => {
    const upload = getOperation('uploadKfAvatar');
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const fromBytes = upload.parse({ kf_account: 'kf1@wx', media: jpeg });
    const fromBase64 = upload.parse({ kf_account: 'kf1@wx', media: Buffer.from(jpeg).toString('base64') });
    expect(Buffer.from(fromBytes.media)).toEqual(Buffer.from(jpeg));
    expect(Buffer.from(fromBase64.media)).toEqual(Buffer.from(jpeg));
    expect(upload.toRequest!(fromBytes).query).toEqual({ kf_account: 'kf1@wx' });
    expectIssue(
      () => upload.parse({ kf_account: 'kf1@wx', media: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }),
      'media',
      'must be a JPG image',
    );
    const big = new Uint8Array(5 * 1024 * 1024 + 1);
    big.set([0xff, 0xd8, 0xff]);
    expectIssue(() => upload.parse({ kf_account: 'kf1@wx', media: big }), 'media', 'at most 5 MB');
    expectIssue(() => upload.parse({ kf_account: 'kf1@wx' }), 'media', 'is required');
  });
});

describe('typing', () => {
  it('accepts Typing and CancelTyping and refuses anything else', () => {
    const typing = getOperation('sendTyping');
    expect(typing.toRequest!(typing.parse({ touser: 'o', command: 'Typing' }))).toEqual({
      method: 'POST',
      path: '/cgi-bin/message/custom/typing',
      json: { touser: 'o', command: 'Typing' },
    });
    expectIssue(() => typing.parse({ touser: 'o', command: 'typing' }), 'command', 'must be Typing or CancelTyping, got "typing"');
    expectIssue(() => typing.parse({ command: 'Typing' }), 'touser', 'is required');
  });
});
