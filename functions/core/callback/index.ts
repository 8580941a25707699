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
export * from './types';
export * from './signature';
export * from './crypto';
export * from './parse';
export * from './message';
export * from './open-push';
export * from './replay';
export * from './reply';
