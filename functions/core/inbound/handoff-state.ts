/**
 * The handoff rule, one for every store (docs/handoff.md): what a user's handoff facts are (a mark set by
 * `POST /handoff` or a keyword, and the human session WeChat reports with kf session pushes), how a kf
 * session event changes them, and what the answer to a push is. The product keeps the facts on the user's
 * DynamoDB record (functions/store/handoff.ts, by conditional writes that follow {@link applySessionEvent});
 * the n8n trigger's Direct mode keeps them in the workflow's static data (n8n-nodes/shared/handoff-state.ts,
 * by calling it). The shared suite test/callback/pipeline-contract.ts holds both to it.
 *
 * @example
 * ```ts
 * const facts = applySessionEvent({ humanSession: null, order: 0 }, 'create', 'kf1@wx', at, now);
 * facts.humanSession; // { kf_account: 'kf1@wx', since: at }
 * ```
 */

/** A user marked for the desk: their next message is answered with transfer_customer_service. */
export interface HandoffMark {
  /** The kf account to transfer to; undefined: any agent. */
  kf_account?: string;
  /** ms */
  markedAt: number;
  /** ms: the mark is void from then on. */
  until: number;
}

/** A session between the user and an agent, as WeChat's pushes told it. */
export interface HumanSession {
  kf_account: string;
  /** ms */
  since: number;
}

/** The handoff facts of one user. */
export interface HandoffState {
  /** Set while a mark is in force. */
  mark?: HandoffMark;
  /** The open session with an agent, or null. */
  humanSession: HumanSession | null;
}

/** A session event WeChat pushes. */
export type SessionEvent = 'create' | 'switch' | 'close';

/** Within one second, close outranks switch outranks create (see {@link sessionOrder}). */
export const SESSION_RANK: Readonly<Record<SessionEvent, number>> = { create: 1, switch: 2, close: 3 };

/** The kf session events WeChat pushes, by Event name. */
export const SESSION_EVENTS: Readonly<Record<string, SessionEvent>> = {
  kf_create_session: 'create',
  kf_switch_session: 'switch',
  kf_close_session: 'close',
};

/** How long a mark lasts unless the caller says otherwise: WeChat's own idle limit of a session. */
export const DEFAULT_HANDOFF_TTL_MS = 30 * 60_000;

/**
 * The order of a session event: CreateTime in whole seconds (never later than now) × 10 + its rank. A
 * store applies an event only when its order is above the last one applied, so WeChat's late retries
 * never undo a newer event.
 *
 * @example
 * ```ts
 * sessionOrder('close', 160_000, Date.now()); // 1603
 * ```
 */
export function sessionOrder(event: SessionEvent, at: number, now: number): number {
  return Math.floor(Math.min(at, now) / 1000) * 10 + SESSION_RANK[event];
}

/** The facts a store keeps to apply session events in order. */
export interface OrderedHandoffState extends HandoffState {
  /** The order of the last session event applied (0: none). */
  order: number;
}

/**
 * Applies a session event at its CreateTime `at` (ms), unless an event of the same or a higher order was
 * applied: `create` opens the human session and consumes the mark (an agent has the user: no more
 * transfers); `switch` hands it to another kf account, keeping when it started; `close` ends it and clears
 * any mark. Answers the new state (the one given when the event is older).
 *
 * @example
 * ```ts
 * applySessionEvent(state, 'switch', 'kf2@wx', at, Date.now()).humanSession?.kf_account; // 'kf2@wx'
 * ```
 */
export function applySessionEvent(
  state: OrderedHandoffState,
  event: SessionEvent,
  kfAccount: string | undefined,
  at: number,
  now: number,
): OrderedHandoffState {
  const order = sessionOrder(event, at, now);
  if (state.order >= order) return state;
  const since = Math.min(at, now);
  if (event === 'close') return { humanSession: null, order };
  if (event === 'create') return { humanSession: { kf_account: kfAccount ?? '', since }, order };
  return { ...state, humanSession: { kf_account: kfAccount ?? '', since: state.humanSession?.since ?? since }, order };
}

/** The session event a push carries, with the kf account it names, or undefined for any other push. */
export function sessionEventOf(message: {
  MsgType: string;
  Event?: unknown;
  KfAccount?: unknown;
  ToKfAccount?: unknown;
}): { event: SessionEvent; kfAccount?: string } | undefined {
  if (message.MsgType !== 'event') return undefined;
  const event = SESSION_EVENTS[String(message.Event)];
  if (!event) return undefined;
  const kf = event === 'switch' ? message.ToKfAccount : message.KfAccount;
  return { event, ...(typeof kf === 'string' ? { kfAccount: kf } : {}) };
}

/** The view of a human session the product reports: `since` in ISO 8601. */
export interface HumanSessionView {
  kf_account: string;
  since: string;
}

/**
 * The view of a human session, or null.
 *
 * @example
 * ```ts
 * humanSessionView({ kf_account: 'kf1@wx', since: 0 }); // { kf_account: 'kf1@wx', since: '1970-01-01T00:00:00.000Z' }
 * ```
 */
export function humanSessionView(session: HumanSession | null): HumanSessionView | null {
  return session ? { kf_account: session.kf_account, since: new Date(session.since).toISOString() } : null;
}
