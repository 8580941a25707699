/**
 * Turns, as data (docs/turns.md): the settings that shape them, which inbound messages take part, the
 * order WeChat created them in, when an open turn is due to close and how many of its messages close with
 * it, and the `turn.ready` / `turn.limited` details. No I/O: functions/store/turns.ts keeps the buffer,
 * functions/context/turns/ closes it.
 *
 * A user who writes "hi", "I ordered a lamp", "it arrived broken" within a few seconds gets one turn of
 * three messages: a flow (an AI agent) answers the turn once instead of three fragments.
 *
 * @example
 * ```ts
 * const settings = turnSettingsFromEnv({ TURN_QUIET_MS: '3000' }); // { quietMs: 3000, maxWaitMs: 15000, maxMessages: 10, ... }
 * dueCheck(state, settings, Date.now()); // { due: false, checkAt: 1765000003000 } or { due: true, take: 3 }
 * ```
 */
import { ConfigurationError } from './errors';
import { readFlag } from './flags';
import type { InboundMessage } from './callback';

/** The settings of turns; absent (TURN_QUIET_MS unset) when turns are off. */
export interface TurnSettings {
  /** TURN_QUIET_MS: a turn closes when its user has been quiet this long. */
  quietMs: number;
  /** TURN_MAX_WAIT_MS: ... or this long after its first message. Default 15 000. */
  maxWaitMs: number;
  /** TURN_MAX_MESSAGES: ... or when it holds this many messages. Default 10. */
  maxMessages: number;
  /** TURN_FLUSH_ON: message types (`image`) or events (`CLICK`) that close the turn at once, lower case. */
  flushOn: readonly string[];
  /** TURN_LIMIT_PER_HOUR: turns a user may start in an hour before they are published as `turn.limited`. */
  limitPerHour?: number;
  /** TURN_TYPING: show "typing…" while a turn is open (docs/turns.md). */
  typing: boolean;
  /** TURN_HISTORY: the last N conversation entries `turn.ready` carries as `history` (needs CONVERSATION_RECORD). */
  history: number;
}

export const DEFAULT_TURN_MAX_WAIT_MS = 15_000;
export const DEFAULT_TURN_MAX_MESSAGES = 10;
/** The most messages a turn may hold: the buffer is one DynamoDB item (400 KB). */
export const TURN_MAX_MESSAGES_CAP = 50;
/**
 * The most messages waiting in one user's buffer: a closer that keeps failing must not grow it without
 * bound, and the item must stay under DynamoDB's 400 KB (50 texts of WeChat's longest fit).
 */
export const TURN_PENDING_CAP = 50;
/** SQS delays a message at most 15 minutes. */
export const TURN_MAX_WAIT_CAP_MS = 900_000;

/**
 * The events that are part of a conversation (a menu click, a follow, a scan); other events (kf sessions,
 * unfollow, template reports) are not.
 */
export const TURN_EVENTS: readonly string[] = [
  'CLICK',
  'subscribe',
  'SCAN',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
];

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'off') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || value > max) {
    throw new ConfigurationError(
      `${name} must be a whole number from ${min} to ${max}${name === 'TURN_QUIET_MS' ? ', or off' : ''}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/**
 * Reads the turn settings from the environment; `undefined` when TURN_QUIET_MS is unset or `off`.
 *
 * @throws {ConfigurationError} naming the variable and what it must be.
 * @example
 * ```ts
 * turnSettingsFromEnv({ TURN_QUIET_MS: '3000', TURN_FLUSH_ON: 'image,CLICK' })?.flushOn; // ['image', 'click']
 * ```
 */
export function turnSettingsFromEnv(env: NodeJS.ProcessEnv): TurnSettings | undefined {
  const quietMs = wholeNumber(env, 'TURN_QUIET_MS', undefined, 100, TURN_MAX_WAIT_CAP_MS);
  if (quietMs === undefined) return undefined;
  const maxWaitMs = wholeNumber(env, 'TURN_MAX_WAIT_MS', DEFAULT_TURN_MAX_WAIT_MS, 100, TURN_MAX_WAIT_CAP_MS)!;
  const maxMessages = wholeNumber(env, 'TURN_MAX_MESSAGES', DEFAULT_TURN_MAX_MESSAGES, 1, TURN_MAX_MESSAGES_CAP)!;
  const limitPerHour = wholeNumber(env, 'TURN_LIMIT_PER_HOUR', undefined, 1, 100_000);
  const history = wholeNumber(env, 'TURN_HISTORY', 0, 0, 100)!;
  const flushOn = (env.TURN_FLUSH_ON ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of flushOn) {
    if (!/^[A-Za-z_]{1,40}$/.test(t))
      throw new ConfigurationError(
        `TURN_FLUSH_ON must be a comma-separated list of message types or events (e.g. image,CLICK), got ${JSON.stringify(t)}`,
      );
  }
  const typing = readFlag(env, 'TURN_TYPING');
  return {
    quietMs,
    maxWaitMs,
    maxMessages,
    flushOn: flushOn.map((t) => t.toLowerCase()),
    limitPerHour,
    typing,
    history,
  };
}

/**
 * Whether a pushed message takes part in turns: every user message, and the events of {@link TURN_EVENTS}.
 *
 * @example
 * ```ts
 * joinsTurn({ MsgType: 'event', Event: 'kf_create_session' } as InboundMessage); // false
 * ```
 */
export function joinsTurn(message: InboundMessage): boolean {
  return message.MsgType !== 'event' || TURN_EVENTS.includes(String(message.Event ?? ''));
}

/** One message in a turn's buffer: its dedup key, when it was received (ms) and its inbound event's detail. */
export interface TurnMessage {
  key: string;
  receivedAt: number;
  detail: Record<string, unknown> & { message: InboundMessage };
}

/**
 * Orders messages as WeChat created them: CreateTime (seconds), then MsgId (a 64-bit number: two messages
 * of the same second keep their order), then the order they reached the product.
 *
 * @example
 * ```ts
 * inCreationOrder(buffer).map((m) => m.detail.message.MsgId);
 * ```
 */
export function inCreationOrder(messages: readonly TurnMessage[]): TurnMessage[] {
  const id = (m: TurnMessage) =>
    typeof m.detail.message.MsgId === 'string' && /^[0-9]{1,20}$/.test(m.detail.message.MsgId) ? BigInt(m.detail.message.MsgId) : undefined;
  return messages
    .map((m, i) => ({ m, i }))
    .sort((a, b) => {
      const t = Number(a.m.detail.message.CreateTime) - Number(b.m.detail.message.CreateTime);
      if (t !== 0) return t;
      const x = id(a.m);
      const y = id(b.m);
      if (x !== undefined && y !== undefined && x !== y) return x < y ? -1 : 1;
      return a.i - b.i;
    })
    .map(({ m }) => m);
}

/** What the closer reads of an open turn. */
export interface OpenTurnState {
  turnId: string;
  startedAt: number;
  lastAt: number;
  messages: readonly TurnMessage[];
}

/** Whether an open turn closes now, and with how many of its messages (in creation order); else when to look again. */
export type DueCheck = { due: true; take: number; why: 'quiet' | 'max-wait' | 'max-messages' | 'flush' } | { due: false; checkAt: number };

function flushes(m: TurnMessage, flushOn: readonly string[]): boolean {
  const msg = m.detail.message;
  const type = String(msg.MsgType === 'event' ? msg.Event : msg.MsgType).toLowerCase();
  return flushOn.includes(type);
}

/**
 * When an open turn closes: at `TURN_MAX_MESSAGES` (the first that many), at a message of `TURN_FLUSH_ON`
 * (up to and with it), when its user has been quiet `TURN_QUIET_MS`, or `TURN_MAX_WAIT_MS` after it started.
 *
 * @example
 * ```ts
 * dueCheck({ turnId, startedAt: 0, lastAt: 2000, messages }, { ...settings, quietMs: 3000 }, 4000); // { due: false, checkAt: 5000 }
 * ```
 */
export function dueCheck(state: OpenTurnState, settings: TurnSettings, now: number): DueCheck {
  const ordered = inCreationOrder(state.messages);
  const flushAt = ordered.slice(0, settings.maxMessages).findIndex((m) => flushes(m, settings.flushOn));
  if (flushAt >= 0) return { due: true, take: flushAt + 1, why: 'flush' };
  if (ordered.length >= settings.maxMessages) return { due: true, take: settings.maxMessages, why: 'max-messages' };
  const quietAt = state.lastAt + settings.quietMs;
  const maxAt = state.startedAt + settings.maxWaitMs;
  if (now >= quietAt) return { due: true, take: ordered.length, why: 'quiet' };
  if (now >= maxAt) return { due: true, take: ordered.length, why: 'max-wait' };
  return { due: false, checkAt: Math.min(quietAt, maxAt) };
}

/**
 * The text of a turn: its text messages' content (and voice recognitions), joined with newlines.
 *
 * @example
 * ```ts
 * turnText(messages); // 'hi\nI ordered a lamp\nit arrived broken'
 * ```
 */
export function turnText(messages: readonly TurnMessage[]): string {
  return messages
    .map((m) => m.detail.message)
    .map((msg) => (msg.MsgType === 'text' ? msg.Content : msg.MsgType === 'voice' ? msg.Recognition : undefined))
    .filter((t): t is string => typeof t === 'string' && t !== '')
    .join('\n');
}

/** The hourly count of turns one user started, kept on their buffer item. */
export interface HourlyCount {
  hourStart: number;
  turns: number;
}

/**
 * The hourly count after one more turn closes at `now`: a window of one hour from the first turn in it.
 *
 * @example
 * ```ts
 * countTurn({ hourStart: 0, turns: 4 }, 1000); // { hourStart: 0, turns: 5 }
 * countTurn({ hourStart: 0, turns: 4 }, 3_600_000); // { hourStart: 3_600_000, turns: 1 }
 * ```
 */
export function countTurn(previous: HourlyCount | undefined, now: number): HourlyCount {
  if (!previous || now - previous.hourStart >= 3_600_000) return { hourStart: now, turns: 1 };
  return { hourStart: previous.hourStart, turns: previous.turns + 1 };
}
