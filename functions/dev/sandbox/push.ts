/**
 * Pushes to the developer's server, as WeChat makes them: the message's plain fields, rendered as XML or
 * JSON, signed, encrypted in safe and compatible mode, POSTed, and tried three times in all when the
 * answer is not 2xx or does not come within 5 s.
 *
 * @example
 * ```ts
 * const message = buildPushMessage({ type: 'text', content: 'hi' }, 'OPENID', { toUserName: 'gh_sandbox', createTime: 1714112445, msgId: '2400000000000001' });
 * const request = renderPush(message, { url, token: 'AAAAA' }, 'wxappid', { timestamp: '1714112445', nonce: '415670741' });
 * const result = await deliverPush(request, 5000);
 * ```
 */
import { randomBytes } from 'node:crypto';
import { encryptMessage, sha1Signature } from './crypto';
import { SandboxUsageError } from './errcodes';
import type { CallbackConfig, CallbackMode, PushAttempt, PushMessage, PushValue, UserAction } from './types';

/** Fields rendered as numbers (bare in XML, numbers in JSON). */
const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'CreateTime',
  'MsgId',
  'Location_X',
  'Location_Y',
  'Scale',
  'Latitude',
  'Longitude',
  'Precision',
]);

/** WeChat's three tries in all. */
export const PUSH_TRIES = 3;

/** A callback configuration with its defaults filled in. */
export interface ResolvedCallback {
  url: string;
  token: string;
  encodingAesKey?: string;
  mode: CallbackMode;
  format: 'xml' | 'json';
}

/**
 * Checks a callback configuration and fills in its defaults.
 *
 * @throws {SandboxUsageError} on a bad URL, a missing token, or a missing/bad key in safe or compatible mode.
 */
export function resolveCallback(cb: CallbackConfig): ResolvedCallback {
  if (!cb || typeof cb !== 'object')
    throw new SandboxUsageError('callback must be an object {url, token, encodingAesKey?, mode?, format?}');
  let url: URL;
  try {
    url = new URL(cb.url);
  } catch {
    throw new SandboxUsageError('callback.url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SandboxUsageError('callback.url must be http or https');
  if (typeof cb.token !== 'string' || !/^[A-Za-z0-9]{3,32}$/.test(cb.token)) {
    throw new SandboxUsageError("callback.token must be 3-32 letters or digits (WeChat's rule for the Token)");
  }
  const mode = cb.mode ?? (cb.encodingAesKey ? 'safe' : 'plain');
  if (mode !== 'plain' && mode !== 'safe' && mode !== 'compatible')
    throw new SandboxUsageError('callback.mode must be plain, safe or compatible');
  const format = cb.format ?? 'xml';
  if (format !== 'xml' && format !== 'json') throw new SandboxUsageError('callback.format must be xml or json');
  if (mode !== 'plain') {
    if (typeof cb.encodingAesKey !== 'string') throw new SandboxUsageError(`callback.encodingAesKey is required in ${mode} mode`);
    if (!/^[A-Za-z0-9+/]{43}$/.test(cb.encodingAesKey))
      throw new SandboxUsageError('callback.encodingAesKey must be 43 characters of [A-Za-z0-9+/]');
  }
  return { url: cb.url, token: cb.token, encodingAesKey: cb.encodingAesKey, mode, format };
}

/** What identifies a push besides the action. */
export interface PushIds {
  /** The official account's original ID, e.g. `gh_sandbox`. */
  toUserName: string;
  /** Seconds. */
  createTime: number;
  /** A numeric string, used by messages (not events). */
  msgId: string;
}

/**
 * The plain fields WeChat pushes for an action.
 *
 * @example
 * ```ts
 * buildPushMessage({ type: 'event', event: 'CLICK', eventKey: 'HELP' }, 'OPENID', ids);
 * // { ToUserName, FromUserName: 'OPENID', CreateTime, MsgType: 'event', Event: 'CLICK', EventKey: 'HELP' }
 * ```
 */
export function buildPushMessage(action: UserAction, openid: string, ids: PushIds): PushMessage {
  const head: PushMessage = { ToUserName: ids.toUserName, FromUserName: openid, CreateTime: ids.createTime };
  const mediaId = () => `sbx_media_${randomBytes(9).toString('base64url')}`;
  switch (action.type) {
    case 'text':
      return { ...head, MsgType: 'text', Content: action.content, MsgId: ids.msgId };
    case 'menuReply':
      return { ...head, MsgType: 'text', Content: action.content, MsgId: ids.msgId, bizmsgmenuid: action.menuId };
    case 'image':
      return {
        ...head,
        MsgType: 'image',
        PicUrl: action.picUrl ?? 'http://mmbiz.qpic.cn/sandbox/picture.jpg',
        MediaId: action.mediaId ?? mediaId(),
        MsgId: ids.msgId,
      };
    case 'voice':
      return {
        ...head,
        MsgType: 'voice',
        MediaId: action.mediaId ?? mediaId(),
        Format: action.format ?? 'amr',
        ...(action.recognition !== undefined ? { Recognition: action.recognition } : {}),
        MsgId: ids.msgId,
      };
    case 'location':
      return {
        ...head,
        MsgType: 'location',
        Location_X: action.x ?? 23.134521,
        Location_Y: action.y ?? 113.358803,
        Scale: action.scale ?? 20,
        Label: action.label ?? 'sandbox location',
        MsgId: ids.msgId,
      };
    case 'event':
      return { ...head, MsgType: 'event', Event: action.event, ...eventFields(action.event, action.eventKey) };
  }
}

function eventFields(event: string, eventKey: string | undefined): PushMessage {
  switch (event) {
    case 'subscribe':
      if (eventKey === undefined) return {};
      return { EventKey: eventKey.startsWith('qrscene_') ? eventKey : `qrscene_${eventKey}`, Ticket: 'sbx_ticket' };
    case 'SCAN':
      return { EventKey: eventKey ?? '123', Ticket: 'sbx_ticket' };
    case 'CLICK':
      return { EventKey: eventKey ?? 'MENU_KEY' };
    case 'VIEW':
      return { EventKey: eventKey ?? 'https://example.com/' };
    case 'scancode_push':
    case 'scancode_waitmsg':
      return { EventKey: eventKey ?? 'SCAN_KEY', ScanCodeInfo: { ScanType: 'qrcode', ScanResult: 'sandbox' } };
    case 'LOCATION':
      return { Latitude: 23.137466, Longitude: 113.352425, Precision: 119.38504 };
    default:
      return eventKey !== undefined ? { EventKey: eventKey } : {};
  }
}

function cdata(text: string): string {
  return `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

function xmlValue(name: string, value: PushValue): string {
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `<${k}>${xmlValue(k, v)}</${k}>`)
      .join('');
  }
  return NUMERIC_FIELDS.has(name) || typeof value === 'number' ? String(value) : cdata(value);
}

/**
 * WeChat's XML: `<xml><ToUserName><![CDATA[...]]></ToUserName><CreateTime>123</CreateTime>...</xml>`.
 */
export function toXml(fields: PushMessage): string {
  return `<xml>${Object.entries(fields)
    .map(([k, v]) => `<${k}>${xmlValue(k, v)}</${k}>`)
    .join('')}</xml>`;
}

/** WeChat's JSON: numeric fields as numbers (MsgIds stay below 2^53 so they survive JSON.parse). */
export function toJson(fields: PushMessage): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = NUMERIC_FIELDS.has(k) && typeof v === 'string' ? Number(v) : v;
  return JSON.stringify(out);
}

/** A push ready to send. */
export interface PushRequest {
  url: string;
  body: string;
  contentType: string;
}

/**
 * Renders, signs and (in safe / compatible mode) encrypts a push. The query carries signature,
 * timestamp, nonce and openid; safe and compatible mode add encrypt_type=aes and msg_signature.
 */
export function renderPush(
  message: PushMessage,
  cb: ResolvedCallback,
  appId: string,
  stamp: { timestamp: string; nonce: string },
): PushRequest {
  const plain = cb.format === 'json' ? toJson(message) : toXml(message);
  const query = new URLSearchParams({
    signature: sha1Signature(cb.token, stamp.timestamp, stamp.nonce),
    timestamp: stamp.timestamp,
    nonce: stamp.nonce,
    openid: String(message.FromUserName),
  });
  let body = plain;
  if (cb.mode !== 'plain') {
    const encrypt = encryptMessage(cb.encodingAesKey as string, appId, plain);
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', sha1Signature(cb.token, stamp.timestamp, stamp.nonce, encrypt));
    if (cb.mode === 'safe') {
      const outer: PushMessage = { ToUserName: message.ToUserName as string, Encrypt: encrypt };
      body = cb.format === 'json' ? toJson(outer) : toXml(outer);
    } else {
      const both: PushMessage = { ...message, Encrypt: encrypt };
      body = cb.format === 'json' ? toJson(both) : toXml(both);
    }
  }
  const sep = cb.url.includes('?') ? '&' : '?';
  return {
    url: `${cb.url}${sep}${query.toString()}`,
    body,
    contentType: cb.format === 'json' ? 'application/json' : 'text/xml',
  };
}

const MAX_ANSWER = 64 * 1024;

/**
 * POSTs a push; tries again (three tries in all) when the answer is not 2xx or does not come within
 * `timeoutMs`.
 */
export async function deliverPush(
  request: PushRequest,
  timeoutMs: number,
): Promise<{ delivered: boolean; status?: number; body?: string; tries: PushAttempt[] }> {
  const tries: PushAttempt[] = [];
  for (let i = 0; i < PUSH_TRIES; i++) {
    const attempt: PushAttempt = {};
    tries.push(attempt);
    try {
      const res = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': request.contentType, 'user-agent': 'Mozilla/4.0' },
        body: request.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      attempt.status = res.status;
      attempt.body = (await res.text()).slice(0, MAX_ANSWER);
      if (res.status >= 200 && res.status < 300) break;
    } catch (error) {
      const name = (error as Error)?.name;
      attempt.error =
        name === 'TimeoutError' || name === 'AbortError'
          ? 'timeout'
          : ((error as { cause?: { code?: string } })?.cause?.code ?? (error as Error)?.message ?? 'error');
    }
  }
  const last = tries[tries.length - 1] as PushAttempt;
  return {
    delivered: last.status !== undefined && last.status >= 200 && last.status < 300,
    ...(last.status !== undefined ? { status: last.status, body: last.body } : {}),
    tries,
  };
}
