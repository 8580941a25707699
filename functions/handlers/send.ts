/**
 * Performing a send (every operation whose gate is `send`): the window gate, WeChat, a long text in parts,
 * and the delivery record and event of every attempt.
 *
 *   (idempotency key?) at most once ─▶ parts (one, or a long text split) ─▶ (key and parts?) resume after
 *   the parts an earlier try sent ─▶ gate: reserve every remaining part's send in ONE conditional write
 *   ─▶ WeChat, part after part ─▶ give back what was not used ─▶ result
 *
 * Before WeChat is called the send path makes exactly one DynamoDB write, the gate's (plus the idempotency
 * record's when the caller gave a key). The delivery record of each attempt is written after WeChat
 * answered, in parallel with the next part's call and the event's publication, and awaited before the
 * invocation answers ({@link DeliveryLog}). A split send with a key also records, after each part WeChat
 * accepted and before the next is sent, how far it got (the part progress), so a retry never repeats a
 * part that went out.
 *
 * What a failure gives back ({@link sendsToGiveBack}, give-back.ts): a send refused before reaching WeChat (no token, WeChat refused it with an
 * errcode) gives its send back; a send whose request may have reached WeChat (a timeout, a broken
 * connection) keeps it, since the user may have it; parts after a failed one are never tried, and their
 * sends are given back.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { prepareOperation, recipientOf, runWithRecovery, type Operation, type OperationResult, type OperationServices, type SendMessageInput, type SendTrace } from '../core/catalogue';
import { outcomeOf, type DeliveryAttempt } from '../core/deliveries';
import { NotEnoughSendsError, SendWindowClosedError } from '../core/errors';
import { partsOf } from '../core/split-send';
import { IdempotencyKeyReusedError, partsDigest, type SendPermit } from '../store';
import type { AppContext } from './context';
import { DeliveryLog } from './delivery-log';
import { sendsToGiveBack } from './give-back';
import { countBy, idempotencyPayload, idempotencyScope } from './perform';
import { operationServices } from './services';

/** Where a send came from, as its delivery records say. */
export type SendSource = 'http' | 'sqs' | 'eventbridge' | 'direct';

export interface SendOptions {
  idempotencyKey?: string;
  lambda?: { getRemainingTimeInMillis?: () => number };
  source?: SendSource;
}

/** The gate of a send: `count` sends of the user's window, in one write. */
async function reserve(ctx: AppContext, openid: string, count: number): Promise<SendPermit> {
  try {
    const permit = await ctx.windows.acquireSends(openid, count);
    if (permit.observedRefusal) countBy(ctx, 'SendWouldBeRefused', 'reason', permit.observedRefusal);
    return permit;
  } catch (error) {
    if (error instanceof SendWindowClosedError) countBy(ctx, 'SendRefused', 'reason', error.reason);
    if (error instanceof NotEnoughSendsError) countBy(ctx, 'SendRefused', 'reason', 'not-enough-sends');
    throw error;
  }
}

/** Gives `count` sends back; a failure to do so is logged, never thrown over the send's own answer. */
async function giveBack(ctx: AppContext, op: Operation, permit: SendPermit, count: number): Promise<void> {
  if (count <= 0) return;
  await permit.release(count).catch((error) => ctx.logger.warn('could not give the window count back', { operation: op.name, error: (error as Error).message }));
}

/**
 * Performs a parsed send input: once per idempotency key, in parts when it asks to split, recording every
 * attempt.
 *
 * @example
 * ```ts
 * const op = getOperation('sendText');
 * await performSend(ctx, op, op.parse({ touser, text: { content: long }, split: true }, ctx.client.options), { idempotencyKey: 'answer-1', source: 'http' });
 * ```
 */
export async function performSend(ctx: AppContext, op: Operation, input: SendMessageInput, options: SendOptions = {}): Promise<OperationResult> {
  const log = new DeliveryLog(ctx);
  const { idempotencyKey } = options;
  try {
    // Media given as {url} / {file} are fetched, checked and uploaded before the gate (docs/media.md):
    // a bad file costs nothing, and the upload never counts against the window.
    const run = async () => sendOnce(ctx, op, await prepareOperation(op, input, operationServices(ctx)), log, options);
    if (!idempotencyKey) return await run();
    // A run still "in progress" after this invocation's deadline died with its container: a retry may take
    // it over then, rather than after the runner's default of a minute.
    const remaining = options.lambda?.getRemainingTimeInMillis?.();
    return await ctx.idempotency.run(idempotencyScope(op), idempotencyKey, idempotencyPayload(input) as SendMessageInput, run, remaining ? { inProgressTimeoutMs: remaining } : undefined);
  } finally {
    await log.flush();
  }
}

async function sendOnce(ctx: AppContext, op: Operation, input: SendMessageInput, log: DeliveryLog, options: SendOptions): Promise<OperationResult> {
  const openid = recipientOf(op.gate, input)!;
  const base: Omit<DeliveryAttempt, 'at' | 'outcome'> = {
    openid,
    operation: op.name,
    msgtype: input.msgtype,
    ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
    ...(options.source ? { source: options.source } : {}),
  };
  const parts = partsOf(input, ctx.config.textMaxBytes);
  const split = parts.length > 1;

  // A retry of a split send under the same key resumes after the parts that went out.
  const scope = idempotencyScope(op);
  const digest = split ? partsDigest(parts) : '';
  let from = 0;
  if (split && options.idempotencyKey !== undefined) {
    const progress = await ctx.parts.read(scope, options.idempotencyKey);
    if (progress && progress.digest !== digest) throw new IdempotencyKeyReusedError(scope, options.idempotencyKey);
    from = Math.min(progress?.sent ?? 0, parts.length);
  }
  const reserved = parts.length - from;
  if (reserved === 0) return { errcode: 0, errmsg: 'ok', parts: parts.length, partsSentNow: 0, resumedAt: parts.length + 1 };

  let permit: SendPermit;
  try {
    permit = await reserve(ctx, openid, reserved);
  } catch (error) {
    log.report({ ...base, at: ctx.now(), ...outcomeOf(error), ...(split ? { parts: parts.length } : {}) });
    throw error;
  }

  /** The trace of the WeChat call that failed, if one did. */
  let failed: SendTrace | undefined;
  /**
   * The delivery record of the call that failed, reported once the operation's outcome is known: a
   * refusal the operation recovers from (40007 on a cached media_id, re-uploaded and sent again under the
   * same gate count) is not a delivery of its own.
   */
  let failure: DeliveryAttempt | undefined;
  const client = ctx.client;
  // Every WeChat call of the operation (one, or one per part) is timed and reported, whatever its outcome.
  const request: OperationServices['wechat']['request'] = async (spec, recipient, part) => {
    const at = ctx.now();
    const started = performance.now();
    const trace: SendTrace = { mayHaveReachedWeChat: false };
    const body = (spec.json ?? {}) as Record<string, unknown>;
    // kfAccount: a send as a kf account is the desk's ("agent" in the conversation history, docs/conversations.md).
    const kfAccount = (body.customservice as { kf_account?: string } | undefined)?.kf_account;
    const where = { ...base, ...(part ? { part: part.part, parts: part.parts } : {}), content: body[input.msgtype] };
    if (kfAccount) Object.assign(where, { kfAccount });
    try {
      const result = await client.request(spec, recipient, trace);
      ctx.metrics.addMetric('MessagesSent', MetricUnit.Count, 1);
      log.report({ ...where, at, outcome: 'sent', latencyMs: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      const errcode = (error as { errcode?: number }).errcode;
      if (errcode !== undefined) countBy(ctx, 'WeChatErrors', 'errcode', String(errcode));
      failure = { ...where, at, ...outcomeOf(error), latencyMs: Math.round(performance.now() - started) };
      failed = trace;
      throw error;
    }
  };
  const key = options.idempotencyKey;
  const services: OperationServices = {
    ...operationServices(ctx),
    wechat: { request },
    parts: {
      from,
      sent: key === undefined ? undefined : async (part, count) => void (await ctx.parts.advance(scope, key, { sent: part, parts: count, digest })),
    },
  };
  try {
    // The recovery's uploads go through the plain services: they are not the send's calls.
    return await runWithRecovery(op, input, services, operationServices(ctx), (error) => {
      ctx.logger.info('WeChat refused a cached media_id; re-uploaded it and sending once more', { operation: op.name, errcode: (error as { errcode?: number }).errcode });
      failure = undefined;
      failed = undefined;
    });
  } catch (error) {
    if (failure) log.report(failure);
    // What was not used goes back: parts never tried, and a failed part that provably never reached WeChat.
    await giveBack(ctx, op, permit, sendsToGiveBack({ reserved, from, error, failedCall: failed }));
    throw error;
  }
}
