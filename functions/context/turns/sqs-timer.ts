/**
 * Turn timers deployed: one SQS message on the turn queue, delayed (DelaySeconds, whole seconds, at most
 * 15 minutes), which the closer receives when it is due. It survives a frozen or recycled Lambda.
 *
 * @example
 * ```ts
 * await new SqsTurnTimer(process.env.TURN_QUEUE_URL!).schedule({ openid, turnId }, 3000);
 * ```
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TurnTimer, TurnTimerMessage } from './service';

export class SqsTurnTimer implements TurnTimer {
  constructor(
    private readonly queueUrl: string,
    private client?: SQSClient,
  ) {}

  async schedule(message: TurnTimerMessage, delayMs: number): Promise<void> {
    // Loaded on first use, with `require` so the runtime's SDK on NODE_PATH is found (docs/bundles.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
    this.client ??= new sdk.SQSClient({});
    const DelaySeconds = Math.min(900, Math.max(0, Math.ceil(delayMs / 1000)));
    await this.client.send(new sdk.SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds }));
  }
}
