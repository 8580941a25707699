/**
 * Conversation history, as data (docs/conversations.md): what one entry says, how an inbound message, a
 * desk event and a send become one, and the query `GET /conversations/{openid}` takes. No I/O
 * (functions/store/conversations.ts keeps them).
 *
 * Entries are shaped for an AI agent's memory: `role` is `user` (the WeChat user), `assistant` (the
 * account, sending through the product) or `agent` (a human at the kf desk: a send with
 * `customservice.kf_account`, or the desk's session pushes), `text` is what was said, or a short
 * description in brackets of what is not text (`[image]`, `[menu click: V1001_GOOD]`).
 *
 * @example
 * ```ts
 * inboundEntry({ MsgType: 'text', Content: 'hi', CreateTime: 1765000000, ... }, 1765000000123);
 * // { role: 'user', type: 'text', text: 'hi', at: 1765000000123, msgId: '…' }
 * ```
 */
import type { InboundMessage } from './callback';
import { ValidationError, WeChatKfError } from './errors';
import { openidIssue } from './fields';

/** How long entries are kept (the table's TTL, and checked on every read). */
export const CONVERSATION_RETENTION_MS = 30 * 86_400_000;
export const CONVERSATION_DEFAULT_LIMIT = 50;
export const CONVERSATION_MAX_LIMIT = 500;

/** Who said it. */
export type ConversationRole = 'user' | 'assistant' | 'agent';

/** One entry of a conversation. */
export interface ConversationEntry {
  role: ConversationRole;
  /** The message type (`text`, `image`, …) or, for an event, `event.<Event>`. */
  type: string;
  /** What was said, or a description in brackets. */
  text: string;
  /** When (ms since epoch). */
  at: number;
  /** The kf account of an `agent` entry. */
  kfAccount?: string;
  /** WeChat's MsgId of a user's message. */
  msgId?: string;
}

/** An entry as answered: `at` as ISO 8601. */
export type ConversationEntryView = Omit<ConversationEntry, 'at'> & { at: string };

/** The query of `GET /conversations/{openid}`. */
export interface ConversationQuery {
  openid: string;
  limit: number;
  /** Entries strictly before this time (ms); default now. */
  before?: number;
}

/** One page: oldest first; `before` (ms) is where the previous page ends, when there is one. */
export interface ConversationPage {
  entries: ConversationEntry[];
  before?: number;
}

const SESSION_EVENTS: Record<string, string> = {
  kf_create_session: 'took the conversation',
  kf_close_session: 'closed the conversation',
  kf_switch_session: 'passed the conversation on',
};

const clip = (text: string, max = 4000) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * The entry of an inbound message or event, or `undefined` for what is not part of a conversation (a
 * template report, a location report).
 *
 * @example
 * ```ts
 * inboundEntry({ MsgType: 'event', Event: 'kf_create_session', KfAccount: 'agent1@x', ... }, now)?.role; // 'agent'
 * ```
 */
export function inboundEntry(message: InboundMessage, at: number): ConversationEntry | undefined {
  const m = message as InboundMessage & Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (message.MsgType === 'event') {
    const event = str(m.Event);
    if (SESSION_EVENTS[event]) {
      const kfAccount = str(m.KfAccount) || str(m.ToKfAccount) || str(m.FromKfAccount);
      const to = event === 'kf_switch_session' && str(m.ToKfAccount) ? ` to ${str(m.ToKfAccount)}` : '';
      return {
        role: 'agent',
        type: `event.${event}`,
        text: `[${kfAccount || 'an agent'} ${SESSION_EVENTS[event]}${to}]`,
        at,
        ...(kfAccount ? { kfAccount } : {}),
      };
    }
    const describe: Record<string, string> = {
      CLICK: `[menu click: ${str(m.EventKey)}]`,
      VIEW: `[opened a menu link: ${str(m.EventKey)}]`,
      subscribe: '[followed the account]',
      unsubscribe: '[unfollowed the account]',
      SCAN: `[scanned a QR code: ${str(m.EventKey)}]`,
    };
    const text = describe[event];
    return text === undefined ? undefined : { role: 'user', type: `event.${event}`, text: clip(text), at };
  }
  const text = (() => {
    switch (message.MsgType) {
      case 'text':
        return str(m.Content);
      case 'image':
        return '[image]';
      case 'voice':
        return str(m.Recognition) ? `[voice: ${str(m.Recognition)}]` : '[voice]';
      case 'video':
      case 'shortvideo':
        return '[video]';
      case 'location':
        return `[location: ${str(m.Label) || `${str(m.Location_X)},${str(m.Location_Y)}`}]`;
      case 'link':
        return `[link: ${str(m.Title)} ${str(m.Url)}]`.replace(/\s+]$/, ']');
      default:
        return `[${message.MsgType}]`;
    }
  })();
  return { role: 'user', type: message.MsgType, text: clip(text), at, ...(message.MsgId ? { msgId: message.MsgId } : {}) };
}

/**
 * The entry of a message the account sent: `assistant`, or `agent` when sent as a kf account.
 *
 * @example
 * ```ts
 * sentEntry('text', { content: 'Hello' }, undefined, now); // { role: 'assistant', type: 'text', text: 'Hello', at: now }
 * ```
 */
export function sentEntry(msgtype: string, content: unknown, kfAccount: string | undefined, at: number): ConversationEntry {
  const c = (content ?? {}) as Record<string, unknown>;
  const title = (v: unknown) => (typeof v === 'string' && v !== '' ? `: ${v}` : '');
  const text = (() => {
    switch (msgtype) {
      case 'text':
        return typeof c.content === 'string' ? c.content : '';
      case 'news': {
        const articles = Array.isArray(c.articles) ? (c.articles as Array<Record<string, unknown>>) : [];
        return `[news${title(articles[0]?.title)}]`;
      }
      case 'msgmenu': {
        const items = Array.isArray(c.list)
          ? (c.list as Array<Record<string, unknown>>).map((i) => i.content).filter((x) => typeof x === 'string')
          : [];
        return `[menu${title(c.head_content)}${items.length ? ` (${items.join(' / ')})` : ''}]`;
      }
      case 'miniprogrampage':
      case 'music':
      case 'video':
        return `[${msgtype}${title(c.title)}]`;
      default:
        return `[${msgtype}]`;
    }
  })();
  return { role: kfAccount ? 'agent' : 'assistant', type: msgtype, text: clip(text), at, ...(kfAccount ? { kfAccount } : {}) };
}

/**
 * An entry as answered.
 *
 * @example
 * ```ts
 * entryView({ role: 'user', type: 'text', text: 'hi', at: 0 }).at; // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function entryView(entry: ConversationEntry): ConversationEntryView {
  return { ...entry, at: new Date(entry.at).toISOString() };
}

function parseBefore(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string') return undefined;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Validates the input of `GET /conversations/{openid}` (query strings: every value may be a string).
 *
 * @throws {ValidationError} naming each bad field and its rule.
 * @example
 * ```ts
 * parseConversationQuery({ openid: 'oUser1', limit: '20', before: '2026-12-01T08:00:00Z' });
 * ```
 */
export function parseConversationQuery(input: unknown): ConversationQuery {
  const raw = (typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {}) as Record<string, unknown>;
  const issues: ValidationError['issues'] = [];
  for (const name of Object.keys(raw)) {
    if (!['openid', 'limit', 'before'].includes(name) && raw[name] !== undefined)
      issues.push({ field: name, rule: 'is not a parameter of this query (limit, before)' });
  }
  const openidProblem = openidIssue(raw.openid);
  if (openidProblem) issues.push({ field: 'openid', rule: openidProblem });
  let limit = CONVERSATION_DEFAULT_LIMIT;
  if (raw.limit !== undefined && raw.limit !== '') {
    const value = typeof raw.limit === 'string' && /^\d{1,6}$/.test(raw.limit) ? Number(raw.limit) : raw.limit;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > CONVERSATION_MAX_LIMIT) {
      issues.push({ field: 'limit', rule: `must be a whole number from 1 to ${CONVERSATION_MAX_LIMIT}, got ${JSON.stringify(raw.limit)}` });
    } else limit = value;
  }
  let before: number | undefined;
  if (raw.before !== undefined && raw.before !== '') {
    before = parseBefore(raw.before);
    if (before === undefined)
      issues.push({
        field: 'before',
        rule: `must be an ISO 8601 time (2026-12-01T08:00:00Z) or epoch milliseconds, got ${JSON.stringify(raw.before)}`,
      });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { openid: raw.openid as string, limit, ...(before !== undefined ? { before } : {}) };
}

/** `GET /conversations/{openid}` while CONVERSATION_RECORD is off: nothing was kept, so say how to keep it. */
export class ConversationRecordOffError extends WeChatKfError {
  constructor() {
    super(
      'CONVERSATION_RECORD_OFF',
      409,
      'the conversation history is off: set CONVERSATION_RECORD=true (deployed: the conversationRecord prop) ' +
        "to keep each user's messages and sends for 30 days",
    );
  }
}
