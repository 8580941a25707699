/**
 * The WeChat error codes the sandbox answers with, and their messages.
 *
 * Codes marked "chosen" are where docs/wechat-reference.md is silent; they are WeChat's own global
 * return codes for the same situation, so a client sees what it would most likely see from WeChat.
 */

export const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system error',
  0: 'ok',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40005: 'invalid file type',
  40008: 'invalid message type',
  40013: 'invalid appid',
  /** tags/members/batchtagging: an empty openid_list or more than 50 openids. */
  40032: 'invalid openid list size',
  40014: 'invalid access_token',
  /** chosen: a field of a custom/send payload is missing or has the wrong type. */
  40035: 'invalid args',
  /** chosen: an unknown path under WeChat's API space. */
  40066: 'invalid url',
  40125: 'invalid appsecret',
  /** The caller's IP is not on the account's IP whitelist; errmsgFor names the caller, as WeChat does. */
  40164: 'invalid ip, not in whitelist',
  /** An unverified or test account asking for what it may not use (msgmenu). */
  40200: 'invalid account type',
  41001: 'access_token missing',
  /** chosen: /cgi-bin/token or stable_token without appid. */
  41002: 'appid missing',
  /** chosen: /cgi-bin/token or stable_token without secret. */
  41004: 'appsecret missing',
  /** chosen: uploadheadimg without a `media` file part. */
  41005: 'media data missing',
  42001: 'access_token expired',
  /** chosen: a GET-only API called with another method. */
  43001: 'require GET method',
  /** chosen: a POST-only API called with another method. */
  43002: 'require POST method',
  /** chosen: a POST with an empty body. */
  44002: 'empty post data',
  45002: 'content size out of limit',
  45008: 'article size out of limit',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit, mustslower retry next minute',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  45056: 'too many tags now',
  45059: 'too many tags on the user',
  45072: 'command field is invalid',
  45080: 'has not sent message to user in 30s',
  45081: 'already typing',
  45157: 'invalid tag name',
  45158: 'tag name too long',
  45159: 'invalid tag id',
  /** chosen: a body that is not JSON. */
  47001: 'data format error',
  48001: 'api unauthorized',
  61450: 'system error',
  61451: 'invalid parameter',
  61452: 'invalid kf_account',
  61453: 'kf_account exsited',
  61454: 'invalid kf_acount length',
  61455: 'illegal character in kf_account',
  61456: 'kf_account count exceeded',
  /** chosen for an avatar over 5 MB (the reference gives 40005 / 61457 for a bad avatar file). */
  61457: 'invalid file size',
  // The customer-service desk (docs/wechat-reference.md, "Passive replies and handing a user to a human").
  65400: 'new kf feature not enabled',
  65401: 'invalid kf account',
  65402: 'kf account not bound to a wechat user',
  65403: 'illegal nickname',
  65404: 'illegal kf account',
  65405: 'too many kf accounts',
  65406: 'kf account exists',
  65407: 'the wechat user is already a kf',
  65408: 'the wechat user is already invited',
  65409: 'invalid wechat id',
  65410: 'the wechat user is bound to too many kf accounts',
  65411: 'an invitation of this kf account is pending',
  65412: 'the kf account is already bound to a wechat user',
  65413: 'no session for this user',
  65414: 'another kf is serving the user',
  65415: 'kf not online',
  65416: 'invalid query parameters',
  65417: 'query window over 24 hours',
};

/** The message for a code, or a generic one. */
export function errmsgOf(errcode: number): string {
  return ERRMSG[errcode] ?? `sandbox errcode ${errcode}`;
}

/**
 * The message WeChat gives a caller at `callerIp`: for 40164 it names the caller's address
 * ("invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist"), so a person knows what to whitelist.
 */
export function errmsgFor(errcode: number, callerIp: string | undefined): string {
  if (errcode !== 40164 || !callerIp) return errmsgOf(errcode);
  const v4 = callerIp.replace(/^::ffff:/, '');
  return `invalid ip ${v4} ipv6 ${callerIp.includes(':') ? callerIp : `::ffff:${v4}`}, not in whitelist`;
}

/** A WeChat-style refusal: answered as HTTP 200 `{errcode, errmsg}`. Internal to the sandbox. */
export class WeChatRefusalError extends Error {
  readonly errcode: number;
  readonly errmsg: string;
  constructor(errcode: number, detail?: string) {
    const base = errmsgOf(errcode);
    const errmsg = detail ? `${base}: ${detail}` : base;
    super(errmsg);
    this.name = 'WeChatRefusalError';
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

/**
 * Misuse of the sandbox itself (a bad option, fault, callback or user action). Thrown by the
 * programmatic API; the control plane answers it with HTTP 400.
 *
 * @example
 * ```ts
 * try { sandbox.injectFault({ path: 'oops', kind: 'reset' }); }
 * catch (e) { if (e instanceof SandboxUsageError) console.log(e.message); }
 * ```
 */
export class SandboxUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUsageError';
  }
}
