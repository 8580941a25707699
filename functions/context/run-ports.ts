/**
 * The deployed product's ports of the operation runner (core/runner/run.ts), built from a handler's
 * context: the window store as the gates, Powertools' idempotency, part progress, delivery records and
 * events, metrics and logs. The Lambda entries and the local server run every operation with them.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Operation, OperationResult } from '../core/catalogue';
import { NotEnoughSendsError, SendWindowClosedError, TypingActiveError, TypingNotAllowedError } from '../core/errors';
import { runEntry, type RunPorts, type RunRequest } from '../core/runner';
import { IdempotencyKeyReusedError, partsDigest } from '../store';
import type { AppContext } from './context';
import { DeliveryLog } from './delivery-log';
import { operationServices } from './services';

/** Counts one event of `name` with one dimension (e.g. SendRefused by reason, WeChatErrors by errcode). */
export function countBy(ctx: AppContext, name: string, dimension: string, value: string): void {
  const single = ctx.metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, 1);
}

/** The gates, counting what they refuse (SendRefused, TypingRefused) and what `observe` let through. */
function gates(ctx: AppContext): NonNullable<RunPorts['gates']> {
  return {
    async sends(openid, count) {
      try {
        const permit = await ctx.windows.acquireSends(openid, count);
        if (permit.observedRefusal) countBy(ctx, 'SendWouldBeRefused', 'reason', permit.observedRefusal);
        return permit;
      } catch (error) {
        if (error instanceof SendWindowClosedError) countBy(ctx, 'SendRefused', 'reason', error.reason);
        if (error instanceof NotEnoughSendsError) countBy(ctx, 'SendRefused', 'reason', 'not-enough-sends');
        throw error;
      }
    },
    async typing(openid, command) {
      try {
        return await ctx.windows.acquireTyping(openid, command);
      } catch (error) {
        if (error instanceof TypingNotAllowedError || error instanceof TypingActiveError)
          countBy(ctx, 'TypingRefused', 'reason', error.code);
        throw error;
      }
    },
  };
}

/**
 * The runner's ports on a context, and the delivery log whose writes must be awaited before answering.
 *
 * @example
 * ```ts
 * const { ports, log } = runPorts(ctx);
 * try { return await runEntry(op, input, ports); } finally { await log.flush(); }
 * ```
 */
export function runPorts(ctx: AppContext): { ports: RunPorts; log: DeliveryLog } {
  const log = new DeliveryLog(ctx);
  // An added account's keys are its own (docs/accounts.md): the same Idempotency-Key from two accounts' callers is two requests.
  const scoped = (key: string) => (ctx.keyScope ? `${ctx.keyScope}#${key}` : key);
  const ports: RunPorts = {
    services: operationServices(ctx),
    wechat: (spec, recipient, trace) => ctx.client.request(spec, recipient, trace),
    gates: gates(ctx),
    idempotency: { run: (operation, key, payload, fn, options) => ctx.idempotency.run(operation, scoped(key), payload, fn, options) },
    parts: {
      async resume(scope, key, parts) {
        const progress = await ctx.parts.read(scope, scoped(key));
        if (progress && progress.digest !== partsDigest(parts)) throw new IdempotencyKeyReusedError(scope, key);
        return progress?.sent ?? 0;
      },
      sent: async (scope, key, sent, parts) =>
        void (await ctx.parts.advance(scope, scoped(key), { sent, parts: parts.length, digest: partsDigest(parts) })),
    },
    record: (attempt) => log.report(attempt),
    observe: {
      sent: () => ctx.metrics.addMetric('MessagesSent', MetricUnit.Count, 1),
      wechatError: (errcode) => countBy(ctx, 'WeChatErrors', 'errcode', String(errcode)),
      log: (level, message, fields) => ctx.logger[level](message, fields),
    },
  };
  return { ports, log };
}

/**
 * Runs a parsed input with the context's ports and waits for its delivery records and events.
 *
 * @example
 * ```ts
 * const op = getOperation('sendText');
 * await perform(ctx, op, op.parse(body, ctx.client.options), { idempotencyKey: 'request-123', source: 'http' });
 * ```
 */
export async function perform(ctx: AppContext, op: Operation, input: unknown, request: RunRequest = {}): Promise<OperationResult> {
  const { ports, log } = runPorts(ctx);
  try {
    return await runEntry(op, input, ports, request);
  } finally {
    await log.flush();
  }
}
