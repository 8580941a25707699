/**
 * Reads the developer's answer to a push as WeChat does: `success` or an empty body is no reply; anything
 * else is a passive reply, XML (or JSON for a JSON-format callback) `{ToUserName, FromUserName,
 * CreateTime, MsgType, ...}`. In safe mode the reply must be the encrypted envelope `<xml><Encrypt/>
 * <MsgSignature/><TimeStamp/><Nonce/></xml>`, whose MsgSignature (sha1 of sorted [token, TimeStamp, Nonce,
 * Encrypt]) and trailing appid are checked; compatible mode takes either form. A reply that fails a check
 * is reported with its problem and otherwise ignored, as WeChat ignores it (docs/wechat-reference.md,
 * "Passive replies and handing a user to a human").
 *
 * @example
 * ```ts
 * readReply('<xml>...<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>', cb, appId, 'o_user');
 * // { MsgType: 'transfer_customer_service', fields: {...} }
 * ```
 */
import { XMLParser } from 'fast-xml-parser';
import { decryptMessage, sha1Signature } from './crypto';
import type { ResolvedCallback } from './push';

/** What a push's answer said. */
export interface ReadReply {
  /** The reply's MsgType; absent when the answer was `success`, empty, or failed a check. */
  MsgType?: string;
  /** The reply's fields (decrypted), nested elements as objects. */
  fields?: Record<string, unknown>;
  /** Whether it came encrypted. */
  encrypted?: boolean;
  /** Why WeChat would ignore it. */
  problem?: string;
}

const parser = new XMLParser({ parseTagValue: false, trimValues: true, processEntities: false, ignoreDeclaration: true });

function parseFields(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const v = JSON.parse(trimmed) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  // A DOCTYPE or ENTITY is refused (only CDATA sections may start with <!).
  if (!trimmed.startsWith('<xml>') || /<!(?!\[CDATA\[)/.test(trimmed)) return undefined;
  try {
    const doc = parser.parse(trimmed) as { xml?: unknown };
    return doc.xml && typeof doc.xml === 'object' ? (doc.xml as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Reads the answer to the push of a message from `openid`. */
export function readReply(body: string | undefined, cb: ResolvedCallback, appId: string, openid: string, accountName: string): ReadReply {
  if (body === undefined || body.trim() === '' || body.trim() === 'success') return {};
  let fields = parseFields(body);
  if (!fields) return { problem: 'the answer is neither success, empty, nor a reply WeChat can read' };
  let encrypted = false;
  if (fields.Encrypt !== undefined) {
    if (cb.mode === 'plain') return { problem: 'an encrypted reply to a plain-mode push' };
    const encrypt = text(fields.Encrypt) ?? '';
    const timestamp = text(fields.TimeStamp);
    const nonce = text(fields.Nonce);
    if (!timestamp || !nonce) return { problem: 'the encrypted reply lacks TimeStamp or Nonce' };
    if (text(fields.MsgSignature) !== sha1Signature(cb.token, timestamp, nonce, encrypt))
      return { problem: 'the reply MsgSignature does not match' };
    let inner: { message: string; appId: string };
    try {
      inner = decryptMessage(cb.encodingAesKey as string, encrypt);
    } catch {
      return { problem: 'the reply Encrypt does not decrypt with the EncodingAESKey' };
    }
    if (inner.appId !== appId) return { problem: 'the reply was encrypted for another appid' };
    const decrypted = parseFields(inner.message);
    if (!decrypted) return { problem: 'the decrypted reply is not a reply WeChat can read' };
    fields = decrypted;
    encrypted = true;
  } else if (cb.mode === 'safe') {
    return { problem: 'a safe-mode push needs an encrypted reply' };
  }
  if (text(fields.ToUserName) !== openid) return { encrypted, problem: 'the reply ToUserName is not the openid of the user who wrote' };
  if (text(fields.FromUserName) !== accountName)
    return { encrypted, problem: `the reply FromUserName is not the official account (${accountName})` };
  if (!/^[0-9]{1,12}$/.test(text(fields.CreateTime) ?? '')) return { encrypted, problem: 'the reply CreateTime is not whole seconds' };
  const msgType = text(fields.MsgType);
  if (!msgType) return { encrypted, problem: 'the reply has no MsgType' };
  return { MsgType: msgType, fields, encrypted };
}
