/**
 * WeChat's customer-service desk as the sandbox keeps it: which WeChat user each kf account is bound to,
 * invitations and their states, who is online, open sessions, the waiting list, and the chat records.
 * The API handlers (kf-agents.ts, kf-sessions.ts, msg-records.ts) and the control plane (desk-control.ts)
 * read and change it; it holds no HTTP.
 *
 * Rules, from docs/wechat-reference.md ("Passive replies and handing a user to a human"):
 * - a session needs the user to have interacted within the last 48 h and the kf account to be online;
 * - a session without activity closes after 30 minutes (checked lazily, whenever the desk is read);
 * - an invitation stays `waiting` until the invited WeChat user accepts or rejects it, or it expires
 *   (7 days: WeChat's admin console says so; the reference only names the states);
 * - chat records: opercode 2002 a kf (or the account) sent, 2003 the user wrote; media as [image], [voice], [video].
 *
 * @example
 * ```ts
 * const desk = deskOf(ctx.state);
 * desk.bind('kf1@sandbox', 'alice_wx');
 * desk.setStatus('kf1@sandbox', 1);
 * desk.openSession('o_user', 'kf1@sandbox');
 * ```
 */

import type { SandboxState } from './state';
import { pushKept } from './kept-tail';

/** The desk of a sandbox, kept in its state's areas (cleared with the rest). */
export function deskOf(state: SandboxState): Desk {
  let desk = state.areas.get('desk') as Desk | undefined;
  if (!desk) {
    desk = new Desk(state.now);
    state.areas.set('desk', desk);
  }
  return desk;
}

/** How long a session may stay without activity before WeChat closes it. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** How long an invitation stays valid. */
export const INVITE_TTL_MS = 7 * 86_400_000;
/** How far back the user's last interaction may lie for kfsession/create. */
export const SESSION_INTERACTION_MS = 48 * 3_600_000;
/** WeChat lists at most this many waiting users. */
export const MAX_WAITCASE_LISTED = 100;
/** Chat records the sandbox keeps (the oldest beyond are dropped). */
export const MAX_CHAT_RECORDS_KEPT = 10_000;

/** Opercodes of chat records. */
export const OPERCODE = { kfSent: 2002, kfReceived: 2003 } as const;

/** An invitation of a WeChat user to bind a kf account. */
export interface Invitation {
  invite_wx: string;
  /** ms */
  expiresAt: number;
  status: 'waiting' | 'rejected' | 'expired';
}

/** What the desk knows about one kf account besides its name (kept in SandboxState.kf). */
export interface Agent {
  /** The WeChat ID bound to the account, once an invitation was accepted. */
  kf_wx?: string;
  invitation?: Invitation;
  /** 0 offline, 1 web, 2 mobile, 3 both (WeChat's getonlinekflist values). */
  status: 0 | 1 | 2 | 3;
}

/** An open session between a user and a kf account. */
export interface Session {
  openid: string;
  kf_account: string;
  /** ms */
  createdAt: number;
  /** ms: the last message either way. */
  activeAt: number;
}

/** A user waiting for an agent, after a transfer_customer_service reply. */
export interface WaitCase {
  openid: string;
  /** ms: the latest message of the user while waiting. */
  latestAt: number;
  /** The kf account the reply named, if any: only it may take the user. */
  kf_account?: string;
}

/** One chat record. */
export interface ChatRecord {
  /** 1, 2, 3, … in the order written: the cursor of msgrecord/getmsglist. */
  msgid: number;
  openid: string;
  opercode: number;
  text: string;
  /** seconds */
  time: number;
  /** The kf account that sent or received it; '' when none did. */
  worker: string;
}

/** A kf event the desk wants pushed to the developer's server. */
export interface DeskEvent {
  openid: string;
  fields: Record<string, string>;
}

/** The desk. */
export class Desk {
  readonly agents = new Map<string, Agent>();
  readonly sessions = new Map<string, Session>();
  readonly waiting = new Map<string, WaitCase>();
  records: ChatRecord[] = [];
  private nextRecordId = 1;

  constructor(private readonly now: () => number) {}

  clear(): void {
    this.agents.clear();
    this.sessions.clear();
    this.waiting.clear();
    this.records = [];
    this.nextRecordId = 1;
  }

  /** The agent facts of a kf account (created on first use). */
  agent(kfAccount: string): Agent {
    let agent = this.agents.get(kfAccount);
    if (!agent) {
      agent = { status: 0 };
      this.agents.set(kfAccount, agent);
    }
    const invite = agent.invitation;
    if (invite && invite.status === 'waiting' && this.now() >= invite.expiresAt) invite.status = 'expired';
    return agent;
  }

  /** A kf account was deleted: its sessions end without an event (WeChat's account is gone), its invitation with it. */
  forgetAccount(kfAccount: string): void {
    this.agents.delete(kfAccount);
    for (const [openid, s] of this.sessions) if (s.kf_account === kfAccount) this.sessions.delete(openid);
    for (const [openid, w] of this.waiting) if (w.kf_account === kfAccount) this.waiting.delete(openid);
  }

  /** Binds a WeChat ID to an account (an accepted invitation). */
  bind(kfAccount: string, wx: string): void {
    const agent = this.agent(kfAccount);
    agent.kf_wx = wx;
    agent.invitation = undefined;
  }

  setStatus(kfAccount: string, status: Agent['status']): void {
    this.agent(kfAccount).status = status;
  }

  /** The WeChat ID is bound to, or invited by (waiting), a kf account of this official account. */
  wxUse(wx: string): { bound?: string; invitedBy?: string } {
    const out: { bound?: string; invitedBy?: string } = {};
    for (const [account] of this.agents) {
      const agent = this.agent(account);
      if (agent.kf_wx === wx) out.bound = account;
      if (agent.invitation?.status === 'waiting' && agent.invitation.invite_wx === wx) out.invitedBy = account;
    }
    return out;
  }

  /** The user's open session, after closing it when it has been idle for 30 minutes. */
  session(openid: string): Session | undefined {
    this.expireIdle();
    return this.sessions.get(openid);
  }

  /** Sessions idle for 30 minutes close; their kf_close_session events are returned (to push). */
  expireIdle(): DeskEvent[] {
    const now = this.now();
    const events: DeskEvent[] = [];
    for (const [openid, s] of this.sessions) {
      if (now - s.activeAt >= SESSION_IDLE_MS) {
        this.sessions.delete(openid);
        events.push({ openid, fields: { Event: 'kf_close_session', KfAccount: s.kf_account, CloseType: 'timeout' } });
      }
    }
    this.pendingEvents.push(...events);
    return events;
  }

  /** Events produced while answering (idle closes found lazily), waiting to be pushed. */
  pendingEvents: DeskEvent[] = [];

  takePendingEvents(): DeskEvent[] {
    const out = this.pendingEvents;
    this.pendingEvents = [];
    return out;
  }

  /** Opens a session (the caller checked the rules); the user leaves the waiting list. */
  openSession(openid: string, kfAccount: string): DeskEvent {
    const now = this.now();
    this.sessions.set(openid, { openid, kf_account: kfAccount, createdAt: now, activeAt: now });
    this.waiting.delete(openid);
    return { openid, fields: { Event: 'kf_create_session', KfAccount: kfAccount } };
  }

  closeSession(openid: string, closeType: string): DeskEvent | undefined {
    const s = this.sessions.get(openid);
    if (!s) return undefined;
    this.sessions.delete(openid);
    return { openid, fields: { Event: 'kf_close_session', KfAccount: s.kf_account, CloseType: closeType } };
  }

  switchSession(openid: string, to: string): DeskEvent | undefined {
    const s = this.sessions.get(openid);
    if (!s) return undefined;
    const from = s.kf_account;
    s.kf_account = to;
    s.activeAt = this.now();
    return { openid, fields: { Event: 'kf_switch_session', FromKfAccount: from, ToKfAccount: to } };
  }

  /** A transfer_customer_service reply: the user waits (for the named account, if any). */
  enqueue(openid: string, kfAccount?: string): void {
    this.waiting.set(openid, { openid, latestAt: this.now(), ...(kfAccount ? { kf_account: kfAccount } : {}) });
  }

  /** Sessions a kf account has open. */
  sessionsOf(kfAccount: string): Session[] {
    this.expireIdle();
    return [...this.sessions.values()].filter((s) => s.kf_account === kfAccount);
  }

  /** Writes a chat record. */
  record(openid: string, opercode: number, text: string, worker = ''): ChatRecord {
    const rec: ChatRecord = { msgid: this.nextRecordId++, openid, opercode, text, time: Math.floor(this.now() / 1000), worker };
    // The last MAX_CHAT_RECORDS_KEPT: a long run's records are not kept without end (docs/memory.md).
    pushKept(this.records, rec, MAX_CHAT_RECORDS_KEPT);
    const s = this.sessions.get(openid);
    if (s) s.activeAt = this.now();
    return rec;
  }
}

/** The text a chat record shows for a message: its text, or [image], [voice], [video], … for media. */
export function recordText(msgtype: string, content?: unknown): string {
  if (msgtype === 'text' && typeof content === 'string') return content;
  if (msgtype === 'shortvideo') return '[video]';
  return `[${msgtype}]`;
}
