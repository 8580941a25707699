import { inspect } from 'util';
import { WeChatCrypto } from '../../../functions/core/callback';
import { ConfigurationError, SignatureError } from '../../../functions/core/errors';
import { OFFICIAL, SECRET_TOKEN, SECRET_KEY, APP_ID, thrown, rawEncrypt, rawDecrypt, plaintextWithPadding } from './fixtures';

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
