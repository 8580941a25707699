/**
 * WeChat's server push (the "server URL" of the official account's configuration):
 * - `GET /callback`: URL verification; answers `echostr` unchanged when the signature verifies;
 * - `POST /callback`: a message or event, plain, compatible or safe mode, XML or JSON.
 *
 * A POST is opened and checked (signature, timestamp within CALLBACK_MAX_SKEW_SECONDS, msg_signature and
 * decryption in safe mode); a push that fails any check gets 401 and nothing is recorded. WeChat pushes a
 * message again when no answer comes in 5 s (three tries in all), so each push is deduplicated (MsgId, or
 * FromUserName + CreateTime for events) before anything else. Then the interaction is recorded (opening
 * the user's send window, stamped with the push's CreateTime but never later than now; an unsubscribe
 * closes it), the message is
 * published to EventBridge (source `wechat.kf`, detail-type `message.<MsgType>` or `event.<Event>`), and
 * `success` is answered, or, for a message from a user marked by `POST /handoff`, a
 * `transfer_customer_service` reply (handoff-callback.ts; kf session events update the user's human
 * session, which every inbound event carries as `humanSession`). If recording or publishing fails, the dedup mark is removed and the answer is
 * 500, so WeChat's next try is processed.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { dedupKey, openPush, verifyUrl, WeChatCrypto, type InboundMessage } from '../core/callback';
import { ConfigurationError, SignatureError, WeChatKfError } from '../core/errors';
import { interactionKindOf, interactionSequence, isUnfollow } from '../core/window';
import type { AppContext } from './context';
import { handoffOnPush, type HumanSessionView } from './handoff-callback';
import { httpRequestOf, toGatewayResult } from './events';
import { errorAnswer, textAnswer } from './http';
import { INBOUND_EVENT_SOURCE, type OutboundEvent } from './publisher';

/** The EventBridge detail-type of an inbound message: `message.text`, `event.subscribe`, ... */
export function inboundDetailType(message: InboundMessage): string {
  return message.MsgType === 'event' ? `event.${message.Event}` : `message.${message.MsgType}`;
}

/**
 * The EventBridge event of an inbound message. A photo, voice note or video carries `mediaId` (and
 * `thumbMediaId` for a video) beside WeChat's fields: the getMedia operation downloads it within 3 days.
 * `humanSession` says who has the conversation, `transferred` whether this message was just handed to the
 * desk (docs/handoff.md).
 */
export function inboundEvent(
  appId: string,
  message: InboundMessage,
  receivedAt: number,
  handoff: { humanSession: HumanSessionView | null; transferred?: boolean } = { humanSession: null },
): OutboundEvent {
  const media = {
    ...(typeof message.MediaId === 'string' && message.MediaId !== '' ? { mediaId: message.MediaId } : {}),
    ...(typeof message.ThumbMediaId === 'string' && message.ThumbMediaId !== '' ? { thumbMediaId: message.ThumbMediaId } : {}),
  };
  return {
    source: INBOUND_EVENT_SOURCE,
    detailType: inboundDetailType(message),
    detail: {
      appId,
      openid: message.FromUserName,
      receivedAt: new Date(receivedAt).toISOString(),
      humanSession: handoff.humanSession,
      transferred: handoff.transferred === true,
      ...media,
      message,
    },
  };
}

/**
 * The callback's handler.
 *
 * @example
 * ```ts
 * export const handler = createCallbackHandler(lambdaContext());
 * ```
 */
export function createCallbackHandler(getContext: () => Promise<AppContext>) {
  let crypto: { key: string; value: WeChatCrypto } | undefined;
  const cryptoFor = (ctx: AppContext) => {
    const key = ctx.secrets.encodingAesKey;
    if (!key) return undefined;
    if (crypto?.key !== key) crypto = { key, value: new WeChatCrypto(ctx.secrets.callbackToken ?? '', key, ctx.secrets.appId) };
    return crypto.value;
  };

  return async function handler(event: unknown): Promise<unknown> {
    const request = httpRequestOf(event);
    let ctx: AppContext | undefined;
    try {
      ctx = await getContext();
      const token = ctx.secrets.callbackToken;
      if (!token) throw new ConfigurationError('no callback token is configured: set callbackToken in the secret (WECHAT_CALLBACK_TOKEN locally)');
      if (request.method === 'GET') return toGatewayResult(textAnswer(200, verifyUrl(request.query, token)));

      const opened = openPush({
        query: request.query,
        body: request.body.toString('utf8'),
        token,
        crypto: cryptoFor(ctx),
        contentType: request.headers['content-type'],
        maxSkewSeconds: ctx.config.callbackMaxSkewSeconds,
        now: ctx.now,
      });
      const { message, mode } = opened;
      // Before the dedup, so a retried push gets the same transfer (docs/handoff.md).
      const handoff = await handoffOnPush(ctx, opened, cryptoFor(ctx));
      const answer = textAnswer(200, handoff.reply ?? 'success');
      const key = dedupKey(message);
      if (!(await ctx.dedup.firstTime(key))) {
        ctx.metrics.addMetric('InboundDuplicates', MetricUnit.Count, 1);
        return toGatewayResult(answer);
      }
      try {
        const now = ctx.now();
        const kind = interactionKindOf(message);
        const at = Math.min(message.CreateTime * 1000, now);
        if (kind) await ctx.windows.recordInbound(message.FromUserName, kind, at, interactionSequence(message));
        else if (isUnfollow(message)) await ctx.windows.recordUnfollow(message.FromUserName, at);
        await ctx.publisher.publish([inboundEvent(ctx.secrets.appId, message, now, { humanSession: handoff.humanSession, transferred: handoff.reply !== undefined })]);
      } catch (error) {
        await ctx.dedup.forget(key).catch(() => undefined);
        throw error;
      }
      ctx.metrics.addMetric('InboundMessages', MetricUnit.Count, 1);
      ctx.logger.info('inbound push', { type: inboundDetailType(message), mode, ...(handoff.reply ? { transferred: true } : {}) });
      if (handoff.reply) ctx.metrics.addMetric('HandoffTransfers', MetricUnit.Count, 1);
      return toGatewayResult(answer);
    } catch (error) {
      if (error instanceof SignatureError) {
        ctx?.logger.warn('callback refused', { reason: error.message });
      } else if (!(error instanceof WeChatKfError) || error.status >= 500) {
        ctx?.logger.error('callback failed', { error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      }
      return toGatewayResult(errorAnswer(error));
    } finally {
      ctx?.metrics.publishStoredMetrics();
    }
  };
}
