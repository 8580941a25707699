/**
 * The callback's side of passive replies (docs/passive-replies.md): with REPLY_MODE passive or auto, each
 * of WeChat's tries of a push waits for the reply `POST /replies` gives it, and answers WeChat with it.
 *
 * Timeline of one push whose answer takes 8 s (WeChat waits 5 s per try, PASSIVE_WAIT_MS 4.5 s):
 * ```
 *  0 s    try 1 arrives: tries=1, published once; polls its item ─ 4.5 s: no reply; holds (no answer,
 *         so that WeChat tries again) until try 2 arrives, then answers `success` to nobody
 *  5 s    try 2 arrives: tries=2 (same MsgId: not published again); polls the same item
 *  8 s    POST /replies: SET reply on the item ─▶ try 2's next poll finds it ─▶ answers WeChat with it
 * ```
 * The last try (the third) gives up after its wait: it closes the item (a reply offered afterwards is
 * late) and answers `success` (auto: the late reply goes out with custom/send) or PASSIVE_HOLD_TEXT
 * (passive: the late reply is kept, and answers the user's next message, taken here on that push's
 * first try). Each try polls one item with a consistent GetItem every {@link POLL_MS}: at most 4 reads a
 * second for the push being waited on.
 *
 * @example
 * ```ts
 * const arrival = await arrivePassiveTry(ctx, opened);              // before the push is published
 * const passive = arrival && (await waitForPassiveReply(ctx, opened, crypto, arrival));
 * return textAnswer(200, passive ?? 'success');
 * ```
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dedupKey, type OpenedPush, type WeChatCrypto } from '../core/callback';
import { passiveReplyBody, passiveReplyFields } from '../core/passive-reply-body';
import { PUSH_TRIES } from '../core/passive-reply';
import { interactionKindOf } from '../core/window';
import type { StoredReply, WaitingPush } from '../store/passive-replies';
import type { AppContext } from './context';
import { DeliveryLog } from './delivery-log';
import { recordKeptExpired, REPLY_OPERATION } from './passive-records';

/** How often a waiting try reads its push's item. */
const POLL_MS = 250;
/** How long after WeChat's wait a try that is not the last holds at most, for the next try to arrive. */
const NEXT_TRY_GRACE_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One try of a push, registered as waiting for its reply ({@link arrivePassiveTry}). */
export interface PassiveTry {
  openid: string;
  pushKey: string;
  /** 1 for WeChat's first try, 2 and 3 for its retries. */
  tryNo: number;
  arrivedAt: number;
}

/**
 * Registers this try of a push as waiting for its reply: BEFORE the push is published, so that a reply
 * the flow gives at once finds it. On the first try in `passive` mode, the user's kept answer becomes this
 * push's reply. Undefined in customer-service mode, and for pushes no reply can answer (events that do not
 * open the send window).
 */
export async function arrivePassiveTry(ctx: AppContext, opened: OpenedPush): Promise<PassiveTry | undefined> {
  const { replyMode, tryMs } = ctx.config.passive;
  const { message } = opened;
  if (replyMode === 'customer-service' || interactionKindOf(message) === null) return undefined;
  const openid = message.FromUserName;
  const pushKey = dedupKey(message);
  const arrivedAt = ctx.now();
  const msgId = typeof message.MsgId === 'string' || typeof message.MsgId === 'number' ? String(message.MsgId) : undefined;
  const push = await ctx.passiveReplies.arrive(openid, pushKey, {
    ...(msgId ? { msgId } : {}),
    answerableUntil: arrivedAt + tryMs + NEXT_TRY_GRACE_MS,
  });
  // The user's next message after a holding text: the kept answer answers it (passive mode only).
  if (push.tries === 1 && replyMode === 'passive') await offerKeptAnswer(ctx, openid, pushKey);
  return { openid, pushKey, tryNo: push.tries, arrivedAt };
}

/**
 * Waits, within this try of the push, for its passive reply; answers the reply's body (encrypted when the
 * push was), the holding text, or undefined (answer `success`).
 */
export async function waitForPassiveReply(
  ctx: AppContext,
  opened: OpenedPush,
  crypto: WeChatCrypto | undefined,
  arrival: PassiveTry,
): Promise<string | undefined> {
  const { replyMode, waitMs, tryMs, holdText } = ctx.config.passive;
  const { openid, pushKey, tryNo, arrivedAt } = arrival;
  const store = ctx.passiveReplies;
  const answerBy = arrivedAt + waitMs;
  const holdUntil = arrivedAt + tryMs + NEXT_TRY_GRACE_MS;
  let push = await store.read(openid, pushKey);
  for (;;) {
    if (push?.reply) return answerWith(ctx, opened, crypto, push, push.reply);
    const now = ctx.now();
    if (now >= answerBy) {
      if (tryNo >= PUSH_TRIES) {
        // The last try: close the push unless a reply came this very moment (then answer with it).
        if (await store.close(openid, pushKey)) {
          ctx.metrics.addMetric('PassiveReplyLate', MetricUnit.Count, 1);
          const hold: StoredReply = { message: { touser: openid, msgtype: 'text', text: { content: holdText } }, postedAt: now };
          return replyMode === 'passive' ? answerWith(ctx, opened, crypto, { pushKey }, hold, 'hold') : undefined;
        }
      } else if ((push?.tries ?? 0) > tryNo || now >= holdUntil) {
        // Not the last try: WeChat heard no answer and tried again; that try waits on from here.
        return undefined;
      }
    }
    await sleep(Math.max(10, now < answerBy ? Math.min(POLL_MS, answerBy - now) : POLL_MS));
    push = await store.read(openid, pushKey);
  }
}

/**
 * The body answering WeChat with a reply; the first try that answers with it writes its delivery record
 * and event (channel `passive`, no window charged). A reply that cannot be written (it never should: it
 * was checked when posted) is logged and answered `success`.
 */
async function answerWith(
  ctx: AppContext,
  opened: OpenedPush,
  crypto: WeChatCrypto | undefined,
  push: Pick<WaitingPush, 'pushKey' | 'kept'>,
  reply: StoredReply,
  kind?: 'hold',
): Promise<string | undefined> {
  const now = ctx.now();
  let body: string;
  try {
    body = passiveReplyBody(opened, passiveReplyFields(reply.message), { crypto, now });
  } catch (error) {
    ctx.logger.error('could not write a passive reply', { msgtype: reply.message.msgtype, error: (error as Error).message });
    return undefined;
  }
  const openid = opened.message.FromUserName;
  if (kind === 'hold' || (await ctx.passiveReplies.claimAnswer(openid, push.pushKey))) {
    ctx.metrics.addMetric(kind === 'hold' ? 'PassiveHoldTexts' : 'PassiveReplies', MetricUnit.Count, 1);
    const log = new DeliveryLog(ctx);
    log.report({
      openid,
      operation: kind === 'hold' ? 'passiveHoldText' : REPLY_OPERATION,
      msgtype: reply.message.msgtype,
      at: now,
      outcome: 'sent',
      channel: 'passive',
      ...(push.kept ? { reason: 'kept' } : {}),
      ...(reply.source ? { source: reply.source } : {}),
      latencyMs: Math.max(0, now - reply.postedAt),
      content: reply.message[reply.message.msgtype],
    });
    await log.flush();
  }
  return body;
}

/**
 * Takes the user's kept answer, if any: a fresh one becomes this push's reply (true); an expired one
 * leaves its `expired` delivery record.
 */
async function offerKeptAnswer(ctx: AppContext, openid: string, pushKey: string): Promise<boolean> {
  const kept = await ctx.passiveReplies.takeKept(openid);
  if (!kept) return false;
  if (kept.until < ctx.now()) {
    await recordKeptExpired(ctx, openid, kept.reply, 'kept-expired');
    return false;
  }
  return (await ctx.passiveReplies.offer(openid, pushKey, kept.reply, { kept: true })) === true;
}
