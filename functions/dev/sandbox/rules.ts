/**
 * The send-window and typing rules the sandbox enforces, as data, read from docs/wechat-reference.md:
 *
 * - current: a message opens 48 h for up to 5 sends; a follow (subscribe), a QR scan (SCAN), a menu
 *   click that pushes to the server (CLICK, scancode_push, scancode_waitmsg) or a tap on a msgmenu item
 *   (a text carrying bizmsgmenuid) opens 1 minute for up to 3 sends. Other events open nothing. The latest opening interaction replaces the window and its count.
 * - seed (2017): any of those opens 48 h, with no count.
 * - typing: needs a message exchanged either way in the last 30 s, lasts 15 s, cannot be repeated
 *   while it shows, and a sent message ends it. It is refused, like a send, when the send window does
 *   not allow a message.
 *
 * @example
 * ```ts
 * const kind = interactionKindOf({ type: 'event', event: 'CLICK' }); // 'event'
 * WINDOW_RULES.current.event; // { durationMs: 60000, maxSends: 3 }
 * ```
 */
import type { RulesProfile, UserAction } from './types';

/** What kind of window an interaction opens. */
export type InteractionKind = 'message' | 'event';

/** The window one kind of interaction opens. */
export interface WindowRule {
  readonly durationMs: number;
  /** null: no count. */
  readonly maxSends: number | null;
}

const HOUR = 3_600_000;

/** The window rules, by profile and kind of interaction. */
export const WINDOW_RULES: Readonly<Record<RulesProfile, Readonly<Record<InteractionKind, WindowRule>>>> = {
  current: {
    message: { durationMs: 48 * HOUR, maxSends: 5 },
    event: { durationMs: 60_000, maxSends: 3 },
  },
  seed: {
    message: { durationMs: 48 * HOUR, maxSends: null },
    event: { durationMs: 48 * HOUR, maxSends: null },
  },
};

/** Events that open a window. */
export const WINDOW_OPENING_EVENTS: ReadonlySet<string> = new Set(['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg']);

/** The typing indicator's rules. */
export const TYPING_RULES = {
  /** A message must have been exchanged, either way, within this long. */
  exchangeWithinMs: 30_000,
  /** How long an indicator shows; it cannot be sent again meanwhile. */
  durationMs: 15_000,
} as const;

/**
 * What an action does to the window: opens a `message` or `event` window, `unfollow`s, or nothing (null).
 *
 * @example
 * ```ts
 * interactionKindOf({ type: 'text', content: 'hi' }); // 'message'
 * interactionKindOf({ type: 'event', event: 'VIEW' }); // null
 * ```
 */
export function interactionKindOf(action: UserAction): InteractionKind | 'unfollow' | null {
  // The reference: a msgmenu tap "counts as a menu click (3 messages within 1 minute), not as a user message".
  if (action.type === 'menuReply') return 'event';
  if (action.type !== 'event') return 'message';
  if (action.event === 'unsubscribe') return 'unfollow';
  return WINDOW_OPENING_EVENTS.has(action.event) ? 'event' : null;
}

/** A user's state, as the rules need it. */
export interface UserWindowState {
  following: boolean;
  window?: { kind: InteractionKind; openedAt: number; sends: number };
  lastExchangeAt?: number;
  typingUntil?: number;
}

/** The result of a check: allowed, or the errcode WeChat answers. */
export type Verdict = { ok: true } | { ok: false; errcode: number; detail: string };

/**
 * Whether a custom/send to this user is allowed now.
 *
 * @example
 * ```ts
 * sendVerdict({ following: true, window: { kind: 'message', openedAt: 0, sends: 5 } }, 'current', 1000);
 * // { ok: false, errcode: 45047, detail: '...' }
 * ```
 */
export function sendVerdict(user: UserWindowState, rules: RulesProfile, now: number): Verdict {
  if (!user.following) return { ok: false, errcode: 45015, detail: 'the user has unfollowed the official account' };
  const w = user.window;
  if (!w) return { ok: false, errcode: 45015, detail: 'the user has not done anything that opens a send window' };
  const rule = WINDOW_RULES[rules][w.kind];
  if (now >= w.openedAt + rule.durationMs) {
    return { ok: false, errcode: 45015, detail: `the send window of the user's last ${w.kind} has closed` };
  }
  if (rule.maxSends !== null && w.sends >= rule.maxSends) {
    return { ok: false, errcode: 45047, detail: `the ${rule.maxSends} sends the user's last ${w.kind} allows are used up` };
  }
  return { ok: true };
}

/**
 * Whether a `Typing` command is allowed now. `CancelTyping` is always allowed for a known user.
 *
 * @example
 * ```ts
 * typingVerdict({ following: true, window: { kind: 'message', openedAt: 0, sends: 0 }, lastExchangeAt: 0 }, 'current', 31_000);
 * // { ok: false, errcode: 45080, ... }
 * ```
 */
export function typingVerdict(user: UserWindowState, rules: RulesProfile, now: number): Verdict {
  const send = sendVerdict(user, rules, now);
  if (!send.ok) return { ok: false, errcode: send.errcode, detail: `typing needs the send conditions: ${send.detail}` };
  if (user.lastExchangeAt === undefined || now - user.lastExchangeAt > TYPING_RULES.exchangeWithinMs) {
    return { ok: false, errcode: 45080, detail: 'no message exchanged with the user in the last 30 s' };
  }
  if (user.typingUntil !== undefined && now < user.typingUntil) {
    return { ok: false, errcode: 45081, detail: 'a typing indicator is already showing (15 s)' };
  }
  return { ok: true };
}
