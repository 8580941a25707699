/**
 * Builds the turn service and the conversation store from the configuration, once per context: nothing
 * when TURN_QUIET_MS and CONVERSATION_RECORD are off. Deployed, turn timers go to the turn queue
 * (TURN_QUEUE_URL, an SQS delay message); the local server passes its own queue.
 *
 * @example
 * ```ts
 * const { turns, conversations } = createTurns({ config, dynamo, appId, now, publisher, logger, metrics, client, windows });
 * ```
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WeChatClient } from '../../core/client';
import { ConfigurationError } from '../../core/errors';
import { ConversationStore } from '../../store/conversations';
import { TurnStore } from '../../store/turns';
import type { WindowStore } from '../../store/windows';
import type { AppConfig } from '../config';
import type { EventPublisher } from '../publisher';
import { SqsTurnTimer } from './sqs-timer';
import { TurnService, type TurnTimer } from './service';

export interface CreateTurnsOptions {
  config: AppConfig;
  dynamo: DynamoDBClient;
  appId: string;
  now: () => number;
  publisher: EventPublisher;
  logger: Logger;
  metrics: Metrics;
  client: WeChatClient;
  windows: WindowStore;
  timer?: TurnTimer;
  env?: NodeJS.ProcessEnv;
}

/** The turn service and the conversation store, each only when its setting is on. */
export function createTurns(options: CreateTurnsOptions): { turns?: TurnService; conversations?: ConversationStore } {
  const { config, dynamo, appId, now } = options;
  const conversations = config.conversationRecord
    ? new ConversationStore({ client: dynamo, tableName: config.tableName, appId, now })
    : undefined;
  const settings = config.turns;
  if (!settings) return conversations ? { conversations } : {};
  const queueUrl = (options.env ?? process.env).TURN_QUEUE_URL;
  const timer = options.timer ?? (queueUrl ? new SqsTurnTimer(queueUrl) : undefined);
  if (!timer)
    throw new ConfigurationError(
      'TURN_QUIET_MS is set but this function has no turn queue (TURN_QUEUE_URL): deploy with the turnQuietMs prop',
    );
  const typing = settings.typing ? showTyping(options.windows, options.client) : undefined;
  const turns = new TurnService({
    settings,
    store: new TurnStore({ client: dynamo, tableName: config.tableName, appId, now }),
    // Every timer names its account: the closer closes the turn of that account's user (docs/accounts.md).
    timer: { schedule: (message, delayMs) => timer.schedule({ ...message, appId }, delayMs) },
    publisher: options.publisher,
    appId,
    logger: options.logger,
    metrics: options.metrics,
    now,
    conversations,
    typing,
  });
  return { turns, ...(conversations ? { conversations } : {}) };
}

/**
 * "typing…" for a user whose turn opened, through the same gate as `POST /typing` (a message within 30 s,
 * none showing); WeChat ends it when a message is sent (docs/wechat-reference.md, Typing).
 */
function showTyping(windows: WindowStore, client: WeChatClient) {
  return async (openid: string) => {
    const permit = await windows.acquireTyping(openid, 'Typing');
    try {
      await client.request({ method: 'POST', path: '/cgi-bin/message/custom/typing', json: { touser: openid, command: 'Typing' } }, openid);
    } catch (error) {
      await permit.release();
      throw error;
    }
  };
}
