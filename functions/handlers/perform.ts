/**
 * Performing one catalogue operation, the same way whichever event asked for it:
 *
 *   parse the input ─▶ (idempotency key?) run at most once ─▶ prepare (fetch, check, upload media)
 *     ─▶ gate (send or typing window) ─▶ WeChat ─▶ on a failure that provably did not reach the user,
 *     give the gate's count back ─▶ result
 *
 * `prepare` runs before the gate so that a bad file or URL is refused with nothing counted, and an upload
 * (WeChat's media/upload, not a message) never counts against the window; a media_id it uploaded stays
 * cached if the gate or WeChat then refuses the send.
 *
 * The gate runs before WeChat is called, so a send the window forbids never reaches WeChat. A send that
 * fails before WeChat was called (no token, a request that cannot be built, WeChat unreachable) or that
 * WeChat refuses gives its count back; a send that timed out or whose connection broke does not, because
 * it may have reached the user (the client's SendTrace tells which).
 *
 * Idempotency keys of sends are one space for every send route: `/messages` and `/messages/text` with the
 * same Idempotency-Key are one send (the parsed input fills in `msgtype`, so the same message through
 * either route is the same payload, and another message under the key is refused with 422).
 */
import { createHash } from 'crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { prepareOperation, runOperation, type Operation, type OperationResult, type SendMessageInput, type SendTrace } from '../core/catalogue';
import { SendWindowClosedError, TypingActiveError, TypingNotAllowedError } from '../core/errors';
import type { AppContext } from './context';
import { sendsToGiveBack } from '../core/runner/give-back';
import { performSend, type SendSource } from './send';
import { operationServices } from './services';

/** Counts one event of `name` with one dimension (e.g. SendRefused by reason, WeChatErrors by errcode). */
export function countBy(ctx: AppContext, name: string, dimension: string, value: string): void {
  const single = ctx.metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** A release of what the gate took, when WeChat refuses afterwards. */
interface Permit {
  release(): Promise<void>;
}

async function gate(ctx: AppContext, op: Operation, input: unknown): Promise<Permit | undefined> {
  const { gate } = op;
  if (gate.kind === 'none') return undefined;
  const openid = gate.recipient(input);
  if (!openid) return undefined;
  try {
    if (gate.kind === 'send') {
      const permit = await ctx.windows.acquireSend(openid);
      if (permit.observedRefusal) countBy(ctx, 'SendWouldBeRefused', 'reason', permit.observedRefusal);
      return permit;
    }
    return await ctx.windows.acquireTyping(openid, gate.command(input));
  } catch (error) {
    if (error instanceof SendWindowClosedError) countBy(ctx, 'SendRefused', 'reason', error.reason);
    if (error instanceof TypingNotAllowedError || error instanceof TypingActiveError) countBy(ctx, 'TypingRefused', 'reason', error.code);
    throw error;
  }
}

/**
 * The idempotency scope of an operation: every send operation shares one (a key means one send, whichever
 * route carried it); any other operation has its own.
 */
export function idempotencyScope(op: Operation): string {
  return op.gate.kind === 'send' ? 'send' : op.name;
}

/**
 * The payload an idempotency key is checked against: the input, with every file (bytes) replaced by its
 * SHA-256, so a 10 MB upload is never serialised into the idempotency record and the same file under the
 * same key is the same payload.
 */
export function idempotencyPayload(input: unknown): unknown {
  if (input instanceof Uint8Array) return `sha256:${createHash('sha256').update(input).digest('hex')}`;
  if (Array.isArray(input)) return input.map(idempotencyPayload);
  if (typeof input === 'object' && input !== null) return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, idempotencyPayload(v)]));
  return input;
}

/**
 * Performs an operation whose input is already parsed.
 *
 * @param idempotencyKey when given, the operation runs at most once for this key; replays get the first
 *   result.
 * @param lambda the Lambda context, whose remaining time bounds how long a run counts as in progress.
 * @example
 * ```ts
 * const op = getOperation('sendText');
 * await perform(ctx, op, op.parse(body), 'request-123');
 * ```
 */
export async function perform(
  ctx: AppContext,
  op: Operation,
  input: unknown,
  idempotencyKey?: string,
  lambda?: { getRemainingTimeInMillis?: () => number },
  source?: SendSource,
): Promise<OperationResult> {
  // Sends have their own path: parts, one gate write for all of them, a delivery record per attempt.
  if (op.gate.kind === 'send') return performSend(ctx, op, input as SendMessageInput, { idempotencyKey, lambda, source });
  const run = async (): Promise<OperationResult> => {
    const ready = await prepareOperation(op, input, operationServices(ctx));
    const permit = await gate(ctx, op, ready);
    const trace: SendTrace = { mayHaveReachedWeChat: false };
    try {
      const result = await runOperation(op, ready, operationServices(ctx, trace));
      if (op.gate.kind === 'send') ctx.metrics.addMetric('MessagesSent', MetricUnit.Count, 1);
      return result;
    } catch (error) {
      if (permit && sendsToGiveBack({ reserved: 1, from: 0, error, failedCall: trace }) > 0) {
        await permit.release().catch((releaseError) => ctx.logger.warn('could not give the window count back', { operation: op.name, error: (releaseError as Error).message }));
      }
      const errcode = (error as { errcode?: number }).errcode;
      if (errcode !== undefined) countBy(ctx, 'WeChatErrors', 'errcode', String(errcode));
      throw error;
    }
  };
  if (!idempotencyKey || op.gate.kind === 'none') return run();
  // A run still "in progress" after this invocation's deadline died with its container: a retry may take
  // it over then, rather than after the runner's default of a minute.
  const remaining = lambda?.getRemainingTimeInMillis?.();
  return ctx.idempotency.run(idempotencyScope(op), idempotencyKey, idempotencyPayload(input) as object, run, remaining ? { inProgressTimeoutMs: remaining } : undefined);
}
