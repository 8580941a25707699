/**
 * The doctor for every account of a deployment or a local server (docs/doctor.md, "Every account"): it lists
 * the accounts from the gateway (`GET /accounts`, the default first) and checks each through the gateway's
 * own routes for that account, so what is judged is what the product does with the account's stored
 * configuration, from the address the product's calls leave from:
 *
 * - the token fetch, the IP whitelist and the kf API: `GET /kf-accounts` (`/accounts/{appId}/kf-accounts`
 *   for another account), read-only; a WeChat refusal comes back as the error contract's `errcode`;
 * - the callback: the account view's `hasCallbackToken` / `hasEncodingAesKey` against its `callbackMode`, and
 *   its `callbackPath` asked a URL check with a forged signature, which a verifying route refuses (a signed
 *   one needs the Token, which the gateway never gives out);
 * - the settings: keyword handoff and the AI label, as the product reads them (behaviour-checks.ts).
 *
 * An account that fails never hides the others: each has its own report. No secret is ever printed: the
 * gateway never answers one (AccountView), and WeChat's errmsg reaches the doctor already redacted.
 *
 * @example
 * ```ts
 * const report = await runAccountsDoctor({ apiUrl: 'http://127.0.0.1:3000' });
 * console.log(formatAccountsReport(report));
 * ```
 */
import { randomInt } from 'node:crypto';
import { behaviourChecks, type BehaviourSettings } from './behaviour-checks';
import { formatReport, ipFromErrmsg, whitelistEntry, type DoctorCheck } from './checks';

/** An account as `GET /accounts` shows it (never a secret). */
export interface AccountView {
  appId: string;
  name?: string;
  ghId?: string;
  default: boolean;
  settings: Record<string, unknown>;
  callbackPath: string;
  hasCallbackToken: boolean;
  hasEncodingAesKey: boolean;
  createdAt?: string;
}

/** One account's checks. */
export interface AccountReport {
  appId: string;
  name?: string;
  default: boolean;
  ok: boolean;
  checks: DoctorCheck[];
}

/** Every account's report, and the listing's own check (`accounts`). */
export interface AccountsReport {
  ok: boolean;
  /** The gateway asked. */
  apiUrl: string;
  /** Listing the accounts. */
  checks: DoctorCheck[];
  accounts: AccountReport[];
}

/** What the gateway answered: status and JSON; status 0 and `network` (why) when nothing came back. */
export interface GatewayAnswer {
  status: number;
  json: Record<string, unknown>;
  network?: string;
}

/** One request to the gateway, signed as it needs (main.ts signs for a deployed API). */
export type GatewayRequest = (method: string, url: string) => Promise<GatewayAnswer>;

export interface AccountsDoctorInput {
  /** The gateway: the local server's URL, or the deployed stack's ApiUrl output. */
  apiUrl: string;
  /** Where `/callback/{appId}` is served, when not on apiUrl (the deployed stack's CallbackUrl without its path). */
  callbackBase?: string;
  /** Per request, default 10 s. */
  timeoutMs?: number;
  /** How requests to the gateway are made; default an unsigned fetch. */
  request?: GatewayRequest;
}

/** An unsigned request (the local server needs no signature). */
export function plainRequest(timeoutMs: number, headers: () => Promise<Record<string, string>> = async () => ({})): GatewayRequest {
  return async (method, url) => {
    try {
      const res = await fetch(url, { method, headers: await headers(), signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return {
        status: res.status,
        json: json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {},
      };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      return {
        status: 0,
        json: {},
        network: e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.message),
      };
    }
  };
}

const APP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The accounts of a `GET /accounts` answer; anything that is not an account view is left out. */
function accountsOf(json: Record<string, unknown>): AccountView[] | undefined {
  if (!Array.isArray(json.accounts)) return undefined;
  return json.accounts.filter(
    (a): a is AccountView =>
      Boolean(a) && typeof a === 'object' && typeof (a as AccountView).appId === 'string' && APP_ID.test((a as AccountView).appId),
  );
}

/** The path of an operation for an account: the usual one for the default, `/accounts/{appId}` + it for another. */
function accountPath(account: AccountView, path: string): string {
  return account.default ? path : `/accounts/${encodeURIComponent(account.appId)}${path}`;
}

type ErrorBody = { code?: unknown; message?: unknown; errcode?: unknown; errmsg?: unknown };
const errorOf = (json: Record<string, unknown>): ErrorBody =>
  json.error && typeof json.error === 'object' ? (json.error as ErrorBody) : {};

const TOKEN = { id: 'credentials', title: 'AppID and AppSecret fetch a token' } as const;
const IP = { id: 'ipWhitelist', title: "The gateway's IP is whitelisted" } as const;
const KF = { id: 'kfApi', title: 'The account may use the kf API' } as const;

/** How to give an account a new AppSecret: the default's is configured, another's is registered. */
function secretFix(account: AccountView, what: string): string {
  return account.default
    ? `${what} Put it in WECHAT_APP_SECRET (deployed: the secret's appSecret).`
    : `${what} Register the account again with it: DELETE /accounts/${account.appId}, then POST /accounts with the new appSecret.`;
}

/** Token fetch, IP whitelist and kf API, from one read-only call through the gateway: `GET …/kf-accounts`. */
async function wechatChecks(account: AccountView, apiUrl: string, request: GatewayRequest): Promise<DoctorCheck[]> {
  const path = accountPath(account, '/kf-accounts');
  const answer = await request('GET', `${apiUrl}${path}`);
  if (answer.status === 0)
    return [
      { ...TOKEN, status: 'fail', detail: `the gateway at ${apiUrl} could not be reached: ${answer.network}`, fix: 'Check the API URL.' },
      { ...IP, status: 'skip', detail: 'the gateway could not be reached' },
      { ...KF, status: 'skip', detail: 'the gateway could not be reached' },
    ];
  const skipRest = (why: string): DoctorCheck[] => [
    { ...IP, status: 'skip', detail: why },
    { ...KF, status: 'skip', detail: why },
  ];
  if (answer.status === 200)
    return [
      { ...TOKEN, status: 'pass', detail: `the account's AppID and AppSecret fetch a token (GET ${path} answered 200)` },
      { ...IP, status: 'pass', detail: "WeChat accepted the gateway's call" },
      {
        ...KF,
        status: 'pass',
        detail: `getkflist answered (${Array.isArray(answer.json.kf_list) ? answer.json.kf_list.length : 0} kf accounts)`,
      },
    ];
  const error = errorOf(answer.json);
  const code = String(error.code ?? '');
  const message = String(error.message ?? '').slice(0, 500);
  if (answer.status === 403 || answer.status === 401)
    return [
      {
        ...TOKEN,
        status: 'fail',
        detail: `the gateway refused the doctor: HTTP ${answer.status}${code ? ` ${code}` : ''}`,
        fix: `Use AWS credentials that may execute-api:Invoke GET ${path} on the stack's API.`,
      },
      ...skipRest('the gateway refused the doctor'),
    ];
  if (answer.status === 404)
    return [
      {
        ...TOKEN,
        status: 'fail',
        detail: `GET ${path} answered 404${code ? ` ${code}` : ''}: ${message || 'no such route'}`,
        fix: 'The account was listed by GET /accounts: it was deleted meanwhile, or this gateway does not serve /accounts/{appId}/… yet.',
      },
      ...skipRest('the account is not served'),
    ];
  if (typeof error.errcode !== 'number')
    return [
      {
        ...TOKEN,
        status: 'fail',
        detail: `GET ${path} answered ${answer.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
        fix: 'WeChat could not be reached from the gateway, or the gateway failed: see its log.',
      },
      ...skipRest('no answer from WeChat'),
    ];
  const errcode = error.errcode;
  const said = `WeChat answered errcode ${errcode} (${String(error.errmsg ?? '')})`;
  switch (errcode) {
    case 40013:
    case 41002:
      return [
        {
          ...TOKEN,
          status: 'fail',
          errcode,
          detail: `${said}: WeChat does not know the AppID ${account.appId}`,
          fix: account.default
            ? "Copy the AppID (开发者ID) from 微信开发者平台 into WECHAT_APP_ID (deployed: the secret's appId)."
            : `Copy the AppID from 微信开发者平台 and register the account with it (POST /accounts); DELETE /accounts/${account.appId}.`,
        },
        ...skipRest('needs working credentials'),
      ];
    case 40125:
    case 41004:
      return [
        {
          ...TOKEN,
          status: 'fail',
          errcode,
          detail: `${said}: the account's AppSecret is wrong, or was reset since it was registered`,
          fix: secretFix(account, 'Reset the AppSecret in 微信开发者平台 → AppSecret (开发者密码) if it is lost.'),
        },
        ...skipRest('needs working credentials'),
      ];
    case 40164:
    case 89503: {
      const seen = ipFromErrmsg(error.errmsg);
      const entry = seen ? whitelistEntry(seen) : "the gateway's address (deployed: the stack's EgressIp output)";
      return [
        { ...TOKEN, status: 'skip', errcode, detail: "WeChat refused the gateway's IP before checking the credentials" },
        {
          ...IP,
          status: 'fail',
          errcode,
          detail: `${said}: the address the gateway calls from is not on this account's IP whitelist`,
          fix: `Add ${entry} to this account's IP whitelist in 微信开发者平台 (IP白名单). Every account's calls leave from the same address.`,
        },
        { ...KF, status: 'skip', detail: 'needs a whitelisted IP' },
      ];
    }
    case 48001: {
      const passive = account.settings?.replyMode === 'passive';
      return [
        { ...TOKEN, status: 'pass', detail: "the account's AppID and AppSecret fetch a token" },
        { ...IP, status: 'pass', detail: "WeChat accepted the gateway's call" },
        passive
          ? {
              ...KF,
              status: 'warn',
              errcode,
              detail: `${said}: this account may not use the customer-service API; its replyMode passive answers inside WeChat's push only`,
            }
          : {
              ...KF,
              status: 'fail',
              errcode,
              detail: `${said}: this account may not use the customer-service API`,
              fix: "The kf API needs a verified (认证) account of an enterprise subject; without it, the account's setting replyMode: passive answers inside WeChat's push (docs/passive-replies.md).",
            },
      ];
    }
    default:
      return [
        {
          ...TOKEN,
          status: 'fail',
          errcode,
          detail: said,
          fix: 'See docs/wechat-reference.md (error codes) for what WeChat means.',
        },
        ...skipRest('needs a token'),
      ];
  }
}

/** The callback's configuration as the view tells it, and its route asked a forged URL check. */
async function callbackChecks(account: AccountView, base: string, request: GatewayRequest): Promise<DoctorCheck[]> {
  const mode = typeof account.settings?.callbackMode === 'string' ? account.settings.callbackMode : undefined;
  const config: DoctorCheck = { id: 'callbackConfig', title: 'Callback Token and EncodingAESKey are set', status: 'pass', detail: '' };
  if (!account.hasCallbackToken) {
    config.status = 'fail';
    config.detail = `no callback Token: ${account.callbackPath} cannot verify WeChat's pushes`;
    config.fix = account.default
      ? "Set WECHAT_CALLBACK_TOKEN (deployed: the secret's callbackToken), the Token of the server configuration in 微信开发者平台."
      : `Register the account again with its callbackToken (DELETE /accounts/${account.appId}, then POST /accounts), the Token of its server configuration in 微信开发者平台.`;
  } else if (!account.hasEncodingAesKey && (mode === 'safe' || mode === 'compatible')) {
    config.status = 'fail';
    config.detail = `callbackMode ${mode} needs an EncodingAESKey, and the account has none`;
    config.fix = 'Register the account with the EncodingAESKey of its server configuration (43 letters or digits).';
  } else if (!account.hasEncodingAesKey) {
    config.status = 'warn';
    config.detail = 'a Token and no EncodingAESKey: pushes come in plain mode (docs/callback-modes.md)';
    config.fix = 'Give the account its EncodingAESKey to take pushes in safe mode.';
  } else config.detail = `a Token and an EncodingAESKey (values not shown)${mode ? `; callbackMode ${mode}` : ''}`;

  const route: DoctorCheck = { id: 'callbackUrl', title: `${account.callbackPath} verifies signatures`, status: 'pass', detail: '' };
  if (!account.callbackPath?.startsWith('/callback')) {
    route.status = 'fail';
    route.detail = 'the account view names no callback path';
    return [config, route];
  }
  const echostr = `${randomInt(1_000_000_000, 2 ** 47)}`;
  const q = new URLSearchParams({
    signature: '0'.repeat(40),
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: String(randomInt(100_000_000, 2_000_000_000)),
    echostr,
  });
  const answer = await request('GET', `${base}${account.callbackPath}?${q}`);
  if (answer.status === 0) {
    route.status = 'fail';
    route.detail = `${base} could not be reached: ${answer.network}`;
    route.fix = 'WeChat must reach the callback from the internet; check the address.';
  } else if (answer.status === 401 || answer.status === 403) {
    route.detail = `refuses a URL check with a forged signature (HTTP ${answer.status}); the signed check needs the Token, which the gateway never shows`;
  } else if (answer.status === 404) {
    route.status = 'fail';
    route.detail = `GET ${account.callbackPath} answered 404: nothing takes this account's pushes`;
    route.fix = "Serve the account's callback (/callback/{appId}) and give its URL to 微信开发者平台 → Server configuration.";
  } else if (answer.status === 200) {
    route.status = 'warn';
    route.detail = 'a URL check with a forged signature was answered 200';
    route.fix = 'The route does not verify signatures: anybody can push to it as WeChat.';
  } else {
    route.status = 'fail';
    route.detail = `a URL check with a forged signature got HTTP ${answer.status}, not the 401 of a verifying callback`;
  }
  return [config, route];
}

/** The account's settings as the product's environment would spell them (behaviour-checks.ts reads those). */
function behaviourOf(settings: Record<string, unknown> | undefined): BehaviourSettings {
  const s = settings ?? {};
  const text = (v: unknown) =>
    v === undefined || v === null ? undefined : Array.isArray(v) ? v.map(String).join(', ') : typeof v === 'string' ? v : String(v);
  return {
    HANDOFF_KEYWORDS: text(s.handoffKeywords),
    HANDOFF_WHEN_OFFLINE: text(s.handoffWhenOffline),
    HANDOFF_OFFLINE_TEXT: text(s.handoffOfflineText),
    AI_LABEL_DEFAULT: text(s.aiLabelDefault),
  };
}

/** A behaviour check titled with the account's setting (`handoffKeywords`), not the environment variable it stands for. */
function asAccountSetting(check: DoctorCheck): DoctorCheck {
  const title = check.id === 'handoffKeywords' ? 'Keyword handoff (setting handoffKeywords)' : 'AI label default (setting aiLabelDefault)';
  return { ...check, title };
}

/** One account's report. */
async function checkAccount(account: AccountView, apiUrl: string, callbackBase: string, request: GatewayRequest): Promise<AccountReport> {
  const checks = [
    ...(await wechatChecks(account, apiUrl, request)),
    ...(await callbackChecks(account, callbackBase, request)),
    // The default account's settings are the environment's (WECHAT_*, HANDOFF_*): the plain doctor reports them.
    ...(account.default ? [] : behaviourChecks(behaviourOf(account.settings)).map(asAccountSetting)),
  ];
  return {
    appId: account.appId,
    ...(typeof account.name === 'string' ? { name: account.name } : {}),
    default: account.default === true,
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
  };
}

/**
 * Lists the accounts and checks each; never throws for a bad configuration or an unreachable gateway.
 *
 * @example
 * ```ts
 * const { ok, accounts } = await runAccountsDoctor({ apiUrl: local.url });
 * ```
 */
export async function runAccountsDoctor(input: AccountsDoctorInput): Promise<AccountsReport> {
  const timeoutMs = input.timeoutMs ?? 10_000;
  const apiUrl = input.apiUrl.replace(/\/+$/, '');
  const callbackBase = (input.callbackBase ?? apiUrl).replace(/\/+$/, '');
  const request = input.request ?? plainRequest(timeoutMs);
  const listing = { id: 'accounts', title: 'The gateway lists the accounts (GET /accounts)' };
  const answer = await request('GET', `${apiUrl}/accounts`);
  const accounts = answer.status === 200 ? accountsOf(answer.json) : undefined;
  if (!accounts) {
    const what =
      answer.status === 0
        ? `the gateway at ${apiUrl} could not be reached: ${answer.network}`
        : answer.status === 200
          ? 'GET /accounts answered 200 without an accounts list'
          : `GET /accounts answered ${answer.status}${errorOf(answer.json).code ? ` ${String(errorOf(answer.json).code)}` : ''}`;
    return {
      ok: false,
      apiUrl,
      accounts: [],
      checks: [
        {
          ...listing,
          status: 'fail',
          detail: what,
          fix:
            answer.status === 403
              ? "Use AWS credentials that may execute-api:Invoke GET /accounts on the stack's API."
              : "Give the local server's URL or the deployed stack's ApiUrl output (--api-url).",
        },
      ],
    };
  }
  const reports: AccountReport[] = [];
  // One account after the other: WeChat's per-IP rate and the sandbox's log stay readable.
  for (const account of accounts) reports.push(await checkAccount(account, apiUrl, callbackBase, request));
  const n = accounts.length;
  return {
    ok: reports.every((r) => r.ok),
    apiUrl,
    checks: [{ ...listing, status: 'pass', detail: `${n} account${n === 1 ? '' : 's'}: ${accounts.map((a) => a.appId).join(', ')}` }],
    accounts: reports,
  };
}

/** The report as text: the listing, then each account under its own heading. */
export function formatAccountsReport(report: AccountsReport): string {
  const out: string[] = [];
  for (const c of report.checks)
    out.push(`${c.status === 'pass' ? '✔ pass' : '✘ FAIL'}  ${c.title}: ${c.detail}`, ...(c.fix ? [`         → ${c.fix}`] : []));
  for (const a of report.accounts) {
    out.push('', `── ${a.appId}${a.name ? ` (${a.name})` : ''}${a.default ? ' · default' : ''}: ${a.ok ? 'ok' : 'FAILING'}`);
    // formatReport's last lines are its own verdict; each account gets one line instead.
    out.push(...formatReport({ ok: a.ok, checks: a.checks }).split('\n').slice(0, -2));
  }
  const failing = report.accounts.filter((a) => !a.ok).map((a) => a.appId);
  out.push(
    '',
    report.ok
      ? `Every account passed (${report.accounts.length}; warnings and skips aside).`
      : failing.length
        ? `${failing.length} of ${report.accounts.length} account(s) failing: ${failing.join(', ')}; see → for what to do.`
        : 'The accounts could not be listed: see → for what to do.',
  );
  return out.join('\n');
}
