/**
 * The sandbox's feed: everything that happens in it, in order, as it happens, for `GET /sandbox/stream`
 * (server-sent events) and the browser console. A bounded history lets a console that opens (or
 * reconnects with `Last-Event-ID`) catch up on what it missed, so nothing ever polls.
 *
 * Entries, by `type`:
 * - `push`: a simulated user did something; the push WeChat would make and what the callback answered.
 * - `message`: custom/send accepted a message for a user (what the user's phone shows), or a human agent
 *   wrote to the user in a session (`agent: true`).
 * - `typing`: custom/typing accepted a Typing / CancelTyping command.
 * - `request`: any API request, answered (the log of what reached WeChat), secrets masked.
 * - `desk`: a kf session event (kf_create_session, kf_switch_session, kf_close_session) and its push.
 * - `user`: a user's state after any of the above (window, sends, typing, following; the desk's session
 *   or waiting place).
 * - `reset`: the sandbox was reset; a console clears what it shows.
 *
 * @example
 * ```ts
 * const off = feed.subscribe((entry) => console.log(entry.id, entry.type));
 * feed.since(0); // the history, oldest first
 * off();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { maskRequest } from './mask';
import { KeptTail } from './kept-tail';
import type { PushResult, RecordedRequest, UserAction, UserSnapshot } from './types';

/** Entries kept for consoles that connect later. */
export const FEED_HISTORY = 2000;

/** What a feed entry carries, by type. */
export type FeedData =
  | { type: 'push'; openid: string; action: UserAction; result: PushResult }
  | { type: 'message'; openid: string; msgtype: string; body: Record<string, unknown>; kf_account?: string; agent?: boolean }
  | { type: 'desk'; openid: string; event: string; kf_account?: string; result: PushResult }
  | { type: 'typing'; openid: string; command: string }
  | { type: 'request'; request: RecordedRequest }
  | {
      type: 'user';
      openid: string;
      user: UserSnapshot;
      desk?: { session?: { kf_account: string }; waiting: { kf_account?: string } | null };
    }
  | { type: 'reset' };

/**
 * One entry: its sequence number (the SSE id), the sandbox-clock time, and its data; `appId` names the
 * official account it concerns when that is not the first (accounts.ts), so a single-account feed reads
 * as it always did.
 */
export type FeedEntry = FeedData & { id: number; at: number; appId?: string };

/** Whether an entry concerns one user (requests concern the user they address, when they name one). */
export function entryOpenid(entry: FeedEntry): string | undefined {
  if ('openid' in entry) return entry.openid;
  if (entry.type === 'request') {
    const body = entry.request.body as Record<string, unknown> | undefined;
    const touser = body && typeof body === 'object' ? (body.touser ?? body.openid) : undefined;
    return typeof touser === 'string' ? touser : entry.request.query.openid;
  }
  return undefined;
}

/** The ordered, bounded list of what happened, with live subscribers. */
export class SandboxFeed {
  private readonly entries = new KeptTail<FeedEntry>(FEED_HISTORY);
  private readonly listeners = new Set<(entry: FeedEntry) => void>();
  private seq = 0;
  /** Names this sandbox run: event ids are `<instance>.<n>`, so a console that reconnects after a restart starts over. */
  readonly instance = randomBytes(6).toString('hex');

  constructor(private readonly now: () => number) {}

  /** The id of the last entry (0 before the first). */
  get lastId(): number {
    return this.seq;
  }

  /** Adds an entry (of the account `appId`, when not the first) and hands it to every subscriber. A request is stored masked. */
  publish(data: FeedData, appId?: string): FeedEntry {
    const safe: FeedData = data.type === 'request' ? { type: 'request', request: maskRequest(data.request) } : data;
    const entry = { ...safe, id: ++this.seq, at: this.now(), ...(appId !== undefined ? { appId } : {}) } as FeedEntry;
    // Beyond FEED_HISTORY the oldest are dropped (kept-tail.ts): trimming on every request was the
    // sandbox's largest cost per request (bench/README.md, `client`).
    this.entries.push(entry);
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // One broken subscriber (a closed socket) must not stop the others.
      }
    }
    return entry;
  }

  /** Entries after `id` still kept (the last {@link FEED_HISTORY}), oldest first. */
  since(id: number): FeedEntry[] {
    return this.entries.kept().filter((e) => e.id > id);
  }

  /** Calls `listener` with every new entry until the returned function is called. */
  subscribe(listener: (entry: FeedEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets the history (a reset) and tells subscribers. */
  clear(): void {
    this.entries.clear();
    this.publish({ type: 'reset' });
  }
}
