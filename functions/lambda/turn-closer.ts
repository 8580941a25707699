/**
 * Lambda entry of the turn queue (SQS, partial batch responses): each message is a turn timer
 * (`{openid, turnId}`, docs/turns.md); the closer closes the turn if it is due, else arms the next timer,
 * and publishes a closed turn once. A failure (DynamoDB, EventBridge) reports the record as a batch item
 * failure: SQS delivers it again after the queue's visibility timeout (longer than the publication's
 * claim lease), and after maxReceiveCount parks it in the dead-letter queue, whose alarm fires.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext, type AppContext } from '../context/context';
import { flushMetrics } from '../http/middleware';
import type { TurnTimerMessage } from '../context/turns/service';
import { isAppId } from '../core/accounts';
import { contextOrGone } from '../context/accounts';

/**
 * A timer message's body, checked: only the product writes to the queue, but a malformed body must be
 * dropped, not retried.
 *
 * @example
 * ```ts
 * parseTurnTimer('{"openid":"o1","turnId":"t1"}'); // { openid: 'o1', turnId: 't1' }
 * ```
 */
export function parseTurnTimer(body: string): TurnTimerMessage | undefined {
  try {
    const m = JSON.parse(body) as Partial<TurnTimerMessage>;
    if (m?.appId !== undefined && !isAppId(m.appId)) return undefined;
    if (typeof m?.openid === 'string' && typeof m.turnId === 'string' && m.openid.length <= 128 && m.turnId.length <= 64) {
      return { openid: m.openid, turnId: m.turnId, ...(m.appId ? { appId: m.appId } : {}), ...(m.typing === true ? { typing: true } : {}) };
    }
  } catch {
    // falls through
  }
  return undefined;
}

/**
 * The closer's handler, for any context.
 *
 * @example
 * ```ts
 * export const handler = createTurnCloserHandler(lambdaContext());
 * ```
 */
export function createTurnCloserHandler(getContext: () => Promise<AppContext>) {
  return async function handler(event: SQSEvent, context?: Context) {
    const ctx = await getContext();
    const recordHandler = async (record: SQSRecord) => {
      const timer = parseTurnTimer(record.body);
      if (!timer) {
        ctx.logger.error('turn timer is malformed; dropped', { messageId: record.messageId });
        return 'dropped';
      }
      const account = await contextOrGone(ctx.accounts, timer.appId);
      if (!account) return 'account-gone';
      if (!account.turns) return 'off';
      return account.turns.close(timer);
    };
    try {
      return await processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
        context: context!,
        throwOnFullBatchFailure: false,
      });
    } finally {
      flushMetrics(ctx.metrics);
    }
  };
}

export const handler = createTurnCloserHandler(lambdaContext());
