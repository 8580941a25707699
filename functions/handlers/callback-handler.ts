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
import { dedupKey, openPush, plainReplayKey, replayTtlSeconds, resolveCallbackMode, verifyUrl, WeChatCrypto, type InboundMessage } from '../core/callback';
import { ConfigurationError, SignatureError, WeChatKfError } from '../core/errors';
import { interactionKindOf, interactionSequence, isUnfollow } from '../core/window';
import type { AppContext } from './context';
import { handoffOnPush, type HumanSessionView } from './handoff-callback';
import { httpRequestOf, toGatewayResult } from './events';
import { textAnswer } from './http';
import { httpErrorAnswer, withObservability } from './middleware';
import { INBOUND_EVENT_SOURCE, type OutboundEvent } from './publisher';
import { afterInbound } from './turns/hooks';

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

/** Callback tokens that were never chosen: empty, or a placeholder left from a template. */
const PLACEHOLDER_TOKENS = /^(|replace[-_ ]?me|change[-_ ]?me|todo|placeholder|xxx+|<.*>)$/i;

/** Whether a callback token is missing or still a placeholder. */
export function isPlaceholderToken(token: string | undefined): token is undefined {
  return token === undefined || PLACEHOLDER_TOKENS.test(token.trim());
}

/** The callback token is empty or a placeholder: 503, saying what to set. */
export class CallbackNotConfiguredError extends WeChatKfError {
  constructor() {
    super(
      'CALLBACK_NOT_CONFIGURED',
      503,
      'the callback token is not set (empty or a placeholder): put the Token of the official account\'s server configuration in callbackToken of the secret ' +
        '(WECHAT_CALLBACK_TOKEN locally), the same value entered in the admin console, then save the server URL there',
      true,
    );
  }
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

  return withObservability({ name: 'callback', context: getContext, onError: httpErrorAnswer }, async (event: unknown, ctx) => {
    const request = httpRequestOf(event);
    const token = ctx.secrets.callbackToken;
    // /callback is public: a token nobody chose (empty, or the placeholder of a fresh deployment) would
    // let anyone sign pushes. Answer 503 saying what to set rather than verify anything with it.
    if (isPlaceholderToken(token)) throw new CallbackNotConfiguredError();
    if (request.method === 'GET') return toGatewayResult(textAnswer(200, verifyUrl(request.query, token)));

    const callbackMode = resolveCallbackMode(ctx.config.callbackMode ?? ctx.secrets.callbackMode, Boolean(ctx.secrets.encodingAesKey));
    const opened = openPush({
      query: request.query,
      body: request.body.toString('utf8'),
      token,
      crypto: cryptoFor(ctx),
      contentType: request.headers['content-type'],
      maxSkewSeconds: ctx.config.callbackMaxSkewSeconds,
      now: ctx.now,
      callbackMode,
    });
    const { message, mode } = opened;
    // Plain mode proves only that whoever sent this knew (or saw) a signed URL: accept each (timestamp,
    // nonce, signature) once, for as long as its timestamp is fresh (docs/callback-modes.md).
    // WeChat's own retry of a push repeats its query and its message; only the same message may come
    // again under one signature (it is then answered by the message dedup below).
    const replayKey = mode === 'plain' ? plainReplayKey(request.query) : undefined;
    if (replayKey) {
      const first = await ctx.dedup.claim(replayKey, dedupKey(message), replayTtlSeconds(ctx.config.callbackMaxSkewSeconds));
      if (first !== true && first !== dedupKey(message)) {
        throw new SignatureError('replayed push: this timestamp, nonce and signature were already used for another message (plain mode accepts each once)');
      }
    }
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
      const event = inboundEvent(ctx.secrets.appId, message, now, { humanSession: handoff.humanSession, transferred: handoff.reply !== undefined });
      await ctx.publisher.publish([event]);
      // Turns and the conversation history (docs/turns.md, docs/conversations.md): no-ops when off.
      await afterInbound(ctx, message, event.detail);
    } catch (error) {
      await ctx.dedup.forget(key).catch(() => undefined);
      // WeChat's next try of this push may carry the same signed query: let it in.
      if (replayKey) await ctx.dedup.forget(replayKey).catch(() => undefined);
      throw error;
    }
    ctx.metrics.addMetric('InboundMessages', MetricUnit.Count, 1);
    ctx.logger.info('inbound push', { type: inboundDetailType(message), mode, ...(handoff.reply ? { transferred: true } : {}) });
    if (handoff.reply) ctx.metrics.addMetric('HandoffTransfers', MetricUnit.Count, 1);
    return toGatewayResult(answer);
  });
}
