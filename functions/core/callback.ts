/**
 * WeChat's server push (the callback): URL verification, signatures, safe-mode (AES) crypto, and the
 * parsing of pushed messages and events, XML or JSON.
 *
 * A callback handler needs two calls: {@link verifyUrl} for the GET that WeChat sends when the callback
 * URL is saved, and {@link openPush} for every POST. `openPush` checks the signature(s) and the timestamp
 * before it reads anything else, decrypts safe-mode pushes, and hands back one {@link InboundMessage}
 * whatever the mode (plain, safe, compatible) and format (XML, JSON).
 *
 * Choices made here:
 * - Every field of a push is a string, except `CreateTime` (a number). `MsgId` and every other id stay
 *   exact strings (they are 64-bit), and `Location_X`, `Latitude` and the like keep the digits WeChat
 *   sent. JSON numbers are read as their source text, so an XML push and its JSON twin give the same record.
 * - Nested elements are flattened into dotted names: `<ScanCodeInfo><ScanType>` becomes
 *   `ScanCodeInfo.ScanType`; repeated elements (and JSON arrays) get an index: `SendPicsInfo.PicList.item.0.PicMd5Sum`.
 * - XML with a DOCTYPE, an ENTITY or any other `<!` declaration is refused outright; only the five
 *   predefined entities and numeric character references are decoded. Bodies longer than
 *   {@link MAX_PUSH_BODY_CHARS} are refused before parsing.
 * - In compatible mode the decrypted content is the truth; when no EncodingAESKey is configured, a
 *   compatible-mode push (which carries its fields in the clear too) is still read, from its plaintext
 *   fields, once its `msg_signature` has been checked; a safe-mode push is refused with a
 *   {@link ConfigurationError}.
 * - Every failure of authenticity (signature, msg_signature, timestamp, AES padding, appid) is a
 *   {@link SignatureError} (HTTP 401); a body that cannot be read is a {@link ValidationError} (400);
 *   missing configuration is a {@link ConfigurationError}. No error message holds the token or the key.
 *
 * @example
 * ```ts
 * const crypto = new WeChatCrypto(token, encodingAesKey, appId);
 * if (event.httpMethod === 'GET') return verifyUrl(event.queryStringParameters, token);
 * const { message, mode } = openPush({ query: event.queryStringParameters ?? {}, body: event.body ?? '', token, crypto });
 * await dedupe(dedupKey(message));
 * ```
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'crypto';
import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { ConfigurationError, SignatureError, ValidationError, type ValidationIssue } from './errors';

/** The longest push body read, in characters. WeChat's pushes are a few KB; anything near this is not one. */
export const MAX_PUSH_BODY_CHARS = 256 * 1024;

/** How far (in seconds) a push's `timestamp` may be from this server's clock, by default. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;

/** How deep elements (or JSON objects) may nest in a push. WeChat's deepest is 4. */
const MAX_DEPTH = 16;

/** How many fields a push may have once flattened. */
const MAX_FIELDS = 1000;

/**
 * The query string of a callback request, as API Gateway, Node's `querystring` or n8n give it. A
 * parameter given twice (an array of two) is refused.
 */
export type CallbackQuery = Readonly<Record<string, string | readonly string[] | null | undefined>>;

/** The format of a push body. */
export type PushFormat = 'xml' | 'json';

/**
 * How a push came: `plain` (no encryption), `safe` (only `Encrypt`), or `compatible` (`Encrypt` beside
 * the plaintext fields).
 */
export type PushMode = 'plain' | 'safe' | 'compatible';

/** A push body as a flat record: strings, except `CreateTime`, a number. */
export type InboundFields = Record<string, string | number>;

// ---------------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------------

/**
 * WeChat's callback signature: the SHA-1 (lowercase hex) of token, timestamp, nonce (and, for
 * `msg_signature`, the `Encrypt` field) sorted as strings and joined without a separator.
 *
 * @example
 * ```ts
 * computeSignature('AAAAA', '1714036504', '1514711492'); // 'f464b24fc39322e44b38aa78f5edd27bd1441696'
 * ```
 */
export function computeSignature(token: string, timestamp: string, nonce: string, encrypt?: string): string {
  const parts = [String(token), String(timestamp), String(nonce)];
  if (encrypt !== undefined) parts.push(String(encrypt));
  return createHash('sha1').update(parts.sort().join(''), 'utf8').digest('hex');
}

/** Compares a computed signature with a received one in constant time (for equal lengths). */
function signatureMatches(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received.trim().toLowerCase(), 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** One query parameter, or undefined when absent or empty. */
function queryValue(query: CallbackQuery | null | undefined, name: string): string | undefined {
  const raw = query?.[name];
  if (raw === undefined || raw === null) return undefined;
  let value: string | undefined;
  if (typeof raw === 'string') value = raw;
  else if (raw.length === 1) value = raw[0];
  else if (raw.length === 0) value = undefined;
  else throw new SignatureError(`query parameter ${name} is given more than once`);
  return value === undefined || value === '' ? undefined : value;
}

/** One query parameter that must be there. */
function requireQuery(query: CallbackQuery | null | undefined, name: string): string {
  const value = queryValue(query, name);
  if (value === undefined) throw new SignatureError(`query parameter ${name} is missing`);
  return value;
}

function requireToken(token: unknown): asserts token is string {
  if (typeof token !== 'string' || token === '') {
    throw new ConfigurationError('the callback token is not configured: set the Token entered in the official account\'s server configuration');
  }
}

/**
 * Answers WeChat's URL verification (the GET sent when the callback URL is saved): returns `echostr`
 * unchanged when `signature` verifies, to be sent back as the response body. Throws
 * {@link SignatureError} when a parameter is missing or the signature does not verify.
 *
 * The timestamp is not checked for freshness here: answering a replayed verification reveals nothing.
 *
 * @example
 * ```ts
 * verifyUrl({ signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504',
 *   nonce: '1514711492', echostr: '4375120948345356249' }, 'AAAAA'); // '4375120948345356249'
 * ```
 */
export function verifyUrl(query: CallbackQuery | null | undefined, token: string): string {
  requireToken(token);
  const signature = requireQuery(query, 'signature');
  const timestamp = requireQuery(query, 'timestamp');
  const nonce = requireQuery(query, 'nonce');
  const echostr = requireQuery(query, 'echostr');
  if (!signatureMatches(computeSignature(token, timestamp, nonce), signature)) {
    throw new SignatureError('signature does not match: check that the Token configured here is the one entered in the official account');
  }
  return echostr;
}

// ---------------------------------------------------------------------------------------------------
// Safe mode crypto
// ---------------------------------------------------------------------------------------------------

/** WeChat pads to a multiple of 32 bytes (PKCS#7 with a 32-byte block), not AES's 16. */
const PAD_BLOCK = 32;
const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;
const BASE64_TEXT = /^[A-Za-z0-9+/]+={0,2}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Safe-mode (and compatible-mode) crypto of one official account: AES-256-CBC with the key
 * `base64(EncodingAESKey + "=")`, the IV its first 16 bytes, over
 * `16 random bytes | 4-byte big-endian length | message (UTF-8) | appid`, padded PKCS#7-style to a
 * multiple of 32 bytes. Decryption checks the padding and the trailing appid.
 *
 * The token and key are kept in private fields: they do not show in `console.log` or `JSON.stringify`.
 *
 * @example
 * ```ts
 * const crypto = new WeChatCrypto('AAAAA', 'A'.repeat(43), 'wxba5fad812f8e6fb9');
 * const encrypt = crypto.encrypt('<xml>...</xml>');
 * crypto.decrypt(encrypt); // '<xml>...</xml>'
 * ```
 */
export class WeChatCrypto {
  /** The AppID the messages are encrypted for. */
  readonly appId: string;
  readonly #token: string;
  readonly #key: Buffer;
  readonly #iv: Buffer;
  readonly #appIdBytes: Buffer;

  /**
   * @param token the Token of the server configuration (used for `msg_signature`).
   * @param encodingAesKey the EncodingAESKey: 43 characters of base64.
   * @param appId the official account's AppID, which every decrypted message must end with.
   * @throws ConfigurationError naming the setting that is wrong (never echoing it).
   */
  constructor(token: string, encodingAesKey: string, appId: string) {
    requireToken(token);
    if (typeof encodingAesKey !== 'string' || encodingAesKey === '') {
      throw new ConfigurationError('encodingAesKey is not configured: set the EncodingAESKey of the official account (43 characters)');
    }
    if (encodingAesKey.length !== 43) {
      throw new ConfigurationError(`encodingAesKey must be 43 characters of base64; the one configured has ${encodingAesKey.length}`);
    }
    if (!BASE64_CHARS.test(encodingAesKey)) {
      throw new ConfigurationError('encodingAesKey must be 43 characters of base64 (A-Z, a-z, 0-9, + and /); the one configured holds other characters');
    }
    if (typeof appId !== 'string' || appId.trim() === '') {
      throw new ConfigurationError('appId is not configured: safe mode needs the AppID of the official account');
    }
    const key = Buffer.from(`${encodingAesKey}=`, 'base64');
    if (key.length !== 32) {
      throw new ConfigurationError('encodingAesKey does not decode to a 32-byte AES key');
    }
    this.#token = token;
    this.#key = key;
    this.#iv = key.subarray(0, 16);
    this.appId = appId;
    this.#appIdBytes = Buffer.from(appId, 'utf8');
  }

  /**
   * The `msg_signature` of an `Encrypt` value: {@link computeSignature} with this account's token.
   *
   * @example
   * ```ts
   * crypto.sign('1714112445', '415670741', encrypt); // '046e02f8...'
   * ```
   */
  sign(timestamp: string, nonce: string, encrypt: string): string {
    return computeSignature(this.#token, timestamp, nonce, encrypt);
  }

  /**
   * Encrypts a message (the XML or JSON of a reply or a push) and returns the base64 `Encrypt` value.
   * `random16` (16 bytes) makes the result reproducible in tests; by default it is random.
   *
   * @example
   * ```ts
   * const encrypt = crypto.encrypt('{"MsgType":"text","Content":"hi"}');
   * ```
   */
  encrypt(message: string, random16?: Uint8Array): string {
    if (typeof message !== 'string') throw new ValidationError([{ field: 'message', rule: 'must be a string' }]);
    const random = random16 ?? randomBytes(16);
    if (random.length !== 16) throw new ValidationError([{ field: 'random16', rule: 'must be 16 bytes' }]);
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const raw = Buffer.concat([random, length, body, this.#appIdBytes]);
    const pad = PAD_BLOCK - (raw.length % PAD_BLOCK);
    const padded = Buffer.concat([raw, Buffer.alloc(pad, pad)]);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
  }

  /**
   * Decrypts an `Encrypt` value into the message it holds (XML or JSON text).
   *
   * Verify `msg_signature` first ({@link openPush} does): the signature is what proves the push came
   * from WeChat; this only proves it was encrypted with this key for this appid.
   *
   * @throws SignatureError when it is not base64, does not decrypt with this key (bad padding, bad
   *   length), or was encrypted for another appid ("appid mismatch").
   * @example
   * ```ts
   * new WeChatCrypto('AAAAA', 'A'.repeat(43), 'wxba5fad812f8e6fb9').decrypt('+qdx1OKCy+5J...');
   * // '{"ToUserName":"gh_97417a04a28d",...,"debug_str":"hello world"}'
   * ```
   */
  decrypt(encrypt: string): string {
    if (typeof encrypt !== 'string' || encrypt === '') throw new SignatureError('Encrypt is empty');
    const text = encrypt.trim();
    if (!BASE64_TEXT.test(text) || text.length % 4 !== 0) throw new SignatureError('Encrypt is not base64');
    const data = Buffer.from(text, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) {
      throw new SignatureError('Encrypt is not a whole number of AES blocks: it was not encrypted by WeChat');
    }
    const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv);
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    const pad = plain[plain.length - 1] ?? 0;
    let badPadding = pad < 1 || pad > PAD_BLOCK || pad > plain.length ? 1 : 0;
    if (!badPadding) {
      for (let i = plain.length - pad; i < plain.length; i++) badPadding |= (plain[i] ?? 0) ^ pad;
    }
    if (badPadding) {
      throw new SignatureError('Encrypt does not decrypt with the configured encodingAesKey (bad padding)');
    }
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < 20) throw new SignatureError('Encrypt does not decrypt with the configured encodingAesKey (too short)');
    const length = content.readUInt32BE(16);
    if (20 + length > content.length) {
      throw new SignatureError('Encrypt does not decrypt with the configured encodingAesKey (bad message length)');
    }
    const appId = content.subarray(20 + length);
    if (appId.length !== this.#appIdBytes.length || !timingSafeEqual(appId, this.#appIdBytes)) {
      throw new SignatureError('appid mismatch: the message was encrypted for another AppID; check the appId and encodingAesKey configured');
    }
    try {
      return UTF8.decode(content.subarray(20, 20 + length));
    } catch {
      throw new SignatureError('the decrypted message is not valid UTF-8');
    }
  }

  /** Keeps the token and key out of `JSON.stringify`. */
  toJSON(): { appId: string } {
    return { appId: this.appId };
  }
}

// ---------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------

function bodyError(rule: string): ValidationError {
  return new ValidationError([{ field: '(body)', rule }]);
}

const XML_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * Decodes the five predefined XML entities and numeric character references (never DOCTYPE entities:
 * a DOCTYPE is refused before parsing, and declaring entities throws).
 */
const entityDecoder: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: (entities) => {
    if (Object.keys(entities).length > 0) throw new Error('entity declarations are not allowed');
  },
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: (text) =>
    text.indexOf('&') === -1
      ? text
      : text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});/g, (_, ref: string) => {
          if (ref.startsWith('#')) {
            const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
            if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new Error(`invalid character reference &${ref};`);
            return String.fromCodePoint(code);
          }
          const named = XML_ENTITIES[ref];
          if (named === undefined) throw new Error(`undefined entity &${ref};`);
          return named;
        }),
};

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true, // trims text between elements; CDATA is never trimmed
  cdataPropName: false, // CDATA merged into the element's text
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
  entityDecoder,
  maxNestedTags: MAX_DEPTH,
});

/** Whether the XML holds a `<!` declaration (DOCTYPE, ENTITY, ...) outside CDATA sections and comments. Linear. */
function hasDeclaration(xml: string): boolean {
  let i = 0;
  while ((i = xml.indexOf('<!', i)) !== -1) {
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i + 9);
      if (end === -1) return false; // unclosed: the validator refuses it
      i = end + 3;
    } else if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end === -1) return false;
      i = end + 3;
    } else {
      return true;
    }
  }
  return false;
}

function parseXml(text: string): Record<string, unknown> {
  if (hasDeclaration(text)) {
    throw bodyError('must not contain a DOCTYPE, ENTITY or other <! declaration (only elements, text and CDATA)');
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw bodyError(`must be well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  let parsed: unknown;
  try {
    parsed = xmlParser.parse(text);
  } catch (e) {
    throw bodyError(`must be well-formed XML: ${(e as Error).message}`);
  }
  const top = parsed && typeof parsed === 'object' ? Object.keys(parsed) : [];
  const root = (parsed as Record<string, unknown> | undefined)?.xml;
  if (top.length !== 1 || top[0] !== 'xml' || Array.isArray(root)) {
    throw bodyError('must have exactly one root element, <xml>');
  }
  if (root === '' || root === undefined) throw bodyError('the <xml> element is empty');
  if (typeof root !== 'object' || root === null) throw bodyError('the <xml> element must hold elements, not text');
  for (const [name, value] of Object.entries(root)) {
    if (Array.isArray(value)) throw bodyError(`element <${name}> appears more than once`);
  }
  return root as Record<string, unknown>;
}

const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Rewrites every number literal outside strings as a string literal of the same digits, so that 64-bit
 * ids survive `JSON.parse` exactly. Linear; leaves invalid JSON invalid.
 */
function quoteJsonNumbers(text: string): string {
  const parts: string[] = [];
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      JSON_NUMBER.lastIndex = i;
      const match = JSON_NUMBER.exec(text);
      if (match) {
        parts.push(text.slice(last, i), '"', match[0], '"');
        i += match[0].length - 1;
        last = i + 1;
      }
    }
  }
  parts.push(text.slice(last));
  return parts.join('');
}

function parseJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(quoteJsonNumbers(text));
  } catch {
    throw bodyError('must be valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bodyError('must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Flattens a parsed body into dotted names; strings only (numbers were quoted, booleans are spelt out). */
function flatten(value: unknown, path: string, depth: number, out: Map<string, string>, format: PushFormat): void {
  if (value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    if (out.has(path)) throw bodyError(`field ${path} appears more than once`);
    if (out.size >= MAX_FIELDS) throw bodyError(`must have at most ${MAX_FIELDS} fields`);
    out.set(path, String(value));
    return;
  }
  if (depth > MAX_DEPTH) throw bodyError(`must not nest deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => flatten(item, `${path}.${i}`, depth + 1, out, format));
    return;
  }
  if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === '__proto__') throw bodyError('field name __proto__ is not allowed');
      if (format === 'xml' && key === '#text') throw bodyError(`element <${path || 'xml'}> mixes text and elements`);
      if (key === '') throw bodyError('field names must not be empty');
      flatten(child, path ? `${path}.${key}` : key, depth + 1, out, format);
    }
  }
}

/**
 * The format of a push body, from its first non-blank character: `<` is XML, `{` is JSON. The
 * Content-Type header is only quoted in the error: WeChat's is not always right.
 *
 * @throws ValidationError `(body)` when the body is empty, too long, or neither.
 * @example
 * ```ts
 * bodyFormat('  <xml>...</xml>'); // 'xml'
 * bodyFormat('{"ToUserName":"gh_1"}'); // 'json'
 * ```
 */
export function bodyFormat(body: string, contentType?: string): PushFormat {
  if (typeof body !== 'string') throw bodyError('must be a string');
  if (body.length > MAX_PUSH_BODY_CHARS) throw bodyError(`must be at most ${MAX_PUSH_BODY_CHARS} characters; got ${body.length}`);
  const first = /[^\s\uFEFF]/.exec(body)?.[0];
  if (first === undefined) throw bodyError('is empty');
  if (first === '<') return 'xml';
  if (first === '{') return 'json';
  const said = contentType ? ` (Content-Type: ${contentType.slice(0, 80)})` : '';
  throw bodyError(`must be XML (starting with "<") or JSON (starting with "{")${said}`);
}

function parseBody(body: string, contentType?: string): { fields: InboundFields; format: PushFormat } {
  const format = bodyFormat(body, contentType);
  const text = body.replace(/^[\s\uFEFF]+/, '');
  const tree = format === 'xml' ? parseXml(text) : parseJson(text);
  const flat = new Map<string, string>();
  flatten(tree, '', 0, flat, format);
  const fields: InboundFields = Object.fromEntries(flat);
  const createTime = flat.get('CreateTime');
  if (createTime !== undefined) {
    const trimmed = createTime.trim();
    if (!/^[0-9]{1,15}$/.test(trimmed)) {
      throw new ValidationError([{ field: 'CreateTime', rule: 'must be a whole number of seconds since the epoch' }]);
    }
    fields.CreateTime = Number(trimmed);
  }
  return { fields, format };
}

/**
 * Parses a push body, XML or JSON (told apart by its first non-blank character), into a flat record:
 * every value a string except `CreateTime` (a number); nested elements as dotted names. `MsgId` and
 * other 64-bit ids are kept exactly.
 *
 * @throws ValidationError `(body)` naming the rule broken: empty, too long, not XML or JSON, malformed,
 *   a DOCTYPE or entity declaration, more than one root, nested too deep, a repeated top-level element.
 * @example
 * ```ts
 * parseInbound('<xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>1714112445</CreateTime>' +
 *   '<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>24436487191827123456</MsgId></xml>');
 * // { ToUserName: 'gh_1', CreateTime: 1714112445, MsgType: 'text', Content: 'hi', MsgId: '24436487191827123456' }
 * ```
 */
export function parseInbound(body: string, contentType?: string): InboundFields {
  return parseBody(body, contentType).fields;
}

// ---------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------

/** Message types a user can send. Other strings are kept as they come. */
export type InboundMsgType = 'text' | 'image' | 'voice' | 'video' | 'shortvideo' | 'location' | 'link' | 'file' | 'miniprogrampage' | 'event';

/** Events documented for official accounts. Other strings are kept as they come. */
export type InboundEvent =
  | 'subscribe'
  | 'unsubscribe'
  | 'SCAN'
  | 'LOCATION'
  | 'CLICK'
  | 'VIEW'
  | 'scancode_push'
  | 'scancode_waitmsg'
  | 'pic_sysphoto'
  | 'pic_photo_or_album'
  | 'pic_weixin'
  | 'location_select'
  | 'view_miniprogram'
  | 'kf_create_session'
  | 'kf_close_session'
  | 'kf_switch_session';

/**
 * A message or event pushed by WeChat, decrypted and checked. The documented fields are typed; every
 * other field is kept too, by its name (nested ones dotted, e.g. `ScanCodeInfo.ScanResult`).
 */
export interface InboundMessage {
  /** The official account's original id (gh_...). */
  ToUserName: string;
  /** The user's openid. */
  FromUserName: string;
  /** Seconds since the epoch. */
  CreateTime: number;
  MsgType: InboundMsgType | (string & {});
  /** text */
  Content?: string;
  /** Messages: a 64-bit id, as a string. */
  MsgId?: string;
  MsgDataId?: string;
  Idx?: string;
  /** A tap on a msgmenu item comes back as a text message carrying the item's id. */
  bizmsgmenuid?: string;
  /** image */
  PicUrl?: string;
  /** image, voice, video, shortvideo */
  MediaId?: string;
  /** voice */
  Format?: string;
  Recognition?: string;
  /** video, shortvideo */
  ThumbMediaId?: string;
  /** location (strings: the digits WeChat sent) */
  Location_X?: string;
  Location_Y?: string;
  Scale?: string;
  Label?: string;
  /** link */
  Title?: string;
  Description?: string;
  Url?: string;
  /** Events */
  Event?: InboundEvent | (string & {});
  EventKey?: string;
  Ticket?: string;
  /** LOCATION event */
  Latitude?: string;
  Longitude?: string;
  Precision?: string;
  /** kf session events */
  KfAccount?: string;
  FromKfAccount?: string;
  ToKfAccount?: string;
  CloseType?: string;
  [field: string]: string | number | undefined;
}

/**
 * Checks that a parsed push has what every message has (ToUserName, FromUserName, CreateTime, MsgType,
 * and Event for events) and returns it as an {@link InboundMessage}.
 *
 * @throws ValidationError naming each missing field.
 * @example
 * ```ts
 * toInboundMessage(parseInbound(body)).MsgType; // 'text'
 * ```
 */
export function toInboundMessage(fields: InboundFields): InboundMessage {
  const issues: ValidationIssue[] = [];
  for (const name of ['ToUserName', 'FromUserName', 'MsgType'] as const) {
    const value = fields[name];
    if (value === undefined) issues.push({ field: name, rule: 'is required' });
    else if (typeof value !== 'string' || value.trim() === '') issues.push({ field: name, rule: 'must not be empty' });
  }
  if (typeof fields.CreateTime !== 'number') issues.push({ field: 'CreateTime', rule: 'is required' });
  if (fields.MsgType === 'event' && (typeof fields.Event !== 'string' || fields.Event === '')) {
    issues.push({ field: 'Event', rule: 'is required when MsgType is event' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { ...fields } as InboundMessage;
}

/**
 * The key to deduplicate a push by (WeChat retries a push three times when no answer comes in 5 s):
 * `msg:<MsgId>` for messages, `event:<FromUserName>:<CreateTime>:<Event>:<EventKey>` for events, and
 * `msg:<FromUserName>:<CreateTime>:<MsgType>` for a message without MsgId.
 *
 * @example
 * ```ts
 * dedupKey({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1714112445, MsgType: 'text', MsgId: '24436487191827123456' });
 * // 'msg:24436487191827123456'
 * dedupKey({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1714112445, MsgType: 'event', Event: 'subscribe' });
 * // 'event:o1:1714112445:subscribe:'
 * ```
 */
export function dedupKey(message: InboundMessage): string {
  // Events carry no MsgId: what tells two of them apart is who, when, which event and which key (two
  // different menu clicks in one second are two events; WeChat's retry of one repeats all four).
  if (message.MsgType === 'event') return `event:${message.FromUserName}:${message.CreateTime}:${message.Event ?? ''}:${message.EventKey ?? ''}`;
  if (message.MsgId) return `msg:${message.MsgId}`;
  return `msg:${message.FromUserName}:${message.CreateTime}:${message.MsgType}`;
}

// ---------------------------------------------------------------------------------------------------
// Opening a push
// ---------------------------------------------------------------------------------------------------

/** What {@link openPush} needs. */
export interface OpenPushOptions {
  /** The request's query string (signature, timestamp, nonce, and in safe mode encrypt_type, msg_signature). */
  query: CallbackQuery | null | undefined;
  /** The request body, as text. */
  body: string;
  /** The Token of the server configuration. */
  token: string;
  /** The account's safe-mode crypto; needed for safe mode, used for compatible mode when given. */
  crypto?: WeChatCrypto;
  /** Only quoted in errors: the format is told from the body. */
  contentType?: string;
  /** How far the timestamp may be from now, in seconds. Default 300; `Infinity` turns the check off. */
  maxSkewSeconds?: number;
  /** The current time in ms since the epoch, or a function giving it. Default `Date.now`. */
  now?: number | (() => number);
}

/** What {@link openPush} found. */
export interface OpenedPush {
  message: InboundMessage;
  mode: PushMode;
  /** The format of the request body (and so of a passive reply). */
  format: PushFormat;
}

function checkTimestamp(timestamp: string, options: OpenPushOptions): void {
  if (!/^[0-9]{1,12}$/.test(timestamp)) throw new SignatureError('timestamp must be whole seconds since the epoch');
  const max = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  if (typeof max !== 'number' || Number.isNaN(max) || max < 0) {
    throw new ConfigurationError('maxSkewSeconds must be a number of seconds, 0 or more');
  }
  const now = options.now;
  const nowMs = typeof now === 'function' ? now() : (now ?? Date.now());
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw new ConfigurationError('now must give the current time in ms since the epoch');
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skew > max) {
    throw new SignatureError(`stale timestamp: ${Math.round(skew)} s away from this server's clock, more than the ${max} s allowed`);
  }
}

/**
 * Opens one POSTed push: verifies `signature`, then the timestamp (within `maxSkewSeconds` of `now`),
 * parses the body (XML or JSON), and in safe or compatible mode (`encrypt_type=aes`, or an `Encrypt`
 * field with a `msg_signature`) verifies `msg_signature` over `Encrypt` and decrypts it. The decrypted
 * message is the truth: plaintext fields beside `Encrypt` (compatible mode) are only read when no crypto
 * is configured.
 *
 * @throws SignatureError for a missing query parameter (named), a signature or msg_signature that does
 *   not verify, a stale timestamp, or an `Encrypt` that does not decrypt for this account.
 * @throws ValidationError when the body (or the decrypted message) cannot be read, or lacks a required field.
 * @throws ConfigurationError when the token is missing, or a safe-mode push comes and no crypto is configured.
 * @example
 * ```ts
 * const { message, mode, format } = openPush({
 *   query: { signature, timestamp, nonce, encrypt_type: 'aes', msg_signature },
 *   body, token: 'AAAAA', crypto: new WeChatCrypto('AAAAA', 'A'.repeat(43), 'wxba5fad812f8e6fb9'),
 * });
 * // mode 'safe', format 'json', message.Event 'debug_demo'
 * ```
 */
export function openPush(options: OpenPushOptions): OpenedPush {
  const { query, token } = options;
  requireToken(token);
  const signature = requireQuery(query, 'signature');
  const timestamp = requireQuery(query, 'timestamp');
  const nonce = requireQuery(query, 'nonce');
  if (!signatureMatches(computeSignature(token, timestamp, nonce), signature)) {
    throw new SignatureError('signature does not match: check that the Token configured here is the one entered in the official account');
  }
  checkTimestamp(timestamp, options);

  const encryptType = queryValue(query, 'encrypt_type');
  if (encryptType !== undefined && encryptType !== 'aes' && encryptType !== 'raw') {
    throw new ValidationError([{ field: 'encrypt_type', rule: 'must be aes or raw' }]);
  }
  const { fields: outer, format } = parseBody(options.body, options.contentType);
  const encrypt = outer.Encrypt;
  const encrypted = encryptType === 'aes' || (encrypt !== undefined && queryValue(query, 'msg_signature') !== undefined);
  if (!encrypted) return { message: toInboundMessage(outer), mode: 'plain', format };

  if (typeof encrypt !== 'string' || encrypt.trim() === '') {
    throw new ValidationError([{ field: 'Encrypt', rule: 'is required in safe mode (encrypt_type=aes)' }]);
  }
  const msgSignature = requireQuery(query, 'msg_signature');
  if (!signatureMatches(computeSignature(token, timestamp, nonce, encrypt), msgSignature)) {
    throw new SignatureError('msg_signature does not match the Encrypt field');
  }
  const compatible = Object.keys(outer).some((k) => k !== 'ToUserName' && k !== 'Encrypt');
  if (!options.crypto) {
    if (compatible) {
      const { Encrypt: _encrypt, ...plain } = outer;
      return { message: toInboundMessage(plain), mode: 'compatible', format };
    }
    throw new ConfigurationError('this push is encrypted (safe mode, encrypt_type=aes) but no encodingAesKey is configured: set the EncodingAESKey of the official account');
  }
  const inner = parseBody(options.crypto.decrypt(encrypt)).fields;
  return { message: toInboundMessage(inner), mode: compatible ? 'compatible' : 'safe', format };
}

// ---------------------------------------------------------------------------------------------------
// Writing: XML, replies, pushes
// ---------------------------------------------------------------------------------------------------

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

function timestampText(timestamp: number | string): string {
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

/** JSON of a record, with bigints written as bare integers (as WeChat writes MsgId). */
function toJson(record: XmlRecord): string {
  return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? `\u0000bigint:${value}` : value)).replace(
    /"\\u0000bigint:(-?[0-9]+)"/g,
    '$1',
  );
}

/** What {@link buildPush} needs. */
export interface BuildPushOptions {
  /** The message or event, as WeChat would push it. */
  message: XmlRecord;
  token: string;
  /** Required for `safe` and `compatible`. */
  crypto?: WeChatCrypto;
  /** Default `plain`. */
  mode?: PushMode;
  /** Default `xml`. */
  format?: PushFormat;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Default: 9 random digits. */
  nonce?: string;
  random16?: Uint8Array;
}

/**
 * Builds a push exactly as WeChat sends it (query and body), for tests and for the sandbox's pushes to
 * a callback URL: signed, and in safe or compatible mode encrypted.
 *
 * @example
 * ```ts
 * const { query, body } = buildPush({ message: { ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1714112445,
 *   MsgType: 'text', Content: 'hi', MsgId: '24436487191827123456' }, token, crypto, mode: 'safe' });
 * openPush({ query, body, token, crypto }).message.Content; // 'hi'
 * ```
 */
export function buildPush(options: BuildPushOptions): { query: Record<string, string>; body: string } {
  requireToken(options.token);
  const mode = options.mode ?? 'plain';
  const format = options.format ?? 'xml';
  const timestamp = timestampText(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE(0) % 1_000_000_000);
  const write = (record: XmlRecord) => (format === 'xml' ? toXml(record) : toJson(record));
  const query: Record<string, string> = {
    signature: computeSignature(options.token, timestamp, nonce),
    timestamp,
    nonce,
  };
  const openid = options.message.FromUserName;
  if (typeof openid === 'string') query.openid = openid;
  const plaintext = write(options.message);
  if (mode === 'plain') return { query, body: plaintext };
  if (!options.crypto) throw new ConfigurationError(`a ${mode}-mode push needs the crypto (encodingAesKey)`);
  const encrypt = options.crypto.encrypt(plaintext, options.random16);
  query.encrypt_type = 'aes';
  query.msg_signature = computeSignature(options.token, timestamp, nonce, encrypt);
  const body = mode === 'safe' ? write({ ToUserName: options.message.ToUserName, Encrypt: encrypt }) : write({ ...options.message, Encrypt: encrypt });
  return { query, body };
}
