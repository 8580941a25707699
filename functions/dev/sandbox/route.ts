/**
 * What every file of WeChat endpoints in the sandbox shares: the request and context a handler gets, the
 * route table entry, and the JSON body rules (44002 empty, 47001 not a JSON object). api.ts holds the
 * customer-service endpoints and registers each other area's table (users.ts, ...) with one line.
 *
 * @example
 * ```ts
 * export const MY_ROUTES: Readonly<Record<string, Route>> = {
 *   '/cgi-bin/some/thing': { methods: ['POST'], auth: true, handler: (ctx, req) => ({ echo: jsonBody(req) }) },
 * };
 * ```
 */
import { WeChatRefusalError } from './errcodes';
import type { SandboxState } from './state';
import type { TokenAuthority } from './tokens';
import type { DeskEvent } from './desk';

/** What the API handlers need. */
export interface ApiContext {
  state: SandboxState;
  tokens: TokenAuthority;
  appId: string;
  appSecret: string;
  wechatId: string;
  now: () => number;
  /** The sandbox's own base URL (for avatar URLs). */
  baseUrl: string;
  /** What names this account in a control URL the sandbox hands out: `''` for the first account, else `appId=<appId>&`. */
  accountQuery: string;
  /** Pushes kf events (kf_create_session, ...) to the callback once the answer has gone out (desk.ts). */
  pushLater(events: readonly DeskEvent[]): void;
}

/** One API request, read in full. */
export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  raw: Buffer;
  contentType?: string;
}

export type Json = Record<string, unknown>;
/** Answers a request with WeChat's JSON, or throws {@link WeChatRefusalError}. */
export type Handler = (ctx: ApiContext, req: ApiRequest) => Json;

export interface Route {
  methods: readonly string[];
  /** Whether the call needs `access_token`. */
  auth: boolean;
  handler: Handler;
}

/** WeChat's answer to an action that succeeded. */
export const OK: Json = { errcode: 0, errmsg: 'ok' };

/** The request's body as a JSON object: 44002 when empty, 47001 when not a JSON object. */
export function jsonBody(req: ApiRequest): Json {
  const text = req.raw.toString('utf8');
  if (text.trim() === '') throw new WeChatRefusalError(44002);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WeChatRefusalError(47001, 'the body is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new WeChatRefusalError(47001, 'the body must be a JSON object');
  return value as Json;
}
