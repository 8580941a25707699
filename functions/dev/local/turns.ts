/**
 * Turn timers under `npm start`: the same closer as deployed ({@link TurnService.close}), with a
 * {@link LocalQueue} in the embedded table in place of the SQS turn queue. A timer is a queued message
 * made visible after its delay; it survives a restart. A failed close is retried after a second (five
 * tries, then the queue's dead-letter partition), as SQS redelivers it deployed.
 *
 * @example
 * ```ts
 * const turnQueue = new LocalTurnQueue({ queue });
 * const ctx = await createContext({ ..., turnTimer: turnQueue });
 * turnQueue.start(() => ctx.turns);
 * await turnQueue.stop();
 * ```
 */
import { randomBytes } from 'crypto';
import type { LocalQueue } from '../../store';
import { parseTurnTimer } from '../../lambda/turn-closer';
import type { TurnService, TurnTimer, TurnTimerMessage } from '../../context/turns/service';
import type { OutboundEvent } from '../../context/publisher';

/**
 * What the console's chat shows of a closed turn (GET /console/turns): who, which, how many messages, the
 * text, when, and whether it was limited.
 *
 * @example
 * ```ts
 * consoleTurn({ source: 'wechat.kf', detailType: 'turn.ready', detail }); // { kind: 'turn.ready', openid, turnId, messages: 3, … }
 * ```
 */
export function consoleTurn(event: OutboundEvent): Record<string, unknown> {
  const d = event.detail;
  return {
    kind: event.detailType,
    openid: d.openid,
    turnId: d.turnId,
    messages: Array.isArray(d.messages) ? d.messages.length : 0,
    text: d.text,
    startedAt: d.startedAt,
    closedAt: d.closedAt,
    ...(event.detailType === 'turn.limited' ? { count: d.count, limit: d.limit, resetsAt: d.resetsAt } : {}),
  };
}

export interface LocalTurnQueueOptions {
  queue: LocalQueue;
  /** How often the queue is looked at when no timer is known to be due. Default 1 s. */
  pollMs?: number;
  /** Tries before a timer is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** The wait before a failed close is tried again. Default 1 s. */
  retryDelayMs?: number;
  /** Told about each close (the local server logs it). */
  onOutcome?: (message: TurnTimerMessage, outcome: string) => void;
}

/** The local turn queue: a {@link TurnTimer} and the worker that runs the closer. */
export class LocalTurnQueue implements TurnTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private turns: (message: TurnTimerMessage) => Promise<TurnService | undefined> = async () => undefined;

  constructor(private readonly options: LocalTurnQueueOptions) {}

  async schedule(message: TurnTimerMessage, delayMs: number): Promise<void> {
    const delay = Math.max(0, Math.round(delayMs));
    await this.options.queue.send([
      { id: `${message.turnId}.${randomBytes(4).toString('hex')}`, body: JSON.stringify(message), delayMs: delay },
    ]);
    // Wake up when it is due (a timer in memory is only a hint: the poll finds it after a restart too).
    const wake = setTimeout(() => this.kick(0), delay + 5);
    wake.unref?.();
  }

  /** Runs the closer of each timer's account (`turns` finds it: docs/accounts.md). */
  start(turns: (message: TurnTimerMessage) => Promise<TurnService | undefined>): void {
    this.turns = turns;
    this.stopped = false;
    this.kick(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private kick(delayMs: number) {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.poll()
        .catch((error) => console.error(`turn closer: ${(error as Error).message}`))
        .finally(() => {
          this.running = undefined;
          const soon = this.again;
          this.again = false;
          this.kick(soon ? 0 : (this.options.pollMs ?? 1000));
        });
    }, delayMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    const { queue } = this.options;
    const received = await queue.receive(10);
    await Promise.all(
      received.map(async (m) => {
        const message = parseTurnTimer(m.body);
        if (!message) return queue.deadLetter(m, 'malformed turn timer');
        let outcome: string;
        try {
          const turns = await this.turns(message);
          outcome = turns ? await turns.close(message) : 'off';
          await queue.delete(m);
        } catch (error) {
          outcome = `error: ${(error as Error).message}`;
          if (m.receives >= (this.options.maxAttempts ?? 5)) await queue.deadLetter(m, outcome);
          else await queue.retryLater(m, this.options.retryDelayMs ?? 1000);
        }
        this.options.onOutcome?.(message, outcome);
      }),
    );
  }
}
