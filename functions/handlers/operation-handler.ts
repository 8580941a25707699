/**
 * The Lambda handler of one catalogue operation, for every way it can be invoked:
 * - API Gateway HTTP API (payload 2.0) and REST (1.0): input from the JSON body plus path parameters
 *   (the avatar also as a raw image/jpeg body or multipart with `media`); `Idempotency-Key` header;
 *   answers per design.md's contract;
 * - SQS: each record's body is one input, idempotent by message id; failures are reported as
 *   batchItemFailures so one bad message never redelivers the others;
 * - EventBridge: detail-type is the operation's name, detail its input, idempotent by event id;
 * - direct invocation: the event is the input; the result is returned, errors are thrown.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSRecord } from 'aws-lambda';
import { getOperation, type Operation } from '../core/catalogue';
import { ValidationError, WeChatKfError } from '../core/errors';
import { limitsFor } from '../core/limits';
import type { AppContext } from './context';
import { checkJsonContentType, classifyEvent, parseJsonBody, toGatewayResult, type HttpRequestView } from './events';
import { errorAnswer, jsonAnswer } from './http';
import { readMultipartFile } from './multipart';
import { perform } from './perform';

/** Builds an operation's input from an HTTP request. */
export async function inputFromHttp(op: Operation<any>, request: HttpRequestView): Promise<unknown> {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  const params = request.pathParameters;
  if (op.name === 'uploadKfAvatar') {
    const maxBytes = limitsFor('current').avatarBytes.max;
    if (contentType.startsWith('multipart/form-data')) {
      const file = await readMultipartFile(request.body, request.headers['content-type']!, 'media', maxBytes);
      return { kf_account: params.kf_account, media: new Uint8Array(file.data), filename: file.filename };
    }
    if (contentType.startsWith('application/json')) {
      return { ...(parseJsonBody(request.body) as object), kf_account: params.kf_account };
    }
    if (request.body.length === 0) throw new ValidationError([{ field: 'media', rule: 'is required: send the JPG as an image/jpeg body, or multipart/form-data with a file field "media"' }]);
    return { kf_account: params.kf_account, media: new Uint8Array(request.body) };
  }
  if (op.route.method === 'GET' || op.route.method === 'DELETE') {
    return { ...params };
  }
  checkJsonContentType(contentType);
  const body = parseJsonBody(request.body);
  if (Object.keys(params).length === 0) return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  for (const [name, value] of Object.entries(params)) {
    const given = (body as Record<string, unknown>)[name];
    if (given !== undefined && given !== value) {
      throw new ValidationError([{ field: name, rule: `differs between the path (${JSON.stringify(value)}) and the body (${JSON.stringify(given)})` }]);
    }
  }
  return { ...body, ...params };
}

function logFailure(ctx: AppContext, op: Operation<any>, source: string, error: unknown) {
  if (error instanceof WeChatKfError && error.status < 500) {
    ctx.logger.info('operation refused', { operation: op.name, source, code: error.code, message: error.message });
  } else {
    ctx.logger.error('operation failed', { operation: op.name, source, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
  }
}

/**
 * The Lambda handler for a catalogue operation.
 *
 * @example
 * ```ts
 * // functions/handlers/operation.ts
 * export const handler = createOperationHandler(process.env.OPERATION_NAME!, lambdaContext());
 * ```
 */
export function createOperationHandler(operationName: string, getContext: () => Promise<AppContext>) {
  const op = getOperation(operationName);

  return async function handler(event: unknown, lambdaContext?: Context): Promise<unknown> {
    const invocation = classifyEvent(event);
    if (invocation.kind === 'http') {
      let ctx: AppContext | undefined;
      try {
        ctx = await getContext();
        const input = op.parse(await inputFromHttp(op, invocation.request), ctx.client.options);
        const key = invocation.request.headers['idempotency-key'];
        if (key !== undefined && (key.length === 0 || key.length > 255)) {
          throw new ValidationError([{ field: 'Idempotency-Key', rule: 'must have 1 to 255 characters' }]);
        }
        const result = await perform(ctx, op, input, key, lambdaContext);
        return toGatewayResult(jsonAnswer(200, result));
      } catch (error) {
        if (ctx) logFailure(ctx, op, 'http', error);
        return toGatewayResult(errorAnswer(error));
      } finally {
        ctx?.metrics.publishStoredMetrics();
      }
    }

    const ctx = await getContext();
    try {
      if (invocation.kind === 'sqs') {
        const processor = new BatchProcessor(EventType.SQS);
        const recordHandler = async (record: SQSRecord) => {
          try {
            const body = parseJsonBody(Buffer.from(record.body, 'utf8'));
            return await perform(ctx, op, op.parse(body, ctx.client.options), record.messageId, lambdaContext);
          } catch (error) {
            logFailure(ctx, op, 'sqs', error);
            throw error;
          }
        };
        return await processPartialResponse(invocation.event, recordHandler, processor, {
          context: lambdaContext,
          throwOnFullBatchFailure: false,
        });
      }
      if (invocation.kind === 'eventbridge') {
        const { event: ev } = invocation;
        if (ev['detail-type'] !== op.name) {
          throw new ValidationError([{ field: 'detail-type', rule: `must be "${op.name}" for this function, got ${JSON.stringify(ev['detail-type'])}` }]);
        }
        try {
          return await perform(ctx, op, op.parse(ev.detail, ctx.client.options), ev.id, lambdaContext);
        } catch (error) {
          logFailure(ctx, op, 'eventbridge', error);
          throw error;
        }
      }
      try {
        return await perform(ctx, op, op.parse(invocation.input, ctx.client.options));
      } catch (error) {
        logFailure(ctx, op, 'direct', error);
        throw error;
      }
    } finally {
      ctx.metrics.publishStoredMetrics();
    }
  };
}
