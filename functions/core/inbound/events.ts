/**
 * What the callback publishes (docs/handoff.md, README "Events in and out"): every message and event WeChat
 * pushes as `message.<MsgType>` / `event.<Event>`, and the handoff events of keyword handoff
 * (`handoff.requested`, `handoff.unavailable`), all with source `wechat.kf`. The same events on every
 * surface: EventBridge and webhooks from `/callback`, items of the n8n trigger in Direct mode.
 */
import type { InboundMessage } from '../callback';
import type { HumanSessionView } from './handoff-state';

/** The source of every event the product publishes. */
export const INBOUND_EVENT_SOURCE = 'wechat.kf';

/** One event to publish. */
export interface OutboundEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** The handoff event types of keyword handoff. */
export const HANDOFF_REQUESTED = 'handoff.requested';
export const HANDOFF_UNAVAILABLE = 'handoff.unavailable';

/** The EventBridge detail-type of an inbound message: `message.text`, `event.subscribe`, ... */
export function inboundDetailType(message: InboundMessage): string {
  return message.MsgType === 'event' ? `event.${message.Event}` : `message.${message.MsgType}`;
}

/** Who has the user and whether this push was answered with a transfer to the desk. */
export interface InboundHandoffFacts {
  humanSession: HumanSessionView | null;
  transferred?: boolean;
}

/**
 * The event of an inbound message. A photo, voice note or video carries `mediaId` (and `thumbMediaId` for
 * a video) beside WeChat's fields: the getMedia operation downloads it within 3 days. `humanSession` says
 * who has the conversation, `transferred` whether this message was just handed to the desk.
 *
 * @example
 * ```ts
 * inboundEvent('wx123', message, Date.now()).detailType; // 'message.text'
 * ```
 */
export function inboundEvent(
  appId: string,
  message: InboundMessage,
  receivedAt: number,
  handoff: InboundHandoffFacts = { humanSession: null },
): OutboundEvent {
  return {
    source: INBOUND_EVENT_SOURCE,
    detailType: inboundDetailType(message),
    detail: inboundDetail(appId, message, receivedAt, handoff),
  };
}

function inboundDetail(appId: string, message: InboundMessage, receivedAt: number, handoff: InboundHandoffFacts): Record<string, unknown> {
  const media = {
    ...(typeof message.MediaId === 'string' && message.MediaId !== '' ? { mediaId: message.MediaId } : {}),
    ...(typeof message.ThumbMediaId === 'string' && message.ThumbMediaId !== '' ? { thumbMediaId: message.ThumbMediaId } : {}),
  };
  return {
    appId,
    openid: message.FromUserName,
    receivedAt: new Date(receivedAt).toISOString(),
    humanSession: handoff.humanSession,
    transferred: handoff.transferred === true,
    ...media,
    message,
  };
}

/** What a keyword handoff tells (docs/handoff.md, "Keyword handoff"). */
export interface KeywordHandoffFacts {
  /** The rule matched, as written in HANDOFF_KEYWORDS. */
  rule: string;
  /** The user's text. */
  text: string;
  /** The kf account the transfer names, when the rule gives one. */
  kfAccount?: string;
}

/**
 * The event of a keyword handoff: `handoff.requested` (the push was answered with a transfer; the message
 * is in it, and no `message.text` is published for it, so a bot never answers it) or `handoff.unavailable`
 * (no agent was online: the user got the out-of-hours text). `{openid, rule, text, kfAccount?}` beside the
 * inbound fields (`transferred`, `humanSession`, `message`).
 *
 * @example
 * ```ts
 * handoffEvent('handoff.requested', 'wx123', message, Date.now(), { rule: '转人工', text: '转人工' }, { humanSession: null, transferred: true });
 * ```
 */
export function handoffEvent(
  type: typeof HANDOFF_REQUESTED | typeof HANDOFF_UNAVAILABLE,
  appId: string,
  message: InboundMessage,
  receivedAt: number,
  keyword: KeywordHandoffFacts,
  handoff: InboundHandoffFacts,
): OutboundEvent {
  const { rule, text, kfAccount } = keyword;
  return {
    source: INBOUND_EVENT_SOURCE,
    detailType: type,
    detail: { ...inboundDetail(appId, message, receivedAt, handoff), rule, text, ...(kfAccount ? { kfAccount } : {}) },
  };
}
