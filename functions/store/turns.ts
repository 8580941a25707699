/**
 * Each user's turn buffer (docs/turns.md): the messages of their open turn, in one item, and each closed
 * turn until it is published. Single-item conditional writes only (dynalite has no transactions).
 *
 * Items:
 * - `pk = TURN#<appId>#<openid>`, `sk = OPEN`: `messages` (L of JSON S, as received), `msgKeys` (SS, their
 *   dedup keys), `turnId`, `startedAt`, `lastAt` (ms), `pending` (N), `version` (N, +1 on every write),
 *   `recentKeys` (SS, the keys of the turns closed last, at most 50), `hourStart` / `hourTurns` (the hourly count),
 *   `expiresAt`. It stays after its turn closes (without messages): the next message opens a new turn in it.
 * - `pk = TURN#<appId>#<openid>`, `sk = CLOSED#<turnId>`: `version` (of the buffer it was cut from), `event`
 *   (JSON of the event to publish), `claimedAt`, `publishedAt`, `expiresAt` (a day).
 *
 * The timeline of one turn (one UpdateItem per inbound message, the rest by the closer):
 * ```
 * callback, per message   UpdateItem OPEN  SET messages = list_append(messages, [m]), turnId = if_not_exists(turnId, :fresh),
 *                                              startedAt = if_not_exists(startedAt, :now), lastAt = :now
 *                                          ADD msgKeys {key}, version 1, pending 1
 *                                          IF NOT contains(msgKeys, key) AND NOT contains(recentKeys, key) AND pending < cap
 *                         (✗ on the key: WeChat's retry of a push already in the buffer, or in the turn just closed: one message)
 * closer (timer fires)    GetItem OPEN (consistent) → version v, turnId T, messages M; not due → re-arm the timer, done
 *   1. cut                PutItem CLOSED#T {version v, event(M[0..k])}  IF attribute_not_exists(pk) OR version < v
 *                         (✗ with version = v: an earlier try cut the same; ✗ with version > v: our read is stale → re-read)
 *   2. seal               UpdateItem OPEN  SET messages = M[k..], recentKeys = keys(M[0..k]), turnId = T' (or REMOVE all when
 *                                          nothing is left), hourStart/hourTurns  ADD version 1   IF version = v AND turnId = T
 *                         (✗: a message arrived between the read and the seal → re-read; it lands in T or in T', never both)
 *   3. claim              UpdateItem CLOSED#T SET claimedAt = now  IF NOT publishedAt AND (NOT claimedAt OR claimedAt < now - lease)
 *   4. publish            turn.ready / turn.limited (EventBridge; locally the memory publisher and the webhooks)
 *   5. done               UpdateItem CLOSED#T SET publishedAt = now
 *
 *   a message arriving:   before 2 → it bumped version: the seal fails, the closer re-reads and cuts again, with it;
 *                         after 2  → it lands in T' (or opens a new turn): T is already sealed without it.
 *   a closer crashing:    before 1 or between 1 and 2 → the retried timer finds T still open and cuts again (version = v: same cut);
 *                         after 2 → the retried timer finds OPEN on another turn, CLOSED#T unpublished: steps 3–5.
 * ```
 * Once a CLOSED#T with version v is sealed, no cut of T with a lower version can overwrite it, and no
 * higher version of T exists (the seal moved the buffer on), so what is published is what was sealed.
 * The one window for a second publication is a crash between 4 and 5 that outlives the claim's lease:
 * subscribers deduplicate by `turnId` (docs/turns.md).
 *
 * @example
 * ```ts
 * const turns = new TurnStore({ client, tableName: 'wechat-kf', appId: 'wx123' });
 * const added = await turns.append('OPENID', { key: 'msg:1', receivedAt: Date.now(), detail }, 'turn-id-if-new');
 * ```
 */
import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TURN_PENDING_CAP, type HourlyCount, type TurnMessage } from '../core/turns';
import {
  epochSeconds,
  isConditionalCheckFailed,
  marshallKey,
  n,
  names,
  numberAttr,
  s,
  stringAttr,
  TABLE_PARTITION_KEY,
  type TableKey,
} from './table';
import { TableStore, type TableStoreOptions } from './table-store';

export interface TurnStoreOptions extends TableStoreOptions {
  appId: string;
}

/** A user's open turn, as the closer reads it. */
export interface OpenTurn {
  turnId: string;
  startedAt: number;
  lastAt: number;
  version: number;
  messages: TurnMessage[];
  hourly?: HourlyCount;
  /** The push keys of the turns closed last (newest first): a retry of one of them is not a new message. */
  recentKeys?: string[];
}

/** What one append did. */
export type AppendOutcome =
  | { outcome: 'added'; turnId: string; opened: boolean; pending: number; startedAt?: number }
  | { outcome: 'duplicate' }
  | { outcome: 'full' };

/** A closed turn waiting to be (or already) published. */
export interface ClosedTurn {
  version: number;
  event: { detailType: string; detail: Record<string, unknown> };
  publishedAt?: number;
}

/** How long a buffer item is kept after its last message, and a closed turn after it was cut. */
const OPEN_TTL_MS = 7 * 86_400_000;
const CLOSED_TTL_MS = 86_400_000;

/** Each user's turn buffer; see the module comment for the timeline of its conditional writes. */
export class TurnStore extends TableStore {
  private readonly appId: string;

  constructor(options: TurnStoreOptions) {
    super(options);
    this.appId = options.appId;
  }

  private open(openid: string): TableKey {
    return { pk: `TURN#${this.appId}#${openid}`, sk: 'OPEN' };
  }

  private closed(openid: string, turnId: string): TableKey {
    return { pk: `TURN#${this.appId}#${openid}`, sk: `CLOSED#${turnId}` };
  }

  /**
   * Adds one inbound message to its user's open turn (opening one under `freshTurnId` if none is open).
   * One conditional UpdateItem; on a failed condition one consistent read says why.
   *
   * @example
   * ```ts
   * const r = await turns.append('OPENID', message, randomTurnId());
   * if (r.outcome === 'added' && r.opened) await timer.schedule('OPENID', r.turnId, quietMs);
   * ```
   */
  async append(openid: string, message: TurnMessage, freshTurnId: string): Promise<AppendOutcome> {
    const now = this.now();
    try {
      const out = await this.update({
        key: this.open(openid),
        set: {
          messages: 'list_append(if_not_exists(#messages, :none), :message)',
          turnId: 'if_not_exists(#turnId, :fresh)',
          startedAt: 'if_not_exists(#startedAt, :now)',
          lastAt: ':now',
          expiresAt: n(epochSeconds(now + OPEN_TTL_MS)),
        },
        add: { msgKeys: { SS: [message.key] }, version: n(1), pending: n(1) },
        condition:
          'NOT contains(#msgKeys, :key) AND NOT contains(#recentKeys, :key) AND (attribute_not_exists(#pending) OR #pending < :cap)',
        values: {
          ':none': { L: [] },
          ':message': { L: [s(JSON.stringify(message))] },
          ':fresh': s(freshTurnId),
          ':now': n(now),
          ':key': s(message.key),
          ':cap': n(TURN_PENDING_CAP),
        },
        returnValues: 'UPDATED_NEW',
      });
      const turnId = stringAttr(out.Attributes, 'turnId') ?? freshTurnId;
      const pending = numberAttr(out.Attributes, 'pending') ?? 1;
      return { outcome: 'added', turnId, opened: turnId === freshTurnId, pending, startedAt: numberAttr(out.Attributes, 'startedAt') };
    } catch (error) {
      // DynamoDB refuses an item over 400 KB: the buffer is full, as at the cap.
      if ((error as { name?: string })?.name === 'ValidationException' && /size/i.test((error as Error).message))
        return { outcome: 'full' };
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const item = await this.get(this.open(openid));
    const seen = [...(item?.msgKeys?.SS ?? []), ...(item?.recentKeys?.SS ?? [])];
    return seen.includes(message.key) ? { outcome: 'duplicate' } : { outcome: 'full' };
  }

  /** The user's open turn, read consistently; `undefined` when none is open. */
  async readOpen(openid: string): Promise<OpenTurn | undefined> {
    const item = await this.get(this.open(openid));
    const turnId = stringAttr(item, 'turnId');
    if (!item || !turnId) return undefined;
    const hourStart = numberAttr(item, 'hourStart');
    return {
      turnId,
      startedAt: numberAttr(item, 'startedAt') ?? 0,
      lastAt: numberAttr(item, 'lastAt') ?? 0,
      version: numberAttr(item, 'version') ?? 0,
      messages: (item.messages?.L ?? []).map((v) => JSON.parse(v.S ?? '{}') as TurnMessage),
      recentKeys: item.recentKeys?.SS ?? [],
      ...(hourStart !== undefined ? { hourly: { hourStart, turns: numberAttr(item, 'hourTurns') ?? 0 } } : {}),
    };
  }

  /** The user's hourly count, even with no turn open (the console and tests). */
  async hourly(openid: string): Promise<HourlyCount | undefined> {
    const item = await this.get(this.open(openid));
    const hourStart = numberAttr(item, 'hourStart');
    return hourStart === undefined ? undefined : { hourStart, turns: numberAttr(item, 'hourTurns') ?? 0 };
  }

  /**
   * Step 1, the cut: writes the closed turn cut from buffer version `version`. `'cut'` when written or
   * when an earlier try wrote the same version; `'stale'` when a newer version was cut (re-read).
   */
  async cut(openid: string, turnId: string, closed: ClosedTurn): Promise<'cut' | 'stale'> {
    const key = this.closed(openid, turnId);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...marshallKey(key),
            version: n(closed.version),
            event: s(JSON.stringify(closed.event)),
            expiresAt: n(epochSeconds(this.now() + CLOSED_TTL_MS)),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #version < :v',
          ExpressionAttributeNames: names(TABLE_PARTITION_KEY, 'version'),
          ExpressionAttributeValues: { ':v': n(closed.version) },
        }),
      );
      return 'cut';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const existing = await this.readClosed(openid, turnId);
    return existing?.version === closed.version ? 'cut' : 'stale';
  }

  /**
   * Step 2, the seal: moves the buffer past the cut turn, if it is still at `seen.version`. The messages
   * left (`rest`, beyond TURN_MAX_MESSAGES or after a flush) open turn `nextTurnId`. `false` when a
   * message arrived since the read.
   */
  async seal(
    openid: string,
    seen: OpenTurn,
    taken: readonly TurnMessage[],
    rest: readonly TurnMessage[],
    nextTurnId: string,
    hourly: HourlyCount,
  ): Promise<boolean> {
    const common = {
      key: this.open(openid),
      add: { version: n(1) },
      condition: '#version = :v AND #turnId = :t',
      values: { ':v': n(seen.version), ':t': s(seen.turnId) },
    };
    // The keys of this turn and of the turns before it, up to the buffer's cap: WeChat retries a push for
    // about 15 s, during which several short turns may close (a flush type closes one per message).
    const recent = [...new Set([...taken.map((m) => m.key), ...(seen.recentKeys ?? [])])].slice(0, TURN_PENDING_CAP);
    const counted = { recentKeys: { SS: recent } as AttributeValue, hourStart: n(hourly.hourStart), hourTurns: n(hourly.turns) };
    try {
      if (rest.length > 0) {
        await this.update({
          ...common,
          set: {
            ...counted,
            messages: { L: rest.map((m) => s(JSON.stringify(m))) },
            msgKeys: { SS: rest.map((m) => m.key) },
            turnId: s(nextTurnId),
            startedAt: n(Math.min(...rest.map((m) => m.receivedAt))),
            pending: n(rest.length),
          },
        });
      } else {
        await this.update({ ...common, set: counted, remove: ['messages', 'msgKeys', 'turnId', 'startedAt', 'pending'] });
      }
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** A closed turn, read consistently. */
  async readClosed(openid: string, turnId: string): Promise<ClosedTurn | undefined> {
    const item = await this.get(this.closed(openid, turnId));
    if (!item) return undefined;
    const publishedAt = numberAttr(item, 'publishedAt');
    return {
      version: numberAttr(item, 'version') ?? 0,
      event: JSON.parse(stringAttr(item, 'event') ?? '{}'),
      ...(publishedAt !== undefined ? { publishedAt } : {}),
    };
  }

  /** Step 3: claims the publication of a closed turn for `leaseMs`; `false` when it was published or another closer holds it. */
  async claim(openid: string, turnId: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    try {
      await this.update({
        key: this.closed(openid, turnId),
        set: { claimedAt: ':now' },
        condition:
          'attribute_exists(#pk) AND attribute_not_exists(#publishedAt) AND (attribute_not_exists(#claimedAt) OR #claimedAt < :stale)',
        values: { ':now': n(now), ':stale': n(now - leaseMs) },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Gives a claim back (the publication failed and will be retried). */
  async unclaim(openid: string, turnId: string): Promise<void> {
    try {
      await this.update({ key: this.closed(openid, turnId), remove: ['claimedAt'], condition: 'attribute_not_exists(#publishedAt)' });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Step 5: the turn was published. */
  async published(openid: string, turnId: string): Promise<void> {
    await this.update({ key: this.closed(openid, turnId), set: { publishedAt: n(this.now()) } });
  }

  private async get(key: TableKey): Promise<Record<string, AttributeValue> | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshallKey(key), ConsistentRead: true }));
    return out.Item;
  }
}
