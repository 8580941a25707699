import { inspect } from 'util';
import { openPush, verifyUrl, WeChatCrypto } from '../../../functions/core/callback';
import { WeChatKfError } from '../../../functions/core/errors';
import { buildPush } from '../../support/push';
import { OFFICIAL, SECRET_TOKEN, SECRET_KEY, APP_ID, NOW_S, NOW_MS, textMessage, thrown, rawEncrypt } from './fixtures';

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
