/**
 * The body of a passive reply (docs/passive-replies.md): the message of `POST /replies` in WeChat's reply
 * fields, XML (or JSON for a JSON push) addressed back to the user, encrypted when the push was
 * (docs/wechat-reference.md, "Passive replies and handing a user to a human"). The transfer to the desk
 * (handoff-reply.ts) is written by the same {@link passiveReplyBody}.
 *
 * @example
 * ```ts
 * const body = passiveReplyBody({ message: push, mode: 'plain', format: 'xml' }, passiveReplyFields(input.message), { now: Date.now() });
 * ```
 */
import { randomBytes } from 'crypto';
import {
  buildPassiveReply,
  encryptReply,
  type InboundMessage,
  type PassiveReply,
  type PushFormat,
  type PushMode,
  type WeChatCrypto,
} from './callback';
import type { SendMessageInput } from './catalogue/messages';
import { ValidationError } from './errors';
import { PASSIVE_MSGTYPES } from './passive-reply';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The fields of the passive reply of a message whose media are media_ids (after the product uploaded any
 * `{url}` / `{file}`): WeChat's names, e.g. `{MsgType: 'image', Image: {MediaId}}`.
 *
 * @example
 * ```ts
 * passiveReplyFields({ touser: 'OPENID', msgtype: 'text', text: { content: 'Hi' } }); // { MsgType: 'text', Content: 'Hi' }
 * ```
 */
export function passiveReplyFields(message: SendMessageInput): PassiveReply {
  const c = (message[message.msgtype] ?? {}) as Record<string, unknown>;
  switch (message.msgtype) {
    case 'text':
      return { MsgType: 'text', Content: String(c.content) };
    case 'image':
      return { MsgType: 'image', Image: { MediaId: String(c.media_id) } };
    case 'voice':
      return { MsgType: 'voice', Voice: { MediaId: String(c.media_id) } };
    case 'video':
      return { MsgType: 'video', Video: { MediaId: String(c.media_id), Title: str(c.title), Description: str(c.description) } };
    case 'music':
      return {
        MsgType: 'music',
        Music: {
          Title: str(c.title),
          Description: str(c.description),
          MusicUrl: String(c.musicurl),
          HQMusicUrl: String(c.hqmusicurl),
          ThumbMediaId: String(c.thumb_media_id),
        },
      };
    case 'news': {
      const [a] = (c.articles ?? []) as Record<string, unknown>[];
      return {
        MsgType: 'news',
        ArticleCount: 1,
        Articles: { item: { Title: str(a?.title), Description: str(a?.description), PicUrl: str(a?.picurl), Url: str(a?.url) } },
      };
    }
    default:
      throw new ValidationError([{ field: 'message.msgtype', rule: `a passive reply is one of ${PASSIVE_MSGTYPES.join(', ')}` }]);
  }
}

/** What {@link passiveReplyBody} needs besides the push and the reply. */
export interface ReplyBodyOptions {
  /** The account's crypto: the reply is encrypted when the push was (safe and compatible mode). */
  crypto?: WeChatCrypto;
  /** ms */
  now: number;
}

/**
 * The body that answers a push with a reply: XML (or JSON for a JSON push) addressed back to the user; in
 * safe and compatible mode the encrypted envelope (`Encrypt`, `MsgSignature`, `TimeStamp`, `Nonce`). A
 * safe-mode push without crypto cannot be answered (openPush refused it already).
 *
 * @example
 * ```ts
 * passiveReplyBody({ message, mode: 'plain', format: 'xml' }, { MsgType: 'text', Content: 'Hi' }, { now: Date.now() });
 * // '<xml><ToUserName><![CDATA[OPENID]]></ToUserName>...<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[Hi]]></Content></xml>'
 * ```
 */
export function passiveReplyBody(
  push: { message: InboundMessage; mode: PushMode; format: PushFormat },
  reply: PassiveReply,
  options: ReplyBodyOptions,
): string {
  const createTime = Math.floor(options.now / 1000);
  const { message, format } = push;
  const plain =
    format === 'json'
      ? JSON.stringify({ ToUserName: message.FromUserName, FromUserName: message.ToUserName, CreateTime: createTime, ...reply })
      : buildPassiveReply(message, reply, createTime);
  if (push.mode === 'plain') return plain;
  if (!options.crypto) {
    if (push.mode === 'safe')
      throw new ValidationError([{ field: 'encodingAesKey', rule: 'a safe-mode push can only be answered encrypted' }]);
    return plain;
  }
  return encryptReply(plain, options.crypto, createTime, String(randomBytes(4).readUInt32BE(0) % 1_000_000_000), { format });
}
