/**
 * What every handler does around its own work, in one place (the phases of middy or Powertools'
 * middleware): get the context, add the Lambda context to the logger, run, log a failure at the level it
 * deserves, turn it into the answer (HTTP) or let it through (event sources, so Lambda retries), and
 * flush the metrics — only when there are some, so a request that recorded none does not print
 * Powertools' "No application metrics to publish" warning.
 *
 * @example
 * ```ts
 * export const handler = withObservability(
 *   { name: 'interactions', context: lambdaContext(), onError: httpErrorAnswer },
 *   async (event, ctx) => toGatewayResult(jsonAnswer(200, await work(event, ctx))),
 * );
 * ```
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { SignatureError, WeChatApiError, WeChatKfError } from '../core/errors';
import { toGatewayResult } from './events';
import { errorAnswer } from './http';

/** What the wrapper needs of a handler's context. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

export interface HandlerOptions<C, E, R> {
  /** The handler's name in log lines, e.g. the operation's name. */
  name: string;
  /** The context, built once per container. */
  context: () => Promise<C> | C;
  /**
   * The answer to a failure (HTTP handlers: the error contract). Rethrow, or leave this out, to let the
   * failure through to the invoker (EventBridge and SQS retry it).
   */
  onError?: (error: unknown, event: E) => R;
  /** How the event reached the handler, for log lines (`http`, `sqs`, …). */
  source?: (event: E) => string;
}

/**
 * Logs a failure at the level it deserves: a refusal (4xx: bad input, closed window) at info; at warn a
 * bad signature (someone is calling the callback who is not WeChat), WeChat's own refusal and a failure
 * worth retrying; anything else at error. Only
 * the error's name, code and message are logged: errors never carry tokens or secrets.
 */
export function logFailure(logger: Logger | undefined, fields: Record<string, unknown>, error: unknown): void {
  if (!logger) {
    console.error(
      JSON.stringify({ level: 'ERROR', message: 'handler failed before its context was ready', ...fields, error: describe(error) }),
    );
    return;
  }
  if (error instanceof SignatureError) logger.warn('refused: bad signature', { ...fields, reason: error.message });
  // WeChat's ordinary refusals (a closed window, a bad openid, a quota) are not this product failing.
  else if (error instanceof WeChatApiError)
    logger.warn('WeChat refused the operation', { ...fields, errcode: error.errcode, errmsg: error.errmsg, hint: error.hint });
  else if (error instanceof WeChatKfError && error.status < 500)
    logger.info('refused', { ...fields, code: error.code, message: error.message });
  else if (error instanceof WeChatKfError && error.retryable)
    logger.warn('failed, retryable', { ...fields, code: error.code, message: error.message });
  else logger.error('failed', { ...fields, error: describe(error) });
}

function describe(error: unknown) {
  return error instanceof Error
    ? { name: error.name, message: error.message, ...(error instanceof WeChatKfError ? { code: error.code } : {}) }
    : String(error);
}

/** Publishes the stored metrics, if any (Powertools warns on an empty flush). */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** The HTTP error answer of the error contract, for {@link HandlerOptions.onError}. */
export function httpErrorAnswer(error: unknown) {
  return toGatewayResult(errorAnswer(error));
}

/**
 * Wraps a handler's work with the phases every handler shares (see the module comment).
 */
export function withObservability<C extends Observability, E = unknown, R = unknown>(
  options: HandlerOptions<C, E, R>,
  work: (event: E, ctx: C, lambda?: Context) => Promise<R>,
): (event: E, lambda?: Context) => Promise<R> {
  return async function handler(event: E, lambda?: Context): Promise<R> {
    let ctx: C | undefined;
    try {
      ctx = await options.context();
      if (lambda) ctx.logger.addContext(lambda);
      return await work(event, ctx, lambda);
    } catch (error) {
      logFailure(ctx?.logger, { handler: options.name, ...(options.source ? { source: options.source(event) } : {}) }, error);
      if (options.onError) return options.onError(error, event);
      throw error;
    } finally {
      if (ctx) flushMetrics(ctx.metrics);
    }
  };
}
