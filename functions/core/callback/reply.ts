/** Writing XML and passive replies (e.g. transfer_customer_service), encrypted in safe mode. See ./index.ts for the choices made. */
import { ValidationError } from '../errors';
import { MAX_DEPTH, type PushFormat } from './types';
import { WeChatCrypto } from './crypto';
import { InboundMessage } from './message';
/** A value {@link toXml} can write: strings in CDATA, numbers bare, records as nested elements, arrays repeated. */
export type XmlValue = string | number | bigint | XmlRecord | readonly XmlValue[] | null | undefined;

/** A record {@link toXml} can write. */
export interface XmlRecord {
  [name: string]: XmlValue;
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function xmlElement(name: string, value: XmlValue, depth: number): string {
  if (value === null || value === undefined) return '';
  if (!XML_NAME.test(name)) throw new ValidationError([{ field: name, rule: 'is not a valid XML element name' }]);
  if (depth > MAX_DEPTH) throw new ValidationError([{ field: name, rule: `must not nest deeper than ${MAX_DEPTH} levels` }]);
  if (typeof value === 'string') return `<${name}><![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]></${name}>`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError([{ field: name, rule: 'must be a finite number' }]);
    return `<${name}>${value}</${name}>`;
  }
  if (typeof value === 'bigint') return `<${name}>${value}</${name}>`;
  if (Array.isArray(value)) return value.map((item: XmlValue) => xmlElement(name, item, depth + 1)).join('');
  return `<${name}>${xmlChildren(value as XmlRecord, depth + 1)}</${name}>`;
}

function xmlChildren(record: XmlRecord, depth: number): string {
  return Object.entries(record)
    .map(([name, value]) => xmlElement(name, value, depth))
    .join('');
}

/**
 * Writes a record as WeChat-style XML: `<xml>`, strings in CDATA (a `]]>` inside is split across two
 * CDATA sections), numbers bare, nested records as nested elements, arrays as repeated elements;
 * `undefined` and `null` are left out.
 *
 * @example
 * ```ts
 * toXml({ ToUserName: 'gh_1', CreateTime: 1714112445, MsgType: 'text', Content: 'a]]>b' });
 * // '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>1714112445</CreateTime>' +
 * // '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>'
 * ```
 */
export function toXml(record: XmlRecord, root = 'xml'): string {
  if (!XML_NAME.test(root)) throw new ValidationError([{ field: 'root', rule: 'is not a valid XML element name' }]);
  return `<${root}>${xmlChildren(record, 1)}</${root}>`;
}

export function timestampText(timestamp: number | string): string {
  const text = String(timestamp);
  if (!/^[0-9]{1,12}$/.test(text)) throw new ValidationError([{ field: 'timestamp', rule: 'must be whole seconds since the epoch' }]);
  return text;
}

/**
 * Encrypts a passive reply (the XML, or JSON, that answers a push) into WeChat's safe-mode envelope:
 * `<xml><Encrypt>…</Encrypt><MsgSignature>…</MsgSignature><TimeStamp>…</TimeStamp><Nonce>…</Nonce></xml>`,
 * or the same four fields as JSON with `format: 'json'`.
 *
 * @example
 * ```ts
 * encryptReply(buildPassiveReply(message, { MsgType: 'transfer_customer_service' }), crypto, 1714112446, '1320562132');
 * // '<xml><Encrypt><![CDATA[...]]></Encrypt><MsgSignature><![CDATA[...]]></MsgSignature><TimeStamp>1714112446</TimeStamp><Nonce><![CDATA[1320562132]]></Nonce></xml>'
 * ```
 */
export function encryptReply(
  message: string,
  crypto: WeChatCrypto,
  timestamp: number | string,
  nonce: string,
  options: { format?: PushFormat; random16?: Uint8Array } = {},
): string {
  const time = timestampText(timestamp);
  if (typeof nonce !== 'string' || nonce === '') throw new ValidationError([{ field: 'nonce', rule: 'must not be empty' }]);
  const encrypt = crypto.encrypt(message, options.random16);
  const envelope = { Encrypt: encrypt, MsgSignature: crypto.sign(time, nonce, encrypt), TimeStamp: Number(time), Nonce: nonce };
  return options.format === 'json' ? JSON.stringify(envelope) : toXml(envelope);
}

/** What a passive reply says: its MsgType and that type's fields (e.g. `Content`, or `TransInfo`). */
export type PassiveReply = { MsgType: string } & XmlRecord;

/**
 * Builds the XML of a passive reply to a push: addressed back to the user, from the official account.
 * For this product the useful one is `transfer_customer_service` (hand the message to the kf system,
 * optionally to one kf account). Encrypt it with {@link encryptReply} in safe mode.
 *
 * @example
 * ```ts
 * buildPassiveReply(message, { MsgType: 'transfer_customer_service', TransInfo: { KfAccount: 'test1@test' } }, 1714112446);
 * buildPassiveReply(message, { MsgType: 'text', Content: 'Thanks, an agent will answer shortly' });
 * ```
 */
export function buildPassiveReply(
  to: Pick<InboundMessage, 'ToUserName' | 'FromUserName'>,
  reply: PassiveReply,
  createTime: number = Math.floor(Date.now() / 1000),
): string {
  const { MsgType, ...rest } = reply;
  return toXml({ ToUserName: to.FromUserName, FromUserName: to.ToUserName, CreateTime: createTime, MsgType, ...rest });
}
