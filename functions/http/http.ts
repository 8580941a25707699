/**
 * HTTP answers shared by every handler: JSON bodies, the error contract of docs/configuration.md
 * (`{"error": {"code", "message", ...}}` with 400 / 401 / 409 / 502 / 503 / 504), and the mapping from
 * any thrown value to it. Unknown errors become a 500 whose body says nothing about internals.
 */
import { WeChatKfError, type ErrorBody } from '../core/errors';
import { contentDisposition } from '../core/media/filenames';

/** A handler's HTTP answer, independent of the API Gateway payload version. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** The body is base64 of bytes (a file answer). */
  isBase64Encoded?: boolean;
}

/**
 * A JSON answer.
 *
 * @example
 * ```ts
 * jsonAnswer(200, { errcode: 0, errmsg: 'ok' });
 * ```
 */
export function jsonAnswer(statusCode: number, body: unknown): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}

/**
 * A file answer: the bytes base64-encoded, as API Gateway wants binary bodies.
 *
 * @example
 * ```ts
 * fileAnswer(200, bytes, 'image/jpeg', 'photo.jpg');
 * ```
 */
export function fileAnswer(statusCode: number, data: Uint8Array, contentType: string, filename?: string): HttpAnswer {
  const headers: Record<string, string> = { 'content-type': contentType };
  // The name in UTF-8 as filename* (RFC 5987), with an ASCII filename for old clients (core/media/filenames.ts).
  if (filename) headers['content-disposition'] = contentDisposition(filename);
  return { statusCode, headers, body: Buffer.from(data).toString('base64'), isBase64Encoded: true };
}

/** A plain-text answer (the callback's `success` and echostr). */
export function textAnswer(statusCode: number, body: string): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

/**
 * Where the log of an unexpected error is, said in every 500: the function's CloudWatch Logs group in
 * Lambda, or what the local server sets with {@link setLogLocation}.
 */
let logLocation: string | undefined;

/**
 * Tells every 500 answer where its log is (the local server: the terminal running npm start).
 *
 * @example
 * ```ts
 * setLogLocation(`the output of npm start (process ${process.pid})`);
 * ```
 */
export function setLogLocation(where: string | undefined): void {
  logLocation = where;
}

/** Where the log is, in words. */
export function logLocationText(): string {
  if (logLocation) return logLocation;
  const group = process.env.AWS_LAMBDA_LOG_GROUP_NAME;
  return group ? `the function's CloudWatch Logs group ${group}` : 'the function logs';
}

/** The error body for anything thrown. */
export function errorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof WeChatKfError) return { status: error.status, body: error.toBody() };
  return { status: 500, body: { error: { code: 'INTERNAL_ERROR', message: `internal error; the details are in ${logLocationText()}` } } };
}

/**
 * The HTTP answer for anything thrown.
 *
 * @example
 * ```ts
 * errorAnswer(new ValidationError([{ field: 'touser', rule: 'is required' }])).statusCode; // 400
 * ```
 */
export function errorAnswer(error: unknown): HttpAnswer {
  const { status, body } = errorBody(error);
  return jsonAnswer(status, body);
}
