/**
 * The send window and the typing window of each user, kept in one DynamoDB item per (app id, openid), and
 * checked, counted and recorded by single conditional writes so that concurrent senders in any number of
 * containers can never exceed what the rules allow.
 *
 * The rules are the core's data ({@link WINDOW_RULES}, {@link TYPING_RULES}): the condition of the send
 * write is generated from the profile's rows, and a refusal is explained with the core's
 * {@link windowState}, so the store, the `GET /interactions/{openid}` answer and the errors always agree.
 *
 * The item (`pk = WINDOW#<appId>#<openid>`, `sk = WINDOW`):
 *
 * | attribute | type | meaning |
 * | --- | --- | --- |
 * | lastInboundAt | N | when the user last did something that opens a window (ms) |
 * | lastInboundSeq | N | the MsgId of that interaction (0 for events): orders interactions of one second |
 * | lastInboundKind | S | `message` or `event` |
 * | sendsUsed | N | sends counted since that interaction |
 * | lastOutboundAt | N | when the account last sent the user a message (ms) |
 * | typingUntil | N | until when a typing indicator shows (ms) |
 * | expiresAt | N | TTL (epoch s): 7 days after the last write, longer than any window |
 *
 * @example
 * ```ts
 * const windows = new WindowStore({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * await windows.recordInbound('OPENID', 'message', createTime * 1000);
 * const permit = await windows.acquireSend('OPENID'); // throws SendWindowClosedError when closed
 * try { await wechat.call('sendText', input); } catch (e) { await permit.release(); throw e; }
 * ```
 */
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type NotEnoughSendsError,
  type SendWindowClosedError,
  type TypingActiveError,
  type TypingNotAllowedError,
  ValidationError,
} from '../core/errors';
import { openidIssue } from '../core/fields';
import type { RulesProfile } from '../core/limits';
import { sendRefusalError, typingRefusalError } from '../core/window-refusals';
import {
  TYPING_RULES,
  WINDOW_RULES,
  windowState,
  type InteractionKind,
  type WindowPolicy,
  type WindowRecord,
  type WindowState,
} from '../core/window';
import { epochSeconds, isConditionalCheckFailed, keys, marshallKey, n, numberAttr, s, stringAttr, type TableKey } from './table';
import { TableStore, type TableStoreOptions } from './table-store';
import type { UpdateWrite } from './update';

export type { WindowPolicy };

/**
 * Why the send gate refuses a send: the core's {@link WindowState.sendRefusal}, or `not-enough-sends`
 * when a send of several parts needs more sends than are left.
 */
export type SendRefusalReason = NonNullable<WindowState['sendRefusal']> | 'not-enough-sends';

/** Why the typing gate refuses `Typing` (as the core's {@link WindowState.typingRefusal}). */
export type TypingRefusalReason = NonNullable<WindowState['typingRefusal']>;

/** Permission to send one message, counted in the user's send window. */
export interface SendPermit {
  /** Under policy `observe`: why `enforce` would have refused this send (it was let through). */
  observedRefusal?: SendRefusalReason;
  /** Under policy `observe`: the error `enforce` would have thrown, with its message (not thrown). */
  observedError?: SendWindowClosedError | NotEnoughSendsError;
  /** How many sends this permit counted (1, or the parts of a split send). */
  readonly count: number;
  /**
   * Gives counted sends back, when WeChat then refused the send or parts were never sent: `count` of them
   * (default: all this permit still holds). Never gives back more than the permit counted in all; does
   * nothing if a newer interaction has reset the count meanwhile.
   */
  release(count?: number): Promise<void>;
}

/** Permission for one typing command. */
export interface TypingPermit {
  /** Under policy `observe`: why `enforce` would have refused this command (it was let through). */
  observedRefusal?: TypingRefusalReason;
  /** Under policy `observe`: the error `enforce` would have thrown, with its message (not thrown). */
  observedError?: TypingNotAllowedError | TypingActiveError;
  /** Clears the typing state this permit set, when WeChat refused the command. */
  release(): Promise<void>;
}

export interface WindowStoreOptions extends TableStoreOptions {
  appId: string;
  /** Which window rules apply. Default `current`. */
  profile?: RulesProfile;
  /** Default `enforce`. */
  policy?: WindowPolicy;
}

/** How long a window item is kept after its last write (TTL). Longer than any rule's window. */
export const WINDOW_ITEM_RETENTION_MS = 7 * 86_400_000;

/** Tries when a refused write finds, on re-reading, that the window allows it after all (a race). */
const ATTEMPTS = 3;

const NO_RELEASE = async (): Promise<void> => undefined;

/** One UpdateItem on a user's window item: what it sets and removes, under which condition. */
type WindowWrite = UpdateWrite;

/**
 * Per-user send and typing windows on DynamoDB.
 *
 * @example
 * ```ts
 * const windows = new WindowStore({ client, tableName: 'wechat-kf', appId: 'wx123', profile: 'current', policy: 'enforce' });
 * const state = await windows.state('OPENID');
 * state.canSend; // false until the user writes in
 * ```
 */
export class WindowStore extends TableStore {
  private readonly appId: string;
  /** The rules profile in use. */
  readonly profile: RulesProfile;
  /** The policy in use. */
  readonly policy: WindowPolicy;

  constructor(options: WindowStoreOptions) {
    super(options);
    this.appId = options.appId;
    this.profile = options.profile ?? 'current';
    this.policy = options.policy ?? 'enforce';
  }

  /**
   * Records that the user did something that opens a send window (a message, or a window-opening event),
   * at `at` (ms; clamped to now: a callback's CreateTime is never trusted to lie in the future). The window
   * restarts: `lastInboundAt = at`, `lastInboundKind = kind`, `sendsUsed = 0`. Recorded under every
   * policy (under `off` too: the state is still worth answering).
   *
   * Only a newer interaction restarts the window. WeChat retries callbacks, and callbacks arrive out of
   * order; an older one must not hand the sends of a used-up window back. "Newer" is the pair
   * (`at`, `sequence`): CreateTime has whole seconds, so two messages of one second are ordered by their
   * MsgId (the core's `interactionSequence`; events rank `0`, before the messages of their second):
   * ```
   *  t=100 message #7 ─┐           ┌─ message #8, same second      ┌─ replay of #8 (WeChat's retry)
   *                    ▼           ▼                               ▼
   *  item: (100, #7) sendsUsed 0→5 ─ (100, 8 > 7 ✓) sendsUsed 0 → 5 ─ IF (100, 8 > 8 ✗) → unchanged, 5 used
   *  an event of second 100 (rank 0) after #8: 0 > 8 ✗ → the message rule stays
   *
   *  UpdateItem SET lastInboundAt = :at, lastInboundSeq = :seq, lastInboundKind = :kind, sendsUsed = 0
   *             IF (attribute_not_exists(lastInboundAt) OR lastInboundAt < :at
   *                 OR (lastInboundAt = :at AND (attribute_not_exists(lastInboundSeq) OR lastInboundSeq < :seq)))
   *                AND (attribute_not_exists(unfollowedAt) OR unfollowedAt <= :at)
   * ```
   * (The same-second clause is left out for rank `0`: nothing ranks below it.)
   *
   * @param sequence the MsgId of the push (digits), or `'0'` for events and interactions without one.
   * @returns the window state after the write (or as it is, when the interaction was older).
   * @example
   * ```ts
   * const state = await windows.recordInbound('OPENID', 'message', Number(msg.CreateTime) * 1000, msg.MsgId);
   * state.sendsLeft; // 5
   * ```
   */
  async recordInbound(openid: string, kind: InteractionKind, at: number, sequence = '0'): Promise<WindowState> {
    checkOpenid(openid);
    const now = this.now();
    const seq = /^[0-9]{1,30}$/.test(sequence) ? sequence.replace(/^0+(?=.)/, '') : '0';
    const sameSecond =
      seq === '0' ? '' : ' OR (#lastInboundAt = :at AND (attribute_not_exists(#lastInboundSeq) OR #lastInboundSeq < :seq))';
    return this.updateOrRead(openid, now, {
      set: { lastInboundAt: ':at', lastInboundSeq: ':seq', lastInboundKind: s(kind), sendsUsed: n(0), expiresAt: this.ttl(now) },
      // Newer than what is stored, and not older than an unfollow: a late push from before the user
      // unfollowed must not reopen the window (CreateTime has whole seconds, so a follow in the same
      // second as the unfollow, pushed after it, does reopen it).
      condition: `(attribute_not_exists(#lastInboundAt) OR #lastInboundAt < :at${sameSecond}) AND (attribute_not_exists(#unfollowedAt) OR #unfollowedAt <= :at)`,
      values: { ':at': n(Math.min(at, now)), ':seq': { N: seq } },
    });
  }

  /**
   * Records that the user unfollowed (an `unsubscribe` push): the send window closes at once, as WeChat
   * answers 45015 to any send to a user who no longer follows. The next interaction after `at` opens a new
   * window. An unfollow older than the last interaction (a late push) changes nothing.
   *
   * ```
   *  UpdateItem SET unfollowedAt = at REMOVE lastInboundAt, lastInboundKind, typingUntil
   *             IF attribute_not_exists(lastInboundAt) OR lastInboundAt <= at
   * ```
   *
   * @example
   * ```ts
   * await windows.recordUnfollow('OPENID', message.CreateTime * 1000);
   * ```
   */
  async recordUnfollow(openid: string, at: number): Promise<WindowState> {
    checkOpenid(openid);
    const now = this.now();
    return this.updateOrRead(openid, now, {
      set: { unfollowedAt: ':at', expiresAt: this.ttl(now) },
      remove: ['lastInboundAt', 'lastInboundKind', 'typingUntil'],
      condition: 'attribute_not_exists(#lastInboundAt) OR #lastInboundAt <= :at',
      values: { ':at': n(Math.min(at, now)) },
    });
  }

  /**
   * One conditional write to a user's window item, answering the new state; when the condition fails (an
   * older push than what is stored), the item is left as it is and its current state answered.
   */
  private async updateOrRead(openid: string, now: number, write: WindowWrite): Promise<WindowState> {
    try {
      const out = await this.update({ key: this.keyOf(openid), ...write, returnValues: 'ALL_NEW' });
      return windowState(toRecord(out.Attributes), now, this.profile);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return this.state(openid);
    }
  }

  /**
   * The user's window state now (strongly consistent read).
   *
   * @example
   * ```ts
   * const { canSend, sendsLeft, windowEnd, canType } = await windows.state('OPENID');
   * ```
   */
  async state(openid: string): Promise<WindowState> {
    checkOpenid(openid);
    return windowState(await this.read(openid), this.now(), this.profile);
  }

  /**
   * Checks that the user's send window allows one more send, counts it, and records it, in ONE
   * conditional write. The condition is generated from the profile's rules, one clause per kind of
   * interaction (a rule with no count has no count clause):
   * ```
   *  (lastInboundKind = 'message' AND lastInboundAt > now - 48 h AND sendsUsed < 5)
   *  OR (lastInboundKind = 'event' AND lastInboundAt > now - 1 min AND sendsUsed < 3)
   *
   *  UpdateItem SET sendsUsed = sendsUsed + 1, lastOutboundAt = now REMOVE typingUntil  IF <that>
   * ```
   * 20 concurrent sends to a user whose window allows 5 all race for the same item; DynamoDB applies the
   * writes one at a time, so exactly 5 conditions hold and 15 fail. A failed condition is explained by
   * re-reading the item: `no-interaction`, `window-expired` or `quota-used`, with the rule's source. (If
   * the re-read finds the window open after all, because an interaction landed in between, it tries again.)
   *
   * A sent message ends typing, hence `REMOVE typingUntil`.
   *
   * Policy `observe` does the same write without the condition and reports, never throws, what `enforce`
   * would have refused (`observedRefusal`, `observedError`); `off` writes nothing.
   *
   * @throws {SendWindowClosedError} under `enforce`, when the window does not allow the send.
   * @example
   * ```ts
   * const permit = await windows.acquireSend('OPENID');
   * try {
   *   await wechat.call('sendText', { touser: 'OPENID', text: { content: 'Hi' } });
   * } catch (error) {
   *   await permit.release(); // WeChat did not send it: give the count back
   *   throw error;
   * }
   * ```
   */
  async acquireSend(openid: string): Promise<SendPermit> {
    return this.acquireSends(openid, 1);
  }

  /**
   * Reserves `count` sends at once, for a message sent in parts (a long text split): all of them or none,
   * in ONE conditional write, so two split sends racing for the same user can never both start and then
   * run out half-way. The send condition's count clause becomes "at least `count` left":
   * ```
   *  (lastInboundKind = 'message' AND lastInboundAt > now - 48 h AND sendsUsed < 5 - count + 1) OR (...)
   *
   *  UpdateItem SET sendsUsed = sendsUsed + count, lastOutboundAt = now REMOVE typingUntil  IF <that>
   *
   *  user has 5 left ── split send A (3 parts): 0 → 3 ✓ ──┐
   *                  └─ split send B (3 parts): IF sendsUsed < 3 ✗ (3) → NotEnoughSendsError(parts 3, left 2)
   *                                                        └─ A's part 2 refused by WeChat: release(2): 3 → 1
   * ```
   * Parts that are never sent (a part failed, so the rest were not tried) are given back with
   * `release(n)`, under the same condition as a single send's release.
   *
   * @throws {SendWindowClosedError} the window is closed (enforce).
   * @throws {NotEnoughSendsError} the window is open but has fewer than `count` sends left (enforce).
   * @example
   * ```ts
   * const permit = await windows.acquireSends('OPENID', parts.length);
   * for (const [i, part] of parts.entries()) {
   *   try { await send(part); } catch (e) { await permit.release(parts.length - i); throw e; }
   * }
   * ```
   */
  async acquireSends(openid: string, count: number): Promise<SendPermit> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    checkOpenid(openid);
    if (this.policy === 'off') return { count, release: NO_RELEASE };
    const key = this.keyOf(openid);
    const permit = await this.gatedWrite(openid, {
      write: (now) => {
        const condition = this.policy === 'enforce' ? sendCondition(this.profile, now, count) : undefined;
        return {
          set: { sendsUsed: 'if_not_exists(#sendsUsed, :zero) + :count', lastOutboundAt: n(now), expiresAt: this.ttl(now) },
          remove: ['typingUntil'],
          condition: condition?.expression,
          values: { ':zero': n(0), ':count': n(count), ...condition?.values },
        };
      },
      refusalOf: (state): SendRefusalReason | null =>
        state.sendRefusal ?? (state.sendsLeft !== null && state.sendsLeft < count ? 'not-enough-sends' : null),
      errorOf: (state) => sendRefusalError(this.profile, openid, state, count),
      releaseOf: (old) => this.sendRelease(key, old.lastInboundAt, count),
    });
    return { ...permit, count };
  }

  /**
   * Checks and records a typing command in one conditional write.
   *
   * `Typing` needs the send window to allow a message (as WeChat: a used-up or closed window refuses
   * typing too), a message exchanged with the user, either way, within the last 30 s, and no typing
   * indicator still showing (each lasts 15 s):
   * ```
   *  UpdateItem SET typingUntil = now + 15 s
   *             IF (<the send condition, as acquireSend's>)
   *                AND (lastInboundAt >= now - 30 s OR lastOutboundAt >= now - 30 s)
   *                AND (attribute_not_exists(typingUntil) OR typingUntil <= now)
   * ```
   * `CancelTyping` removes `typingUntil`, unconditionally (on an existing item only).
   *
   * Policies as for {@link acquireSend}.
   *
   * @throws {TypingNotAllowedError} no interaction within 30 s (enforce).
   * @throws {TypingActiveError} a typing indicator is still showing (enforce).
   * @example
   * ```ts
   * const permit = await windows.acquireTyping('OPENID', 'Typing');
   * try { await wechat.call('sendTyping', { touser: 'OPENID', command: 'Typing' }); }
   * catch (error) { await permit.release(); throw error; }
   * ```
   */
  async acquireTyping(openid: string, command: 'Typing' | 'CancelTyping'): Promise<TypingPermit> {
    checkOpenid(openid);
    if (this.policy === 'off') return { release: NO_RELEASE };
    const key = this.keyOf(openid);
    if (command === 'CancelTyping') {
      try {
        await this.update({
          key,
          remove: ['typingUntil'],
          // Not a rule: only keeps a cancel for an unknown user from creating an empty item.
          condition: 'attribute_exists(#pk)',
        });
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      return { release: NO_RELEASE };
    }
    const enforce = this.policy === 'enforce';
    return this.gatedWrite(openid, {
      write: (now) => {
        // Typing also needs the send window to allow a message (WeChat's rule; docs/window-rules.md).
        const send = enforce ? sendCondition(this.profile, now) : undefined;
        return {
          set: { typingUntil: n(now + TYPING_RULES.durationMs), expiresAt: this.ttl(now) },
          condition: send
            ? `(${send.expression}) AND (#lastInboundAt >= :since OR #lastOutboundAt >= :since) AND (attribute_not_exists(#typingUntil) OR #typingUntil <= :now)`
            : undefined,
          values: send ? { ':since': n(now - TYPING_RULES.interactionWithinMs), ':now': n(now), ...send.values } : {},
        };
      },
      refusalOf: (state) => state.typingRefusal,
      errorOf: (state) => typingRefusalError(this.profile, openid, state),
      releaseOf: (_old, now) => this.typingRelease(key, now + TYPING_RULES.durationMs),
    });
  }

  /**
   * The write behind both gates, and what it answers:
   * ```
   *  UpdateItem <write(now)> IF <its condition>  RETURN ALL_OLD
   *    ├─ written: the permit; under `observe` (no condition) it also reports what `enforce` would
   *    │           have refused, judged on the item as it was before the write
   *    └─ condition failed: re-read the item; a refusal there is the answer (thrown); none means an
   *                         interaction landed in between, so try again (at most ATTEMPTS times)
   * ```
   */
  private async gatedWrite<R extends string, E extends Error>(
    openid: string,
    gate: {
      write: (now: number) => WindowWrite;
      refusalOf: (state: WindowState) => R | null;
      errorOf: (state: WindowState) => E;
      releaseOf: (old: WindowRecord, now: number) => (count?: number) => Promise<void>;
    },
  ): Promise<{ release: (count?: number) => Promise<void>; observedRefusal?: R; observedError?: E }> {
    for (let attempt = 1; ; attempt++) {
      const now = this.now();
      const write = gate.write(now);
      let old: WindowRecord;
      try {
        const out = await this.update({
          key: this.keyOf(openid),
          ...write,
          returnValues: 'ALL_OLD',
          // A refusal explains itself from the item the condition saw: one request, not a write and
          // then a read. (DynamoDB returns it; dynalite and older DynamoDB-compatibles do not, and then
          // the item is read, as before: functions/store/README.md, Windows.)
          returnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        old = toRecord(out.Attributes) ?? {};
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const seen = (error as { Item?: Record<string, AttributeValue> }).Item;
        const state = windowState(seen ? toRecord(seen) : await this.read(openid), this.now(), this.profile);
        if (gate.refusalOf(state) !== null || attempt >= ATTEMPTS) throw gate.errorOf(state);
        continue;
      }
      const before = windowState(old, now, this.profile);
      const permit: { release: (count?: number) => Promise<void>; observedRefusal?: R; observedError?: E } = {
        release: gate.releaseOf(old, now),
      };
      const refusal = gate.refusalOf(before);
      if (refusal !== null) {
        permit.observedRefusal = refusal;
        permit.observedError = gate.errorOf(before);
      }
      return permit;
    }
  }

  /**
   * `release()` of a send permit: gives the count back only while the window is the one the send was
   * counted in, and only if something is counted.
   * ```
   *  acquire (lastInboundAt = 100, sendsUsed 2 → 3) ── WeChat refuses ── release: 3 → 2 ✓
   *  acquire (lastInboundAt = 100, 2 → 3) ── user writes in (lastInboundAt = 200, sendsUsed 0) ── release ✗
   *
   *  UpdateItem SET sendsUsed = sendsUsed - 1 IF lastInboundAt = <seen at acquire> AND sendsUsed > 0
   * ```
   * `lastOutboundAt` and a removed `typingUntil` are not restored (concurrent sends may have moved them);
   * at worst a later Typing is let through that WeChat then refuses with 45080.
   */
  private sendRelease(key: TableKey, lastInboundAt: number | undefined, counted: number): (count?: number) => Promise<void> {
    // Each release gives back what is asked, never more than the permit still holds; a permit of one
    // send behaves as before (once). `sendsUsed >= k` keeps the count from going below zero.
    let held = counted;
    return async (count = held) => {
      const k = Math.min(count, held);
      if (k <= 0) return;
      held -= k;
      await this.releaseOnce(key, {
        set: { sendsUsed: '#sendsUsed - :k' },
        condition:
          lastInboundAt === undefined
            ? 'attribute_not_exists(#lastInboundAt) AND #sendsUsed >= :k'
            : '#lastInboundAt = :at AND #sendsUsed >= :k',
        values: { ':k': n(k), ...(lastInboundAt === undefined ? {} : { ':at': n(lastInboundAt) }) },
      })();
    };
  }

  /** `release()` of a typing permit: removes `typingUntil` only if it is still the one this permit set. */
  private typingRelease(key: TableKey, until: number): () => Promise<void> {
    return this.releaseOnce(key, {
      remove: ['typingUntil'],
      condition: '#typingUntil = :until',
      values: { ':until': n(until) },
    });
  }

  /** A release that writes at most once; a failed condition means there is nothing left to give back. */
  private releaseOnce(key: TableKey, write: WindowWrite): () => Promise<void> {
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        await this.update({ key, ...write });
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    };
  }

  private async read(openid: string): Promise<WindowRecord | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshallKey(this.keyOf(openid)), ConsistentRead: true }),
    );
    return toRecord(out.Item);
  }

  private keyOf(openid: string): TableKey {
    return keys.window(this.appId, openid);
  }

  private ttl(now: number): AttributeValue {
    return n(epochSeconds(now + WINDOW_ITEM_RETENTION_MS));
  }
}

/**
 * The condition of the send write, generated from a profile's rules: one clause per kind of interaction,
 * without a count clause for a rule with no count.
 *
 * @example
 * ```ts
 * sendCondition('seed', Date.now()).expression;
 * // '(#lastInboundKind = :kind_message AND #lastInboundAt > :since_message) OR (#lastInboundKind = :kind_event AND #lastInboundAt > :since_event)'
 * ```
 */
export function sendCondition(
  profile: RulesProfile,
  now: number,
  count = 1,
): { expression: string; values: Record<string, AttributeValue> } {
  const clauses: string[] = [];
  const values: Record<string, AttributeValue> = {};
  for (const [kind, rule] of Object.entries(WINDOW_RULES[profile])) {
    // Open while now < lastInboundAt + durationMs, i.e. lastInboundAt > now - durationMs (as windowState).
    const parts = [`#lastInboundKind = :kind_${kind}`, `#lastInboundAt > :since_${kind}`];
    values[`:kind_${kind}`] = s(kind);
    values[`:since_${kind}`] = n(now - rule.durationMs);
    if (rule.maxSends !== null) {
      // At least `count` left: sendsUsed + count <= maxSends, i.e. sendsUsed < maxSends - count + 1.
      parts.push(`#sendsUsed < :max_${kind}`);
      values[`:max_${kind}`] = n(rule.maxSends - count + 1);
    }
    clauses.push(`(${parts.join(' AND ')})`);
  }
  return { expression: clauses.join(' OR '), values };
}

/**
 * The store's own guard on the key-forming field: an openid that breaks the shared rule would make a key
 * DynamoDB refuses (2 048 bytes) or that no WeChat user has. The API refuses it earlier with the field's
 * own name (touser, openid); this keeps any other caller from reaching DynamoDB with it.
 */
function checkOpenid(openid: string): void {
  const rule = openidIssue(openid);
  if (rule) throw new ValidationError([{ field: 'openid', rule }]);
}

function toRecord(item: Record<string, AttributeValue> | undefined): WindowRecord | undefined {
  if (!item) return undefined;
  const kind = stringAttr(item, 'lastInboundKind');
  return {
    lastInboundAt: numberAttr(item, 'lastInboundAt'),
    lastInboundKind: kind === 'message' || kind === 'event' ? kind : undefined,
    sendsUsed: numberAttr(item, 'sendsUsed'),
    lastOutboundAt: numberAttr(item, 'lastOutboundAt'),
    typingUntil: numberAttr(item, 'typingUntil'),
    unfollowedAt: numberAttr(item, 'unfollowedAt'),
  };
}
