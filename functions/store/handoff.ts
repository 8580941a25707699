/**
 * Handing a user to a human: the handoff mark (`POST /handoff`) and who has the conversation now (the
 * human session WeChat reports with kf_create_session / kf_switch_session / kf_close_session pushes).
 * Both live on the user's record, the window item (`WINDOW#<appId>#<openid>`, `WINDOW`), so the callback
 * learns both with the one read it makes per push. The window store (windows.ts) never touches these
 * attributes, and these writes never touch its own.
 *
 * | attribute | type | meaning |
 * | --- | --- | --- |
 * | handoffAt | N | when the mark was set (ms) |
 * | handoffUntil | N | when it lapses (ms): checked in code, as DynamoDB's TTL is late and dynalite has none |
 * | handoffKfAccount | S | the kf account the transfer names, if any |
 * | humanKfAccount | S | the kf account that has the conversation, while a session is open |
 * | humanSince | N | when that session started (ms; a switch keeps it) |
 * | humanOrder | N | the order of the last session event applied: CreateTime (s) × 10 + 1 create, 2 switch, 3 close |
 *
 * @example
 * ```ts
 * const handoffs = new HandoffStore({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * await handoffs.mark('OPENID', { ttlMs: 30 * 60_000 });
 * (await handoffs.read('OPENID')).mark; // { kf_account: undefined, markedAt, until }
 * await handoffs.recordSession('OPENID', 'create', 'kf1@wx', createTime * 1000);
 * ```
 */
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { epochSeconds, isConditionalCheckFailed, keys, marshallKey, n, numberAttr, s, stringAttr, type TableKey } from './table';
import { TableStore, type TableStoreOptions } from './table-store';
import type { UpdateWrite } from './update';
import { WINDOW_ITEM_RETENTION_MS } from './windows';
import {
  DEFAULT_HANDOFF_TTL_MS,
  SESSION_EVENTS,
  sessionOrder,
  type HandoffMark,
  type HandoffState,
  type HumanSession,
  type SessionEvent,
} from '../core/inbound/handoff-state';

export { DEFAULT_HANDOFF_TTL_MS, SESSION_EVENTS, type HandoffMark, type HandoffState, type HumanSession, type SessionEvent };

export interface HandoffStoreOptions extends TableStoreOptions {
  appId: string;
}

/**
 * The handoff mark and the human session of each user.
 *
 * @example
 * ```ts
 * const handoffs = new HandoffStore({ client, tableName, appId });
 * const { mark, humanSession } = await handoffs.read('OPENID');
 * ```
 */
export class HandoffStore extends TableStore {
  private readonly appId: string;

  constructor(options: HandoffStoreOptions) {
    super(options);
    this.appId = options.appId;
  }

  /**
   * Marks the user: until `now + ttlMs`, each message they write is answered with a transfer to the desk.
   * A new mark replaces the old one (its agent and its end).
   *
   * ```
   *  UpdateItem SET handoffAt = now, handoffUntil = now + ttl, handoffKfAccount = kf (or REMOVE it), expiresAt
   * ```
   *
   * @example
   * ```ts
   * await handoffs.mark('OPENID', { kfAccount: 'kf1@wx', ttlMs: 600_000 });
   * ```
   */
  async mark(openid: string, options: { kfAccount?: string; ttlMs?: number } = {}): Promise<HandoffState> {
    const now = this.now();
    const until = now + (options.ttlMs ?? DEFAULT_HANDOFF_TTL_MS);
    const kf = options.kfAccount;
    const out = await this.update({
      key: this.keyOf(openid),
      set: { handoffAt: n(now), handoffUntil: n(until), expiresAt: this.ttl(now, until), handoffKfAccount: kf ? s(kf) : undefined },
      remove: kf ? [] : ['handoffKfAccount'],
      returnValues: 'ALL_NEW',
    });
    return this.stateOf(out.Attributes, now);
  }

  /**
   * Clears the mark. Answers whether a mark was in force (an expired one counts as none).
   *
   * ```
   *  UpdateItem REMOVE handoffAt, handoffUntil, handoffKfAccount  IF attribute_exists(handoffUntil)
   * ```
   * The condition keeps a clear of a user never marked from writing an empty item.
   */
  async clear(openid: string): Promise<boolean> {
    const now = this.now();
    try {
      const out = await this.update({
        key: this.keyOf(openid),
        remove: ['handoffAt', 'handoffUntil', 'handoffKfAccount'],
        condition: 'attribute_exists(#handoffUntil)',
        returnValues: 'ALL_OLD',
      });
      return (numberAttr(out.Attributes, 'handoffUntil') ?? 0) > now;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** The user's mark (when in force) and human session (strongly consistent read). */
  async read(openid: string): Promise<HandoffState> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(openid), ConsistentRead: true }));
    return this.stateOf(out.Item, this.now());
  }

  /**
   * Applies a session event WeChat pushed, at its CreateTime `at` (ms), as the core's applySessionEvent does
   * (core/inbound/handoff-state.ts, the one rule; test/callback holds both stores to it). `create` opens the human session
   * and consumes the mark (an agent has the user: no more transfers); `switch` hands it to another kf
   * account, keeping when it started; `close` ends it and clears any mark.
   *
   * WeChat retries pushes and they may arrive out of order; a late event must not undo a newer one. Each
   * write carries its order, CreateTime (whole seconds) × 10 + rank (create 1, switch 2, close 3), and
   * applies only when newer than the last one applied:
   * ```
   *  t=100 create ──▶ humanKfAccount=kf1, humanOrder=1001
   *  t=160 close  ──▶ REMOVE humanKfAccount, humanOrder=1603
   *  t=100 create (WeChat's retry, late) ── IF humanOrder < 1001 ✗ → stays closed
   *
   *  create: SET humanKfAccount = :kf, humanSince = :at, humanOrder = :order
   *          REMOVE handoffAt, handoffUntil, handoffKfAccount            IF no humanOrder OR humanOrder < :order
   *  switch: SET humanKfAccount = :kf, humanSince = if_not_exists(humanSince, :at), humanOrder = :order  IF (same)
   *  close:  SET humanOrder = :order REMOVE humanKfAccount, humanSince, handoff*                       IF (same)
   * ```
   * Within one second, close outranks switch outranks create: a session that closes in the second it opened
   * stays closed whatever order the two pushes arrive in. (Two sessions opened and closed in one second
   * would lose the second opening; WeChat's desk is not that fast.)
   *
   * @returns the state after the write, or as it is when the event was older than what is stored.
   */
  async recordSession(openid: string, event: SessionEvent, kfAccount: string | undefined, at: number): Promise<HandoffState> {
    const now = this.now();
    const order = sessionOrder(event, at, now);
    const mark = ['handoffAt', 'handoffUntil', 'handoffKfAccount'];
    const since = n(Math.min(at, now));
    const write: UpdateWrite =
      event === 'close'
        ? { set: { humanOrder: ':order', expiresAt: this.ttl(now, now) }, remove: ['humanKfAccount', 'humanSince', ...mark] }
        : {
            set: {
              humanKfAccount: s(kfAccount ?? ''),
              // A switch keeps when the session started; a create starts it.
              humanSince: event === 'create' ? since : 'if_not_exists(#humanSince, :at)',
              humanOrder: ':order',
              expiresAt: this.ttl(now, now),
            },
            remove: event === 'create' ? mark : [],
          };
    try {
      const out = await this.update({
        key: this.keyOf(openid),
        ...write,
        condition: 'attribute_not_exists(#humanOrder) OR #humanOrder < :order',
        values: { ':order': n(order), ...(event === 'switch' ? { ':at': since } : {}) },
        returnValues: 'ALL_NEW',
      });
      return this.stateOf(out.Attributes, now);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return this.read(openid);
    }
  }

  private stateOf(item: Record<string, AttributeValue> | undefined, now: number): HandoffState {
    const until = numberAttr(item, 'handoffUntil');
    const kf = stringAttr(item, 'humanKfAccount');
    const since = numberAttr(item, 'humanSince');
    const handoffKf = stringAttr(item, 'handoffKfAccount');
    return {
      ...(until !== undefined && until > now
        ? { mark: { ...(handoffKf ? { kf_account: handoffKf } : {}), markedAt: numberAttr(item, 'handoffAt') ?? now, until } }
        : {}),
      humanSession: kf !== undefined && since !== undefined ? { kf_account: kf, since } : null,
    };
  }

  private keyOf(openid: string): TableKey {
    return keys.window(this.appId, openid);
  }

  private key(openid: string): Record<string, AttributeValue> {
    return marshallKey(this.keyOf(openid));
  }

  /** The item's TTL: as the window store keeps it (7 days after the last write), and never before the mark ends. */
  private ttl(now: number, until: number): AttributeValue {
    return n(epochSeconds(Math.max(now + WINDOW_ITEM_RETENTION_MS, until)));
  }
}
