import type { Sandbox } from '../../functions/dev/sandbox';
import { classicToken, classicTokenUrl, getJson, MINUTE, postJson, useSandbox, SECOND, stableToken } from './helpers';

/** An API call that needs a token: getkflist. */
async function probe(s: Sandbox, token: string | undefined): Promise<Record<string, any>> {
  return getJson(`${s.url}/cgi-bin/customservice/getkflist${token === undefined ? '' : `?access_token=${token}`}`);
}

describe('sandbox access tokens', () => {
  const { sandbox, clock } = useSandbox();

  describe('cgi-bin/token', () => {
    it('issues a token with expires_in 7200 and no errcode', async () => {
      // act
      const answer = await getJson(classicTokenUrl(sandbox));

      // assess
      expect(answer.expires_in).toBe(7200);
      expect(typeof answer.access_token).toBe('string');
      expect(answer.errcode).toBeUndefined();
      expect((await probe(sandbox, answer.access_token)).kf_list).toEqual([]);
      expect(sandbox.count('/cgi-bin/token')).toBe(1);
    });

    it('keeps the previous token 5 minutes after a new one, then answers 40001', async () => {
      // prepare
      const first = await classicToken(sandbox);
      clock.advance(10 * MINUTE);
      const second = await classicToken(sandbox);

      // act
      clock.advance(4 * MINUTE + 59 * SECOND);
      const within = await probe(sandbox, first);
      clock.advance(SECOND);
      const after = await probe(sandbox, first);
      const current = await probe(sandbox, second);

      // assess
      expect(second).not.toBe(first);
      expect(within.kf_list).toEqual([]);
      expect(after.errcode).toBe(40001);
      expect(current.kf_list).toEqual([]);
    });

    it('expires a token after its lifetime with 42001', async () => {
      // prepare
      const token = await classicToken(sandbox);

      // act
      clock.advance(7200 * SECOND);
      const answer = await probe(sandbox, token);

      // assess
      expect(answer.errcode).toBe(42001);
    });

    it.each([
      ['bad grant_type', { grant_type: 'password' }, 40002],
      ['wrong appid', { appid: 'wx0000000000000000' }, 40013],
      ['wrong secret', { secret: 'nope' }, 40125],
      ['missing appid', { appid: '' }, 41002],
      ['missing secret', { secret: '' }, 41004],
    ])('refuses %s', async (_name, override, errcode) => {
      // prepare
      const q = { grant_type: 'client_credential', appid: sandbox.appId, secret: sandbox.appSecret, ...override };

      // act
      const answer = await getJson(`${sandbox.url}/cgi-bin/token?${new URLSearchParams(q).toString()}`);

      // assess
      expect(answer.errcode).toBe(errcode);
      expect(answer.access_token).toBeUndefined();
    });
  });

  describe('cgi-bin/stable_token', () => {
    it('gives every caller the same token, with the remaining seconds', async () => {
      // prepare
      const first = await stableToken(sandbox);
      clock.advance(100 * SECOND);

      // act
      const second = await stableToken(sandbox);

      // assess
      expect(second.access_token).toBe(first.access_token);
      expect(first.expires_in).toBe(7200);
      expect(second.expires_in).toBe(7100);
    });

    it('hands out a new token 5 minutes before expiry (expires_in never under 300), the old one living on', async () => {
      // prepare
      const first = await stableToken(sandbox);
      clock.advance(6899 * SECOND);
      const lastSame = await stableToken(sandbox);

      // act
      clock.advance(SECOND);
      const renewed = await stableToken(sandbox);

      // assess
      expect(lastSame.access_token).toBe(first.access_token);
      expect(lastSame.expires_in).toBe(301);
      expect(renewed.access_token).not.toBe(first.access_token);
      expect(renewed.expires_in).toBe(7200);
      expect((await probe(sandbox, first.access_token)).kf_list).toEqual([]);
    });

    it('replaces the token at once on force_refresh, at most once per 30 s', async () => {
      // prepare
      const first = await stableToken(sandbox);

      // act
      const forced = await stableToken(sandbox, true);
      const tooSoon = await stableToken(sandbox, true);
      clock.advance(30 * SECOND);
      const later = await stableToken(sandbox, true);

      // assess
      expect(forced.access_token).not.toBe(first.access_token);
      expect((await probe(sandbox, first.access_token)).errcode).toBe(40001);
      expect(tooSoon.errcode).toBe(45011);
      expect(later.access_token).toEqual(expect.any(String));
    });

    it('allows 20 force refreshes a day (45009 after)', async () => {
      // prepare
      for (let i = 0; i < 20; i++) {
        expect((await stableToken(sandbox, true)).access_token).toEqual(expect.any(String));
        clock.advance(31 * SECOND);
      }

      // act
      const refused = await stableToken(sandbox, true);

      // assess
      expect(refused.errcode).toBe(45009);
    });

    it('is separate from cgi-bin/token', async () => {
      // prepare
      const stable = await stableToken(sandbox);

      // act
      await classicToken(sandbox);
      clock.advance(6 * MINUTE);
      await classicToken(sandbox);

      // assess
      expect((await probe(sandbox, stable.access_token)).kf_list).toEqual([]);
      expect((await stableToken(sandbox)).access_token).toBe(stable.access_token);
    });

    it.each([
      ['bad grant_type', { grant_type: 'x' }, 40002],
      ['wrong appid', { appid: 'wxnope' }, 40013],
      ['wrong secret', { secret: 'nope' }, 40125],
    ])('refuses %s', async (_name, override, errcode) => {
      // act
      const answer = await postJson(`${sandbox.url}/cgi-bin/stable_token`, {
        grant_type: 'client_credential',
        appid: sandbox.appId,
        secret: sandbox.appSecret,
        ...override,
      });

      // assess
      expect(answer.errcode).toBe(errcode);
    });
  });

  describe('token checks on API calls', () => {
    it('answers 41001 without access_token and 40001 for an unknown one', async () => {
      // act
      const missing = await probe(sandbox, undefined);
      const unknown = await probe(sandbox, 'not-a-token');

      // assess
      expect(missing.errcode).toBe(41001);
      expect(unknown.errcode).toBe(40001);
    });

    it('invalidateTokens makes every token answer 40001, and stable_token issues a new one', async () => {
      // prepare
      const classic = await classicToken(sandbox);
      const stable = await stableToken(sandbox);

      // act
      sandbox.invalidateTokens();

      // assess
      expect((await probe(sandbox, classic)).errcode).toBe(40001);
      expect((await probe(sandbox, stable.access_token)).errcode).toBe(40001);
      const fresh = await stableToken(sandbox);
      expect(fresh.access_token).not.toBe(stable.access_token);
      expect((await probe(sandbox, fresh.access_token)).kf_list).toEqual([]);
    });

    it('expireTokens makes every token answer 42001', async () => {
      // prepare
      const classic = await classicToken(sandbox);

      // act
      sandbox.expireTokens();

      // assess
      expect((await probe(sandbox, classic)).errcode).toBe(42001);
    });
  });
});
