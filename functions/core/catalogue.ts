/**
 * The catalogue: every customer-service operation this product offers, once.
 *
 * Each entry says what the operation is called (its `name` is also the EventBridge detail-type that asks
 * for it), which WeChat endpoint it calls, which HTTP route serves it, how its input is validated, and how
 * that input becomes WeChat's request. The Lambda handlers, the CDK functions and routes, the local server
 * and the n8n node are all generated from this list: adding an operation is adding one entry.
 *
 * @example
 * ```ts
 * import { getOperation } from './catalogue';
 * const op = getOperation('sendText');
 * const input = op.parse({ touser: 'OPENID', text: { content: 'Hello' } });
 * op.toRequest(input); // { method: 'POST', path: '/cgi-bin/message/custom/send', json: {...} }
 * ```
 */
import { createHash } from 'crypto';
import { z } from 'zod';
import { ValidationError } from './errors';
import { limitsFor, type Limits, type RulesProfile } from './limits';
import { optionalString, parseOrThrow, requiredObject, requiredString, typeName } from './validation';

/** The three things an operation can act on, in the words of WeChat's docs. */
export type Resource = 'kfAccount' | 'message' | 'typing';

/** What the send and typing gates do with an operation before WeChat is called. */
export type Gate = 'send' | 'typing' | 'none';

/** A request to WeChat, before the access token and base URL are added. */
export interface WeChatRequestSpec {
  method: 'GET' | 'POST';
  /** Path from the API root, e.g. `/cgi-bin/message/custom/send`. */
  path: string;
  /** Query values besides `access_token`. `@` is kept literal when the query is built. */
  query?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A multipart/form-data body with one file. */
  file?: { field: string; filename: string; contentType: string; data: Uint8Array };
}

/** Settings that change how inputs are checked and requests are built. */
export interface OperationOptions {
  /** Which limits apply; `current` by default. */
  profile?: RulesProfile;
  /** `POST` with a JSON body (WeChat's current form, the default) or `GET ?kf_account=` (the 2017 form). */
  kfDeleteMethod?: 'POST' | 'GET';
}

/** One entry of the catalogue. */
export interface Operation<I = Record<string, unknown>> {
  /** The operation's name: also its EventBridge detail-type and its Lambda's name suffix. */
  readonly name: string;
  readonly resource: Resource;
  /** The action within the resource, e.g. `add`, `send`, `sendText`. */
  readonly action: string;
  /** A short title, e.g. "Send a text message". */
  readonly title: string;
  readonly description: string;
  /** The HTTP route that serves it (local server and API Gateway). Path parameters are input fields. */
  readonly route: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string };
  /** The WeChat endpoint, for documentation; {@link toRequest} builds the actual request. */
  readonly endpoint: { method: 'GET' | 'POST'; path: string };
  readonly gate: Gate;
  /** The message type, for send operations bound to one type. */
  readonly msgtype?: MessageType;
  /** Validates and normalises an input; throws {@link ValidationError} naming each field and rule. */
  parse(input: unknown, options?: OperationOptions): I;
  /** Builds WeChat's request from a parsed input. */
  toRequest(input: I, options?: OperationOptions): WeChatRequestSpec;
  /** The WeChat user an input addresses (send and typing), for the gates. */
  recipient?(input: I): string;
}

// ---------------------------------------------------------------------------------------------------
// Shared field rules
// ---------------------------------------------------------------------------------------------------

/** kf_account: prefix of 1–10 `[A-Za-z0-9_]`, `@`, the account's WeChat ID; at most 30 characters. */
function kfAccountSchema(limits: Limits) {
  return requiredString()
    .max(limits.kfAccountLength.max, { error: `must have at most ${limits.kfAccountLength.max} characters (${limits.kfAccountLength.source})` })
    .refine((v) => /^[^@]+@[^@]+$/.test(v), { error: 'must be prefix@wechatid, e.g. kf1@mywechatid' })
    .refine((v) => !/^[^@]+@/.test(v) || v.split('@')[0]!.length <= limits.kfAccountPrefixLength.max, {
      error: `the part before @ must have at most ${limits.kfAccountPrefixLength.max} characters (${limits.kfAccountPrefixLength.source})`,
    })
    .refine((v) => !/^[^@]+@/.test(v) || /^[A-Za-z0-9_]+$/.test(v.split('@')[0]!), { error: 'the part before @ may hold only letters, digits and _' });
}

const openidSchema = () =>
  requiredString('an openid').refine((v) => !/\s/.test(v), { error: 'must be an openid, without spaces' });

const customserviceSchema = (limits: Limits) =>
  requiredObject({ kf_account: kfAccountSchema(limits) }, 'an object {kf_account}').optional();

const mediaId = () => requiredString('a media_id');

// ---------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------

/** The message types of custom/send. */
export const MESSAGE_TYPES = [
  'text',
  'image',
  'voice',
  'video',
  'music',
  'news',
  'mpnews',
  'mpnewsarticle',
  'msgmenu',
  'wxcard',
  'miniprogrampage',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

interface MessageTypeSpec {
  title: string;
  description: string;
  /** The schema of the object under the msgtype's own key. */
  content(limits: Limits): z.ZodType<Record<string, unknown>>;
  /** Operation name of the single-type send. */
  operation: string;
}

/** Each message type: the shape of its content, as WeChat documents it today. */
export const MESSAGE_TYPE_SPECS: Readonly<Record<MessageType, MessageTypeSpec>> = {
  text: {
    operation: 'sendText',
    title: 'Send a text message',
    description: 'Text, which may hold <a href> links, including mini program links (data-miniprogram-appid/path).',
    content: () => requiredObject({ content: requiredString() }, 'an object {content}'),
  },
  image: {
    operation: 'sendImage',
    title: 'Send an image',
    description: 'An image, by the media_id of an uploaded image.',
    content: () => requiredObject({ media_id: mediaId() }, 'an object {media_id}'),
  },
  voice: {
    operation: 'sendVoice',
    title: 'Send a voice message',
    description: 'A voice message, by the media_id of uploaded audio.',
    content: () => requiredObject({ media_id: mediaId() }, 'an object {media_id}'),
  },
  video: {
    operation: 'sendVideo',
    title: 'Send a video',
    description: 'A video with its thumbnail, title and description.',
    content: () =>
      requiredObject(
        { media_id: mediaId(), thumb_media_id: mediaId(), title: optionalString(), description: optionalString() },
        'an object {media_id, thumb_media_id, title?, description?}',
      ),
  },
  music: {
    operation: 'sendMusic',
    title: 'Send music',
    description: 'A music message: a link to the music, a high-quality link and a thumbnail.',
    content: () =>
      requiredObject(
        {
          title: optionalString(),
          description: optionalString(),
          musicurl: requiredString('a URL'),
          hqmusicurl: requiredString('a URL'),
          thumb_media_id: mediaId(),
        },
        'an object {musicurl, hqmusicurl, thumb_media_id, title?, description?}',
      ),
  },
  news: {
    operation: 'sendNews',
    title: 'Send a news (link) message',
    description: 'An article card that opens an external link.',
    content: (limits) =>
      requiredObject(
        {
          articles: z
            .array(
              requiredObject(
                { title: optionalString(), description: optionalString(), url: optionalString('a URL'), picurl: optionalString('a URL') },
                'an object {title, description, url, picurl}',
              ),
              { error: (iss) => (iss.input === undefined ? 'is required' : `must be an array of articles, got ${typeName(iss.input)}`) },
            )
            .min(1, { error: 'must hold at least 1 article' })
            .max(limits.newsArticles.max, {
              error: `at most ${limits.newsArticles.max} article${limits.newsArticles.max === 1 ? '' : 's'} (${limits.newsArticles.source})`,
            }),
        },
        'an object {articles}',
      ),
  },
  mpnews: {
    operation: 'sendMpnews',
    title: 'Send an mpnews message (deprecated)',
    description: 'An article of the official account by media_id. WeChat deprecates it in favour of mpnewsarticle.',
    content: () => requiredObject({ media_id: mediaId() }, 'an object {media_id}'),
  },
  mpnewsarticle: {
    operation: 'sendMpnewsArticle',
    title: 'Send a published article',
    description: 'A published article of the official account, by article_id.',
    content: () => requiredObject({ article_id: requiredString('an article_id') }, 'an object {article_id}'),
  },
  msgmenu: {
    operation: 'sendMsgMenu',
    title: 'Send a menu message',
    description: 'A question with tappable answers; a tap comes back as a text message carrying bizmsgmenuid.',
    content: (limits) =>
      requiredObject(
        {
          head_content: optionalString(),
          list: z
            .array(
              requiredObject(
                {
                  // WeChat's examples use string ids ("101"); a number is accepted and sent as its decimal
                  // string, the documented form (docs/window-rules.md).
                  id: z
                    .union([z.string().min(1, { error: 'must not be empty' }), z.number().int({ error: 'must be a whole number' }).nonnegative({ error: 'must not be negative' })], {
                      error: (iss) => (iss.input === undefined ? 'is required' : `must be a string or number id, got ${typeName(iss.input)}`),
                    })
                    .transform((v) => String(v)),
                  content: requiredString(),
                },
                'an object {id, content}',
              ),
              {
              error: (iss) => (iss.input === undefined ? 'is required' : `must be an array of menu items, got ${typeName(iss.input)}`),
            })
            .min(1, { error: 'must hold at least 1 menu item' })
            .max(limits.menuItems.max, { error: `at most ${limits.menuItems.max} menu items` }),
          tail_content: optionalString(),
        },
        'an object {head_content, list, tail_content}',
      ),
  },
  wxcard: {
    operation: 'sendWxCard',
    title: 'Send a card (coupon)',
    description: 'A WeChat card by card_id, with an optional card_ext (a JSON-encoded string; an object is encoded for you).',
    content: () =>
      requiredObject(
        {
          card_id: requiredString('a card_id'),
          card_ext: z
            .union([z.string(), z.record(z.string(), z.unknown())], { error: (iss) => `must be a JSON-encoded string or an object, got ${typeName(iss.input)}` })
            .optional()
            .transform((v, ctx) => {
              if (v === undefined) return undefined;
              if (typeof v !== 'string') return JSON.stringify(v);
              try {
                JSON.parse(v);
              } catch {
                ctx.addIssue({ code: 'custom', message: 'must be a JSON-encoded string (it does not parse as JSON)' });
                return z.NEVER;
              }
              return v;
            }),
        },
        'an object {card_id, card_ext?}',
      ),
  },
  miniprogrampage: {
    operation: 'sendMiniProgramPage',
    title: 'Send a mini program card',
    description: 'A card that opens a page of a mini program linked to the official account.',
    content: () =>
      requiredObject(
        { title: requiredString(), appid: requiredString('an appid'), pagepath: requiredString('a page path'), thumb_media_id: mediaId() },
        'an object {title, appid, pagepath, thumb_media_id}',
      ),
  },
};

/** A custom/send body, as WeChat documents it. */
export interface SendMessageInput {
  touser: string;
  msgtype: MessageType;
  customservice?: { kf_account: string };
  [content: string]: unknown;
}

/** Schemas are built once per (type, profile): building a zod schema costs far more than using it. */
const MESSAGE_SCHEMAS = new Map<string, z.ZodType>();

function messageSchema(type: MessageType, profile: RulesProfile = 'current'): z.ZodType {
  const key = `${type}:${profile}`;
  let schema = MESSAGE_SCHEMAS.get(key);
  if (!schema) {
    schema = buildMessageSchema(type, limitsFor(profile));
    MESSAGE_SCHEMAS.set(key, schema);
  }
  return schema;
}

function buildMessageSchema(type: MessageType, limits: Limits) {
  return z.looseObject(
    {
      touser: openidSchema(),
      msgtype: z.literal(type, { error: `must be "${type}"` }),
      [type]: MESSAGE_TYPE_SPECS[type].content(limits),
      customservice: customserviceSchema(limits),
    },
    { error: (iss) => `the message must be a JSON object, got ${typeName(iss.input)}` },
  );
}

/**
 * Validates a custom/send body of any type. `msgtype` picks the rules; when it is missing and `type` is
 * given, it is filled in.
 */
export function parseMessage(input: unknown, options: OperationOptions = {}, type?: MessageType): SendMessageInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', rule: `the message must be a JSON object, got ${typeName(input)}` }]);
  }
  const body = { ...(input as Record<string, unknown>) };
  if (type !== undefined && body.msgtype === undefined) body.msgtype = type;
  const msgtype = body.msgtype;
  if (type !== undefined && msgtype !== type) {
    throw new ValidationError([{ field: 'msgtype', rule: `must be "${type}" for this operation (or left out), got ${JSON.stringify(msgtype)}` }]);
  }
  if (typeof msgtype !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(msgtype)) {
    throw new ValidationError([
      { field: 'msgtype', rule: msgtype === undefined ? `is required: one of ${MESSAGE_TYPES.join(', ')}` : `must be one of ${MESSAGE_TYPES.join(', ')}, got ${JSON.stringify(msgtype)}` },
    ]);
  }
  return parseOrThrow(messageSchema(msgtype as MessageType, options.profile), body) as SendMessageInput;
}

const SEND_PATH = '/cgi-bin/message/custom/send';

function sendOperation(type: MessageType): Operation<SendMessageInput> {
  const spec = MESSAGE_TYPE_SPECS[type];
  return {
    name: spec.operation,
    resource: 'message',
    action: spec.operation,
    title: spec.title,
    description: `${spec.description} Optionally sent as a named kf account (customservice.kf_account).`,
    route: { method: 'POST', path: `/messages/${type}` },
    endpoint: { method: 'POST', path: SEND_PATH },
    gate: 'send',
    msgtype: type,
    parse: (input, options) => parseMessage(input, options, type),
    toRequest: (input) => ({ method: 'POST', path: SEND_PATH, json: input }),
    recipient: (input) => input.touser,
  };
}

// ---------------------------------------------------------------------------------------------------
// Kf accounts
// ---------------------------------------------------------------------------------------------------

/** Input of add and update. */
export interface KfAccountInput {
  kf_account: string;
  nickname: string;
  /** The 32-hex MD5 of the password (as WeChat wants it). */
  password?: string;
}

/**
 * Add / update input. `password` must be WeChat's 32-hex MD5 of the plain password; a plain password is
 * hashed only when the caller asks with `hash_password: true`, so a typo never silently becomes a hash.
 */
function parseKfAccount(input: unknown, options: OperationOptions = {}): KfAccountInput {
  const limits = limitsFor(options.profile);
  const schema = requiredObject(
    {
      kf_account: kfAccountSchema(limits),
      nickname: requiredString().max(limits.nicknameLength.max, {
        error: `must have at most ${limits.nicknameLength.max} characters (${limits.nicknameLength.source})`,
      }),
      password: optionalString(),
      hash_password: z.boolean({ error: (iss) => `must be true or false, got ${typeName(iss.input)}` }).optional(),
    },
    'a JSON object {kf_account, nickname, password?}',
  ).superRefine((v, ctx) => {
    if (v.password === undefined) {
      if (v.hash_password) ctx.addIssue({ code: 'custom', path: ['hash_password'], message: 'needs a password to hash' });
      return;
    }
    if (!v.hash_password && !/^[0-9a-fA-F]{32}$/.test(v.password)) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'must be the 32-hex MD5 of the password; set hash_password: true to have a plain password hashed' });
    }
    if (v.hash_password && v.password.length === 0) ctx.addIssue({ code: 'custom', path: ['password'], message: 'must not be empty' });
  });
  const parsed = parseOrThrow(schema, input);
  const out: KfAccountInput = { kf_account: parsed.kf_account, nickname: parsed.nickname };
  if (parsed.password !== undefined) {
    out.password = parsed.hash_password ? md5Hex(parsed.password) : parsed.password.toLowerCase();
  }
  return out;
}

/** The MD5 of a password in lower-case hex, as WeChat expects kf passwords. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Input of upload avatar: the image bytes (a base64 string is accepted from JSON sources). */
export interface UploadAvatarInput {
  kf_account: string;
  media: Uint8Array;
  filename: string;
}

/** Whether bytes start like a JPEG (SOI marker FF D8 FF). */
export function isJpeg(data: Uint8Array): boolean {
  return data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

function parseAvatar(input: unknown, options: OperationOptions = {}): UploadAvatarInput {
  const limits = limitsFor(options.profile);
  const schema = requiredObject(
    {
      kf_account: kfAccountSchema(limits),
      media: z.custom<Uint8Array | string>((v) => v instanceof Uint8Array || typeof v === 'string', {
        error: (iss) => (iss.input === undefined ? 'is required: the JPG image (bytes, or base64 from JSON)' : `must be the JPG image as bytes or a base64 string, got ${typeName(iss.input)}`),
      }),
      filename: optionalString(),
    },
    'an object {kf_account, media}',
  );
  const parsed = parseOrThrow(schema, input);
  let data: Uint8Array;
  if (typeof parsed.media === 'string') {
    const clean = parsed.media.replace(/^data:[^;]+;base64,/, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw new ValidationError([{ field: 'media', rule: 'must be base64-encoded JPG bytes' }]);
    data = new Uint8Array(Buffer.from(clean, 'base64'));
  } else {
    data = parsed.media;
  }
  if (data.length === 0) throw new ValidationError([{ field: 'media', rule: 'must not be empty' }]);
  if (data.length > limits.avatarBytes.max) {
    throw new ValidationError([{ field: 'media', rule: `must be at most ${limits.avatarBytes.max / 1024 / 1024} MB (${limits.avatarBytes.source}), got ${(data.length / 1024 / 1024).toFixed(1)} MB` }]);
  }
  if (!isJpeg(data)) throw new ValidationError([{ field: 'media', rule: 'must be a JPG image (WeChat accepts only jpg avatars)' }]);
  return { kf_account: parsed.kf_account, media: data, filename: parsed.filename ?? 'avatar.jpg' };
}

// ---------------------------------------------------------------------------------------------------
// Typing
// ---------------------------------------------------------------------------------------------------

/** Input of the typing indicator. */
export interface TypingInput {
  touser: string;
  command: 'Typing' | 'CancelTyping';
}

// ---------------------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------------------

const kfAccountOnly = (input: unknown, options: OperationOptions = {}) =>
  parseOrThrow(requiredObject({ kf_account: kfAccountSchema(limitsFor(options.profile)) }, 'an object {kf_account}'), input) as { kf_account: string };

/**
 * Every operation, in the order they are presented to users.
 */
export const CATALOGUE: readonly Operation<any>[] = [
  {
    name: 'listKfAccounts',
    resource: 'kfAccount',
    action: 'list',
    title: 'List kf accounts',
    description: "Lists the official account's kf accounts: kf_account, nickname, id and avatar URL.",
    route: { method: 'GET', path: '/kf-accounts' },
    endpoint: { method: 'GET', path: '/cgi-bin/customservice/getkflist' },
    gate: 'none',
    parse: (input) => {
      if (input !== undefined && input !== null && (typeof input !== 'object' || Array.isArray(input))) {
        throw new ValidationError([{ field: '(body)', rule: `must be empty or an object, got ${typeName(input)}` }]);
      }
      return {};
    },
    toRequest: () => ({ method: 'GET', path: '/cgi-bin/customservice/getkflist' }),
  } satisfies Operation<Record<string, never>>,
  {
    name: 'addKfAccount',
    resource: 'kfAccount',
    action: 'add',
    title: 'Add a kf account',
    description: 'Adds a kf account (prefix@wechatid) with a nickname and, optionally, the MD5 of a password.',
    route: { method: 'POST', path: '/kf-accounts' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/add' },
    gate: 'none',
    parse: parseKfAccount,
    toRequest: (input) => ({ method: 'POST', path: '/customservice/kfaccount/add', json: input }),
  } satisfies Operation<KfAccountInput>,
  {
    name: 'updateKfAccount',
    resource: 'kfAccount',
    action: 'update',
    title: 'Update a kf account',
    description: "Changes a kf account's nickname and, optionally, its password.",
    route: { method: 'PUT', path: '/kf-accounts/{kf_account}' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/update' },
    gate: 'none',
    parse: parseKfAccount,
    toRequest: (input) => ({ method: 'POST', path: '/customservice/kfaccount/update', json: input }),
  } satisfies Operation<KfAccountInput>,
  {
    name: 'deleteKfAccount',
    resource: 'kfAccount',
    action: 'delete',
    title: 'Delete a kf account',
    description: 'Deletes a kf account.',
    route: { method: 'DELETE', path: '/kf-accounts/{kf_account}' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/del' },
    gate: 'none',
    parse: kfAccountOnly,
    toRequest: (input, options) =>
      options?.kfDeleteMethod === 'GET'
        ? { method: 'GET', path: '/customservice/kfaccount/del', query: { kf_account: input.kf_account } }
        : { method: 'POST', path: '/customservice/kfaccount/del', json: { kf_account: input.kf_account } },
  } satisfies Operation<{ kf_account: string }>,
  {
    name: 'uploadKfAvatar',
    resource: 'kfAccount',
    action: 'uploadAvatar',
    title: "Upload a kf account's avatar",
    description: 'Sets the avatar of a kf account: a JPG image of at most 5 MB (640×640 looks best).',
    route: { method: 'PUT', path: '/kf-accounts/{kf_account}/avatar' },
    endpoint: { method: 'POST', path: '/customservice/kfaccount/uploadheadimg' },
    gate: 'none',
    parse: parseAvatar,
    toRequest: (input) => ({
      method: 'POST',
      path: '/customservice/kfaccount/uploadheadimg',
      query: { kf_account: input.kf_account },
      file: { field: 'media', filename: input.filename, contentType: 'image/jpeg', data: input.media },
    }),
  } satisfies Operation<UploadAvatarInput>,
  {
    name: 'sendMessage',
    resource: 'message',
    action: 'send',
    title: 'Send a message',
    description: "Sends a message of any type: the body is WeChat's custom/send JSON, unchanged.",
    route: { method: 'POST', path: '/messages' },
    endpoint: { method: 'POST', path: SEND_PATH },
    gate: 'send',
    parse: (input, options) => parseMessage(input, options),
    toRequest: (input) => ({ method: 'POST', path: SEND_PATH, json: input }),
    recipient: (input) => input.touser,
  } satisfies Operation<SendMessageInput>,
  ...MESSAGE_TYPES.map(sendOperation),
  {
    name: 'sendTyping',
    resource: 'typing',
    action: 'set',
    title: 'Show or cancel typing',
    description: 'Shows "typing…" to the user (Typing) or hides it (CancelTyping). Needs a message exchanged with the user in the last 30 s; lasts 15 s.',
    route: { method: 'POST', path: '/typing' },
    endpoint: { method: 'POST', path: '/cgi-bin/message/custom/typing' },
    gate: 'typing',
    parse: (input) =>
      parseOrThrow(
        requiredObject(
          {
            touser: openidSchema(),
            command: z.enum(['Typing', 'CancelTyping'], {
              error: (iss) => (iss.input === undefined ? 'is required: Typing or CancelTyping' : `must be Typing or CancelTyping, got ${JSON.stringify(iss.input)}`),
            }),
          },
          'a JSON object {touser, command}',
        ),
        input,
      ) as TypingInput,
    toRequest: (input) => ({ method: 'POST', path: '/cgi-bin/message/custom/typing', json: { touser: input.touser, command: input.command } }),
    recipient: (input) => input.touser,
  } satisfies Operation<TypingInput>,
];

const BY_NAME = new Map(CATALOGUE.map((op) => [op.name, op]));

/** The names of every operation. */
export const OPERATION_NAMES: readonly string[] = CATALOGUE.map((op) => op.name);

/**
 * An operation by name.
 *
 * @throws {ValidationError} when there is no such operation.
 * @example
 * ```ts
 * getOperation('sendTyping').route; // { method: 'POST', path: '/typing' }
 * ```
 */
export function getOperation(name: string): Operation<any> {
  const op = BY_NAME.get(name);
  if (!op) throw new ValidationError([{ field: 'operation', rule: `must be one of ${OPERATION_NAMES.join(', ')}, got ${JSON.stringify(name)}` }]);
  return op;
}

/** The single-type send operation of a msgtype. */
export function sendOperationFor(type: MessageType): Operation<SendMessageInput> {
  return getOperation(MESSAGE_TYPE_SPECS[type].operation);
}
