/**
 * At-most-once operations: a send or typing command that carries an HTTP `Idempotency-Key`, and every
 * operation that changes something delivered by SQS (the message id) or EventBridge (the event id), runs
 * once; a retry with the same key gets the first run's result (which operations: core/runner/run.ts
 * `keepsIdempotent`).
 *
 * Built on Powertools for AWS Lambda's idempotency utility (`makeIdempotent`: record in progress, run,
 * store the result; payload validation; in-progress expiry) and its `DynamoDBPersistenceLayer`, laid out on
 * the product's one table. Its conditional put also works on dynalite, which ignores
 * `ReturnValuesOnConditionCheckFailure`: Powertools then reads the existing record itself.
 *
 * What a replay gets:
 * - the first run completed: its result (JSON round trip), without running anything;
 * - the first run failed: nothing was stored (the record is deleted), so the replay runs again;
 * - the first run is still in progress: {@link IdempotencyInProgressError} (409, retryable) at once, or,
 *   with `waitForInProgressMs`, the first run's result once it completes within that time;
 * - the same key with a different payload: {@link IdempotencyKeyReusedError} (422).
 *
 * The record (`pk = IDEMPOTENCY#<operation>`, `sk = <operation>#<md5 of the key>`), as Powertools lays it
 * out: `status` (INPROGRESS | COMPLETED), `expiresAt` (epoch s, the table's TTL), `in_progress_expiration`
 * (ms), `data` (the result, JSON), `validation` (md5 of the payload).
 *
 * @example
 * ```ts
 * const idempotency = createIdempotentRunner({ client, tableName: 'wechat-kf' });
 * const result = await idempotency.run('sendText', headers['idempotency-key'], body, () => wechat.call('sendText', body));
 * ```
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { IdempotencyInProgressError, ValidationError, WeChatKfError } from '../core/errors';
import { backoffDelay, type RetryPolicy } from '../core/retry';
import { keys, TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE } from './table';

/** How a request waits for the first one under its key to finish: 25 ms, 50 ms, ... at most 500 ms each. */
const IN_PROGRESS_WAIT: RetryPolicy = { baseDelayMs: 25, maxDelayMs: 500, jitter: 'none' };

/**
 * An idempotency key was used again with a different payload: a client bug (or two requests sharing a
 * key by accident). Nothing was run.
 *
 * @example
 * ```ts
 * try { await idempotency.run('sendText', key, otherBody, send); }
 * catch (e) { if (e instanceof IdempotencyKeyReusedError) console.log(e.status); } // 422
 * ```
 */
export class IdempotencyKeyReusedError extends WeChatKfError {
  readonly operation: string;
  readonly idempotencyKey: string;
  constructor(operation: string, idempotencyKey: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      422,
      `idempotency key ${JSON.stringify(idempotencyKey)} was already used for a different ${operation} request; use a new key for a new request`,
    );
    this.operation = operation;
    this.idempotencyKey = idempotencyKey;
  }
  protected override details() {
    return { operation: this.operation, idempotencyKey: this.idempotencyKey };
  }
}

export interface IdempotentRunnerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long a completed run's result is replayed. Default 3600 s. */
  expiresAfterSeconds?: number;
  /**
   * How long a run may stay in progress before a replay may take it over (its container died). Default
   * 60 s; pass the Lambda's remaining time per run instead when you have it.
   */
  inProgressTimeoutMs?: number;
  /**
   * How long a replay that finds the first run in progress waits for its result before answering
   * {@link IdempotencyInProgressError}. Default 0: answer at once.
   */
  waitForInProgressMs?: number;
  /** How to wait (tests). Default `setTimeout`. */
  sleep?: (ms: number) => Promise<void>;
}

/** Per-run settings. */
export interface RunOptions {
  /** Overrides `inProgressTimeoutMs`, e.g. with `context.getRemainingTimeInMillis()` in a Lambda. */
  inProgressTimeoutMs?: number;
}

/** Runs functions at most once per (operation, idempotency key). */
export interface IdempotentRunner {
  /**
   * Runs `fn` unless a run with the same operation and key already completed (its result is returned) or
   * is in progress (see {@link IdempotentRunnerOptions.waitForInProgressMs}). `payload` is what the
   * request asked for: reusing the key with a different payload is refused. The result must be JSON data;
   * replays get it back through JSON.
   *
   * @throws {IdempotencyInProgressError} the first run with this key is still in progress.
   * @throws {IdempotencyKeyReusedError} the key was used with a different payload.
   * @throws whatever `fn` throws (nothing is stored then, so a retry runs again).
   * @example
   * ```ts
   * const answer = await idempotency.run('sendText', 'evt-123', input, () => wechat.call('sendText', input));
   * ```
   */
  run<T>(operation: string, key: string, payload: unknown, fn: () => Promise<T>, options?: RunOptions): Promise<T>;
}

/**
 * Creates an {@link IdempotentRunner} on the table.
 *
 * @example
 * ```ts
 * const idempotency = createIdempotentRunner({ client, tableName: 'wechat-kf', expiresAfterSeconds: 3600 });
 * await idempotency.run('sendText', record.messageId, input, () => wechat.call('sendText', input), {
 *   inProgressTimeoutMs: context.getRemainingTimeInMillis(),
 * });
 * ```
 */
export function createIdempotentRunner(options: IdempotentRunnerOptions): IdempotentRunner {
  const expiresAfterSeconds = options.expiresAfterSeconds ?? 3600;
  const defaultInProgressMs = options.inProgressTimeoutMs ?? 60_000;
  const waitMs = options.waitForInProgressMs ?? 0;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // One persistence layer per operation: Powertools keeps the key prefix on the layer, so a layer shared by
  // several operations could store a result under another operation's key.
  const stores = new Map<string, DynamoDBPersistenceLayer>();
  const storeFor = (operation: string): DynamoDBPersistenceLayer => {
    let store = stores.get(operation);
    if (!store) {
      store = new DynamoDBPersistenceLayer({
        tableName: options.tableName,
        awsSdkV3Client: options.client,
        keyAttr: TABLE_PARTITION_KEY,
        sortKeyAttr: TABLE_SORT_KEY,
        staticPkValue: keys.idempotencyPartition(operation),
        expiryAttr: TABLE_TTL_ATTRIBUTE,
      });
      stores.set(operation, store);
    }
    return store;
  };

  return {
    async run<T>(operation: string, key: string, payload: unknown, fn: () => Promise<T>, runOptions: RunOptions = {}): Promise<T> {
      if (!operation) throw new ValidationError([{ field: 'operation', rule: 'is required' }]);
      if (!key) throw new ValidationError([{ field: 'idempotencyKey', rule: 'must not be empty' }]);
      const inProgressMs = runOptions.inProgressTimeoutMs ?? defaultInProgressMs;
      // A config per run: it carries this run's in-progress timeout (as a Lambda context would). The
      // settings Powertools compares between runs are the same every time.
      const config = new IdempotencyConfig({
        eventKeyJmesPath: 'key',
        payloadValidationJmesPath: 'payload',
        throwOnNoIdempotencyKey: true,
        expiresAfterSeconds,
      });
      config.registerLambdaContext({ getRemainingTimeInMillis: () => inProgressMs } as Context);
      const idempotent = makeIdempotent(async (_event: { key: string; payload: unknown }) => ({ value: (await fn()) as unknown }), {
        persistenceStore: storeFor(operation),
        keyPrefix: operation,
        config,
      });
      const deadline = Date.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        try {
          const out = (await idempotent({ key, payload: payload ?? null })) as { value?: unknown } | undefined;
          return out?.value as T;
        } catch (error) {
          const name = (error as { name?: string } | null)?.name;
          if (name === 'IdempotencyValidationError') throw new IdempotencyKeyReusedError(operation, key);
          if (name !== 'IdempotencyAlreadyInProgressError') throw error;
          if (Date.now() >= deadline) throw new IdempotencyInProgressError(key);
          await sleep(Math.min(Math.max(0, deadline - Date.now()), backoffDelay(attempt + 1, IN_PROGRESS_WAIT)));
        }
      }
    },
  };
}
