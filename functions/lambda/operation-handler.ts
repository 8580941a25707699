/**
 * The Lambda handler of one catalogue operation, for every way it can be invoked:
 * - API Gateway HTTP API (payload 2.0) and REST (1.0): input as the entry's `input` says (a JSON body,
 *   or a file as a raw body or multipart) plus path parameters and the entry's query names;
 *   `Idempotency-Key` header; the entry's success status and answer kind (JSON or a file);
 * - SQS: each record's body is one input, idempotent by message id; failures are reported as
 *   batchItemFailures so one bad message never redelivers the others;
 * - EventBridge: detail-type is the operation's name, detail its input, idempotent by event id;
 * - direct invocation: the event is the input; the result is returned, errors are thrown.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSRecord } from 'aws-lambda';
import { getOperation, isFileResult, runsPerAccount, type Operation, type OperationResult } from '../core/catalogue';
import type { RunRequest } from '../core/runner';
import { ValidationError } from '../core/errors';
import type { AppContext } from '../context/context';
import { checkJsonContentType, classifyEvent, parseJsonBody, toGatewayResult, type HttpRequestView } from '../http/events';
import { fileAnswer, jsonAnswer, type HttpAnswer } from '../http/http';
import { httpErrorAnswer, logFailure, withObservability } from '../http/middleware';
import { readMultipartParts, type MultipartParts } from '../http/multipart';
import { perform } from '../context/run-ports';
import { parseAppId } from '../core/accounts';

/**
 * The account an event's detail or a queue message names (`appId`, absent: the default account), and the
 * input without it.
 *
 * @throws {ValidationError} naming `appId` when it is not an AppID.
 */
function takeAccount(op: Operation, value: unknown): { appId?: string; input: unknown } {
  if (!runsPerAccount(op) || typeof value !== 'object' || value === null || Array.isArray(value) || !('appId' in value)) {
    return { input: value };
  }
  const { appId, ...input } = value as Record<string, unknown>;
  return { appId: parseAppId(appId), input };
}

/**
 * An event's detail, a queue message or a direct invocation's input, run for the account it names: that
 * account's context, and the input parsed with that account's options (its text cap, AI label default).
 */
async function performForAccount(ctx: AppContext, op: Operation, value: unknown, request: RunRequest): Promise<OperationResult> {
  const { appId, input } = takeAccount(op, value);
  const account = await ctx.accounts.contextOf(appId);
  return perform(account, op, op.parse(input, account.client.options), request);
}

/**
 * The account of an HTTP request: `{appId}` of `/accounts/{appId}/…` (the path parameter is taken out, so
 * that the operation's own input stays as on its usual route).
 */
function accountOfRequest(op: Operation, request: HttpRequestView): { appId?: string; request: HttpRequestView } {
  const { appId, ...pathParameters } = request.pathParameters;
  if (appId === undefined || !runsPerAccount(op)) return { request };
  return { appId: parseAppId(appId), request: { ...request, pathParameters } };
}

/** Copies path parameters and the operation's query names onto an input object, refusing disagreements. */
function withRequestParameters(op: Operation, body: unknown, request: HttpRequestView): unknown {
  const params: Record<string, string> = { ...request.pathParameters };
  for (const name of op.query ?? []) if (request.query[name] !== undefined) params[name] = request.query[name]!;
  if (Object.keys(params).length === 0) return body;
  if (body === undefined) return params;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  for (const [name, value] of Object.entries(params)) {
    const given = (body as Record<string, unknown>)[name];
    if (given !== undefined && given !== value) {
      throw new ValidationError([
        { field: name, rule: `differs between the URL (${JSON.stringify(value)}) and the body (${JSON.stringify(given)})` },
      ]);
    }
  }
  return { ...body, ...params };
}

/** Sets `value` at a dotted path of `target` (`video.thumb_media_id`), refusing paths that would overwrite. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype'))
    throw new ValidationError([{ field: path, rule: 'is not a usable field name' }]);
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node = node[key] = {} as Record<string, unknown>;
    else if (typeof next === 'object' && next !== null && !Array.isArray(next) && !(next instanceof Uint8Array))
      node = next as Record<string, unknown>;
    else throw new ValidationError([{ field: path, rule: `conflicts with the field ${key}` }]);
  }
  node[keys[keys.length - 1]!] = value;
}

/** The input of a multipart body: the `message` part's JSON, its text fields and its files by dotted name. */
function multipartInput(parts: MultipartParts): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  if (parts.fields.message !== undefined) {
    const parsed = parseJsonBody(Buffer.from(parts.fields.message, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ValidationError([{ field: 'message', rule: 'must be a JSON object' }]);
    input = parsed as Record<string, unknown>;
  }
  for (const [name, value] of Object.entries(parts.fields)) if (name !== 'message') setPath(input, name, value);
  for (const [name, file] of Object.entries(parts.files))
    setPath(input, name, { file: new Uint8Array(file.data), ...(file.filename ? { filename: file.filename } : {}) });
  return input;
}

/**
 * Builds an operation's input from an HTTP request, as its entry's `input` says: a JSON body (none for
 * GET and DELETE), or a file (a raw body of an accepted type, or multipart/form-data with the file in
 * `input.field`, or JSON with the file as base64), plus path parameters and the entry's query names.
 */
export async function inputFromHttp(op: Operation, request: HttpRequestView): Promise<unknown> {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  const bare = contentType.split(';')[0]!.trim();
  if (op.route.method === 'GET' || op.route.method === 'DELETE') return withRequestParameters(op, undefined, request);
  const spec = op.input;
  if (spec.kind === 'file') {
    if (bare === 'multipart/form-data') {
      // The file in `spec.field`; other text parts are input fields too (e.g. `type` beside `media`).
      const parts = await readMultipartParts(request.body, request.headers['content-type']!, spec.maxBytes);
      const file = parts.files[spec.field];
      if (!file) throw new ValidationError([{ field: spec.field, rule: `is required: a file field named "${spec.field}"` }]);
      return withRequestParameters(
        op,
        { ...parts.fields, [spec.field]: new Uint8Array(file.data), ...(file.filename ? { filename: file.filename } : {}) },
        request,
      );
    }
    if (bare !== 'application/json') {
      if (request.body.length === 0) {
        throw new ValidationError([
          {
            field: spec.field,
            rule: `is required: the file as the request body (${spec.accepts.join(' or ')}), or multipart/form-data with a file field "${spec.field}"`,
          },
        ]);
      }
      // The file is recognised by its bytes (the operation's parse checks them), not by the Content-Type:
      // `curl --data-binary @photo.jpg` labels a real JPEG application/x-www-form-urlencoded.
      if (request.body.length > spec.maxBytes) {
        throw new ValidationError([{ field: spec.field, rule: `must be at most ${spec.maxBytes} bytes, got ${request.body.length}` }]);
      }
      return withRequestParameters(op, { [spec.field]: new Uint8Array(request.body) }, request);
    }
  } else if (spec.files && bare === 'multipart/form-data') {
    return withRequestParameters(
      op,
      multipartInput(await readMultipartParts(request.body, request.headers['content-type']!, spec.files.maxBytes)),
      request,
    );
  } else {
    checkJsonContentType(contentType);
  }
  // No body needed when the path carries every required field (POST /subscriptions/{id}/redrive).
  const pathSuffices = op.fields.every((f) => !f.required || request.pathParameters?.[f.name] !== undefined);
  return withRequestParameters(op, parseJsonBody(request.body, { allowEmpty: pathSuffices }), request);
}

/**
 * A run still "in progress" after this invocation's deadline died with its container: a retry under its
 * key may take it over then, rather than after the idempotency store's default of a minute.
 */
function deadline(lambda: { getRemainingTimeInMillis?: () => number } | undefined): { inProgressTimeoutMs?: number } {
  const remaining = lambda?.getRemainingTimeInMillis?.();
  return remaining ? { inProgressTimeoutMs: remaining } : {};
}

/** The HTTP answer of a result: the entry's success status, JSON or a file. */
function successAnswer(op: Operation, result: unknown): HttpAnswer {
  const status = op.successStatus ?? 200;
  // A file answer is the entry's kind, or (the passthrough) what WeChat happened to answer with.
  if (isFileResult(result)) {
    const declared = op.answer?.kind === 'file' ? op.answer : undefined;
    return fileAnswer(
      status,
      result.data,
      result.contentType ?? declared?.contentType ?? 'application/octet-stream',
      result.filename ?? declared?.filename,
    );
  }
  return jsonAnswer(status, result);
}

/**
 * The Lambda handler for a catalogue operation.
 *
 * @example
 * ```ts
 * // functions/lambda/operation.ts
 * export const handler = createOperationHandler(process.env.OPERATION_NAME!, lambdaContext());
 * // or, for an entry of another catalogue: createOperationHandler(entry, getContext)
 * ```
 */
export function createOperationHandler(operation: string | Operation, getContext: () => Promise<AppContext>) {
  const op = typeof operation === 'string' ? getOperation(operation) : operation;

  const source = (event: unknown) => classifyEvent(event).kind;
  return withObservability<AppContext, unknown, unknown>(
    {
      name: op.name,
      context: getContext,
      source,
      // HTTP callers get the error contract; events and direct invocations get the error, so they retry.
      onError: (error, event) => {
        if (source(event) === 'http') return httpErrorAnswer(error);
        throw error;
      },
    },
    async (event, ctx, lambdaContext) => {
      const invocation = classifyEvent(event);
      switch (invocation.kind) {
        case 'http': {
          const { appId, request } = accountOfRequest(op, invocation.request);
          const key = request.headers['idempotency-key'];
          if (key !== undefined && (key.length === 0 || key.length > 255)) {
            throw new ValidationError([{ field: 'Idempotency-Key', rule: 'must have 1 to 255 characters' }]);
          }
          const account = await ctx.accounts.contextOf(appId);
          const input = op.parse(await inputFromHttp(op, request), account.client.options);
          return toGatewayResult(
            successAnswer(op, await perform(account, op, input, { idempotencyKey: key, source: 'http', ...deadline(lambdaContext) })),
          );
        }
        case 'sqs': {
          // Each record on its own: a bad one is reported back (and retried alone), never the whole batch.
          const recordHandler = async (record: SQSRecord) => {
            try {
              return await performForAccount(ctx, op, parseJsonBody(Buffer.from(record.body, 'utf8')), {
                idempotencyKey: record.messageId,
                source: 'sqs',
                ...deadline(lambdaContext),
              });
            } catch (error) {
              logFailure(ctx.logger, { handler: op.name, source: 'sqs', messageId: record.messageId }, error);
              throw error;
            }
          };
          return processPartialResponse(invocation.event, recordHandler, new BatchProcessor(EventType.SQS), {
            context: lambdaContext,
            throwOnFullBatchFailure: false,
          });
        }
        case 'eventbridge': {
          const { event: ev } = invocation;
          if (ev['detail-type'] !== op.name) {
            throw new ValidationError([
              { field: 'detail-type', rule: `must be "${op.name}" for this function, got ${JSON.stringify(ev['detail-type'])}` },
            ]);
          }
          return performForAccount(ctx, op, ev.detail, {
            idempotencyKey: ev.id,
            source: 'eventbridge',
            ...deadline(lambdaContext),
          });
        }
        default:
          return performForAccount(ctx, op, invocation.input, { source: 'direct' });
      }
    },
  );
}
