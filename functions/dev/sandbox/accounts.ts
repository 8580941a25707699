/**
 * The official accounts one sandbox hosts. WeChat keeps everything per official account: its AppID and
 * AppSecret, the access tokens it issues (and their quotas and force-refresh budget), its users (an openid
 * names a user for one official account only: the same person has another openid with another account),
 * kf accounts, temporary media, send windows, and the server configuration it pushes to (URL, Token,
 * EncodingAESKey; docs/wechat-reference.md, "Callback"). So each hosted account has its own of each; only
 * the sandbox's traffic (recorded requests, counts, faults, going offline) is shared, as WeChat's outages
 * are.
 *
 * The first account is the one of the `appId` / `appSecret` / `callback` options (today's single
 * account): every caller that names no account means it. `accounts` (or `SANDBOX_ACCOUNTS` for
 * `npm run sandbox`) adds others; docs/configuration.md describes the format.
 *
 * @example
 * ```ts
 * parseSandboxAccounts('wxA:secretA,wxB:secretB:tokenB'); // [{appId: 'wxA', appSecret: 'secretA'}, {appId: 'wxB', ..., callbackToken: 'tokenB'}]
 * ```
 */
import { createHash } from 'node:crypto';
import { SandboxUsageError } from './errcodes';
import { resolveCallback, type ResolvedCallback } from './push';
import { SandboxState } from './state';
import { TokenAuthority } from './tokens';
import type { RulesProfile, SandboxAccountOptions } from './types';

/** An AppID the sandbox accepts: letters, digits and _ (WeChat's are `wx` and 16 hex digits). */
const APP_ID = /^[A-Za-z0-9_]{1,32}$/;
/** An AppSecret: anything printable but the separators of SANDBOX_ACCOUNTS (WeChat's are 32 hex digits). */
const APP_SECRET = /^[^\s,:]{1,128}$/;
/** WeChat's rule for the Token of the server configuration. */
const CALLBACK_TOKEN = /^[A-Za-z0-9]{3,32}$/;
/** An EncodingAESKey: 43 characters of base64 without its padding. */
const AES_KEY = /^[A-Za-z0-9+/]{43}$/;
/** An original ID, the ToUserName of every push (`gh_` and 12 hex digits at WeChat). */
const GH_ID = /^gh_[A-Za-z0-9_]{1,32}$/;
/** A WeChat ID: the suffix of every kf_account, which may have 30 characters in all with a prefix of up to 10 and the @. */
const WECHAT_ID = /^[A-Za-z0-9_-]{1,19}$/;

/**
 * One extra account as SANDBOX_ACCOUNTS gives it. The callback URL is not part of the compact form: `npm
 * run sandbox` pushes an extra account's users to `<SANDBOX_CALLBACK_URL>/<appId>` (the product's
 * `/callback/<appId>`); the JSON form may name one.
 */
export interface SandboxAccountEntry {
  appId: string;
  appSecret: string;
  callbackToken?: string;
  encodingAesKey?: string;
  callbackUrl?: string;
  ghId?: string;
  wechatId?: string;
}

/** Where an entry is, for a message that names the place and never the secret. */
function where(i: number, appId?: string): string {
  return `SANDBOX_ACCOUNTS entry ${i + 1}${appId && APP_ID.test(appId) ? ` (${appId})` : ''}`;
}

function checkEntry(entry: SandboxAccountEntry, i: number): SandboxAccountEntry {
  const at = where(i, entry.appId);
  if (typeof entry.appId !== 'string' || !APP_ID.test(entry.appId))
    throw new SandboxUsageError(`${at}: appId must be 1-32 of [A-Za-z0-9_]`);
  if (typeof entry.appSecret !== 'string' || !APP_SECRET.test(entry.appSecret))
    throw new SandboxUsageError(`${at}: appSecret must be 1-128 characters without spaces, commas or colons`);
  if (entry.callbackToken !== undefined && (typeof entry.callbackToken !== 'string' || !CALLBACK_TOKEN.test(entry.callbackToken)))
    throw new SandboxUsageError(`${at}: callbackToken must be 3-32 letters or digits (WeChat's rule for the Token)`);
  if (entry.encodingAesKey !== undefined && (typeof entry.encodingAesKey !== 'string' || !AES_KEY.test(entry.encodingAesKey)))
    throw new SandboxUsageError(`${at}: encodingAesKey must be 43 characters of [A-Za-z0-9+/]`);
  for (const k of ['callbackUrl', 'ghId', 'wechatId'] as const)
    if (entry[k] !== undefined && typeof entry[k] !== 'string') throw new SandboxUsageError(`${at}: ${k} must be a string`);
  return entry;
}

/**
 * Reads SANDBOX_ACCOUNTS: either comma-separated `appId:appSecret[:callbackToken[:encodingAesKey]]`
 * entries, or a JSON array of {@link SandboxAccountEntry}. Empty or blank: no extra account.
 *
 * @throws {SandboxUsageError} naming the entry (by position and AppID, never its secret) and the rule.
 */
export function parseSandboxAccounts(value: string | undefined): SandboxAccountEntry[] {
  const text = (value ?? '').trim();
  if (text === '') return [];
  let entries: SandboxAccountEntry[];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SandboxUsageError('SANDBOX_ACCOUNTS starts with [ but is not a JSON array');
    }
    if (!Array.isArray(parsed)) throw new SandboxUsageError('SANDBOX_ACCOUNTS must be a JSON array of {appId, appSecret, ...}');
    entries = parsed.map((e, i) => {
      if (!e || typeof e !== 'object' || Array.isArray(e))
        throw new SandboxUsageError(`${where(i)}: must be an object {appId, appSecret, ...}`);
      return checkEntry(e as SandboxAccountEntry, i);
    });
  } else {
    entries = text.split(',').map((raw, i) => {
      const parts = raw.trim().split(':');
      if (parts.length < 2 || parts.length > 4)
        throw new SandboxUsageError(`${where(i, parts[0])}: give appId:appSecret[:callbackToken[:encodingAesKey]]`);
      const [appId, appSecret, callbackToken, encodingAesKey] = parts as [string, string, string?, string?];
      return checkEntry(
        {
          appId,
          appSecret,
          ...(callbackToken ? { callbackToken } : {}),
          ...(encodingAesKey ? { encodingAesKey } : {}),
        },
        i,
      );
    });
  }
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.appId)) throw new SandboxUsageError(`${where(i, e.appId)}: the AppID is already listed`);
    seen.add(e.appId);
  });
  return entries;
}

/** The original ID of an account that names none: `gh_` and 12 hex digits, as WeChat's look, the same for the same AppID. */
export function defaultGhId(appId: string): string {
  return `gh_${createHash('sha1').update(appId).digest('hex').slice(0, 12)}`;
}

/** One hosted official account: its credentials, identity, memory, tokens and push target. */
export class SandboxAccount {
  readonly state: SandboxState;
  readonly tokens: TokenAuthority;
  callback?: ResolvedCallback;

  constructor(
    readonly appId: string,
    readonly appSecret: string,
    /** The suffix of its kf accounts (`prefix@<wechatId>`). */
    readonly wechatId: string,
    /** Its original ID: ToUserName of every push, FromUserName of a passive reply. */
    readonly ghId: string,
    rules: RulesProfile,
    now: () => number,
    ttlSeconds: number,
  ) {
    this.state = new SandboxState(rules, now);
    this.tokens = new TokenAuthority(now, ttlSeconds);
  }
}

/**
 * Checks an extra account given to startSandbox and fills in its defaults (`wechatId`: its AppID cut to
 * 19 characters; `ghId`: {@link defaultGhId}).
 *
 * @throws {SandboxUsageError} naming the account (by AppID, never its secret) and the rule.
 */
export function extraAccount(
  options: SandboxAccountOptions,
  i: number,
  rules: RulesProfile,
  now: () => number,
  ttlSeconds: number,
): SandboxAccount {
  if (!options || typeof options !== 'object') throw new SandboxUsageError(`accounts[${i}] must be an object {appId, appSecret, ...}`);
  const appId = options.appId;
  if (typeof appId !== 'string' || !APP_ID.test(appId)) throw new SandboxUsageError(`accounts[${i}].appId must be 1-32 of [A-Za-z0-9_]`);
  if (typeof options.appSecret !== 'string' || options.appSecret === '')
    throw new SandboxUsageError(`accounts[${i}] (${appId}): appSecret is required`);
  const wechatId = options.wechatId ?? appId.slice(0, 19);
  if (!WECHAT_ID.test(wechatId)) throw new SandboxUsageError(`accounts[${i}] (${appId}): wechatId must be 1-19 of [A-Za-z0-9_-]`);
  const ghId = options.ghId ?? defaultGhId(appId);
  if (!GH_ID.test(ghId)) throw new SandboxUsageError(`accounts[${i}] (${appId}): ghId must be gh_ and 1-32 of [A-Za-z0-9_]`);
  const account = new SandboxAccount(appId, options.appSecret, wechatId, ghId, rules, now, ttlSeconds);
  if (options.customerServiceApi === false) account.state.customerServiceApi = false;
  if (options.callback) account.callback = resolveCallback(options.callback);
  return account;
}
