/**
 * The callback pipeline, one for every surface (docs/handoff.md, docs/callback-modes.md): `/callback` runs
 * it on DynamoDB (functions/lambda/callback-handler.ts), the n8n trigger's Direct mode on the workflow's
 * static data (n8n-nodes/nodes/WeChatKfTrigger/direct.ts). The surface verifies and opens the push (the
 * core's openPush) and hands it here with its stores (the ports below); the steps are:
 *
 * ```
 *  replay (plain mode: a signed URL for one message only)
 *  → handoff facts (kf session events applied; a marked user or a keyword → the transfer reply)
 *  → dedup (WeChat's retry gets the same answer, nothing else)
 *  → record (the interaction opens the send window; a keyword marks the user)
 *  → answer steps (extension point: a passive reply, e.g. written by a bot while the push waits)
 *  → publish (message.* / event.*, or handoff.requested / handoff.unavailable)
 *  → after-publish steps (extension point: e.g. the turn buffer)
 * ```
 *
 * If recording or publishing fails, the dedup and replay marks are forgotten and the error thrown, so
 * WeChat's next try is handled again. No AWS here: the stores are ports.
 *
 * @example
 * ```ts
 * const outcome = await runPushPipeline({ opened, query, crypto, now: Date.now(), appId, replayTtlSeconds: 601 }, ports, rules);
 * return textAnswer(200, outcome.reply ?? 'success');
 * ```
 */
import { dedupKey, plainReplayKey, type CallbackQuery, type InboundMessage, type OpenedPush, type WeChatCrypto } from '../callback';
import { SignatureError } from '../errors';
import { transferReply } from '../handoff-reply';
import { passiveReplyBody } from '../passive-reply-body';
import { interactionKindOf, interactionSequence, isUnfollow, type InteractionKind } from '../window';
import { HANDOFF_REQUESTED, HANDOFF_UNAVAILABLE, handoffEvent, inboundEvent, type OutboundEvent } from './events';
import { matchHandoffKeyword, type HandoffKeywordRule } from './handoff-keywords';
import {
  DEFAULT_HANDOFF_TTL_MS,
  humanSessionView,
  sessionEventOf,
  type HandoffState,
  type HumanSessionView,
  type SessionEvent,
} from './handoff-state';

/** Replay marks of plain-mode pushes (the core's plainReplayKey). */
export interface ReplayMarksPort {
  /** `true` when `mark` is new (now held by `holder`), else the holder recorded first. */
  claim(mark: string, holder: string, ttlSeconds: number): Promise<true | string>;
  forget(mark: string): Promise<void>;
}

/** Which pushes were handled (the core's dedupKey). */
export interface PushDedupPort {
  /** Whether `key` is seen for the first time; records it. */
  firstTime(key: string): Promise<boolean>;
  forget(key: string): Promise<void>;
}

/** The users' handoff facts (./handoff-state.ts). */
export interface HandoffPort {
  read(openid: string): Promise<HandoffState>;
  recordSession(openid: string, event: SessionEvent, kfAccount: string | undefined, at: number): Promise<HandoffState>;
  mark(openid: string, options: { kfAccount?: string; ttlMs: number }): Promise<HandoffState>;
}

/** The send windows: absent where nothing gates sends (n8n's Direct mode). */
export interface InteractionPort {
  recordInbound(openid: string, kind: InteractionKind, at: number, sequence: string): Promise<unknown>;
  recordUnfollow(openid: string, at: number): Promise<unknown>;
}

/** The stores and the outlet of one surface. */
export interface CallbackPorts {
  replay: ReplayMarksPort;
  dedup: PushDedupPort;
  handoffs: HandoffPort;
  interactions?: InteractionPort;
  publish(events: OutboundEvent[]): Promise<void>;
  /** Whether any kf account is online now (for the out-of-hours reply); cached by the surface. */
  agentsOnline?: () => Promise<boolean>;
}

/** Keyword handoff, from HANDOFF_KEYWORDS, HANDOFF_WHEN_OFFLINE and HANDOFF_OFFLINE_TEXT. */
export interface KeywordHandoffRules {
  keywords: readonly HandoffKeywordRule[];
  /** The text answered instead of a transfer when no kf account is online; absent: transfer anyway (WeChat queues the user). */
  offlineText?: string;
  /** How long the mark a keyword sets lasts, in ms. Default 30 minutes. */
  markTtlMs?: number;
}

/** One push, opened by the surface. */
export interface PushInput {
  opened: OpenedPush;
  /** The signed query (for the plain-mode replay mark). */
  query: CallbackQuery | null | undefined;
  /** The account's crypto: replies are encrypted when the push was. */
  crypto?: WeChatCrypto;
  appId: string;
  /** ms */
  now: number;
  /** How long a replay mark is kept (the core's replayTtlSeconds). */
  replayTtlSeconds: number;
}

/** What the steps after the handoff rule see. */
export interface PushContext {
  input: PushInput;
  message: InboundMessage;
  humanSession: HumanSessionView | null;
  /** Whether the answer is a transfer to the desk. */
  transferred: boolean;
  /** The keyword rule matched, when one was. */
  keyword?: HandoffKeywordRule;
  /** The events to publish (an answer step may read them; after-publish steps get them published). */
  events: OutboundEvent[];
}

/**
 * Extension point: a step that may answer the push with a passive reply, run for a push that neither the
 * handoff rule nor a keyword answered, before the events are published. `reply` is the body (already
 * encrypted as the push was: see passiveReplyBody); `pending` a reply to wait for once the events are out
 * (e.g. a bot's answer to this very message), undefined for none.
 */
export interface AnswerStep {
  answer(ctx: PushContext): Promise<{ reply?: string; pending?: Promise<string | undefined> } | undefined>;
  /**
   * A retry of a push already handled (WeChat tries again when the first answer was late): the step may
   * answer it too, e.g. with the passive reply the first try is still waiting for. Nothing is recorded or
   * published again. Undefined, or a step without it: `success`.
   */
  duplicate?(ctx: PushContext): Promise<string | undefined>;
}

/** Extension point: a step run after the events were published (e.g. handing the message to a turn buffer). */
export interface AfterPublishStep {
  afterPublish(ctx: PushContext): Promise<void>;
}

/** The extension points of a surface. */
export interface PipelineSteps {
  answer?: readonly AnswerStep[];
  afterPublish?: readonly AfterPublishStep[];
}

/** What the pipeline did: the body to answer WeChat with, and what it published. */
export interface PushOutcome {
  /** The passive reply; undefined: answer `success`. */
  reply?: string;
  /** A retry of a push already handled: nothing was recorded or published. */
  duplicate: boolean;
  transferred: boolean;
  humanSession: HumanSessionView | null;
  keyword?: HandoffKeywordRule;
  /** Set when a keyword found no agent online and the user got the out-of-hours text. */
  unavailable?: boolean;
  events: OutboundEvent[];
}

/**
 * The handoff rule (docs/handoff.md): what answers this push, given the user's facts. A message of a
 * marked user is transferred (to the mark's kf account); a text that matches a keyword rule, from a user no
 * agent has, is transferred (to the rule's kf account) or, with an out-of-hours text and no agent online,
 * answered with that text. Events are never transferred.
 *
 * @example
 * ```ts
 * handoffDecision(message, { humanSession: null }, rules, async () => true); // { kind: 'keyword', rule, online: true }
 * ```
 */
export async function handoffDecision(
  message: InboundMessage,
  state: HandoffState,
  rules: KeywordHandoffRules | undefined,
  agentsOnline: (() => Promise<boolean>) | undefined,
): Promise<{ kind: 'none' } | { kind: 'mark'; kfAccount?: string } | { kind: 'keyword'; rule: HandoffKeywordRule; online: boolean }> {
  if (message.MsgType === 'event') return { kind: 'none' };
  if (state.mark) return { kind: 'mark', ...(state.mark.kf_account ? { kfAccount: state.mark.kf_account } : {}) };
  if (message.MsgType !== 'text' || state.humanSession || !rules || typeof message.Content !== 'string') return { kind: 'none' };
  const rule = matchHandoffKeyword(rules.keywords, message.Content);
  if (!rule) return { kind: 'none' };
  // Only asked when the out-of-hours text is on: otherwise WeChat's own queue takes the user.
  const online = rules.offlineText && agentsOnline ? await agentsOnline() : true;
  return { kind: 'keyword', rule, online };
}

/**
 * Runs one opened push through the pipeline (see the module comment).
 *
 * @throws {SignatureError} for a plain-mode signed URL replayed with another message.
 */
export async function runPushPipeline(
  input: PushInput,
  ports: CallbackPorts,
  rules?: KeywordHandoffRules,
  steps: PipelineSteps = {},
): Promise<PushOutcome> {
  const { opened, now } = input;
  const { message } = opened;
  const key = dedupKey(message);
  const openid = message.FromUserName;

  // Plain mode proves only that whoever sent this knew (or saw) a signed URL: accept each (timestamp,
  // nonce, signature) once, for one message. WeChat's own retry repeats both (docs/callback-modes.md).
  const replayKey = opened.mode === 'plain' ? plainReplayKey(input.query) : undefined;
  if (replayKey) {
    const first = await ports.replay.claim(replayKey, key, input.replayTtlSeconds);
    if (first !== true && first !== key) {
      throw new SignatureError(
        'replayed push: this timestamp, nonce and signature were already used for another message (plain mode accepts each once)',
      );
    }
  }

  // The handoff rule, before the dedup, so that a push WeChat retries (the first answer was late) gets
  // the same answer again.
  const session = sessionEventOf(message);
  const state = session
    ? await ports.handoffs.recordSession(openid, session.event, session.kfAccount, message.CreateTime * 1000)
    : await ports.handoffs.read(openid);
  const decision = await handoffDecision(message, state, rules, ports.agentsOnline);
  const humanSession = humanSessionView(state.humanSession);
  const transferred = decision.kind === 'mark' || (decision.kind === 'keyword' && decision.online);
  const keyword = decision.kind === 'keyword' ? decision.rule : undefined;
  let reply: string | undefined;
  if (transferred) {
    reply = transferReply(opened, {
      kfAccount: decision.kind === 'keyword' ? decision.rule.kfAccount : decision.kfAccount,
      crypto: input.crypto,
      now,
    });
  } else if (keyword && rules?.offlineText) {
    reply = passiveReplyBody(opened, { MsgType: 'text', Content: rules.offlineText }, { crypto: input.crypto, now });
  }
  const events = eventsOf(input, message, { humanSession, transferred }, keyword);
  const ctx: PushContext = { input, message, humanSession, transferred, ...(keyword ? { keyword } : {}), events };
  const outcome = (duplicate: boolean, answered = reply): PushOutcome => ({
    ...(answered !== undefined ? { reply: answered } : {}),
    duplicate,
    transferred,
    humanSession,
    ...(keyword ? { keyword } : {}),
    ...(keyword && !transferred ? { unavailable: true } : {}),
    events: duplicate ? [] : events,
  });

  if (!(await ports.dedup.firstTime(key))) {
    // A retry gets the handoff rule's answer again, or what an answer step gives a retry (the same passive reply).
    for (const step of reply === undefined ? (steps.answer ?? []) : []) {
      const answered = await step.duplicate?.(ctx);
      if (answered !== undefined) return outcome(true, answered);
    }
    return outcome(true);
  }
  let pending: Promise<string | undefined> | undefined;
  try {
    const at = Math.min(message.CreateTime * 1000, now);
    const kind = interactionKindOf(message);
    if (ports.interactions) {
      if (kind) await ports.interactions.recordInbound(openid, kind, at, interactionSequence(message));
      else if (isUnfollow(message)) await ports.interactions.recordUnfollow(openid, at);
    }
    // A keyword's transfer is recorded as a mark, as POST /handoff sets it: the user's next messages go to
    // the desk too, until an agent takes them (kf_create_session) or the mark lapses.
    if (keyword && transferred)
      await ports.handoffs.mark(openid, {
        ...(keyword.kfAccount ? { kfAccount: keyword.kfAccount } : {}),
        ttlMs: rules?.markTtlMs ?? DEFAULT_HANDOFF_TTL_MS,
      });
    if (reply === undefined) {
      for (const step of steps.answer ?? []) {
        const answered = await step.answer(ctx);
        if (answered?.reply !== undefined) reply = answered.reply;
        pending = answered?.pending;
        if (answered) break;
      }
    }
    await ports.publish(events);
    // Inside the try: a step that fails (e.g. the turn buffer's write) lets WeChat's retry of the push in,
    // and before the wait for a pending reply, so a message joins its turn as soon as it is out.
    for (const step of steps.afterPublish ?? []) await step.afterPublish(ctx);
  } catch (error) {
    await ports.dedup.forget(key).catch(() => undefined);
    // WeChat's next try of this push may carry the same signed query: let it in.
    if (replayKey) await ports.replay.forget(replayKey).catch(() => undefined);
    throw error;
  }
  if (pending) reply = (await pending) ?? reply;
  return outcome(false, reply);
}

/** The events of a push: its message (or event), or for a keyword the handoff event that stands for it. */
function eventsOf(
  input: PushInput,
  message: InboundMessage,
  facts: { humanSession: HumanSessionView | null; transferred: boolean },
  keyword?: HandoffKeywordRule,
): OutboundEvent[] {
  if (!keyword) return [inboundEvent(input.appId, message, input.now, facts)];
  const type = facts.transferred ? HANDOFF_REQUESTED : HANDOFF_UNAVAILABLE;
  return [
    handoffEvent(
      type,
      input.appId,
      message,
      input.now,
      { rule: keyword.rule, text: String(message.Content ?? ''), ...(keyword.kfAccount ? { kfAccount: keyword.kfAccount } : {}) },
      facts,
    ),
  ];
}
