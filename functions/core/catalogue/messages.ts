/**
 * Messages: the custom/send body of every message type, as WeChat documents it today, and the send
 * operations (`sendMessage` for any type, and one per type: `sendText`, `sendImage`, …).
 */
import { httpUrlSchema, textIssues } from '../fields';
import * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { limitsFor, type Limits, type RulesProfile } from '../limits';
import { optionalString, parseOrThrow, reject, requiredObject, requiredString, typeName, type Schema } from '../validation';
import { customserviceSchema, mediaIdSchema, openidSchema, TOUSER_FIELD, WECHAT_CALL_NEEDS } from './fields';
import { applyAiLabel } from '../ai-label';
import { checkSplit, partsOf, sendParts, wechatBody, type SplitOption } from '../split-send';
import { mediaRefSchema } from '../media/sources';
import { prepareSendMedia, recoverSendMedia } from './send-media';
import { describeMediaRule } from '../media/rules';
import { defineCall } from './define';
import type { FieldSpec, Operation, OperationOptions, OperationResult, OperationServices } from './types';

const MEDIA_REF_RULES = [
  'a media_id, or {url} (an https:// URL the product fetches) or {file} (bytes, base64 in JSON): uploaded for you, once per content',
];
/** A media field that may be a media_id, a file or a URL (`type: 'media'`); `rule` is the file's WeChat limit. */
const mediaIdField = (description: string, rule: string): FieldSpec => ({
  name: 'media_id',
  displayName: 'Media ID',
  type: 'media',
  required: true,
  description,
  rules: [...MEDIA_REF_RULES, rule],
});
const THUMB_RULE = describeMediaRule('thumb');
const THUMB_FIELD: FieldSpec = {
  name: 'thumb_media_id',
  displayName: 'Thumbnail Media ID',
  type: 'media',
  required: true,
  description: 'The thumbnail: the media_id of an uploaded thumb, or the file itself (a JPG of at most 64 KB) or its URL',
  rules: [...MEDIA_REF_RULES, THUMB_RULE],
};
/** A mini-program card's picture is uploaded as an image (core/media/sources.ts). */
const CARD_PICTURE_FIELD: FieldSpec = {
  ...THUMB_FIELD,
  description:
    "The card's picture: the media_id of an uploaded image or thumb, or the file itself (JPG, PNG or GIF of at most 2 MB; 520×416 suggested) or its URL",
  rules: [...MEDIA_REF_RULES, describeMediaRule('image')],
};
const titleField = (required = false): FieldSpec => ({ name: 'title', displayName: 'Title', type: 'string', required });
const DESCRIPTION_FIELD: FieldSpec = { name: 'description', displayName: 'Description', type: 'string' };

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
  content(limits: Limits): Schema<Record<string, unknown>>;
  /** Operation name of the single-type send. */
  operation: string;
  /** The fields of the object under the msgtype's key, as data (n8n, console). */
  fields: readonly FieldSpec[];
}

/** Each message type: the shape of its content, as WeChat documents it today. */
export const MESSAGE_TYPE_SPECS: Readonly<Record<MessageType, MessageTypeSpec>> = {
  text: {
    operation: 'sendText',
    fields: [
      {
        name: 'content',
        displayName: 'Text',
        type: 'string',
        required: true,
        multiline: true,
        description:
          'The text. It may hold links: &lt;a href="https://…"&gt;…&lt;/a&gt;, also to mini program pages (data-miniprogram-appid, data-miniprogram-path).',
        rules: ['not empty'],
      },
    ],
    title: 'Send a text message',
    description: 'Text, which may hold <a href> links, including mini program links (data-miniprogram-appid/path).',
    content: () => requiredObject({ content: requiredString() }, 'an object {content}'),
  },
  image: {
    operation: 'sendImage',
    fields: [mediaIdField('The image: the media_id of an uploaded image, or the file itself or its URL', describeMediaRule('image'))],
    title: 'Send an image',
    description: 'An image, by the media_id of an uploaded image.',
    content: () => requiredObject({ media_id: mediaRefSchema() }, 'an object {media_id}'),
  },
  voice: {
    operation: 'sendVoice',
    fields: [mediaIdField('The voice message: the media_id of uploaded audio, or the file itself or its URL', describeMediaRule('voice'))],
    title: 'Send a voice message',
    description: 'A voice message, by the media_id of uploaded audio.',
    content: () => requiredObject({ media_id: mediaRefSchema() }, 'an object {media_id}'),
  },
  video: {
    operation: 'sendVideo',
    fields: [
      mediaIdField('The video: the media_id of an uploaded video, or the file itself or its URL', describeMediaRule('video')),
      THUMB_FIELD,
      titleField(),
      DESCRIPTION_FIELD,
    ],
    title: 'Send a video',
    description: 'A video with its thumbnail, title and description.',
    content: () =>
      requiredObject(
        { media_id: mediaRefSchema(), thumb_media_id: mediaRefSchema(), title: optionalString(), description: optionalString() },
        'an object {media_id, thumb_media_id, title?, description?}',
      ),
  },
  music: {
    operation: 'sendMusic',
    fields: [
      titleField(),
      DESCRIPTION_FIELD,
      { name: 'musicurl', displayName: 'Music URL', type: 'string', required: true, rules: ['an http(s) URL'] },
      {
        name: 'hqmusicurl',
        displayName: 'High-Quality Music URL',
        type: 'string',
        required: true,
        description: 'Played on Wi-Fi',
        rules: ['an http(s) URL'],
      },
      THUMB_FIELD,
    ],
    title: 'Send music',
    description: 'A music message: a link to the music, a high-quality link and a thumbnail.',
    content: () =>
      requiredObject(
        {
          title: optionalString(),
          description: optionalString(),
          musicurl: httpUrlSchema(),
          hqmusicurl: httpUrlSchema(),
          thumb_media_id: mediaRefSchema(),
        },
        'an object {musicurl, hqmusicurl, thumb_media_id, title?, description?}',
      ),
  },
  news: {
    operation: 'sendNews',
    fields: [
      {
        name: 'articles',
        displayName: 'Articles',
        type: 'json',
        required: true,
        description: 'The article cards: [{title, description, url, picurl}]',
        rules: ['at least 1 article', 'at most 1 article (current rules; 8 under the seed rules)'],
      },
    ],
    title: 'Send a news (link) message',
    description: 'An article card that opens an external link.',
    content: (limits) =>
      requiredObject(
        {
          articles: z
            .array(
              requiredObject(
                {
                  title: optionalString(),
                  description: optionalString(),
                  url: httpUrlSchema({ optional: true }),
                  picurl: httpUrlSchema({ optional: true }),
                },
                'an object {title, description, url, picurl}',
              ),
              { error: (iss) => (iss.input === undefined ? 'is required' : `must be an array of articles, got ${typeName(iss.input)}`) },
            )
            .check(
              z.minLength(1, { error: 'must hold at least 1 article' }),
              z.maxLength(limits.newsArticles.max, {
                error: `at most ${limits.newsArticles.max} article${limits.newsArticles.max === 1 ? '' : 's'} (${limits.newsArticles.source})`,
              }),
            ),
        },
        'an object {articles}',
      ),
  },
  mpnews: {
    operation: 'sendMpnews',
    fields: [
      {
        name: 'media_id',
        displayName: 'Media ID',
        type: 'string',
        required: true,
        description: 'The media_id of the article (mpnews is deprecated by WeChat: prefer Published Article)',
      },
    ],
    title: 'Send an mpnews message (deprecated)',
    description: 'An article of the official account by media_id. WeChat deprecates it in favour of mpnewsarticle.',
    content: () => requiredObject({ media_id: mediaIdSchema() }, 'an object {media_id}'),
  },
  mpnewsarticle: {
    operation: 'sendMpnewsArticle',
    fields: [
      {
        name: 'article_id',
        displayName: 'Article ID',
        type: 'string',
        required: true,
        description: 'The article_id of a published article of the official account',
      },
    ],
    title: 'Send a published article',
    description: 'A published article of the official account, by article_id.',
    content: () => requiredObject({ article_id: requiredString('an article_id') }, 'an object {article_id}'),
  },
  msgmenu: {
    operation: 'sendMsgMenu',
    fields: [
      { name: 'head_content', displayName: 'Head', type: 'string', description: 'Text above the menu' },
      {
        name: 'list',
        displayName: 'Menu Items',
        type: 'json',
        required: true,
        description: 'The answers the user can tap: [{id, content}]; a tap comes back as a text message carrying bizmsgmenuid',
        rules: ['at least 1 item'],
      },
      { name: 'tail_content', displayName: 'Tail', type: 'string', description: 'Text below the menu' },
    ],
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
                  id: z.pipe(
                    z.union(
                      [
                        z.string().check(z.minLength(1, { error: 'must not be empty' })),
                        z.number().check(z.int({ error: 'must be a whole number' }), z.nonnegative({ error: 'must not be negative' })),
                      ],
                      {
                        error: (iss) =>
                          iss.input === undefined ? 'is required' : `must be a string or number id, got ${typeName(iss.input)}`,
                      },
                    ),
                    z.transform((v: string | number) => String(v)),
                  ),
                  content: requiredString(),
                },
                'an object {id, content}',
              ),
              {
                error: (iss) => (iss.input === undefined ? 'is required' : `must be an array of menu items, got ${typeName(iss.input)}`),
              },
            )
            .check(
              z.minLength(1, { error: 'must hold at least 1 menu item' }),
              z.maxLength(limits.menuItems.max, { error: `at most ${limits.menuItems.max} menu items` }),
            ),
          tail_content: optionalString(),
        },
        'an object {head_content, list, tail_content}',
      ),
  },
  wxcard: {
    operation: 'sendWxCard',
    fields: [
      { name: 'card_id', displayName: 'Card ID', type: 'string', required: true },
      {
        name: 'card_ext',
        displayName: 'Card Extension (JSON)',
        type: 'json',
        description: 'Optional card_ext: sent to WeChat as a JSON-encoded string',
      },
    ],
    title: 'Send a card (coupon)',
    description: 'A WeChat card by card_id, with an optional card_ext (a JSON-encoded string; an object is encoded for you).',
    content: () =>
      requiredObject(
        {
          card_id: requiredString('a card_id'),
          card_ext: z.pipe(
            z.optional(
              z.union([z.string(), z.record(z.string(), z.unknown())], {
                error: (iss) => `must be a JSON-encoded string or an object, got ${typeName(iss.input)}`,
              }),
            ),
            z.transform((v: string | Record<string, unknown> | undefined, ctx) => {
              if (v === undefined) return undefined;
              if (typeof v !== 'string') return JSON.stringify(v);
              try {
                JSON.parse(v);
              } catch {
                return reject(ctx, 'must be a JSON-encoded string (it does not parse as JSON)');
              }
              return v;
            }),
          ),
        },
        'an object {card_id, card_ext?}',
      ),
  },
  miniprogrampage: {
    operation: 'sendMiniProgramPage',
    fields: [
      titleField(true),
      { name: 'appid', displayName: 'Mini Program AppID', type: 'string', required: true },
      { name: 'pagepath', displayName: 'Page Path', type: 'string', required: true, placeholder: 'pages/index/index' },
      CARD_PICTURE_FIELD,
    ],
    title: 'Send a mini program card',
    description: 'A card that opens a page of a mini program linked to the official account.',
    content: () =>
      requiredObject(
        {
          title: requiredString(),
          appid: requiredString('an appid'),
          pagepath: requiredString('a page path'),
          thumb_media_id: mediaRefSchema(),
        },
        'an object {title, appid, pagepath, thumb_media_id}',
      ),
  },
};

/** A custom/send body, as WeChat documents it. */
export interface SendMessageInput {
  touser: string;
  msgtype: MessageType;
  customservice?: { kf_account: string };
  /** The product's option, never sent to WeChat: send a text over the cap in parts (docs/long-text.md). */
  split?: SplitOption;
  [content: string]: unknown;
}

/** Schemas are built once per (type, profile): building a zod schema costs far more than using it. */
const MESSAGE_SCHEMAS = new Map<RulesProfile, Map<MessageType, Schema>>();

function messageSchema(type: MessageType, profile: RulesProfile = 'current'): Schema {
  let byType = MESSAGE_SCHEMAS.get(profile);
  if (!byType) MESSAGE_SCHEMAS.set(profile, (byType = new Map()));
  let schema = byType.get(type);
  if (!schema) {
    schema = buildMessageSchema(type, limitsFor(profile));
    byType.set(type, schema);
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
  // Every text that would reach WeChat is valid Unicode without NUL (docs/input-rules.md), before anything else.
  const broken = textIssues(input);
  if (broken.length > 0) throw new ValidationError(broken);
  // The schema builds a new object: the input is copied only to fill in its msgtype.
  const given = input as Record<string, unknown>;
  const body = type !== undefined && given.msgtype === undefined ? { ...given, msgtype: type } : given;
  const msgtype = body.msgtype;
  if (type !== undefined && msgtype !== type) {
    throw new ValidationError([
      { field: 'msgtype', rule: `must be "${type}" for this operation (or left out), got ${JSON.stringify(msgtype)}` },
    ]);
  }
  if (typeof msgtype !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(msgtype)) {
    throw new ValidationError([
      {
        field: 'msgtype',
        rule:
          msgtype === undefined
            ? `is required: one of ${MESSAGE_TYPES.join(', ')}`
            : `must be one of ${MESSAGE_TYPES.join(', ')}, got ${JSON.stringify(msgtype)}`,
      },
    ]);
  }
  // The cap on text and the product's `split` option (docs/long-text.md), after WeChat's own rules.
  // WeChat's AI label (docs/ai-label.md), set here so that every part of a split text carries it.
  const labelled = applyAiLabel(body, options.aiLabelDefault);
  const parsed = parseOrThrow(messageSchema(msgtype as MessageType, options.profile), labelled) as SendMessageInput;
  return checkSplit(parsed, options.textMaxBytes);
}

const SEND_PATH = '/cgi-bin/message/custom/send';

/** The send gate of every message: the window of `touser`. */
const SEND_GATE = { kind: 'send', recipient: (input: SendMessageInput) => input.touser } as const;

/** The sender field every message takes: `customservice.kf_account`. */
const SEND_AS_FIELD: FieldSpec = {
  name: 'customservice.kf_account',
  displayName: 'Send As Kf Account',
  type: 'string',
  placeholder: 'kf2001@gh_account_wxid',
  description: 'Show the message as sent by this kf account (customservice.kf_account)',
};

/** The split option, as data (n8n's and the console's field; `?split=` on HTTP). */
const SPLIT_FIELD: FieldSpec = {
  name: 'split',
  displayName: 'Split Long Text',
  type: 'enum',
  default: 'false',
  enum: [
    { value: 'false', name: 'No', description: 'A text over the cap (2048 bytes of UTF-8) is refused before anything is sent' },
    {
      value: 'true',
      name: 'Yes',
      description: 'Sent in parts at paragraph, sentence or word boundaries, in order; one send of the window per part, all or none',
    },
    { value: 'numbered', name: 'Yes, Numbered', description: 'As Yes, each part starting with (1/3), (2/3), …' },
  ],
  description:
    'What to do with a text longer than WeChat accepts in one message: refuse it, or send it in parts (all parts or none, in order)',
  rules: ['false, true or numbered', 'text messages only'],
};

/** The AI label option (docs/ai-label.md): n8n's and the console's field; `?aiGenerated=` on HTTP. */
const AI_LABEL_FIELD: FieldSpec = {
  name: 'aiGenerated',
  displayName: 'Label as AI-Generated',
  type: 'boolean',
  description:
    'Whether WeChat shows 内容由第三方AI生成 under the message (aimsgcontext.is_ai_msg = 1, on every part of a split text); unset: AI_LABEL_DEFAULT',
  rules: ['true or false'],
};

/** Every send also publishes its delivery events (delivery.sent / delivery.failed). */
const SEND_NEEDS = { ...WECHAT_CALL_NEEDS, publishesEvents: true };

/** A send operation. */
export type MessageOperation = Operation<SendMessageInput>;

export { prepareSendMedia, recoverSendMedia } from './send-media';

/** Message types whose media may be fetched and uploaded first: their function gets more time and memory. */
const MEDIA_SENDS: ReadonlySet<string> = new Set(['image', 'voice', 'video', 'music', 'miniprogrampage']);

/** The largest media file a send may carry (a video, 10 MB); each type's own limit is checked by its bytes. */
const MEDIA_FILE_MAX_BYTES = 10 * 1024 * 1024;

function sendOperation(type: MessageType): MessageOperation {
  const spec = MESSAGE_TYPE_SPECS[type];
  return defineCall<SendMessageInput>({
    name: spec.operation,
    resource: 'message',
    action: spec.operation,
    title: spec.title,
    description: `${spec.description} Optionally sent as a named kf account (customservice.kf_account).`,
    route: { method: 'POST', path: `/messages/${type}` },
    endpoint: { method: 'POST', path: SEND_PATH },
    ...(MEDIA_SENDS.has(type) ? { input: { kind: 'json', files: { maxBytes: MEDIA_FILE_MAX_BYTES } } } : {}),
    gate: SEND_GATE,
    msgtype: type,
    fields: [
      TOUSER_FIELD,
      ...spec.fields.map((f) => ({ ...f, name: `${type}.${f.name}` })),
      SEND_AS_FIELD,
      ...(type === 'text' ? [SPLIT_FIELD] : []),
      AI_LABEL_FIELD,
    ],
    needs: SEND_NEEDS,
    // A URL fetched (10 s at most) and a file of up to 10 MB uploaded before the send.
    ...(MEDIA_SENDS.has(type) ? { sizing: { memoryMb: 512, timeoutSeconds: 30 } } : {}),
    parse: (input, options) => parseMessage(input, options, type),
    // Only a type with media fields can carry a {url} or {file} to upload (a text, a card, ... cannot).
    ...(MEDIA_SENDS.has(type) ? { prepare: prepareSendMedia, recover: recoverSendMedia } : {}),
    request: (input) => ({ json: wechatBody(input) }),
    // A text may go out in parts: several WeChat calls.
    ...(type === 'text'
      ? { query: ['split', 'numbering', 'aiGenerated'], parts: partsOfSend, perform: sendInParts }
      : { query: ['aiGenerated'] }),
  });
}

/** Sends any message type; its function also drains the bulk-send queue. */
const sendMessage: MessageOperation = defineCall<SendMessageInput>({
  name: 'sendMessage',
  resource: 'message',
  action: 'send',
  title: 'Send a message',
  description: "Sends a message of any type: the body is WeChat's custom/send JSON, unchanged.",
  route: { method: 'POST', path: '/messages' },
  endpoint: { method: 'POST', path: SEND_PATH },
  input: { kind: 'json', files: { maxBytes: MEDIA_FILE_MAX_BYTES } },
  gate: SEND_GATE,
  consumesBulkQueue: true,
  fields: [
    TOUSER_FIELD,
    {
      name: 'msgtype',
      displayName: 'Message Type',
      type: 'enum',
      required: true,
      enum: MESSAGE_TYPES.map((value) => ({ value, name: value, description: MESSAGE_TYPE_SPECS[value].description })),
    },
    {
      name: '(body)',
      displayName: 'Body (JSON)',
      type: 'json',
      required: true,
      description: "WeChat's custom/send body: touser, msgtype, the msgtype's object and optionally customservice",
    },
    SEND_AS_FIELD,
    SPLIT_FIELD,
    AI_LABEL_FIELD,
  ],
  needs: SEND_NEEDS,
  query: ['split', 'numbering', 'aiGenerated'],
  // It drains the bulk queue in batches of up to 10 sends.
  sizing: { memoryMb: 512, timeoutSeconds: 30 },
  parse: (input, options) => parseMessage(input, options),
  prepare: prepareSendMedia,
  recover: recoverSendMedia,
  request: (input) => ({ json: wechatBody(input) }),
  // A text may go out in parts: several WeChat calls.
  parts: partsOfSend,
  perform: sendInParts,
});

/** The parts of a send that may carry a long text: one, or its text cut to TEXT_MAX_BYTES when it asks to split. */
function partsOfSend(input: SendMessageInput, options: OperationOptions): readonly string[] {
  return partsOf(input, options.textMaxBytes);
}

/**
 * The hook of the sends that may carry a long text: one WeChat call, or one per part when the input asks
 * to split (docs/long-text.md). Where to resume and what to do after each part come from the services
 * (the handlers keep per-key progress; n8n's direct mode keeps none).
 */
async function sendInParts(input: SendMessageInput, services: OperationServices): Promise<OperationResult> {
  const request = (body: Record<string, unknown>) => ({ method: 'POST' as const, path: SEND_PATH, json: wechatBody(body) });
  const parts = services.parts?.list ?? partsOfSend(input, services.options);
  if (parts.length === 1) return await services.wechat.request(request(input), input.touser);
  return (await sendParts(input, parts, {
    from: services.parts?.from,
    send: (body, part, count) => services.wechat.request(request(body), input.touser, { part, parts: count }),
    sent: services.parts?.sent,
  })) as unknown as OperationResult;
}

/** Every send operation: the generic one, then one per message type. */
export const MESSAGE_OPERATIONS: readonly MessageOperation[] = [sendMessage, ...MESSAGE_TYPES.map(sendOperation)];
