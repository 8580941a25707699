import { MAX_PUSH_BODY_CHARS, parseInbound } from '../../../functions/core/callback';
import { ValidationError } from '../../../functions/core/errors';
import { buildPush } from '../../support/push';
import { SECRET_TOKEN, NOW_S, BIG_MSG_ID, textMessage, thrown } from './fixtures';

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
    const body =
      '<?xml version="1.0" encoding="utf-8"?><!-- a comment --><xml><A>a &amp; b &lt;c&gt; &#20013;&#x6587;</A><B><![CDATA[&amp;]]></B><C><![CDATA[<!DOCTYPE html>]]></C></xml>';

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
    [
      'neither XML nor JSON',
      'ToUserName=gh_1',
      /must be XML \(starting with "<"\) or JSON \(starting with "{"\) \(Content-Type: text\/plain\)/,
    ],
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
