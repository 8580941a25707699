/**
 * The transfer reply, read back by the sandbox's own reply reader (written separately, from the
 * reference), in plain, compatible and safe mode, XML and JSON; and the handoff input rules.
 */
import { openPush, WeChatCrypto } from '../../functions/core/callback';
import { buildPush } from '../support/push';
import { parseHandoffInput } from '../../functions/core/handoff';
import { transferReply } from '../../functions/core/handoff-reply';
import { resolveCallback } from '../../functions/dev/sandbox/push';
import { readReply } from '../../functions/dev/sandbox/reply';

const TOKEN = 'AAAAA';
const KEY = 'A'.repeat(43);
const APPID = 'wxba5fad812f8e6fb9';
const NOW = Date.UTC(2025, 0, 6, 2, 0, 0);

function pushed(mode: 'plain' | 'safe' | 'compatible', format: 'xml' | 'json') {
  const crypto = new WeChatCrypto(TOKEN, KEY, APPID);
  const { query, body } = buildPush({
    message: {
      ToUserName: 'gh_sandbox',
      FromUserName: 'o_user',
      CreateTime: NOW / 1000,
      MsgType: 'text',
      Content: 'human',
      MsgId: '1234567890123456',
    },
    token: TOKEN,
    crypto,
    mode,
    format,
    timestamp: NOW / 1000,
  });
  return { opened: openPush({ query, body, token: TOKEN, crypto, now: NOW }), crypto };
}

describe('transferReply', () => {
  it.each([
    ['plain', 'xml', false],
    ['plain', 'json', false],
    ['safe', 'xml', true],
    ['safe', 'json', true],
    ['compatible', 'xml', true],
  ] as const)('in %s mode, %s, is a transfer WeChat reads (encrypted: %s)', (mode, format, encrypted) => {
    // prepare
    const { opened, crypto } = pushed(mode, format);
    const cb = resolveCallback({
      url: 'http://127.0.0.1/cb',
      token: TOKEN,
      ...(mode === 'plain' ? {} : { encodingAesKey: KEY }),
      mode,
      format,
    });

    // act
    const body = transferReply(opened, { crypto, now: NOW, kfAccount: 'kf1@sandbox' });
    const read = readReply(body, cb, APPID, 'o_user', 'gh_sandbox');

    // assess
    expect(read.problem).toBeUndefined();
    expect(read).toMatchObject({
      MsgType: 'transfer_customer_service',
      encrypted,
      fields: { ToUserName: 'o_user', FromUserName: 'gh_sandbox', TransInfo: { KfAccount: 'kf1@sandbox' } },
    });
  });

  it('leaves TransInfo out when no kf account is named', () => {
    // prepare
    const { opened } = pushed('plain', 'xml');

    // act
    const body = transferReply(opened, { now: NOW });

    // assess
    expect(body).toBe(
      '<xml><ToUserName><![CDATA[o_user]]></ToUserName><FromUserName><![CDATA[gh_sandbox]]></FromUserName>' +
        `<CreateTime>${NOW / 1000}</CreateTime><MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>`,
    );
  });
});

describe('parseHandoffInput', () => {
  it('defaults ttl to 30 minutes and keeps a named kf account', () => {
    // act / assess
    expect(parseHandoffInput({ openid: 'o1' })).toEqual({ openid: 'o1', ttl: 1800 });
    expect(parseHandoffInput({ openid: 'o1', kf_account: 'kf1@wx', ttl: 60 })).toEqual({ openid: 'o1', kf_account: 'kf1@wx', ttl: 60 });
  });

  it('refuses bad fields, naming each', () => {
    // act / assess
    expect(() => parseHandoffInput({})).toThrow(/openid: is required/);
    expect(() => parseHandoffInput({ openid: 'o 1' })).toThrow(/openid/);
    expect(() => parseHandoffInput({ openid: 'o1', kf_account: 'nobody' })).toThrow(/kf_account: must be prefix@wechatid/);
    expect(() => parseHandoffInput({ openid: 'o1', ttl: 0 })).toThrow(/ttl: must be at least 1 second/);
    expect(() => parseHandoffInput({ openid: 'o1', ttl: 86_401 })).toThrow(/ttl/);
    expect(() => parseHandoffInput({ openid: 'o1', ttl: '60' })).toThrow(/ttl: must be a number of seconds/);
  });
});
