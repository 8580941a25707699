/** Pushed messages and events, typed, and their dedup key. See ./index.ts for the choices made. */
import { ValidationError, type ValidationIssue } from '../errors';
import { InboundFields } from './types';
/** Message types a user can send. Other strings are kept as they come. */
export type InboundMsgType =
  | 'text'
  | 'image'
  | 'voice'
  | 'video'
  | 'shortvideo'
  | 'location'
  | 'link'
  | 'file'
  | 'miniprogrampage'
  | 'event';

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
  if (message.MsgType === 'event')
    return `event:${message.FromUserName}:${message.CreateTime}:${message.Event ?? ''}:${message.EventKey ?? ''}`;
  if (message.MsgId) return `msg:${message.MsgId}`;
  return `msg:${message.FromUserName}:${message.CreateTime}:${message.MsgType}`;
}
