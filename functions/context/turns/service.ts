/**
 * Turns (docs/turns.md): the callback adds each inbound message to its user's buffer
 * ({@link TurnService.onInbound}); a timer message (SQS delay deployed, the local queue under
 * `npm start`) wakes the closer ({@link TurnService.close}), which closes the turn only once it is due
 * (quiet, max wait, max messages, a flush type) and publishes it once as `turn.ready` (or `turn.limited`
 * over TURN_LIMIT_PER_HOUR) through the same publisher as inbound events. The buffer's conditional writes
 * and their timeline: functions/store/turns.ts.
 *
 * Timers: one when a turn opens; when it fires and the user is still writing, one more for the new
 * quiet deadline (never one per message); with TURN_TYPING the first fires at once to show typing. A
 * message that finds its turn overdue (its timer lost with a crashed callback) arms one at once.
 *
 * @example
 * ```ts
 * const turns = new TurnService({ settings, store, timer, publisher, appId, logger, metrics });
 * await turns.onInbound(message, inboundEvent.detail);  // in the callback, after the message is published
 * await turns.close({ openid, turnId });                // in the closer, when its timer fires
 * ```
 */
import { randomBytes } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
// The message module alone: the callback's index would bring its XML parser into every function.
import { dedupKey, type InboundMessage } from '../../core/callback/message';
import { entryView } from '../../core/conversations';
import {
  countTurn,
  dueCheck,
  inCreationOrder,
  joinsTurn,
  turnText,
  type HourlyCount,
  type TurnMessage,
  type TurnSettings,
} from '../../core/turns';
import type { ConversationStore, OpenTurn, TurnStore } from '../../store';
import { INBOUND_EVENT_SOURCE, type EventPublisher } from '../publisher';

/** The body of a timer message: which user's turn to look at. */
export interface TurnTimerMessage {
  openid: string;
  turnId: string;
  /** The account whose user it is (docs/accounts.md); absent in timers armed before accounts: the default one. */
  appId?: string;
  /** Show "typing…" first (TURN_TYPING): the closer calls WeChat, from the whitelisted egress when deployed with one. */
  typing?: boolean;
}

/** Wakes the closer for a turn after a delay: an SQS delay message deployed, the local queue locally. */
export interface TurnTimer {
  schedule(message: TurnTimerMessage, delayMs: number): Promise<void>;
}

/** The detail-types of closed turns. */
export const TURN_READY = 'turn.ready';
export const TURN_LIMITED = 'turn.limited';

/** How long a closer's claim on a publication holds before another try may take it (below the queue's visibility timeout). */
export const TURN_PUBLISH_LEASE_MS = 30_000;

export interface TurnServiceOptions {
  settings: TurnSettings;
  store: TurnStore;
  timer: TurnTimer;
  publisher: EventPublisher;
  appId: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: Pick<Metrics, 'addMetric'>;
  now?: () => number;
  /** With TURN_HISTORY: where the last entries come from. */
  conversations?: ConversationStore;
  /** With TURN_TYPING: shows "typing…" to a user whose turn just opened (within WeChat's typing rules). */
  typing?: (openid: string) => Promise<void>;
  leaseMs?: number;
}

/** What one close did (for logs and tests). */
export type CloseOutcome = 'published' | 'waiting' | 'nothing';

/**
 * A fresh turn id: time-ordered, unique.
 *
 * @example
 * ```ts
 * newTurnId(Date.now()); // 'mibx2k9c-3f9a1c2e'
 * ```
 */
export function newTurnId(now: number): string {
  return `${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Turns of every user: the callback's side and the closer's; see the module comment. */
export class TurnService {
  private readonly now: () => number;

  constructor(private readonly options: TurnServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  get settings(): TurnSettings {
    return this.options.settings;
  }

  /**
   * Adds an inbound message (its inbound event's detail) to its user's turn: one conditional write, a
   * timer when the turn opens or is due now. A retried push is one message.
   */
  async onInbound(message: InboundMessage, detail: Record<string, unknown>): Promise<void> {
    if (!joinsTurn(message)) return;
    const { store, settings, timer } = this.options;
    const openid = message.FromUserName;
    const now = this.now();
    const added = await store.append(
      openid,
      { key: dedupKey(message), receivedAt: now, detail: detail as TurnMessage['detail'] },
      newTurnId(now),
    );
    if (added.outcome === 'full') {
      this.options.metrics.addMetric('TurnBufferFull', MetricUnit.Count, 1);
      this.options.logger.warn('turn buffer full: the message is published alone (is the turn closer failing?)', { pending: 'cap' });
      return;
    }
    if (added.outcome === 'duplicate') {
      // WeChat's retry of a push this buffer already holds: one message. Its first try may have died before
      // arming the timer, so arm one (a spare timer finds nothing to do).
      const open = await store.readOpen(openid);
      if (open) await timer.schedule({ openid, turnId: open.turnId }, 0);
      return;
    }
    this.options.metrics.addMetric('TurnMessages', MetricUnit.Count, 1);
    const flush = settings.flushOn.includes(String(message.MsgType === 'event' ? message.Event : message.MsgType).toLowerCase());
    if (flush || added.pending % settings.maxMessages === 0) {
      await timer.schedule({ openid, turnId: added.turnId }, 0);
    } else if (added.opened) {
      // With TURN_TYPING the first timer fires at once, to show typing, and arms the quiet one itself; the
      // callback never waits for WeChat (it has 5 s and no whitelisted egress).
      await timer.schedule(
        { openid, turnId: added.turnId, ...(this.options.typing ? { typing: true } : {}) },
        this.options.typing ? 0 : Math.min(settings.quietMs, settings.maxWaitMs),
      );
    } else if (added.startedAt !== undefined && now > added.startedAt + settings.maxWaitMs + settings.quietMs) {
      await timer.schedule({ openid, turnId: added.turnId }, 0);
    }
  }

  /**
   * The closer: when a timer fires. Closes the turn if it is due (else arms the next timer), publishes a
   * closed turn not yet published. Safe to run twice, concurrently, or again after a crash at any step.
   *
   * @throws when the store or the publisher fails: the timer message is retried.
   */
  async close(timer: TurnTimerMessage): Promise<CloseOutcome> {
    const { store, settings } = this.options;
    const { openid, turnId } = timer;
    for (let attempt = 0; attempt < 10; attempt++) {
      const open = await store.readOpen(openid);
      if (!open || open.turnId !== turnId) return this.publish(openid, turnId);
      if (timer.typing && attempt === 0 && this.options.typing) {
        await this.options
          .typing(openid)
          .catch((error) => this.options.logger.info('typing while a turn is open: not shown', { error: (error as Error)?.message }));
      }
      const now = this.now();
      const check = dueCheck(open, settings, now);
      if (!check.due) {
        await this.options.timer.schedule({ openid, turnId }, check.checkAt - now);
        return 'waiting';
      }
      const ordered = inCreationOrder(open.messages);
      const taken = ordered.slice(0, check.take);
      const rest = ordered.slice(check.take);
      const hourly = countTurn(open.hourly, now);
      const event = await this.turnEvent(openid, open, taken, hourly, now);
      if ((await store.cut(openid, turnId, { version: open.version, event })) === 'stale') continue;
      const next = newTurnId(now);
      // The rest's timer before the seal: a crash after the seal must not leave the next turn without one
      // (a timer for a turn the seal never opened finds nothing to do).
      if (rest.length > 0) {
        const restCheck = dueCheck(
          { turnId: next, startedAt: Math.min(...rest.map((m) => m.receivedAt)), lastAt: open.lastAt, messages: rest },
          settings,
          now,
        );
        await this.options.timer.schedule({ openid, turnId: next }, restCheck.due ? 0 : restCheck.checkAt - now);
      }
      if (!(await store.seal(openid, open, taken, rest, next, hourly))) continue;
      this.options.logger.info('turn closed', { turnId, messages: taken.length, why: check.why, left: rest.length });
      return this.publish(openid, turnId);
    }
    throw new Error(`turn ${turnId}: the buffer kept changing while it was being closed; the timer will be retried`);
  }

  private async turnEvent(openid: string, open: OpenTurn, taken: readonly TurnMessage[], hourly: HourlyCount, now: number) {
    const { settings, appId, conversations } = this.options;
    const startedAt = Math.min(...taken.map((m) => m.receivedAt));
    const limited = settings.limitPerHour !== undefined && hourly.turns > settings.limitPerHour;
    const history =
      settings.history > 0 && conversations
        ? (await conversations.list(openid, { limit: settings.history, before: startedAt })).entries.map(entryView)
        : undefined;
    return {
      detailType: limited ? TURN_LIMITED : TURN_READY,
      detail: {
        appId,
        openid,
        turnId: open.turnId,
        messages: taken.map((m) => m.detail),
        text: turnText(taken),
        // Who has the conversation as of the turn's last message, and whether any of its messages was handed
        // to the desk (docs/handoff.md): a bot flow stays silent while a human has the user.
        humanSession: taken[taken.length - 1]?.detail.humanSession ?? null,
        transferred: taken.some((m) => m.detail.transferred === true),
        startedAt: new Date(startedAt).toISOString(),
        closedAt: new Date(now).toISOString(),
        ...(history ? { history } : {}),
        ...(limited
          ? { count: hourly.turns, limit: settings.limitPerHour, resetsAt: new Date(hourly.hourStart + 3_600_000).toISOString() }
          : {}),
      },
    };
  }

  private async publish(openid: string, turnId: string): Promise<CloseOutcome> {
    const { store, publisher, metrics } = this.options;
    const closed = await store.readClosed(openid, turnId);
    if (!closed || closed.publishedAt !== undefined) return 'nothing';
    if (!(await store.claim(openid, turnId, this.options.leaseMs ?? TURN_PUBLISH_LEASE_MS))) return 'nothing';
    try {
      await publisher.publish([{ source: INBOUND_EVENT_SOURCE, detailType: closed.event.detailType, detail: closed.event.detail }]);
    } catch (error) {
      await store.unclaim(openid, turnId).catch(() => undefined);
      throw error;
    }
    await store.published(openid, turnId);
    metrics.addMetric(closed.event.detailType === TURN_LIMITED ? 'TurnsLimited' : 'TurnsReady', MetricUnit.Count, 1);
    return 'published';
  }
}
