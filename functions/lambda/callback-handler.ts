/**
 * WeChat's server push (the "server URL" of the official account's configuration):
 * - `GET /callback`: URL verification; answers `echostr` unchanged when the signature verifies;
 * - `POST /callback`: a message or event, plain, compatible or safe mode, XML or JSON.
 *
 * A POST is opened and checked (signature, timestamp within CALLBACK_MAX_SKEW_SECONDS, msg_signature and
 * decryption in safe mode); a push that fails any check gets 401 and nothing is recorded. Then the core's
 * callback pipeline (core/inbound/pipeline.ts) runs it on the product's table: replay marks and dedup
 * (InboundDedup), the handoff rule and keyword handoff (HandoffStore; docs/handoff.md), the interaction
 * that opens the send window (WindowStore), and the events published to EventBridge (source `wechat.kf`,
 * detail-type `message.<MsgType>`, `event.<Event>`, `handoff.requested`, `handoff.unavailable`). The
 * answer is `success`, or the passive reply the pipeline chose (a `transfer_customer_service`, or the
 * out-of-hours text). If recording or publishing fails, the answer is 500, so WeChat's next try is processed.
 * With REPLY_MODE passive or auto, every try of a push (retries too) waits for the reply `POST /replies`
 * gives it and answers WeChat with it (passive-wait.ts, docs/passive-replies.md).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { openPush, replayTtlSeconds, resolveCallbackMode, verifyUrl, WeChatCrypto } from '../core/callback';
import { WeChatKfError } from '../core/errors';
import {
  cachedAgentsOnline,
  inboundDetailType,
  inboundEvent,
  runPushPipeline,
  type AfterPublishStep,
  type AnswerStep,
  type CallbackPorts,
  type PipelineSteps,
} from '../core/inbound';
import type { AppContext } from '../context/context';
import { arrivePassiveTry, waitForPassiveReply } from '../context/passive-wait';
import { afterInbound } from '../context/turns/hooks';
import { httpRequestOf, toGatewayResult } from '../http/events';
import { textAnswer } from '../http/http';
import { httpErrorAnswer, withObservability } from '../http/middleware';
import { parseAppId } from '../core/accounts';

export { inboundDetailType, inboundEvent };

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
      "the callback token is not set (empty or a placeholder): put the Token of the official account's server configuration in callbackToken of the secret " +
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
export function createCallbackHandler(getContext: () => Promise<AppContext>, steps: PipelineSteps = {}) {
  // Per account (docs/accounts.md): whether its agents are online, and its callback crypto.
  const agentsOnlineOf = new Map<string, () => Promise<boolean>>();
  const cryptoOf = new Map<string, { key: string; token: string; value: WeChatCrypto }>();
  // The callback pipeline's ports on the product's table (core/inbound/pipeline.ts).
  const portsFor = (ctx: AppContext): CallbackPorts => {
    let agentsOnline = agentsOnlineOf.get(ctx.secrets.appId);
    agentsOnline ??= cachedAgentsOnline(
      () => ctx.client.call('listOnlineKfAccounts', {}),
      ctx.now,
      (error) =>
        ctx.logger.warn('getonlinekflist failed: keyword handoff transfers as if an agent were online', {
          error: (error as Error).message,
        }),
    );
    agentsOnlineOf.set(ctx.secrets.appId, agentsOnline);
    return {
      replay: { claim: (mark, holder, ttl) => ctx.dedup.claim(mark, holder, ttl), forget: (mark) => ctx.dedup.forget(mark) },
      dedup: ctx.dedup,
      handoffs: ctx.handoffs,
      interactions: ctx.windows,
      publish: (events) => ctx.publisher.publish(events),
      agentsOnline,
    };
  };
  const cryptoFor = (ctx: AppContext) => {
    const { appId, encodingAesKey: key, callbackToken: token = '' } = ctx.secrets;
    if (!key) return undefined;
    let crypto = cryptoOf.get(appId);
    // The decrypted AppID must be this account's: WeChatCrypto refuses a message encrypted for another.
    if (crypto?.key !== key || crypto.token !== token)
      cryptoOf.set(appId, (crypto = { key, token, value: new WeChatCrypto(token, key, appId) }));
    return crypto.value;
  };

  return withObservability({ name: 'callback', context: getContext, onError: httpErrorAnswer }, async (event: unknown, deployment) => {
    const request = httpRequestOf(event);
    // `/callback/{appId}`: that account's push, checked with its own token and key (docs/accounts.md).
    const pathAppId = request.pathParameters.appId;
    const ctx = await deployment.accounts.contextOf(pathAppId === undefined ? undefined : parseAppId(pathAppId));
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
    // Hook of passive replies (REPLY_MODE passive / auto; passive-wait.ts, docs/passive-replies.md): an
    // answer step registers this try of the push BEFORE the events are published (a reply given at once finds
    // it) and waits, once they are out, for the reply POST /replies gives it. A transfer to the desk wins: the
    // pipeline runs answer steps only for a push the handoff rule did not answer.
    const passiveStep: AnswerStep = {
      answer: async () => {
        const passiveTry = await arrivePassiveTry(ctx, opened);
        if (!passiveTry) return undefined;
        const pending = waitForPassiveReply(ctx, opened, cryptoFor(ctx), passiveTry);
        pending.catch(() => undefined); // awaited by the pipeline after publishing; never an unhandled rejection
        return { pending };
      },
      // WeChat's retry of a push waits on the same reply as its first try (docs/passive-replies.md).
      duplicate: async () => {
        const passiveTry = await arrivePassiveTry(ctx, opened);
        return passiveTry && (await waitForPassiveReply(ctx, opened, cryptoFor(ctx), passiveTry));
      },
    };
    // Hook of turns and the conversation history (docs/turns.md, docs/conversations.md; no-ops when off):
    // after the events are out, the message joins the user's turn and conversation. A keyword's handoff
    // request is the desk's, not a bot's: it joins the conversation but no turn (docs/handoff.md).
    const turnStep: AfterPublishStep = {
      afterPublish: (pushed) =>
        afterInbound(pushed.keyword ? { ...ctx, turns: undefined } : ctx, pushed.message, pushed.events[0]?.detail ?? {}),
    };
    const outcome = await runPushPipeline(
      {
        opened,
        query: request.query,
        crypto: cryptoFor(ctx),
        appId: ctx.secrets.appId,
        now: ctx.now(),
        replayTtlSeconds: replayTtlSeconds(ctx.config.callbackMaxSkewSeconds),
      },
      portsFor(ctx),
      { keywords: ctx.config.handoff.keywords, offlineText: ctx.config.handoff.offlineText },
      { answer: [passiveStep, ...(steps.answer ?? [])], afterPublish: [...(steps.afterPublish ?? []), turnStep] },
    );
    const answer = textAnswer(200, outcome.reply ?? 'success');
    if (outcome.duplicate) {
      ctx.metrics.addMetric('InboundDuplicates', MetricUnit.Count, 1);
      return toGatewayResult(answer);
    }
    ctx.metrics.addMetric('InboundMessages', MetricUnit.Count, 1);
    const { message, mode } = opened;
    const keyword = outcome.keyword ? { keyword: outcome.keyword.rule, ...(outcome.unavailable ? { unavailable: true } : {}) } : {};
    const transferred = outcome.transferred ? { transferred: true } : {};
    ctx.logger.info('inbound push', { appId: ctx.secrets.appId, type: inboundDetailType(message), mode, ...transferred, ...keyword });
    if (outcome.transferred) ctx.metrics.addMetric('HandoffTransfers', MetricUnit.Count, 1);
    return toGatewayResult(answer);
  });
}
