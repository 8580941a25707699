/**
 * The send window and the typing window, as data.
 *
 * WeChat lets an official account answer a user through the customer-service API only for a while after
 * the user did something. What opens a window, how long it stays open and how many messages it allows
 * depend on what the user did and on which rules apply. Those rules are rows of {@link WINDOW_RULES}, not
 * code paths: switching the profile (`current` or `seed`) switches the table.
 *
 * @example
 * ```ts
 * const kind = interactionKindOf({ MsgType: 'event', Event: 'subscribe' }); // 'event'
 * const rule = WINDOW_RULES.current[kind!]; // { durationMs: 60000, maxSends: 3, ... }
 * ```
 */
import type { RulesProfile } from './limits';

/** Every window policy (see {@link WindowPolicy}). */
export const WINDOW_POLICIES = ['enforce', 'observe', 'off'] as const;

/**
 * What the gates do before WeChat is called: `enforce` refuses a send or Typing the rules forbid;
 * `observe` records and counts but never refuses (WeChat decides), reporting what it would have refused;
 * `off` neither checks nor records.
 */
export type WindowPolicy = (typeof WINDOW_POLICIES)[number];

/** What the user did: wrote a message, or made one of the events that open a window. */
export type InteractionKind = 'message' | 'event';

/** The window one kind of interaction opens. */
export interface WindowRule {
  /** How long after the interaction sends are allowed. */
  readonly durationMs: number;
  /** How many sends the window allows; `null` for no count. */
  readonly maxSends: number | null;
  /** Where the rule comes from, said in errors. */
  readonly source: string;
}

const HOUR = 3_600_000;

/**
 * The window rules by profile and interaction kind.
 * - current (WeChat's docs today): a message opens 48 h for up to 5 messages; a menu click (CLICK,
 *   scancode_push, scancode_waitmsg), a follow or a QR scan opens 1 minute for up to 3 messages.
 * - seed (the 2017 docs): any of these opens 48 h with no count.
 */
export const WINDOW_RULES: Readonly<Record<RulesProfile, Readonly<Record<InteractionKind, WindowRule>>>> = {
  current: {
    message: { durationMs: 48 * HOUR, maxSends: 5, source: "WeChat's current rule: a message allows 5 sends within 48 h" },
    event: {
      durationMs: 60_000,
      maxSends: 3,
      source: "WeChat's current rule: a menu click, follow or QR scan allows 3 sends within 1 minute",
    },
  },
  seed: {
    message: { durationMs: 48 * HOUR, maxSends: null, source: 'the 2017 rule: 48 h after the last interaction, no count' },
    event: { durationMs: 48 * HOUR, maxSends: null, source: 'the 2017 rule: 48 h after the last interaction, no count' },
  },
};

/** The typing indicator's rules (the same in every profile). */
export const TYPING_RULES = {
  /** Typing needs a message exchanged with the user, either way, within this long. */
  interactionWithinMs: 30_000,
  /** A typing indicator lasts this long, and cannot be sent again meanwhile. */
  durationMs: 15_000,
} as const;

/** Events that open a send window: menu clicks that push to the server, follows and QR scans. */
export const WINDOW_OPENING_EVENTS: ReadonlySet<string> = new Set(['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg']);

/** Message types a user sends (events excluded). */
export const USER_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'text',
  'image',
  'voice',
  'video',
  'shortvideo',
  'location',
  'link',
  'file',
]);

/**
 * Which kind of interaction an inbound push is, or `null` when it opens no window (unsubscribe, VIEW,
 * LOCATION, kf session events, ...).
 *
 * @example
 * ```ts
 * interactionKindOf({ MsgType: 'text' }); // 'message'
 * interactionKindOf({ MsgType: 'text', bizmsgmenuid: '101' }); // 'event': a menu answer counts as a menu click
 * interactionKindOf({ MsgType: 'event', Event: 'VIEW' }); // null
 * ```
 */
export function interactionKindOf(message: { MsgType?: string; Event?: string; bizmsgmenuid?: unknown }): InteractionKind | null {
  if (!message.MsgType) return null;
  // A tap on a msgmenu answer is a text message carrying bizmsgmenuid, but WeChat counts it as a menu click:
  // 3 sends within 1 minute, not 5 within 48 h (docs/wechat-reference.md, "Limits").
  if (message.MsgType === 'text' && message.bizmsgmenuid !== undefined && message.bizmsgmenuid !== '') return 'event';
  if (message.MsgType === 'event') return message.Event && WINDOW_OPENING_EVENTS.has(message.Event) ? 'event' : null;
  // A tap on a msgmenu item arrives as a text message carrying bizmsgmenuid, and WeChat counts it as a
  // menu click (3 sends within 1 minute), not as a user message (docs/window-rules.md).
  if (isMenuTap(message)) return 'event';
  return USER_MESSAGE_TYPES.has(message.MsgType) ? 'message' : null;
}

/**
 * Whether a push is a tap on a msgmenu item: a text message carrying `bizmsgmenuid`.
 *
 * @example
 * ```ts
 * isMenuTap({ MsgType: 'text', Content: 'Yes', bizmsgmenuid: '101' }); // true
 * ```
 */
export function isMenuTap(message: { MsgType?: string; bizmsgmenuid?: unknown }): boolean {
  const id = message.bizmsgmenuid;
  return message.MsgType === 'text' && id !== undefined && id !== null && String(id) !== '';
}

/**
 * Where an interaction stands among others of the same second: WeChat's CreateTime has whole seconds, so
 * two messages in one second are told apart (and ordered) by their MsgId, a 64-bit number. Events carry
 * no MsgId and rank 0, before every message of their second: a message in the same second as an event
 * opens the message rule. A MsgId that is not digits ranks 0 too.
 *
 * @example
 * ```ts
 * interactionSequence({ MsgId: '24436487191827123456' }); // '24436487191827123456'
 * interactionSequence({ Event: 'CLICK' }); // '0'
 * ```
 */
export function interactionSequence(message: { MsgId?: unknown }): string {
  const id = message.MsgId === undefined || message.MsgId === null ? '' : String(message.MsgId);
  return /^[0-9]{1,30}$/.test(id) ? id.replace(/^0+(?=.)/, '') : '0';
}

/**
 * Whether an inbound push is the user unfollowing the official account, which closes the send window.
 *
 * @example
 * ```ts
 * isUnfollow({ MsgType: 'event', Event: 'unsubscribe' }); // true
 * ```
 */
export function isUnfollow(message: { MsgType?: string; Event?: string }): boolean {
  return message.MsgType === 'event' && message.Event === 'unsubscribe';
}

/** What is stored about one user: the last inbound interaction, the sends it allowed, typing. */
export interface WindowRecord {
  /** When the user last did something that opens a window (ms since epoch). */
  lastInboundAt?: number;
  /** What that was. */
  lastInboundKind?: InteractionKind;
  /** Sends counted since that interaction. */
  sendsUsed?: number;
  /** When the official account last sent the user a message (ms). */
  lastOutboundAt?: number;
  /** Until when a typing indicator shows (ms). */
  typingUntil?: number;
  /** When the user last unfollowed (ms): no send is possible until they interact again (WeChat: 45015). */
  unfollowedAt?: number;
}

/** The state of a user's windows at one moment. */
export interface WindowState {
  lastInboundAt: number | null;
  lastInboundKind: InteractionKind | null;
  lastOutboundAt: number | null;
  /** When the send window ends; `null` when none was opened. */
  windowEnd: number | null;
  /** Sends left in the window; `null` for no count. */
  sendsLeft: number | null;
  canSend: boolean;
  /** Why no send is allowed, when none is. */
  sendRefusal: 'no-interaction' | 'unfollowed' | 'window-expired' | 'quota-used' | null;
  canType: boolean;
  typingActive: boolean;
  typingUntil: number | null;
  /**
   * Why Typing is refused, when it is. `send-not-allowed`: WeChat sends typing only when a message could
   * be sent (its typing page: if the conditions for a customer-service message are not met, typing cannot
   * be sent), so a used-up or closed send window refuses Typing too (docs/window-rules.md).
   */
  typingRefusal: 'send-not-allowed' | 'no-recent-interaction' | 'typing-active' | null;
}

/**
 * Computes a user's window state at `now` under a profile's rules.
 *
 * @example
 * ```ts
 * windowState({ lastInboundAt: Date.now() - 1000, lastInboundKind: 'message', sendsUsed: 5 }, Date.now(), 'current').sendRefusal;
 * // 'quota-used'
 * ```
 */
export function windowState(record: WindowRecord | undefined, now: number, profile: RulesProfile = 'current'): WindowState {
  const r = record ?? {};
  const lastInboundAt = r.lastInboundAt ?? null;
  const kind = r.lastInboundKind ?? null;
  let windowEnd: number | null = null;
  let sendsLeft: number | null = null;
  let sendRefusal: WindowState['sendRefusal'] = null;
  const unfollowed = r.unfollowedAt !== undefined && (lastInboundAt === null || r.unfollowedAt > lastInboundAt);
  if (unfollowed) {
    sendRefusal = 'unfollowed';
  } else if (lastInboundAt === null || kind === null) {
    sendRefusal = 'no-interaction';
  } else {
    const rule = WINDOW_RULES[profile][kind];
    windowEnd = lastInboundAt + rule.durationMs;
    sendsLeft = rule.maxSends === null ? null : Math.max(0, rule.maxSends - (r.sendsUsed ?? 0));
    if (now >= windowEnd) sendRefusal = 'window-expired';
    else if (sendsLeft === 0) sendRefusal = 'quota-used';
  }
  const lastExchange = Math.max(lastInboundAt ?? -Infinity, r.lastOutboundAt ?? -Infinity);
  const typingActive = r.typingUntil !== undefined && r.typingUntil > now;
  const recent = !unfollowed && now - lastExchange <= TYPING_RULES.interactionWithinMs;
  return {
    lastInboundAt,
    lastInboundKind: kind,
    lastOutboundAt: r.lastOutboundAt ?? null,
    windowEnd,
    sendsLeft,
    canSend: sendRefusal === null,
    sendRefusal,
    canType: sendRefusal === null && recent && !typingActive,
    typingActive,
    typingUntil: typingActive ? r.typingUntil! : null,
    typingRefusal: typingActive ? 'typing-active' : !recent ? 'no-recent-interaction' : sendRefusal !== null ? 'send-not-allowed' : null,
  };
}
