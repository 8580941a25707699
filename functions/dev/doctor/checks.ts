/**
 * The doctor: checks a real configuration the way WeChat will judge it, and says per check "pass" or
 * what to do (docs/doctor.md). Read-only towards WeChat: the token comes from cgi-bin/stable_token in
 * normal mode (it never invalidates the token other systems hold, unlike cgi-bin/token), the kf check
 * lists kf accounts, and the menu check sends a msgmenu to an openid that cannot exist, so nobody receives
 * it: WeChat judges the account type before the recipient only when the type is refused (40200).
 *
 * No secret is ever part of a result: the AppSecret, the access token, the callback Token and the
 * EncodingAESKey are masked out of every text a check returns, even text WeChat sent back.
 *
 * @example
 * ```ts
 * const report = await runDoctor({ appId: 'wx…', appSecret: '…', callbackToken: 'abc123' });
 * for (const c of report.checks) console.log(c.status, c.title, c.detail, c.fix ?? '');
 * ```
 */
import { randomInt } from 'node:crypto';
import { computeSignature } from '../../core/callback';
import { WECHAT_API_BASE_URL } from '../../core/token';
import { behaviourChecks, type BehaviourSettings } from './behaviour-checks';

/** How a check came out. `skip`: it could not run (an earlier check failed, or nothing to check). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** One check's result. */
export interface DoctorCheck {
  /** Stable id, e.g. `credentials`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do, when it did not pass. */
  fix?: string;
  /** WeChat's errcode, when WeChat's answer decided it. */
  errcode?: number;
}

/** All checks, in order, and whether every one passed (warnings and skips do not fail it). */
export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

/** What the doctor checks. Every field is optional: a missing one is reported, not thrown. */
export interface DoctorInput {
  appId?: string;
  appSecret?: string;
  /** Default https://api.weixin.qq.com. */
  apiBaseUrl?: string;
  callbackToken?: string;
  encodingAesKey?: string;
  /** The server URL configured in WeChat (or to be): it must answer WeChat's signed URL check. */
  callbackUrl?: string;
  /**
   * The deployed stack's secret as read from Secrets Manager (the JSON string), or the error met reading
   * it; absent when no secret was named.
   */
  deployedSecret?: { id: string; value?: string; error?: string };
  /** Per request, default 10 s. */
  timeoutMs?: number;
  /** REPLY_MODE in force: with `passive`, an account without the customer-service API (48001) is expected. */
  replyMode?: string;
  /** Keyword handoff and the AI label as configured (behaviour-checks.ts); absent: not reported. */
  behaviour?: BehaviourSettings;
}

/** The placeholder the CDK stack puts in a new secret (infra/lib: `REPLACE_ME`). */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/**
 * Where the AppID, AppSecret, IP whitelist and server configuration are set since the end of 2025: 微信开发者平台,
 * no longer mp.weixin.qq.com's 基本配置 (docs/doctor.md). Test accounts stay at mp.weixin.qq.com's sandbox.
 */
const DEVELOPER_PLATFORM = '微信开发者平台 (developers.weixin.qq.com/platform → 我的业务 → the official account)';

/**
 * An address as WeChat's whitelist page takes it: exact IPs or CIDR only (no 1.2.3.*), so one machine is /32
 * (IPv6: /128).
 *
 * @example
 * ```ts
 * whitelistEntry('203.0.113.7'); // '203.0.113.7/32'
 * ```
 */
export function whitelistEntry(ip: string): string {
  if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(ip)) return `${ip}/32`;
  if (ip.includes(':')) return `${ip}/128`;
  return ip;
}

type WeChatAnswer = { ok: true; json: Record<string, unknown> } | { ok: false; network: string };

async function wechat(url: string, init: RequestInit, timeoutMs: number): Promise<WeChatAnswer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      const json = JSON.parse(text) as unknown;
      if (json && typeof json === 'object' && !Array.isArray(json)) return { ok: true, json: json as Record<string, unknown> };
    } catch {
      // fall through: not WeChat's JSON
    }
    return { ok: false, network: `HTTP ${res.status} with a body that is not WeChat's JSON` };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    return { ok: false, network: e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message) };
  }
}

const errcodeOf = (json: Record<string, unknown>) => (typeof json.errcode === 'number' ? json.errcode : 0);

/** The caller's IP as WeChat names it in a 40164 / 89503 errmsg: "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist". */
export function ipFromErrmsg(errmsg: unknown): string | undefined {
  const m = /\bip\s+([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)/i.exec(String(errmsg ?? ''));
  return m?.[1];
}

function describeWeChat(json: Record<string, unknown>): string {
  return `WeChat answered errcode ${errcodeOf(json)} (${String(json.errmsg ?? '')})`;
}

/** The token check's verdict for a WeChat answer. */
function tokenVerdict(json: Record<string, unknown>): Omit<DoctorCheck, 'id' | 'title'> {
  const errcode = errcodeOf(json);
  const said = describeWeChat(json);
  switch (errcode) {
    case 0:
      return {
        status: 'pass',
        detail:
          typeof json.access_token === 'string'
            ? 'the AppID and AppSecret fetch an access token'
            : 'WeChat answered without an access token',
      };
    case 40013:
    case 41002:
      return {
        status: 'fail',
        errcode,
        detail: `${said}: WeChat does not know this AppID`,
        fix: `Copy the AppID (开发者ID) from ${DEVELOPER_PLATFORM} into WECHAT_APP_ID (deployed: the secret's appId).`,
      };
    case 40125:
    case 41004:
      return {
        status: 'fail',
        errcode,
        detail: `${said}: the AppSecret is wrong, or was reset since it was copied`,
        fix: `Reset the AppSecret in ${DEVELOPER_PLATFORM} → AppSecret (开发者密码) and put the new one in WECHAT_APP_SECRET (deployed: the secret's appSecret). Every other system using the old one must get the new one too.`,
      };
    case 40164:
    case 89503: {
      const seen = ipFromErrmsg(json.errmsg);
      const ip = seen ?? '(the address WeChat sees)';
      const entry = seen ? whitelistEntry(seen) : ip;
      return errcode === 40164
        ? {
            status: 'fail',
            errcode,
            detail: `${said}: this machine's IP ${ip} is not on the account's IP whitelist`,
            fix:
              `Add ${entry} in ${DEVELOPER_PLATFORM} → IP whitelist (IP白名单; exact IPs or CIDR only). The whitelist covers every API called with an access token, ` +
              'so a token handed to another system (GET /access-token) is refused with 40164 from any IP not on it. ' +
              'For the deployed stack, whitelist its EgressIp output instead (deploy with -c staticEgressIp=true): this check tests the machine it runs on.',
          }
        : {
            status: 'fail',
            errcode,
            detail: `${said}: WeChat wants an administrator to confirm calls from the new IP ${ip}`,
            fix: `Approve it in the message the administrator got in WeChat, or add ${entry} to the IP whitelist in ${DEVELOPER_PLATFORM}.`,
          };
    }
    default:
      return { status: 'fail', errcode, detail: said, fix: 'See docs/wechat-reference.md (error codes) for what WeChat means.' };
  }
}

function masker(secrets: Array<string | undefined>): (text: string) => string {
  const values = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => values.reduce((t, s) => t.split(s).join('***'), text);
}

/** WeChat's rule for the Token of the server configuration: 3-32 English letters or digits. */
export const TOKEN_RULE = /^[A-Za-z0-9]{3,32}$/;
/** The EncodingAESKey: 43 letters or digits; base64 of it plus "=" is the 32-byte AES key. */
export const AES_KEY_RULE = /^[A-Za-z0-9]{43}$/;

function callbackTokenCheck(token: string | undefined): DoctorCheck {
  const base = { id: 'callbackToken', title: 'Callback Token is well-formed' };
  if (!token)
    return {
      ...base,
      status: 'fail',
      detail: 'no callback Token is set',
      fix: `Choose a Token (3-32 letters or digits) in ${DEVELOPER_PLATFORM} → Server configuration (服务器配置) and set the same in WECHAT_CALLBACK_TOKEN (deployed: the secret's callbackToken).`,
    };
  if (token === SECRET_PLACEHOLDER)
    return {
      ...base,
      status: 'fail',
      detail: 'the callback Token is still the placeholder REPLACE_ME',
      fix: 'Set the Token of the server configuration.',
    };
  if (!TOKEN_RULE.test(token))
    return {
      ...base,
      status: 'fail',
      detail: `the Token has ${token.length} characters, or characters other than letters and digits: WeChat's admin console accepts 3-32 letters or digits`,
      fix: `Choose a new Token of 3-32 letters or digits, in ${DEVELOPER_PLATFORM} → Server configuration and in WECHAT_CALLBACK_TOKEN.`,
    };
  return { ...base, status: 'pass', detail: `${token.length} letters or digits` };
}

function aesKeyCheck(key: string | undefined): DoctorCheck {
  const base = { id: 'encodingAesKey', title: 'EncodingAESKey is well-formed' };
  if (!key)
    return {
      ...base,
      status: 'warn',
      detail: 'no EncodingAESKey: pushes must be in plain mode (明文模式)',
      fix: `For safe mode (安全模式, recommended), generate an EncodingAESKey in ${DEVELOPER_PLATFORM} → Server configuration and set it in WECHAT_ENCODING_AES_KEY.`,
    };
  if (!AES_KEY_RULE.test(key) || Buffer.from(`${key}=`, 'base64').length !== 32) {
    return {
      ...base,
      status: 'fail',
      detail: `the EncodingAESKey has ${key.length} characters, or characters other than letters and digits: it must be the 43 WeChat generated`,
      fix: `Copy the EncodingAESKey from ${DEVELOPER_PLATFORM} → Server configuration again (43 characters, no spaces).`,
    };
  }
  return { ...base, status: 'pass', detail: '43 characters; decodes to a 32-byte AES key' };
}

async function callbackUrlCheck(url: string | undefined, token: string | undefined, timeoutMs: number): Promise<DoctorCheck> {
  const base = { id: 'callbackUrl', title: 'Callback URL answers the signed URL check' };
  if (!url)
    return {
      ...base,
      status: 'skip',
      detail: 'no callback URL given',
      fix: 'Give the server URL (WECHAT_CALLBACK_URL or --callback-url) to check it answers WeChat as it will.',
    };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ...base, status: 'fail', detail: 'the callback URL is not an absolute URL', fix: 'Give it as https://host/path.' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { ...base, status: 'fail', detail: `WeChat pushes over http or https only, not ${parsed.protocol}`, fix: 'Use an https URL.' };
  if (!token || !TOKEN_RULE.test(token)) return { ...base, status: 'skip', detail: 'needs a well-formed callback Token to sign the check' };
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(100_000_000, 2_000_000_000));
  const echostr = `${randomInt(1_000_000_000, 2 ** 47)}${randomInt(100_000, 999_999)}`;
  const ask = async (signature: string) => {
    const q = new URLSearchParams({ signature, timestamp, nonce, echostr });
    try {
      const res = await fetch(`${url}${url.includes('?') ? '&' : '?'}${q}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      return { status: res.status, body: (await res.text()).slice(0, 512) };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return {
        error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s (WeChat waits 5 s)` : (e.cause?.code ?? e.message),
      };
    }
  };
  const good = await ask(computeSignature(token, timestamp, nonce));
  if ('error' in good)
    return {
      ...base,
      status: 'fail',
      detail: `${parsed.origin} could not be reached: ${good.error}`,
      fix: 'WeChat must reach the URL from the internet on port 80 or 443; check the address, DNS and firewall.',
    };
  if (good.status !== 200 || good.body !== echostr) {
    const what = good.status !== 200 ? `HTTP ${good.status}` : 'HTTP 200 but not the echostr, unchanged';
    return {
      ...base,
      status: 'fail',
      detail: `a correctly signed URL check got ${what}`,
      fix:
        good.status === 401
          ? 'The server refuses the signature: its Token differs from WECHAT_CALLBACK_TOKEN. Set the same Token on both sides.'
          : 'The server must answer GET with the echostr parameter unchanged (text/plain) when the signature verifies.',
    };
  }
  const forged = await ask('0'.repeat(40));
  if (!('error' in forged) && forged.status === 200 && forged.body === echostr) {
    return {
      ...base,
      status: 'warn',
      detail: 'the URL check passes, but a wrongly signed one passes too',
      fix: 'The server does not verify signatures: anybody can push to it as WeChat. Verify sha1(sort(token, timestamp, nonce)).',
    };
  }
  return { ...base, status: 'pass', detail: 'answers the echostr to a signed check and refuses a forged one' };
}

function deployedSecretCheck(secret: DoctorInput['deployedSecret']): DoctorCheck {
  const base = { id: 'deployedSecret', title: "Deployed stack's secret is filled in" };
  if (!secret)
    return {
      ...base,
      status: 'skip',
      detail: 'no deployed secret named',
      fix: 'Give the SecretArn output (SECRET_ID or --secret-id) to check the deployed stack.',
    };
  if (secret.error !== undefined)
    return {
      ...base,
      status: 'fail',
      detail: `the secret could not be read: ${secret.error}`,
      fix: "Check the secret id (the stack's SecretArn output), the region (AWS_REGION) and that your credentials may secretsmanager:GetSecretValue.",
    };
  let value: unknown;
  try {
    value = JSON.parse(secret.value ?? '');
  } catch {
    return { ...base, status: 'fail', detail: 'the secret is not a JSON object', fix: putSecretFix(secret.id) };
  }
  const v = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const placeholders = ['appId', 'appSecret', 'callbackToken'].filter(
    (k) => typeof v[k] !== 'string' || v[k] === '' || v[k] === SECRET_PLACEHOLDER,
  );
  if (placeholders.length)
    return { ...base, status: 'fail', detail: `still a placeholder or empty: ${placeholders.join(', ')}`, fix: putSecretFix(secret.id) };
  if (typeof v.appId === 'string' && !/^wx[0-9a-f]{16}$/i.test(v.appId))
    return { ...base, status: 'warn', detail: 'appId does not look like an AppID (wx and 16 hex digits)', fix: putSecretFix(secret.id) };
  return { ...base, status: 'pass', detail: 'appId, appSecret and callbackToken are set (values not shown)' };
}

function putSecretFix(id: string): string {
  return `aws secretsmanager put-secret-value --secret-id ${id} --secret-string '{"appId":"wx…","appSecret":"…","callbackToken":"…","encodingAesKey":"…"}'`;
}

/**
 * Runs every check. Never throws for a bad configuration: each problem is a failed check with its fix.
 *
 * @example
 * ```ts
 * const { ok, checks } = await runDoctor({ appId, appSecret, apiBaseUrl: sandbox.url });
 * ```
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const timeoutMs = input.timeoutMs ?? 10_000;
  const base = (input.apiBaseUrl ?? WECHAT_API_BASE_URL).replace(/\/+$/, '');
  const checks: DoctorCheck[] = [];
  let token: string | undefined;

  // 1-2. Credentials and the IP whitelist: one token fetch answers both.
  if (!input.appId || !input.appSecret) {
    checks.push({
      id: 'credentials',
      title: 'AppID and AppSecret fetch a token',
      status: 'fail',
      detail: `${!input.appId ? 'WECHAT_APP_ID' : 'WECHAT_APP_SECRET'} is not set`,
      fix: `Copy the AppID and AppSecret from ${DEVELOPER_PLATFORM} into WECHAT_APP_ID and WECHAT_APP_SECRET (or give --secret-id to use the deployed secret's).`,
    });
    checks.push({ id: 'ipWhitelist', title: "This machine's IP is whitelisted", status: 'skip', detail: 'needs the AppID and AppSecret' });
  } else {
    const answer = await wechat(
      `${base}/cgi-bin/stable_token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credential', appid: input.appId, secret: input.appSecret, force_refresh: false }),
      },
      timeoutMs,
    );
    if (!answer.ok) {
      checks.push({
        id: 'credentials',
        title: 'AppID and AppSecret fetch a token',
        status: 'fail',
        detail: `WeChat at ${base} could not be reached: ${answer.network}`,
        fix: 'Check this machine reaches api.weixin.qq.com over HTTPS (proxy, firewall), or WECHAT_API_BASE_URL.',
      });
      checks.push({ id: 'ipWhitelist', title: "This machine's IP is whitelisted", status: 'skip', detail: 'WeChat could not be reached' });
    } else {
      const verdict = tokenVerdict(answer.json);
      const ipRefusal = verdict.errcode === 40164 || verdict.errcode === 89503;
      if (ipRefusal) {
        // WeChat checks the IP before it says whether the credentials are right.
        checks.push({
          id: 'credentials',
          title: 'AppID and AppSecret fetch a token',
          status: 'skip',
          detail: 'WeChat refused this machine before checking the credentials',
        });
        checks.push({ id: 'ipWhitelist', title: "This machine's IP is whitelisted", ...verdict });
      } else {
        checks.push({ id: 'credentials', title: 'AppID and AppSecret fetch a token', ...verdict });
        checks.push(
          verdict.status === 'pass'
            ? {
                id: 'ipWhitelist',
                title: "This machine's IP is whitelisted",
                status: 'pass',
                detail: 'WeChat accepted a call from this machine',
              }
            : { id: 'ipWhitelist', title: "This machine's IP is whitelisted", status: 'skip', detail: 'needs working credentials' },
        );
      }
      if (verdict.status === 'pass' && typeof answer.json.access_token === 'string') token = answer.json.access_token;
    }
  }

  // 3-4. The kf API, and menu messages.
  if (!token) {
    checks.push({ id: 'kfApi', title: 'The account may use the kf API', status: 'skip', detail: 'needs an access token' });
    checks.push({ id: 'menuMessages', title: 'The account may send menu messages', status: 'skip', detail: 'needs an access token' });
  } else {
    const at = `access_token=${encodeURIComponent(token)}`;
    const kf = await wechat(`${base}/cgi-bin/customservice/getkflist?${at}`, { method: 'GET' }, timeoutMs);
    if (!kf.ok)
      checks.push({
        id: 'kfApi',
        title: 'The account may use the kf API',
        status: 'fail',
        detail: `getkflist could not be reached: ${kf.network}`,
      });
    else if (errcodeOf(kf.json) === 48001 && input.replyMode === 'passive') {
      // Expected: the product answers inside WeChat's push only (docs/passive-replies.md).
      checks.push({
        id: 'kfApi',
        title: 'The account may use the kf API',
        status: 'warn',
        errcode: 48001,
        detail:
          `${describeWeChat(kf.json)}: this account may not use the customer-service API; ` +
          "REPLY_MODE=passive answers users inside WeChat's push only",
      });
    } else if (errcodeOf(kf.json) === 48001) {
      checks.push({
        id: 'kfApi',
        title: 'The account may use the kf API',
        status: 'fail',
        errcode: 48001,
        detail: `${describeWeChat(kf.json)}: this account may not use the customer-service API`,
        fix:
          'The kf API needs a verified (认证) official account of an enterprise subject; a personal-subject account always gets 48001. ' +
          'Verify the account in mp.weixin.qq.com → Settings → WeChat Verification (微信认证), or use an enterprise account. ' +
          "Without it, set REPLY_MODE=passive (deployed: replyMode) to answer users inside WeChat's push, " +
          'within its 5 s and retries (docs/passive-replies.md).',
      });
    } else if (errcodeOf(kf.json) !== 0)
      checks.push({
        id: 'kfApi',
        title: 'The account may use the kf API',
        status: 'fail',
        errcode: errcodeOf(kf.json),
        detail: describeWeChat(kf.json),
      });
    else
      checks.push({
        id: 'kfApi',
        title: 'The account may use the kf API',
        status: 'pass',
        detail: `getkflist answered (${Array.isArray(kf.json.kf_list) ? kf.json.kf_list.length : 0} kf accounts)`,
      });

    // An openid no account has: nothing can be delivered, but an account that may not send menus hears 40200 first.
    const probe = {
      touser: 'doctor-check-no-such-user',
      msgtype: 'msgmenu',
      msgmenu: { head_content: 'doctor check', list: [{ id: '1', content: 'ok' }], tail_content: '' },
    };
    const menu = await wechat(
      `${base}/cgi-bin/message/custom/send?${at}`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(probe) },
      timeoutMs,
    );
    if (!menu.ok)
      checks.push({
        id: 'menuMessages',
        title: 'The account may send menu messages',
        status: 'fail',
        detail: `custom/send could not be reached: ${menu.network}`,
      });
    else if (errcodeOf(menu.json) === 40200) {
      checks.push({
        id: 'menuMessages',
        title: 'The account may send menu messages',
        status: 'fail',
        errcode: 40200,
        detail: `${describeWeChat(menu.json)}: this account type may not send menu messages (msgmenu)`,
        fix: 'Unverified and test accounts get 40200 for msgmenu: verify the account, or offer the choices as text with links instead.',
      });
    } else if (errcodeOf(menu.json) === 48001 && input.replyMode === 'passive') {
      const detail = 'passive replies cannot carry menus (REPLY_MODE=passive)';
      checks.push({ id: 'menuMessages', title: 'The account may send menu messages', status: 'skip', detail });
    } else if (errcodeOf(menu.json) === 48001)
      checks.push({
        id: 'menuMessages',
        title: 'The account may send menu messages',
        status: 'fail',
        errcode: 48001,
        detail: `${describeWeChat(menu.json)}: the account may not send customer-service messages`,
        fix: 'See the kf API check.',
      });
    else
      checks.push({
        id: 'menuMessages',
        title: 'The account may send menu messages',
        status: 'pass',
        detail: `a menu to an openid that does not exist got ${describeWeChat(menu.json).replace('WeChat answered ', '')}, not 40200 (nobody received it)`,
      });
  }

  // 5-8. The callback and the deployed secret.
  checks.push(callbackTokenCheck(input.callbackToken));
  checks.push(aesKeyCheck(input.encodingAesKey));
  checks.push(await callbackUrlCheck(input.callbackUrl, input.callbackToken, timeoutMs));
  checks.push(deployedSecretCheck(input.deployedSecret));
  // 9-10. What the callback and the sends will do: keyword handoff and the AI label.
  if (input.behaviour) checks.push(...behaviourChecks(input.behaviour));

  let deployed: Record<string, unknown> = {};
  try {
    deployed = JSON.parse(input.deployedSecret?.value ?? '{}') as Record<string, unknown>;
  } catch {
    deployed = {};
  }
  const mask = masker([
    input.appSecret,
    token,
    input.callbackToken,
    input.encodingAesKey,
    ...['appSecret', 'callbackToken', 'encodingAesKey'].map((k) => (typeof deployed[k] === 'string' ? (deployed[k] as string) : undefined)),
  ]);
  const safe = checks.map((c) => ({ ...c, detail: mask(c.detail), ...(c.fix !== undefined ? { fix: mask(c.fix) } : {}) }));
  return { ok: safe.every((c) => c.status !== 'fail'), checks: safe };
}

/** The report as text, one line per check and its fix indented under it. */
export function formatReport(report: DoctorReport): string {
  const mark: Record<CheckStatus, string> = { pass: '✔ pass', fail: '✘ FAIL', warn: '! warn', skip: '- skip' };
  const lines = report.checks.flatMap((c) => [
    `${mark[c.status]}  ${c.title}: ${c.detail}`,
    ...(c.fix && c.status !== 'pass' ? [`         → ${c.fix}`] : []),
  ]);
  lines.push(
    '',
    report.ok
      ? 'All checks passed (warnings and skips aside).'
      : `${report.checks.filter((c) => c.status === 'fail').length} check(s) failed: see → for what to do.`,
  );
  return lines.join('\n');
}
