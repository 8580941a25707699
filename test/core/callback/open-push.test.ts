import { computeSignature, dedupKey, openPush, parseInbound, toXml, WeChatCrypto } from '../../../functions/core/callback';
import { ConfigurationError, SignatureError, ValidationError } from '../../../functions/core/errors';
import { buildPush } from '../../support/push';
import { OFFICIAL, SECRET_TOKEN, SECRET_KEY, APP_ID, NOW_S, NOW_MS, BIG_MSG_ID, textMessage, thrown } from './fixtures';

describe('openPush', () => {
  const crypto = new WeChatCrypto(SECRET_TOKEN, SECRET_KEY, APP_ID);

  it('opens the official safe-mode POST (JSON) to exactly the documented message', () => {
    // prepare
    const official = new WeChatCrypto(OFFICIAL.token, OFFICIAL.encodingAesKey, OFFICIAL.appId);

    // act
    const opened = openPush({
      query: OFFICIAL.post.query,
      body: OFFICIAL.post.body,
      token: OFFICIAL.token,
      crypto: official,
      now: OFFICIAL.post.nowMs,
    });

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
    const { query, body } = buildPush({
      message: textMessage({ MsgId: BigInt(BIG_MSG_ID) }),
      token: SECRET_TOKEN,
      timestamp: NOW_S,
      nonce: '123',
    });

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
    const { query, body } = buildPush({
      message: textMessage(),
      token: SECRET_TOKEN,
      crypto,
      mode: 'safe',
      format: 'json',
      timestamp: NOW_S,
    });
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
    const error = thrown(() =>
      openPush({ query: { ...query, encrypt_type: 'aes', msg_signature: 'x' }, body, token: SECRET_TOKEN, crypto, now: NOW_MS }),
    );

    // assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ field: 'Encrypt', rule: 'is required in safe mode (encrypt_type=aes)' }]);
  });

  it('names every missing message field', () => {
    // prepare
    const { query, body } = buildPush({
      message: { ToUserName: 'gh_1', CreateTime: NOW_S, MsgType: 'event' },
      token: SECRET_TOKEN,
      timestamp: NOW_S,
    });

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
