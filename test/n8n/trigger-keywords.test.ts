/**
 * The built trigger's keyword handoff in Direct mode (docs/handoff.md, "Keyword handoff"): a text matching
 * the Handoff Keywords option is answered, on that very push, with transfer_customer_service to the rule's
 * kf account (encrypted in safe mode, checked by decrypting it), starts the workflow as a
 * handoff.requested item (not as a bot's message), and leaves the mark the action node's handoff reads.
 * A wrong rule is refused with 503 naming it. Build first: `npm run build --workspace n8n-nodes`.
 */
import { XMLParser } from 'fast-xml-parser';
import type { IDataObject } from 'n8n-workflow';
import { computeSignature, WeChatCrypto } from '../../functions/core/callback';
import { staticDataHandoffs } from '../../n8n-nodes/shared/handoff-state';
import { callWebhook, loadPackage } from './harness';

const TOKEN = 'keywordToken1';
const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxkeywords0000001';
const KF = 'agent1@wx';
const trigger = loadPackage().nodes['n8n-nodes-wechat-kf.weChatKfTrigger']!;
const xml = new XMLParser({ parseTagValue: false });
const crypto = new WeChatCrypto(TOKEN, AES, APPID);

let nonces = 777;
let time = Math.floor(Date.now() / 1000) - 50;
let msgId = 5000;

function push(content: string, staticData: IDataObject, options: IDataObject, safe = false) {
  const plain = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[o_kw]]></FromUserName><CreateTime>${time++}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId++}</MsgId></xml>`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(nonces++);
  const query: Record<string, string> = { timestamp, nonce, signature: computeSignature(TOKEN, timestamp, nonce), openid: 'o_kw' };
  let body = plain;
  if (safe) {
    const encrypt = crypto.encrypt(plain);
    body = `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    Object.assign(query, { encrypt_type: 'aes', msg_signature: computeSignature(TOKEN, timestamp, nonce, encrypt) });
  }
  return callWebhook(trigger, {
    headers: { 'content-type': 'text/xml' },
    rawBody: Buffer.from(body),
    query,
    parameters: { mode: 'direct', messageTypes: [], events: [], options },
    staticData,
    credentials: { token: TOKEN, encodingAesKey: safe ? AES : '', appId: APPID },
    nodeId: 'trigger-kw',
  }).then(({ items, answer }) => ({ items: (items ?? []) as Record<string, any>[], sent: answer }));
}

describe('WeChat Customer Service Trigger: keyword handoff (Direct mode)', () => {
  it.each([
    ['plain', false],
    ['safe', true],
  ] as const)(
    "transfers the push that says 转人工 to the rule's kf account and starts the flow with handoff.requested (%s mode)",
    async (_mode, safe) => {
      // prepare
      const staticData: IDataObject = {};
      const options = { handoffKeywords: `转人工=${KF}, *人工客服*` };

      // act
      const asked = await push(' 转人工 ', staticData, options, safe);
      const pending = await staticDataHandoffs(staticData).read('o_kw');
      const next = await push('hello?', staticData, options, safe);

      // assess: the answer WeChat reads
      const outer = xml.parse(asked.sent.body!).xml;
      const reply = safe ? xml.parse(crypto.decrypt(outer.Encrypt)).xml : outer;
      expect(reply).toMatchObject({ ToUserName: 'o_kw', MsgType: 'transfer_customer_service', TransInfo: { KfAccount: KF } });
      if (safe) expect(Object.keys(outer).sort()).toEqual(['Encrypt', 'MsgSignature', 'Nonce', 'TimeStamp']);
      // the item: handoff.requested, not a message for a bot
      expect(asked.items).toEqual([
        expect.objectContaining({
          kind: 'handoff.requested',
          rule: '转人工',
          text: ' 转人工 ',
          kfAccount: KF,
          transferred: true,
          openid: 'o_kw',
        }),
      ]);
      // the mark it leaves: the next message goes to the desk too
      expect(pending.mark).toMatchObject({ kf_account: KF });
      expect(xml.parse(safe ? crypto.decrypt(xml.parse(next.sent.body!).xml.Encrypt) : next.sent.body!).xml.MsgType).toBe(
        'transfer_customer_service',
      );
      expect(next.items).toEqual([expect.objectContaining({ messageType: 'text', content: 'hello?', transferred: true })]);
      expect(next.items[0]!.kind).toBeUndefined();
    },
  );

  it('leaves other texts to the flow, and refuses a wrong rule with 503 naming it', async () => {
    const ordinary = await push('what time is it?', {}, { handoffKeywords: '转人工' });
    const wrong = await push('转人工', {}, { handoffKeywords: '/(a+)+/' });

    expect(ordinary.sent.body).toBe('success');
    expect(ordinary.items).toEqual([expect.objectContaining({ content: 'what time is it?', transferred: false })]);
    expect(wrong.sent.status).toBe(503);
    expect(wrong.sent.body).toMatch(/HANDOFF_KEYWORDS: the rule "\/\(a\+\)\+\/" repeats a group/);
    expect(wrong.items).toEqual([]);
  });
});
