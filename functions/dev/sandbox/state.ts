/**
 * Everything the sandbox remembers between requests: simulated users and their windows, kf accounts,
 * accepted messages and typing commands, recorded requests and counts, pending faults.
 */
import { SandboxUsageError } from './errcodes';
import { KeptTail } from './kept-tail';
import { interactionKindOf, sendVerdict, WINDOW_RULES, type InteractionKind } from './rules';
import type { Fault, KfAccountRecord, RecordedRequest, RulesProfile, SentMessage, TypingEvent, UserAction, UserSnapshot } from './types';

/** A simulated user. */
export interface UserRecord {
  openid: string;
  following: boolean;
  /** When the user last followed (or was first seen following): user/info's subscribe_time. */
  followedAt?: number;
  window?: { kind: InteractionKind; openedAt: number; sends: number };
  lastExchangeAt?: number;
  typingUntil?: number;
}

/** A kf account with its avatar. */
export interface KfAccountState extends KfAccountRecord {
  avatar?: Buffer;
}

interface PendingFault {
  fault: Fault;
  left: number;
  /** Requests still to let through before the fault applies. */
  skip: number;
}

const FAULT_KINDS = new Set(['errcode', 'http', 'delay', 'reset']);

/**
 * Checks a fault and fills in `times`.
 *
 * @throws {SandboxUsageError} naming what is wrong.
 */
export function validateFault(input: unknown): Fault & { times: number } {
  if (!input || typeof input !== 'object') throw new SandboxUsageError('a fault must be an object {path, kind, times?, ...}');
  const f = input as Record<string, unknown>;
  if (typeof f.path !== 'string' || !(f.path === '*' || f.path.startsWith('/')))
    throw new SandboxUsageError('fault.path must be an API path starting with / (or *)');
  if (typeof f.kind !== 'string' || !FAULT_KINDS.has(f.kind))
    throw new SandboxUsageError('fault.kind must be errcode, http, delay or reset');
  const times = f.times ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1)
    throw new SandboxUsageError('fault.times must be a positive integer');
  if (f.after !== undefined && (typeof f.after !== 'number' || !Number.isInteger(f.after) || f.after < 0))
    throw new SandboxUsageError('fault.after must be a non-negative integer');
  const after = f.after ? { after: f.after as number } : {};
  const fault = validateFaultKind(f as Record<string, unknown> & { path: string }, times);
  return { ...fault, ...after };
}

function validateFaultKind(f: Record<string, unknown> & { path: string }, times: number): Fault & { times: number } {
  switch (f.kind) {
    case 'errcode':
      if (typeof f.errcode !== 'number' || !Number.isInteger(f.errcode))
        throw new SandboxUsageError('an errcode fault needs an integer errcode');
      if (f.errmsg !== undefined && typeof f.errmsg !== 'string') throw new SandboxUsageError('fault.errmsg must be a string');
      return {
        path: f.path,
        times,
        kind: 'errcode',
        errcode: f.errcode,
        ...(f.errmsg !== undefined ? { errmsg: f.errmsg as string } : {}),
      };
    case 'http':
      if (typeof f.status !== 'number' || !Number.isInteger(f.status) || f.status < 100 || f.status > 599)
        throw new SandboxUsageError('an http fault needs a status 100-599');
      return { path: f.path, times, kind: 'http', status: f.status };
    case 'delay':
      if (typeof f.ms !== 'number' || !(f.ms >= 0)) throw new SandboxUsageError('a delay fault needs ms >= 0');
      return { path: f.path, times, kind: 'delay', ms: f.ms };
    default:
      return { path: f.path, times, kind: 'reset' };
  }
}

/** Checks a user action given to simulateUser or the control plane. */
export function validateAction(input: unknown): UserAction {
  if (!input || typeof input !== 'object') throw new SandboxUsageError('an action must be an object {type, ...}');
  const a = input as Record<string, unknown>;
  switch (a.type) {
    case 'text':
      if (typeof a.content !== 'string') throw new SandboxUsageError('a text action needs content (a string)');
      return { type: 'text', content: a.content };
    case 'menuReply':
      if (typeof a.content !== 'string' || typeof a.menuId !== 'string')
        throw new SandboxUsageError('a menuReply action needs menuId and content (strings)');
      return { type: 'menuReply', menuId: a.menuId, content: a.content };
    case 'image':
    case 'voice':
      for (const k of ['picUrl', 'mediaId', 'format', 'recognition', 'filename']) {
        if (a[k] !== undefined && typeof a[k] !== 'string') throw new SandboxUsageError(`${k} must be a string`);
      }
      if (a.data !== undefined && !(a.data instanceof Uint8Array))
        throw new SandboxUsageError('data must be the file bytes (a Buffer or Uint8Array)');
      return a as UserAction;
    case 'location':
      for (const k of ['x', 'y', 'scale'])
        if (a[k] !== undefined && typeof a[k] !== 'number') throw new SandboxUsageError(`${k} must be a number`);
      if (a.label !== undefined && typeof a.label !== 'string') throw new SandboxUsageError('label must be a string');
      return a as UserAction;
    case 'event':
      if (
        typeof a.event !== 'string' ||
        !['subscribe', 'unsubscribe', 'SCAN', 'CLICK', 'VIEW', 'scancode_push', 'scancode_waitmsg', 'LOCATION'].includes(a.event)
      ) {
        throw new SandboxUsageError(
          'event must be one of subscribe, unsubscribe, SCAN, CLICK, VIEW, scancode_push, scancode_waitmsg, LOCATION',
        );
      }
      if (a.eventKey !== undefined && typeof a.eventKey !== 'string') throw new SandboxUsageError('eventKey must be a string');
      return a as UserAction;
    default:
      throw new SandboxUsageError('action.type must be text, image, voice, location, event or menuReply');
  }
}

/** The part of the sandbox's memory kept on disk between starts (JSON). */
export interface SavedState {
  users: UserRecord[];
  kf: Array<KfAccountRecord & { avatar?: string }>;
  nextKfId: number;
  sent: SentMessage[];
  typing: TypingEvent[];
  /** The last MsgId handed out, as a decimal string. */
  msgIdNext: string;
}

/** Requests kept for requests() and GET /sandbox/requests. */
export const MAX_RECORDED = 10_000;

/** The sandbox's memory. */
export class SandboxState {
  users = new Map<string, UserRecord>();
  kf = new Map<string, KfAccountState>();
  nextKfId = 1001;
  /** Messages accepted: between {@link MAX_RECORDED} and twice that many of the last (api.ts, pushKept). */
  sent: SentMessage[] = [];
  /** Typing commands accepted, kept as {@link sent}. */
  typing: TypingEvent[] = [];
  /** false: the account has no customer-service API (48001; passive.ts). */
  customerServiceApi = true;
  /** The last {@link MAX_RECORDED} requests received (read through {@link requestsKept}). */
  private readonly recorded = new KeptTail<RecordedRequest>(MAX_RECORDED);
  counts = new Map<string, number>();
  faults: PendingFault[] = [];
  /** The state of each extra area of endpoints (users.ts, ...), by area name; cleared with the rest. */
  areas = new Map<string, unknown>();
  private msgIdSeq = 0n;

  /** Records a request (the oldest beyond {@link MAX_RECORDED} are dropped: kept-tail.ts). */
  record(request: RecordedRequest): void {
    this.recorded.push(request);
  }

  /** The last {@link MAX_RECORDED} requests, oldest first (counts are kept in full). */
  requestsKept(): RecordedRequest[] {
    return this.recorded.kept();
  }
  private msgIdBase = 2_400_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)) * 100n;

  /** What survives a restart (see persist.ts): users and their windows, kf accounts, what was sent, MsgIds. */
  toSaved(): SavedState {
    return {
      users: [...this.users.values()],
      kf: [...this.kf.values()].map(({ avatar, ...a }) => ({ ...a, ...(avatar ? { avatar: avatar.toString('base64') } : {}) })),
      nextKfId: this.nextKfId,
      sent: this.sent.slice(-1000),
      typing: this.typing.slice(-1000),
      msgIdNext: (this.msgIdBase + this.msgIdSeq).toString(),
    };
  }

  /** Takes back what {@link toSaved} kept. MsgIds go on increasing from where they were. */
  restore(saved: SavedState): void {
    this.users = new Map(saved.users.map((u) => [u.openid, u]));
    this.kf = new Map(
      saved.kf.map(({ avatar, ...a }) => [a.kf_account, { ...a, ...(avatar ? { avatar: Buffer.from(avatar, 'base64') } : {}) }]),
    );
    this.nextKfId = saved.nextKfId;
    this.sent = saved.sent;
    this.typing = saved.typing;
    this.msgIdBase = BigInt(saved.msgIdNext);
    this.msgIdSeq = 0n;
  }

  constructor(
    readonly rules: RulesProfile,
    /** The sandbox's clock (ms). */
    readonly now: () => number,
  ) {}

  clear(): void {
    this.users.clear();
    this.kf.clear();
    this.nextKfId = 1001;
    this.sent = [];
    this.typing = [];
    this.recorded.clear();
    this.counts.clear();
    this.faults = [];
    this.areas.clear();
  }

  /** A new MsgId: a 16-digit numeric string, below 2^53 so JSON numbers keep it exact. */
  nextMsgId(): string {
    this.msgIdSeq++;
    return (this.msgIdBase + this.msgIdSeq).toString();
  }

  /** Records what a user did, for the window and typing rules. */
  recordInteraction(openid: string, action: UserAction): void {
    const now = this.now();
    const user = this.users.get(openid) ?? { openid, following: false };
    this.users.set(openid, user);
    const kind = interactionKindOf(action);
    if (kind === 'unfollow') {
      user.following = false;
      user.window = undefined;
      user.typingUntil = undefined;
      return;
    }
    if (!user.following) user.followedAt = now;
    user.following = true;
    if (kind === null) return;
    user.window = { kind, openedAt: now, sends: 0 };
    user.lastExchangeAt = now;
  }

  addFault(fault: Fault & { times: number }): void {
    this.faults.push({ fault, left: fault.times, skip: fault.after ?? 0 });
  }

  /** The next fault for a path (consumed), if any; a fault still letting requests through (`after`) counts one down instead. */
  takeFault(path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => f.fault.path === path || f.fault.path === '*');
    if (i < 0) return undefined;
    const pending = this.faults[i] as PendingFault;
    if (pending.skip > 0) {
      pending.skip--;
      return undefined;
    }
    pending.left--;
    if (pending.left <= 0) this.faults.splice(i, 1);
    return pending.fault;
  }

  pendingFaults(): Array<Fault & { left: number }> {
    return this.faults.map((f) => ({ ...f.fault, left: f.left }));
  }

  snapshot(openid: string): UserSnapshot | undefined {
    const user = this.users.get(openid);
    if (!user) return undefined;
    const now = this.now();
    const verdict = sendVerdict(user, this.rules, now);
    const rule = user.window ? WINDOW_RULES[this.rules][user.window.kind] : undefined;
    return {
      openid,
      following: user.following,
      ...(user.window && rule
        ? {
            window: {
              kind: user.window.kind,
              openedAt: user.window.openedAt,
              endsAt: user.window.openedAt + rule.durationMs,
              sends: user.window.sends,
              maxSends: rule.maxSends,
            },
          }
        : {}),
      ...(user.lastExchangeAt !== undefined ? { lastExchangeAt: user.lastExchangeAt } : {}),
      ...(user.typingUntil !== undefined && user.typingUntil > now ? { typingUntil: user.typingUntil } : {}),
      canSend: verdict.ok ? { ok: true } : { ok: false, errcode: verdict.errcode, errmsg: verdict.detail },
    };
  }
}
