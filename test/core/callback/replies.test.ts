import {
  buildPassiveReply,
  computeSignature,
  encryptReply,
  parseInbound,
  toXml,
  WeChatCrypto,
  type InboundMessage,
} from '../../../functions/core/callback';
import { ValidationError } from '../../../functions/core/errors';
import { SECRET_TOKEN, SECRET_KEY, APP_ID, NOW_S, BIG_MSG_ID, textMessage, thrown } from './fixtures';

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
    const envelope = JSON.parse(encryptReply('{"MsgType":"text"}', crypto, String(NOW_S), 'n1', { format: 'json' })) as Record<
      string,
      unknown
    >;

    // assess
    expect(Object.keys(envelope)).toEqual(['Encrypt', 'MsgSignature', 'TimeStamp', 'Nonce']);
    expect(envelope.TimeStamp).toBe(NOW_S);
    expect(crypto.decrypt(envelope.Encrypt as string)).toBe('{"MsgType":"text"}');
  });

  it('writes WeChat-style XML: CDATA strings, bare numbers, nested and repeated elements, ]]> escaped', () => {
    // act
    const xml = toXml({
      A: 'x]]>y',
      N: 42,
      Big: BigInt(BIG_MSG_ID),
      Skip: undefined,
      Nested: { B: 'b' },
      Items: [{ C: 'c1' }, { C: 'c2' }],
    });

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
