import { createCipheriv, createDecipheriv } from 'crypto';
import { inspect } from 'util';
import {
  buildPassiveReply,
  computeSignature,
  dedupKey,
  encryptReply,
  MAX_PUSH_BODY_CHARS,
  openPush,
  parseInbound,
  toXml,
  verifyUrl,
  WeChatCrypto,
  type InboundMessage,
} from '../../functions/core/callback';
import { buildPush } from '../support/push';
import { ConfigurationError, SignatureError, ValidationError, WeChatKfError } from '../../functions/core/errors';

/** The official worked example (docs/wechat-reference.md). */
const OFFICIAL = {
  token: 'AAAAA',
  encodingAesKey: 'A'.repeat(43),
  appId: 'wxba5fad812f8e6fb9',
  get: {
    signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696',
    echostr: '4375120948345356249',
    timestamp: '1714036504',
    nonce: '1514711492',
  },
  post: {
    query: {
      signature: '6c5c811b55cc85e0e1b54100749188c20beb3f5d',
      timestamp: '1714112445',
      nonce: '415670741',
      openid: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      encrypt_type: 'aes',
      msg_signature: '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3',
    },
    body: '{"ToUserName":"gh_97417a04a28d","Encrypt":"+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04="}',
    decrypted:
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}',
    nowMs: 1714112445 * 1000,
  },
};

/** A token and key that look like real ones, to check they never leak into errors. */
const SECRET_TOKEN = 'Tk9xQ7mZp2Lw';
const SECRET_KEY = 'q8Vd3nR7tYx2Kc5Lm9Pz4Hb6Wf1Js0Ga8Ue3Oi7Nk2E';
const APP_ID = 'wx1234567890abcdef';
const NOW_S = 1714112445;
const NOW_MS = NOW_S * 1000;

/** 2^53 + something: a MsgId that a JS number would round. */
const BIG_MSG_ID = '7345321878935987209';

function textMessage(overrides: Record<string, string | number | bigint> = {}) {
  return { ToUserName: 'gh_97417a04a28d', FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY', CreateTime: NOW_S, MsgType: 'text', Content: 'hello', MsgId: BIG_MSG_ID, ...overrides };
}

/** Catches what `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

/** AES-256-CBC over a buffer already padded, with WeChat's key and IV: for crafting bad paddings. */
function rawEncrypt(encodingAesKey: string, plain: Buffer): string {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

function rawDecrypt(encodingAesKey: string, encrypt: string): Buffer {
  const key = Buffer.from(`${encodingAesKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
}

/** A WeChat-shaped plaintext (random, length, message, appid) with the given padding bytes. */
function plaintextWithPadding(message: string, appId: string, padding: Buffer): Buffer {
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length, 0);
  return Buffer.concat([Buffer.alloc(16, 7), length, body, Buffer.from(appId), padding]);
}

describe('computeSignature and verifyUrl', () => {
  it('returns echostr for the official GET example', () => {
    // prepare
    const { signature, echostr, timestamp, nonce } = OFFICIAL.get;

    // act
    const answer = verifyUrl({ signature, echostr, timestamp, nonce }, OFFICIAL.token);

    // assess
    expect(answer).toBe('4375120948345356249');
    expect(computeSignature(OFFICIAL.token, timestamp, nonce)).toBe(signature);
  });

  it('computes both signatures of the official safe-mode POST', () => {
    // prepare
    const { query, body } = OFFICIAL.post;
    const encrypt = (JSON.parse(body) as { Encrypt: string }).Encrypt;

    // act
    const signature = computeSignature(OFFICIAL.token, query.timestamp, query.nonce);
    const msgSignature = computeSignature(OFFICIAL.token, query.timestamp, query.nonce, encrypt);

    // assess
    expect(signature).toBe(query.signature);
    expect(msgSignature).toBe(query.msg_signature);
  });

  it('accepts query values given as one-element arrays', () => {
    // prepare
    const { signature, echostr, timestamp, nonce } = OFFICIAL.get;

    // act
    const answer = verifyUrl({ signature: [signature], echostr: [echostr], timestamp, nonce }, OFFICIAL.token);

    // assess
    expect(answer).toBe(echostr);
  });

  it.each([
    ['a wrong signature', { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441697' }],
    ['a signature of another length', { signature: 'f464b24f' }],
    ['another timestamp', { timestamp: '1714036505' }],
    ['another nonce', { nonce: '1514711493' }],
  ])('refuses %s with SignatureError', (_what, change) => {
    // prepare
    const query = { ...OFFICIAL.get, ...change };

    // act
    const error = thrown(() => verifyUrl(query, OFFICIAL.token));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as SignatureError).status).toBe(401);
    expect(error.message).toMatch(/signature does not match/);
  });

  it.each(['signature', 'timestamp', 'nonce', 'echostr'])('names the missing query parameter %s', (field) => {
    // prepare
    const query: Record<string, string> = { ...OFFICIAL.get };
    delete query[field];

    // act
    const error = thrown(() => verifyUrl(query, OFFICIAL.token));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toBe(`query parameter ${field} is missing`);
  });

  it('refuses a parameter given twice, and no query at all', () => {
    // prepare
    const twice = { ...OFFICIAL.get, signature: [OFFICIAL.get.signature, OFFICIAL.get.signature] };

    // act
    const errors = [thrown(() => verifyUrl(twice, OFFICIAL.token)), thrown(() => verifyUrl(null, OFFICIAL.token))];

    // assess
    expect(errors[0]).toBeInstanceOf(SignatureError);
    expect(errors[0]!.message).toMatch(/signature is given more than once/);
    expect(errors[1]).toBeInstanceOf(SignatureError);
    expect(errors[1]!.message).toMatch(/signature is missing/);
  });

  it('says so when no token is configured', () => {
    // act
    const error = thrown(() => verifyUrl(OFFICIAL.get, ''));

    // assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/token is not configured/);
  });
});

describe('WeChatCrypto', () => {
  const crypto = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, APP_ID);

  it('decrypts the official safe-mode example to exactly the documented JSON', () => {
    // prepare
    const official = new WeChatCrypto(OFFICIAL.token, OFFICIAL.encodingAesKey, OFFICIAL.appId);
    const encrypt = (JSON.parse(OFFICIAL.post.body) as { Encrypt: string }).Encrypt;

    // act
    const message = official.decrypt(encrypt);

    // assess
    expect(message).toBe(OFFICIAL.post.decrypted);
  });

  // appid is 18 bytes: the plaintext is 16 + 4 + message + 18 = 38 + message bytes.
  it.each([
    ['31 mod 32 (1 byte of padding)', 'a'.repeat(25), 63, 1],
    ['0 mod 32 (a full block of 32 bytes of padding)', 'a'.repeat(26), 64, 32],
    ['1 mod 32 (31 bytes of padding)', 'a'.repeat(27), 65, 31],
    ['0 mod 32 with unicode content', `${'中'.repeat(8)}ab`, 64, 32],
    ['31 mod 32 with unicode content and an emoji', `${'é'.repeat(8)}😀中ab`, 63, 1],
    ['33 bytes: one past a block', `${'中'.repeat(9)}`, 65, 31],
    ['an empty message', '', 38, 26],
  ])('round-trips a message whose plaintext is %s', (_what, message, plaintextBytes, padBytes) => {
    // prepare
    expect(38 + Buffer.byteLength(message, 'utf8')).toBe(plaintextBytes);

    // act
    const encrypt = crypto.encrypt(message);
    const decrypted = crypto.decrypt(encrypt);

    // assess
    expect(decrypted).toBe(message);
    const padded = rawDecrypt(SECRET_KEY, encrypt);
    expect(padded.length % 32).toBe(0);
    expect(padded.length).toBe(plaintextBytes + padBytes);
    expect([...padded.subarray(padded.length - padBytes)]).toEqual(Array(padBytes).fill(padBytes));
    expect(padded.readUInt32BE(16)).toBe(Buffer.byteLength(message, 'utf8'));
    expect(padded.subarray(20 + Buffer.byteLength(message), plaintextBytes).toString()).toBe(APP_ID);
  });

  it('is reproducible with a given random prefix, and random without', () => {
    // prepare
    const random16 = Buffer.alloc(16, 1);

    // act
    const a = crypto.encrypt('same', random16);
    const b = crypto.encrypt('same', random16);
    const c = crypto.encrypt('same');
    const d = crypto.encrypt('same');

    // assess
    expect(a).toBe(b);
    expect(c).not.toBe(d);
    expect(rawDecrypt(SECRET_KEY, a).subarray(0, 16)).toEqual(random16);
  });

  it('refuses a message encrypted for another appid', () => {
    // prepare
    const other = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, 'wxffffffffffffffff');
    const encrypt = other.encrypt('<xml><Content><![CDATA[hi]]></Content></xml>');

    // act
    const error = thrown(() => crypto.decrypt(encrypt));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toMatch(/^appid mismatch/);
    expect(error.message).not.toContain('wxffffffffffffffff');
  });

  it.each([
    ['a last byte of 0', Buffer.from([...Array(31).fill(1), 0])],
    ['a last byte of 33', Buffer.alloc(33, 33)],
    ['pad bytes that disagree', Buffer.from([...Array(5).fill(9), 2, 9, 9, 9, 9, 9, 9])],
  ])('refuses bad padding: %s', (_what, padding) => {
    // prepare: a plaintext of 38 + 4 bytes, padded with `padding` and then filled to a 32-byte multiple in front
    const core = plaintextWithPadding('abcd', APP_ID, Buffer.alloc(0));
    const filler = Buffer.alloc((64 - ((core.length + padding.length) % 32)) % 32, 0x41);
    const plain = Buffer.concat([core, filler, padding]);
    expect(plain.length % 32).toBe(0);
    const encrypt = rawEncrypt(SECRET_KEY, plain);

    // act
    const error = thrown(() => crypto.decrypt(encrypt));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toMatch(/bad padding/);
  });

  it('accepts the full 32-byte padding but refuses a length field past the end', () => {
    // prepare
    const good = plaintextWithPadding('a'.repeat(26), APP_ID, Buffer.alloc(32, 32));
    const bad = Buffer.from(good);
    bad.writeUInt32BE(1000, 16);

    // act
    const decrypted = crypto.decrypt(rawEncrypt(SECRET_KEY, good));
    const error = thrown(() => crypto.decrypt(rawEncrypt(SECRET_KEY, bad)));

    // assess
    expect(decrypted).toBe('a'.repeat(26));
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toMatch(/bad message length/);
  });

  it('refuses a tampered Encrypt', () => {
    // prepare: flipping a bit of the first block garbles the random prefix and the length field
    const encrypt = crypto.encrypt('<xml><Content><![CDATA[pay 10]]></Content></xml>');
    const bytes = Buffer.from(encrypt, 'base64');
    bytes[0] = bytes[0]! ^ 0x80;

    // act
    const error = thrown(() => crypto.decrypt(bytes.toString('base64')));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
  });

  it.each([
    ['empty', ''],
    ['not base64', 'not base64!'],
    ['not whole AES blocks', Buffer.alloc(20).toString('base64')],
  ])('refuses an Encrypt that is %s', (_what, encrypt) => {
    // act
    const error = thrown(() => crypto.decrypt(encrypt));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
  });

  it('refuses a message decrypted with another key', () => {
    // prepare
    const otherKey = new WeChatCrypto(SECRET_TOKEN, 'B'.repeat(43), APP_ID);
    const encrypt = otherKey.encrypt('hello');

    // act
    const error = thrown(() => crypto.decrypt(encrypt));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
  });

  it.each([
    ['42 characters', SECRET_KEY.slice(0, 42), /encodingAesKey must be 43 characters of base64; the one configured has 42/],
    ['44 characters', `${SECRET_KEY}=`, /encodingAesKey must be 43 characters of base64; the one configured has 44/],
    ['characters outside base64', `${SECRET_KEY.slice(0, 40)}-_!`, /encodingAesKey must be 43 characters of base64 .*other characters/],
    ['empty', '', /encodingAesKey is not configured/],
  ])('refuses an encodingAesKey of %s, naming it without echoing it', (_what, key, message) => {
    // act
    const error = thrown(() => new WeChatCrypto(SECRET_TOKEN, key, APP_ID));

    // assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(message);
    if (key) expect(error.message).not.toContain(key.slice(0, 20));
  });

  it('refuses a missing appId or token', () => {
    // act
    const errors = [thrown(() => new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, '')), thrown(() => new WeChatCrypto('', SECRET_KEY, APP_ID))];

    // assess
    expect(errors[0]).toBeInstanceOf(ConfigurationError);
    expect(errors[0]!.message).toMatch(/appId/);
    expect(errors[1]).toBeInstanceOf(ConfigurationError);
    expect(errors[1]!.message).toMatch(/token/);
  });

  it('shows neither the token nor the key when logged or serialised', () => {
    // act
    const shown = [inspect(crypto, { showHidden: true, depth: 5 }), JSON.stringify(crypto), String(crypto)];

    // assess
    for (const text of shown) {
      expect(text).not.toContain(SECRET_TOKEN);
      expect(text).not.toContain(SECRET_KEY);
    }
    expect(JSON.parse(JSON.stringify(crypto))).toEqual({ appId: APP_ID });
  });
});

describe('parseInbound', () => {
  it('reads an XML text message with CDATA as WeChat sends it, keeping a 64-bit MsgId exactly', () => {
    // prepare
    const body = `<xml>
  <ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>
  <FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>
  <CreateTime>1714112445</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[  two spaces, <b>tags</b> & an ]]]]><![CDATA[> inside, and a newline
]]></Content>
  <MsgId>${BIG_MSG_ID}</MsgId>
</xml>`;
    expect(String(Number(BIG_MSG_ID))).not.toBe(BIG_MSG_ID);

    // act
    const fields = parseInbound(body, 'text/xml');

    // assess
    expect(fields).toEqual({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      CreateTime: 1714112445,
      MsgType: 'text',
      Content: '  two spaces, <b>tags</b> & an ]]> inside, and a newline\n',
      MsgId: BIG_MSG_ID,
    });
  });

  it('reads an XML event with EventKey and Ticket', () => {
    // prepare
    const body =
      '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>123456789</CreateTime>' +
      '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123123]]></EventKey>' +
      '<Ticket><![CDATA[TICKET]]></Ticket></xml>';

    // act
    const fields = parseInbound(body);

    // assess
    expect(fields).toEqual({
      ToUserName: 'gh_1',
      FromUserName: 'o1',
      CreateTime: 123456789,
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: 'qrscene_123123',
      Ticket: 'TICKET',
    });
  });

  it('keeps an empty EventKey, fields it does not know, and flattens nested elements', () => {
    // prepare
    const body =
      '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime>' +
      '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event><EventKey><![CDATA[]]></EventKey>' +
      '<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>' +
      '<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[aaa]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[bbb]]></PicMd5Sum></item></PicList></SendPicsInfo>' +
      '<bizmsgmenuid>101</bizmsgmenuid><Empty/></xml>';

    // act
    const fields = parseInbound(body);

    // assess
    expect(fields).toEqual({
      ToUserName: 'gh_1',
      FromUserName: 'o1',
      CreateTime: 1,
      MsgType: 'event',
      Event: 'scancode_push',
      EventKey: '',
      'ScanCodeInfo.ScanType': 'qrcode',
      'ScanCodeInfo.ScanResult': '1',
      'SendPicsInfo.Count': '2',
      'SendPicsInfo.PicList.item.0.PicMd5Sum': 'aaa',
      'SendPicsInfo.PicList.item.1.PicMd5Sum': 'bbb',
      bizmsgmenuid: '101',
      Empty: '',
    });
  });

  it('decodes the predefined entities and character references in plain text, never inside CDATA', () => {
    // prepare
    const body = '<?xml version="1.0" encoding="utf-8"?><!-- a comment --><xml><A>a &amp; b &lt;c&gt; &#20013;&#x6587;</A><B><![CDATA[&amp;]]></B><C><![CDATA[<!DOCTYPE html>]]></C></xml>';

    // act
    const fields = parseInbound(body);

    // assess
    expect(fields).toEqual({ A: 'a & b <c> 中文', B: '&amp;', C: '<!DOCTYPE html>' });
  });

  it('reads a JSON body, keeping numbers as the digits sent and a 64-bit MsgId exactly', () => {
    // prepare
    const body = ` {"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1714112445,"MsgType":"location","Location_X":23.134521000,"Location_Y":113.358803,"Scale":20,"Label":"位置","MsgId":${BIG_MSG_ID},"bizmsgmenuid":101,"Flag":true,"Nothing":null,"List":[1,{"a":"b"}]}`;

    // act
    const fields = parseInbound(body, 'application/json');

    // assess
    expect(fields).toEqual({
      ToUserName: 'gh_1',
      FromUserName: 'o1',
      CreateTime: 1714112445,
      MsgType: 'location',
      Location_X: '23.134521000',
      Location_Y: '113.358803',
      Scale: '20',
      Label: '位置',
      MsgId: BIG_MSG_ID,
      bizmsgmenuid: '101',
      Flag: 'true',
      'List.0': '1',
      'List.1.a': 'b',
    });
  });

  it('gives the same record for a message written as XML and as JSON', () => {
    // prepare
    const message = textMessage({ Content: 'a "quoted" ]]> 中文', MsgId: BigInt(BIG_MSG_ID) });

    // act
    const fromXml = parseInbound(buildPush({ message, token: SECRET_TOKEN, format: 'xml', timestamp: NOW_S }).body);
    const fromJson = parseInbound(buildPush({ message, token: SECRET_TOKEN, format: 'json', timestamp: NOW_S }).body);

    // assess
    expect(fromXml).toEqual(fromJson);
    expect(fromXml.MsgId).toBe(BIG_MSG_ID);
    expect(fromXml.Content).toBe('a "quoted" ]]> 中文');
  });

  it.each([
    ['empty', '', /is empty/],
    ['blank', '  \n ', /is empty/],
    ['neither XML nor JSON', 'ToUserName=gh_1', /must be XML \(starting with "<"\) or JSON \(starting with "{"\) \(Content-Type: text\/plain\)/],
    ['too long', `<xml><A>${'a'.repeat(MAX_PUSH_BODY_CHARS)}</A></xml>`, /must be at most 262144 characters/],
    ['unclosed XML', '<xml><A>1</A>', /must be well-formed XML: .*Unclosed tag 'xml'/],
    ['mismatched tags', '<xml><A>1</B></xml>', /must be well-formed XML/],
    ['two roots', '<xml><A>1</A></xml><xml><A>2</A></xml>', /must be well-formed XML: Multiple possible root nodes/],
    ['another root', '<root><A>1</A></root>', /exactly one root element, <xml>/],
    ['an empty root', '<xml></xml>', /the <xml> element is empty/],
    ['a repeated field', '<xml><MsgType>text</MsgType><MsgType>event</MsgType></xml>', /element <MsgType> appears more than once/],
    ['mixed content', '<xml>junk<A>1</A></xml>', /mixes text and elements/],
    ['an undefined entity', '<xml><A>&foo;</A></xml>', /undefined entity &foo;/],
    ['a bad character reference', '<xml><A>&#0;</A></xml>', /invalid character reference/],
    ['a __proto__ element', '<xml><__proto__><A>1</A></__proto__></xml>', /must be well-formed XML: .*__proto__/],
    ['nesting too deep', `<xml>${'<a>'.repeat(40)}1${'</a>'.repeat(40)}</xml>`, /must be well-formed XML: Maximum nested tags exceeded/],
    ['invalid JSON', '{"ToUserName": "gh_1",}', /must be valid JSON/],
    ['a JSON __proto__ key', '{"__proto__": {"polluted": "yes"}}', /__proto__ is not allowed/],
    ['JSON nesting too deep', `{"a":${'['.repeat(40)}1${']'.repeat(40)}}`, /must not nest deeper than 16 levels/],
    ['a CreateTime that is not a number', '<xml><CreateTime>yesterday</CreateTime></xml>', /CreateTime: must be a whole number/],
  ])('refuses a body that is %s with ValidationError', (_what, body, message) => {
    // act
    const error = thrown(() => parseInbound(body, 'text/plain'));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect(error.message).toMatch(message);
    if (!/CreateTime/.test(error.message)) expect((error as ValidationError).issues[0]!.field).toBe('(body)');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    [
      'the billion laughs',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
        '<xml><Content>&lol3;</Content></xml>',
    ],
    ['an external entity (XXE)', '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'],
    ['a DOCTYPE inside the root', '<xml><!DOCTYPE x [<!ENTITY a "b">]><Content>&a;</Content></xml>'],
    ['a bare ENTITY declaration', '<xml><!ENTITY a "b"><Content>x</Content></xml>'],
  ])('refuses %s before expanding anything', (_what, body) => {
    // act
    const error = thrown(() => parseInbound(body));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/must not contain a DOCTYPE, ENTITY or other <! declaration/);
  });

  it('refuses a huge body quickly, before parsing', () => {
    // prepare
    const body = `<xml>${'<A>1</A>'.repeat(1_000_000)}</xml>`;

    // act
    const error = thrown(() => parseInbound(body));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/must be at most/);
  });
});

describe('openPush', () => {
  const crypto = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, APP_ID);

  it('opens the official safe-mode POST (JSON) to exactly the documented message', () => {
    // prepare
    const official = new WeChatCrypto(OFFICIAL.token, OFFICIAL.encodingAesKey, OFFICIAL.appId);

    // act
    const opened = openPush({ query: OFFICIAL.post.query, body: OFFICIAL.post.body, token: OFFICIAL.token, crypto: official, now: OFFICIAL.post.nowMs });

    // assess
    expect(opened).toEqual({ message: JSON.parse(OFFICIAL.post.decrypted), mode: 'safe', format: 'json' });
    expect(opened.message.CreateTime).toBe(1714112445);
    expect(dedupKey(opened.message)).toBe('event:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:1714112445:debug_demo:');
  });

  it('takes now as a function too', () => {
    // prepare
    const official = new WeChatCrypto(OFFICIAL.token, OFFICIAL.encodingAesKey, OFFICIAL.appId);
    const now = jest.fn(() => OFFICIAL.post.nowMs + 299_000);

    // act
    const opened = openPush({ query: OFFICIAL.post.query, body: OFFICIAL.post.body, token: OFFICIAL.token, crypto: official, now });

    // assess
    expect(opened.message.Event).toBe('debug_demo');
    expect(now).toHaveBeenCalled();
  });

  it('opens a plain-mode XML text message', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage({ MsgId: BigInt(BIG_MSG_ID) }), token: SECRET_TOKEN, timestamp: NOW_S, nonce: '123' });

    // act
    const opened = openPush({ query, body, token: SECRET_TOKEN, now: NOW_MS });

    // assess
    expect(opened.mode).toBe('plain');
    expect(opened.format).toBe('xml');
    expect(opened.message).toEqual({ ...textMessage() });
    expect(dedupKey(opened.message)).toBe(`msg:${BIG_MSG_ID}`);
  });

  it.each([
    ['xml', 'safe'],
    ['json', 'safe'],
    ['xml', 'compatible'],
    ['json', 'compatible'],
  ] as const)('opens a %s push in %s mode', (format, mode) => {
    // prepare
    const message = textMessage({ Content: '你好 ]]> "world"', MsgId: BigInt(BIG_MSG_ID) });
    const { query, body } = buildPush({ message, token: SECRET_TOKEN, crypto, mode, format, timestamp: NOW_S, nonce: '987654' });

    // act
    const opened = openPush({ query, body, token: SECRET_TOKEN, crypto, now: NOW_MS });

    // assess
    expect(opened).toEqual({ message: textMessage({ Content: '你好 ]]> "world"' }), mode, format });
    expect(query.encrypt_type).toBe('aes');
    expect(parseInbound(body).Encrypt).toEqual(expect.any(String));
  });

  it('trusts the decrypted content, not the plaintext fields, in compatible mode', () => {
    // prepare
    const real = toXml(textMessage({ Content: 'real' }));
    const encrypt = crypto.encrypt(real);
    const body = toXml({ ...textMessage({ Content: 'forged' }), Encrypt: encrypt });
    const query = {
      signature: computeSignature(SECRET_TOKEN, String(NOW_S), '1'),
      timestamp: String(NOW_S),
      nonce: '1',
      encrypt_type: 'aes',
      msg_signature: computeSignature(SECRET_TOKEN, String(NOW_S), '1', encrypt),
    };

    // act
    const opened = openPush({ query, body, token: SECRET_TOKEN, crypto, now: NOW_MS });

    // assess
    expect(opened.mode).toBe('compatible');
    expect(opened.message.Content).toBe('real');
  });

  it('reads a compatible-mode push from its plaintext fields when no key is configured', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto, mode: 'compatible', timestamp: NOW_S });

    // act
    const opened = openPush({ query, body, token: SECRET_TOKEN, now: NOW_MS });

    // assess
    expect(opened).toEqual({ message: textMessage(), mode: 'compatible', format: 'xml' });
    expect(opened.message.Encrypt).toBeUndefined();
  });

  it('refuses a safe-mode push when no key is configured', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto, mode: 'safe', timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query, body, token: SECRET_TOKEN, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/encrypted \(safe mode, encrypt_type=aes\) but no encodingAesKey is configured/);
  });

  it('refuses a wrong signature', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: 'another-token', timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query, body, token: SECRET_TOKEN, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toMatch(/^signature does not match/);
  });

  it('refuses a tampered Encrypt (msg_signature no longer matches)', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto, mode: 'safe', format: 'json', timestamp: NOW_S });
    const envelope = JSON.parse(body) as { Encrypt: string };
    const tampered = JSON.stringify({ ...envelope, Encrypt: `${envelope.Encrypt[0] === 'A' ? 'B' : 'A'}${envelope.Encrypt.slice(1)}` });

    // act
    const error = thrown(() => openPush({ query, body: tampered, token: SECRET_TOKEN, crypto, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toBe('msg_signature does not match the Encrypt field');
  });

  it('refuses a push encrypted for another appid, even with valid signatures', () => {
    // prepare
    const other = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, 'wxffffffffffffffff');
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto: other, mode: 'safe', timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query, body, token: SECRET_TOKEN, crypto, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toMatch(/^appid mismatch/);
  });

  it.each([
    ['301 s late', NOW_MS + 301_000, undefined, true],
    ['301 s early', NOW_MS - 301_000, undefined, true],
    ['300 s late (the limit)', NOW_MS + 300_000, undefined, false],
    ['61 s late with maxSkewSeconds 60', NOW_MS + 61_000, 60, true],
    ['a day late with the check off', NOW_MS + 86_400_000, Infinity, false],
  ])('checks the timestamp: %s', (_what, now, maxSkewSeconds, stale) => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, timestamp: NOW_S });

    // act
    const run = () => openPush({ query, body, token: SECRET_TOKEN, now, maxSkewSeconds });

    // assess
    if (stale) {
      const error = thrown(run);
      expect(error).toBeInstanceOf(SignatureError);
      expect(error.message).toMatch(/^stale timestamp/);
    } else {
      expect(run().message.Content).toBe('hello');
    }
  });

  it('refuses to run the timestamp check on a clock that gives no number', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query, body, token: SECRET_TOKEN, now: () => Number.NaN }));

    // assess
    expect(error).toBeInstanceOf(ConfigurationError);
  });

  it('refuses a signed timestamp that is not a number of seconds', () => {
    // prepare
    const query = { signature: computeSignature(SECRET_TOKEN, 'soon', '1'), timestamp: 'soon', nonce: '1' };

    // act
    const error = thrown(() => openPush({ query, body: toXml(textMessage()), token: SECRET_TOKEN, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toMatch(/timestamp must be whole seconds/);
  });

  it.each(['signature', 'timestamp', 'nonce', 'msg_signature'])('names the missing query parameter %s', (field) => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto, mode: 'safe', timestamp: NOW_S });
    delete query[field];

    // act
    const error = thrown(() => openPush({ query, body, token: SECRET_TOKEN, crypto, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(SignatureError);
    expect(error.message).toBe(`query parameter ${field} is missing`);
  });

  it('names the Encrypt field when safe mode is announced but the body has none', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query: { ...query, encrypt_type: 'aes', msg_signature: 'x' }, body, token: SECRET_TOKEN, crypto, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ field: 'Encrypt', rule: 'is required in safe mode (encrypt_type=aes)' }]);
  });

  it('names every missing message field', () => {
    // prepare
    const { query, body } = buildPush({ message: { ToUserName: 'gh_1', CreateTime: NOW_S, MsgType: 'event' }, token: SECRET_TOKEN, timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query, body, token: SECRET_TOKEN, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { field: 'FromUserName', rule: 'is required' },
      { field: 'Event', rule: 'is required when MsgType is event' },
    ]);
  });

  it('refuses an unknown encrypt_type', () => {
    // prepare
    const { query, body } = buildPush({ message: textMessage(), token: SECRET_TOKEN, timestamp: NOW_S });

    // act
    const error = thrown(() => openPush({ query: { ...query, encrypt_type: 'des' }, body, token: SECRET_TOKEN, now: NOW_MS }));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('encrypt_type: must be aes or raw');
  });
});

describe('dedupKey', () => {
  it.each([
    ['a message', textMessage(), `msg:${BIG_MSG_ID}`],
    ['an event', { ...textMessage(), MsgType: 'event', Event: 'CLICK', EventKey: 'V1001', MsgId: undefined }, `event:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:${NOW_S}:CLICK:V1001`],
    ['an event without EventKey', { ...textMessage(), MsgType: 'event', Event: 'subscribe', MsgId: undefined }, `event:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:${NOW_S}:subscribe:`],
    ['a message without MsgId', { ...textMessage(), MsgId: undefined }, `msg:o9AgO5Kd5ggOC-bXrbNODIiE3bGY:${NOW_S}:text`],
  ])('keys %s', (_what, message, key) => {
    // act
    const result = dedupKey(message as InboundMessage);

    // assess
    expect(result).toBe(key);
  });

  it('tells apart two different menu clicks of one user in one second', () => {
    // prepare
    const click = (key: string) => ({ ...textMessage(), MsgType: 'event', Event: 'CLICK', EventKey: key, MsgId: undefined }) as unknown as InboundMessage;

    // act
    const keys = [dedupKey(click('V1001')), dedupKey(click('V1002')), dedupKey(click('V1001'))];

    // assess
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe(keys[0]);
  });
});

describe('replies', () => {
  const crypto = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, APP_ID);
  const inbound = textMessage() as unknown as InboundMessage;

  it('builds a passive reply addressed back to the user', () => {
    // act
    const xml = buildPassiveReply(inbound, { MsgType: 'transfer_customer_service', TransInfo: { KfAccount: 'test1@test' } }, NOW_S + 1);

    // assess
    expect(xml).toBe(
      '<xml><ToUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></ToUserName><FromUserName><![CDATA[gh_97417a04a28d]]></FromUserName>' +
        `<CreateTime>${NOW_S + 1}</CreateTime><MsgType><![CDATA[transfer_customer_service]]></MsgType>` +
        '<TransInfo><KfAccount><![CDATA[test1@test]]></KfAccount></TransInfo></xml>',
    );
  });

  it('encrypts a reply into the envelope WeChat checks', () => {
    // prepare
    const reply = buildPassiveReply(inbound, { MsgType: 'text', Content: '收到' }, NOW_S);

    // act
    const envelope = encryptReply(reply, crypto, NOW_S, '1320562132');

    // assess
    expect(envelope).toMatch(
      /^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]><\/MsgSignature><TimeStamp>1714112445<\/TimeStamp><Nonce><!\[CDATA\[1320562132\]\]><\/Nonce><\/xml>$/,
    );
    const fields = parseInbound(envelope);
    expect(fields.MsgSignature).toBe(computeSignature(SECRET_TOKEN, String(NOW_S), '1320562132', String(fields.Encrypt)));
    expect(crypto.decrypt(String(fields.Encrypt))).toBe(reply);
  });

  it('encrypts a reply as JSON when asked', () => {
    // act
    const envelope = JSON.parse(encryptReply('{"MsgType":"text"}', crypto, String(NOW_S), 'n1', { format: 'json' })) as Record<string, unknown>;

    // assess
    expect(Object.keys(envelope)).toEqual(['Encrypt', 'MsgSignature', 'TimeStamp', 'Nonce']);
    expect(envelope.TimeStamp).toBe(NOW_S);
    expect(crypto.decrypt(envelope.Encrypt as string)).toBe('{"MsgType":"text"}');
  });

  it('writes WeChat-style XML: CDATA strings, bare numbers, nested and repeated elements, ]]> escaped', () => {
    // act
    const xml = toXml({ A: 'x]]>y', N: 42, Big: BigInt(BIG_MSG_ID), Skip: undefined, Nested: { B: 'b' }, Items: [{ C: 'c1' }, { C: 'c2' }] });

    // assess
    expect(xml).toBe(
      `<xml><A><![CDATA[x]]]]><![CDATA[>y]]></A><N>42</N><Big>${BIG_MSG_ID}</Big><Nested><B><![CDATA[b]]></B></Nested>` +
        '<Items><C><![CDATA[c1]]></C></Items><Items><C><![CDATA[c2]]></C></Items></xml>',
    );
  });

  it('refuses element names that are not XML names', () => {
    // act
    const error = thrown(() => toXml({ 'a b': 'x' }));

    // assess
    expect(error).toBeInstanceOf(ValidationError);
  });
});

describe('secrets', () => {
  it('never appear in an error message or body', () => {
    // prepare
    const crypto = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, APP_ID);
    const other = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, 'wxffffffffffffffff');
    const safe = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto, mode: 'safe', timestamp: NOW_S });
    const foreign = buildPush({ message: textMessage(), token: SECRET_TOKEN, crypto: other, mode: 'safe', timestamp: NOW_S });
    const keyBytes = Buffer.from(`${SECRET_KEY}=`, 'base64');
    const badPadding = rawEncrypt(SECRET_KEY, Buffer.alloc(64, 0));
    const failures: Array<() => unknown> = [
      () => verifyUrl({ ...OFFICIAL.get, signature: '0'.repeat(40) }, SECRET_TOKEN),
      () => openPush({ ...safe, query: { ...safe.query, signature: '0'.repeat(40) }, token: SECRET_TOKEN, crypto, now: NOW_MS }),
      () => openPush({ ...safe, query: { ...safe.query, msg_signature: '0'.repeat(40) }, token: SECRET_TOKEN, crypto, now: NOW_MS }),
      () => openPush({ ...safe, token: SECRET_TOKEN, crypto, now: NOW_MS + 3_600_000 }),
      () => openPush({ ...safe, token: SECRET_TOKEN, now: NOW_MS }),
      () => openPush({ ...foreign, token: SECRET_TOKEN, crypto, now: NOW_MS }),
      () => crypto.decrypt(badPadding),
      () => crypto.decrypt('!!!'),
      () => new WeChatCrypto(SECRET_TOKEN, SECRET_KEY.slice(0, 42), APP_ID),
      () => new WeChatCrypto(SECRET_TOKEN, `${SECRET_KEY.slice(0, 42)}!`, APP_ID),
      () => new WeChatCrypto(SECRET_TOKEN, `${SECRET_KEY}A`, APP_ID),
    ];

    // act
    const errors = failures.map(thrown);

    // assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(WeChatKfError);
      const shown = `${error.message} ${JSON.stringify((error as WeChatKfError).toBody())} ${inspect(error)}`;
      expect(shown).not.toContain(SECRET_TOKEN);
      expect(shown).not.toContain(SECRET_KEY.slice(0, 20));
      expect(shown).not.toContain(keyBytes.toString('hex'));
      expect(shown).not.toContain(keyBytes.toString('base64').slice(0, 20));
    }
  });
});
