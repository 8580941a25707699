/** Reading a push body, XML or JSON, into flat fields. See ./index.ts for the choices made. */
import { XMLParser, XMLValidator, type EntityDecoderOptions } from 'fast-xml-parser';
import { ValidationError } from '../errors';
import { MAX_PUSH_BODY_CHARS, MAX_DEPTH, MAX_FIELDS, PushFormat, InboundFields } from './types';
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
            if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
              throw new Error(`invalid character reference &${ref};`);
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
      if (c === 92)
        i++; // backslash: skip the escaped character
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

export function parseBody(body: string, contentType?: string): { fields: InboundFields; format: PushFormat } {
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
