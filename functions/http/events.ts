/**
 * The event shapes a function can be invoked with, told apart and normalised:
 * API Gateway HTTP API (payload 2.0), API Gateway REST (payload 1.0), SQS batches, EventBridge events,
 * and direct invocation with the input as the event.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, EventBridgeEvent, SQSEvent } from 'aws-lambda';
import { ValidationError } from '../core/errors';
import type { HttpAnswer } from './http';

/** An HTTP request, whichever API Gateway payload version carried it. */
export interface HttpRequestView {
  method: string;
  path: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  pathParameters: Record<string, string>;
  /** The body as bytes (API Gateway base64-encodes binary bodies). */
  body: Buffer;
}

export type InvocationEvent =
  | { kind: 'http'; request: HttpRequestView }
  | { kind: 'sqs'; event: SQSEvent }
  | { kind: 'eventbridge'; event: EventBridgeEvent<string, unknown> }
  | { kind: 'direct'; input: unknown };

function lowerKeys(headers: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function definedValues(record: Record<string, string | undefined> | null | undefined, decode = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) if (v !== undefined) out[k] = decode ? safeDecode(v) : v;
  return out;
}

/** API Gateway passes path parameters still percent-encoded (a kf_account's `@` as `%40`). */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Tells which kind of event a function received.
 *
 * @example
 * ```ts
 * classifyEvent({ Records: [{ eventSource: 'aws:sqs', ... }] }).kind; // 'sqs'
 * ```
 */
export function classifyEvent(event: unknown): InvocationEvent {
  const e = event as Record<string, any> | null;
  if (e && typeof e === 'object' && !Array.isArray(e)) {
    if (e.version === '2.0' && e.requestContext?.http) {
      const v2 = e as APIGatewayProxyEventV2;
      return {
        kind: 'http',
        request: {
          method: v2.requestContext.http.method.toUpperCase(),
          path: v2.rawPath,
          headers: lowerKeys(v2.headers),
          query: definedValues(v2.queryStringParameters),
          pathParameters: definedValues(v2.pathParameters, true),
          body: v2.body === undefined ? Buffer.alloc(0) : Buffer.from(v2.body, v2.isBase64Encoded ? 'base64' : 'utf8'),
        },
      };
    }
    if (typeof e.httpMethod === 'string' && e.requestContext) {
      const v1 = e as APIGatewayProxyEvent;
      return {
        kind: 'http',
        request: {
          method: v1.httpMethod.toUpperCase(),
          path: v1.path,
          headers: lowerKeys(v1.headers),
          query: definedValues(v1.queryStringParameters),
          pathParameters: definedValues(v1.pathParameters, true),
          body: v1.body === null || v1.body === undefined ? Buffer.alloc(0) : Buffer.from(v1.body, v1.isBase64Encoded ? 'base64' : 'utf8'),
        },
      };
    }
    if (Array.isArray(e.Records) && e.Records.length > 0 && e.Records.every((r: any) => r?.eventSource === 'aws:sqs')) {
      return { kind: 'sqs', event: e as SQSEvent };
    }
    if (typeof e['detail-type'] === 'string' && 'detail' in e && typeof e.source === 'string') {
      return { kind: 'eventbridge', event: e as EventBridgeEvent<string, unknown> };
    }
  }
  return { kind: 'direct', input: event };
}

/**
 * The HTTP request of a function that only API Gateway invokes (the callback, interactions).
 *
 * @throws {ValidationError} for any other kind of event.
 */
export function httpRequestOf(event: unknown): HttpRequestView {
  const invocation = classifyEvent(event);
  if (invocation.kind !== 'http') throw new ValidationError([{ field: '(event)', rule: 'must be an API Gateway request' }]);
  return invocation.request;
}

/** The answer as a Lambda proxy result: the same shape serves API Gateway payload versions 1.0 and 2.0. */
export function toGatewayResult(answer: HttpAnswer) {
  return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body, isBase64Encoded: answer.isBase64Encoded ?? false };
}

/**
 * Refuses a body that says it is not JSON: every JSON route takes `application/json` (or `text/plain`,
 * which some tools send for JSON), or no content type at all.
 *
 * @throws {ValidationError} naming the content type received.
 */
export function checkJsonContentType(contentType: string | undefined): void {
  const ct = (contentType ?? '').toLowerCase();
  if (ct && !ct.startsWith('application/json') && !ct.startsWith('text/plain')) {
    throw new ValidationError([{ field: '(body)', rule: `must be application/json, got ${ct.split(';')[0]}` }]);
  }
}

/** Largest JSON body accepted (WeChat's own bodies are far smaller). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * How deep arrays and objects may nest in a JSON body. WeChat's deepest body (news articles) nests 4
 * levels; a body nested thousands deep is an attack on every recursive step after parsing (validation,
 * JSON.stringify of the request), so it is refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * How deep a JSON text nests (`[` and `{` outside strings), scanning its bytes once and stopping as soon
 * as `limit` is passed, so the cost is bounded by the body size, never by recursion.
 *
 * @example
 * ```ts
 * jsonDepth(Buffer.from('{"a":[1,{"b":2}]}'), 32); // 3
 * ```
 */
export function jsonDepth(body: Uint8Array, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/** A UTF-8 decoder that throws on an invalid byte sequence instead of replacing it. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses a JSON request body, with errors that say what is wrong. A UTF-8 byte order mark (which some
 * Windows tools write) is skipped; nesting deeper than {@link MAX_JSON_DEPTH} is refused before parsing.
 *
 * @example
 * ```ts
 * parseJsonBody(Buffer.from('{"a":1}')); // { a: 1 }
 * ```
 */
export function parseJsonBody(body: Buffer, options: { allowEmpty?: boolean } = {}): unknown {
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
  if (body.length === 0) {
    if (options.allowEmpty) return undefined;
    throw new ValidationError([{ field: '(body)', rule: 'is required: a JSON object' }]);
  }
  if (body.length > MAX_JSON_BODY_BYTES) {
    throw new ValidationError([{ field: '(body)', rule: `must be at most ${MAX_JSON_BODY_BYTES} bytes, got ${body.length}` }]);
  }
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new ValidationError([{ field: '(body)', rule: `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep` }]);
  }
  // Invalid UTF-8 would be decoded into U+FFFD and sent on as if the caller wrote it: refused instead.
  let text: string;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    throw new ValidationError([{ field: '(body)', rule: 'must be valid UTF-8: it holds bytes that are no UTF-8 character' }]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError([{ field: '(body)', rule: `must be valid JSON (${(error as Error).message})` }]);
  }
}
