/**
 * Several official accounts in one deployment (docs/accounts.md): what an account is, as data, and the
 * rules its input follows. No AWS here: the table, the sealing of secrets and the per-account contexts
 * are the handlers' (functions/context/accounts.ts).
 *
 * An account has a secret (the AppSecret, the callback Token, the EncodingAESKey) and settings that are
 * not secret (window policy, text cap, reply mode, keyword handoff, AI label default). The settings have
 * the names of the deployment's own variables (WINDOW_POLICY, REPLY_MODE, ...) so that one reader checks
 * both (context/config.ts): an account's value is what that variable would be for its account alone.
 *
 * @example
 * ```ts
 * const input = parseAccountInput({ appId: 'wx0123456789abcdef', appSecret: 's', settings: { replyMode: 'passive' } });
 * accountSettingsEnv(input.settings); // { REPLY_MODE: 'passive' }
 * ```
 */
import { ValidationError, WeChatKfError, type ValidationIssue } from './errors';

/**
 * An AppID as the product accepts it, everywhere one is named (an account, a route, an event, a
 * subscription's filter): `wx` then 1 to 32 letters, digits, `_` or `-`. WeChat's are `wx` + 16 hex; the
 * rule is looser so that test and sandbox ids pass, and strict enough to be safe in a URL path and a
 * table key (no `/`, `#` or `%`).
 */
export const APP_ID_PATTERN = /^wx[A-Za-z0-9_-]{1,32}$/;

/** The shape of {@link APP_ID_PATTERN}, in words. */
export const APP_ID_SHAPE = 'wx and 1 to 32 letters, digits, _ or - (e.g. "wx0123456789abcdef")';
/** The rule of {@link APP_ID_PATTERN}, as an issue says it. */
export const APP_ID_RULE = `must be an AppID: ${APP_ID_SHAPE}`;

/**
 * An original ID (原始ID, the ToUserName of every push): `gh_` and, at WeChat today, 12 hex digits
 * (gh_97417a04a28d); letters, digits and `_` up to 32 are taken, so that an ID of another shape is not refused.
 */
const GH_ID_PATTERN = /^gh_[A-Za-z0-9_]{1,32}$/;
const GH_ID_RULE = "must be the account's original ID: gh_ and 1 to 32 letters, digits or _ (e.g. gh_97417a04a28d)";

/** Whether `value` is an AppID as the product accepts it. */
export function isAppId(value: unknown): value is string {
  return typeof value === 'string' && APP_ID_PATTERN.test(value);
}

/**
 * An account's settings, by the variable each one stands for. Deployment-wide variables (the table, the
 * API base URL, turns, the conversation record) are not per account.
 */
export const ACCOUNT_SETTINGS = {
  windowPolicy: 'WINDOW_POLICY',
  windowRules: 'WINDOW_RULES',
  textMaxBytes: 'TEXT_MAX_BYTES',
  replyMode: 'REPLY_MODE',
  passiveWaitMs: 'PASSIVE_WAIT_MS',
  passiveHoldText: 'PASSIVE_HOLD_TEXT',
  passiveKeepMs: 'PASSIVE_KEEP_MS',
  handoffKeywords: 'HANDOFF_KEYWORDS',
  handoffWhenOffline: 'HANDOFF_WHEN_OFFLINE',
  handoffOfflineText: 'HANDOFF_OFFLINE_TEXT',
  aiLabelDefault: 'AI_LABEL_DEFAULT',
  deliveryRecordContent: 'DELIVERY_RECORD_CONTENT',
  callbackMode: 'WECHAT_CALLBACK_MODE',
} as const;

export type AccountSettingName = keyof typeof ACCOUNT_SETTINGS;
export type AccountSettings = Partial<Record<AccountSettingName, string | number | boolean>>;

/** The secret part of an account: never answered, never logged; sealed before it is stored. */
export interface AccountSecret {
  appId: string;
  appSecret: string;
  callbackToken?: string;
  encodingAesKey?: string;
}

/** What `POST /accounts` takes. */
export interface AccountInput extends AccountSecret {
  name?: string;
  /** The account's original id (`gh_…`), the ToUserName of its pushes. */
  ghId?: string;
  settings: AccountSettings;
}

/** An account as the API answers it: never a secret, only whether each one is set. */
export type AccountView = {
  appId: string;
  name?: string;
  ghId?: string;
  /** The deployment's own account (its secret SECRET_ID; locally WECHAT_APP_ID): today's routes mean it. */
  default: boolean;
  settings: AccountSettings;
  /** Where WeChat pushes this account's messages, from the API's root. */
  callbackPath: string;
  hasCallbackToken: boolean;
  hasEncodingAesKey: boolean;
  createdAt?: string;
  /** `stack`: declared in the stack's `accounts` prop; changed or removed by deploying, not through the API. */
  managedBy?: 'stack';
};

/**
 * What `PATCH /accounts/{appId}` takes: a new name, `gh_` id or secret, and settings laid over the account's
 * (a setting given `null` goes back to the deployment's). The secret is replaced whole, never read back:
 * `appSecret` comes with the Token and key the account keeps (one left out is removed).
 */
export interface AccountChange {
  appId: string;
  name?: string | null;
  ghId?: string | null;
  settings?: Partial<Record<AccountSettingName, string | number | boolean | null>>;
  secret?: Omit<AccountSecret, 'appId'>;
}

/** The accounts, as the operations of functions/core/catalogue/accounts.ts use them. */
export interface AccountsService {
  create(input: AccountInput): Promise<AccountView>;
  update(change: AccountChange): Promise<AccountView>;
  list(): Promise<{ accounts: AccountView[] }>;
  get(appId: string): Promise<AccountView>;
  delete(appId: string): Promise<{ appId: string; deleted: true }>;
}

/** No account with that AppID in this deployment: 404. */
export class AccountNotFoundError extends WeChatKfError {
  constructor(appId: string) {
    super(
      'ACCOUNT_NOT_FOUND',
      404,
      `no official account ${JSON.stringify(appId)} in this deployment: GET /accounts lists them, POST /accounts adds one`,
    );
  }
}

/** The AppID is taken (an account of this deployment, or its default account): 409. */
export class AccountExistsError extends WeChatKfError {
  constructor(appId: string, isDefault: boolean) {
    super(
      'ACCOUNT_EXISTS',
      409,
      isDefault
        ? `${appId} is this deployment's default account (its own secret); it is not added again`
        : `the account ${appId} already exists: PATCH /accounts/${appId} changes its secret or settings`,
    );
  }
}

/** The default account is the deployment's own: it is not deleted through the API. 409. */
export class DefaultAccountError extends WeChatKfError {
  constructor(appId: string, action: 'deleted' | 'changed' = 'deleted') {
    super(
      'DEFAULT_ACCOUNT',
      409,
      `${appId} is this deployment's default account (its secret and variables are the stack's): it cannot be ${action} through the API`,
    );
  }
}

const INPUT_FIELDS = ['appId', 'appSecret', 'callbackToken', 'encodingAesKey', 'ghId', 'name', 'settings'];

/** An account's name: what the console and the n8n list show. */
const NAME_PATTERN = /^\P{Cc}{1,100}$/u;
const NAME_RULE = 'must be 1 to 100 characters without control characters';

function optionalString(
  body: Record<string, unknown>,
  field: string,
  pattern: RegExp,
  rule: string,
  issues: ValidationIssue[],
): string | undefined {
  const value = body[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    issues.push({ field, rule });
    return undefined;
  }
  return value;
}

/**
 * The body of an account route as an object: every key one of an account's fields and `appId` an AppID
 * (issues pushed for what is not); `shape` is what the refusal of a body that is no object names.
 *
 * @throws {ValidationError} when the body is not a JSON object.
 */
function accountBody(input: unknown, shape: string, issues: ValidationIssue[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ValidationError([{ field: '(body)', rule: `must be a JSON object ${shape}` }]);
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!INPUT_FIELDS.includes(key)) issues.push({ field: key, rule: `is not a field of an account (${INPUT_FIELDS.join(', ')})` });
  }
  if (!isAppId(body.appId)) issues.push({ field: 'appId', rule: `is required and ${APP_ID_RULE}` });
  return body;
}

/**
 * The secret's fields of a body: the AppSecret (required; `appSecretRule` says why when it is missing or
 * wrong), and the Token and EncodingAESKey when given.
 */
function secretOf(body: Record<string, unknown>, appSecretRule: string, issues: ValidationIssue[]): Omit<AccountSecret, 'appId'> {
  if (typeof body.appSecret !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(body.appSecret))
    issues.push({ field: 'appSecret', rule: appSecretRule });
  const callbackToken = optionalString(
    body,
    'callbackToken',
    /^[A-Za-z0-9]{3,32}$/,
    '3 to 32 letters or digits (the Token of the server configuration, as WeChat requires)',
    issues,
  );
  const encodingAesKey = optionalString(
    body,
    'encodingAesKey',
    /^[A-Za-z0-9]{43}$/,
    'must be 43 letters or digits (the EncodingAESKey)',
    issues,
  );
  return {
    appSecret: body.appSecret as string,
    ...(callbackToken ? { callbackToken } : {}),
    ...(encodingAesKey ? { encodingAesKey } : {}),
  };
}

/**
 * Checks `POST /accounts`'s body: the AppID, the secret's fields, the name, the `gh_` id and the settings'
 * names and kinds (their values are checked by the deployment's own reader, which knows each one's rule).
 *
 * @throws {ValidationError} naming every field that is wrong and its rule, never a secret's value.
 */
export function parseAccountInput(input: unknown): AccountInput {
  const issues: ValidationIssue[] = [];
  const body = accountBody(input, '{appId, appSecret, callbackToken?, encodingAesKey?, ghId?, name?, settings?}', issues);
  const secret = secretOf(body, 'is required: the AppSecret, 1 to 128 printable ASCII characters', issues);
  const ghId = optionalString(body, 'ghId', GH_ID_PATTERN, GH_ID_RULE, issues);
  const name = optionalString(body, 'name', NAME_PATTERN, NAME_RULE, issues);
  const settings = parseSettings(body.settings, issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    appId: body.appId as string,
    ...secret,
    ...(ghId ? { ghId } : {}),
    ...(name ? { name } : {}),
    settings,
  };
}

/**
 * Checks `PATCH /accounts/{appId}`'s body (see {@link AccountChange}).
 *
 * @throws {ValidationError} naming every field that is wrong and its rule, never a secret's value.
 * @example
 * ```ts
 * parseAccountChange({ appId: 'wx0123456789abcdef', settings: { replyMode: 'auto', aiLabelDefault: null } });
 * ```
 */
export function parseAccountChange(input: unknown): AccountChange {
  const issues: ValidationIssue[] = [];
  const body = accountBody(input, '{name?, ghId?, settings?, appSecret?, callbackToken?, encodingAesKey?}', issues);
  const cleared = (field: string) => body[field] === null;
  const name = cleared('name') ? null : optionalString(body, 'name', NAME_PATTERN, `${NAME_RULE}, or null`, issues);
  const ghId = cleared('ghId') ? null : optionalString(body, 'ghId', GH_ID_PATTERN, `${GH_ID_RULE}, or null`, issues);
  const secretGiven = ['appSecret', 'callbackToken', 'encodingAesKey'].some((field) => body[field] !== undefined);
  const secret = secretGiven
    ? secretOf(
        body,
        'is required to change the secret: the secret is replaced whole (AppSecret, with the Token and key to keep), never read back',
        issues,
      )
    : undefined;
  const settings = body.settings === undefined ? undefined : parseSettings(body.settings, issues, true);
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    appId: body.appId as string,
    ...(name !== undefined ? { name } : {}),
    ...(ghId !== undefined ? { ghId } : {}),
    ...(settings ? { settings } : {}),
    ...(secret ? { secret } : {}),
  };
}

function parseSettings(value: unknown, issues: ValidationIssue[], nullable?: false): AccountSettings;
function parseSettings(value: unknown, issues: ValidationIssue[], nullable: true): NonNullable<AccountChange['settings']>;
function parseSettings(value: unknown, issues: ValidationIssue[], nullable = false): NonNullable<AccountChange['settings']> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ field: 'settings', rule: `must be a JSON object of ${Object.keys(ACCOUNT_SETTINGS).join(', ')}` });
    return {};
  }
  const settings: NonNullable<AccountChange['settings']> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in ACCOUNT_SETTINGS)) {
      issues.push({ field: `settings.${key}`, rule: `is not an account setting (${Object.keys(ACCOUNT_SETTINGS).join(', ')})` });
    } else if (nullable && raw === null) {
      settings[key as AccountSettingName] = null;
    } else if (!['string', 'number', 'boolean'].includes(typeof raw) || (typeof raw === 'string' && raw.length > 4096)) {
      const orNull = nullable ? ', or null for the deployment’s' : '';
      issues.push({ field: `settings.${key}`, rule: `must be a string (at most 4096 characters), a number or a boolean${orNull}` });
    } else {
      settings[key as AccountSettingName] = raw as string | number | boolean;
    }
  }
  return settings;
}

/**
 * The settings as the variables they stand for, for the deployment's own reader.
 *
 * @example
 * ```ts
 * accountSettingsEnv({ aiLabelDefault: true }); // { AI_LABEL_DEFAULT: 'true' }
 * ```
 */
export function accountSettingsEnv(settings: AccountSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined) env[ACCOUNT_SETTINGS[key as AccountSettingName]] = String(value);
  }
  return env;
}

/**
 * Which setting a variable is, for an error that names the variable (`REPLY_MODE must be ...`): the
 * account's caller wrote `settings.replyMode`.
 */
export function settingOfVariable(variable: string): string | undefined {
  const found = Object.entries(ACCOUNT_SETTINGS).find(([, name]) => name === variable);
  return found ? `settings.${found[0]}` : undefined;
}

/**
 * Checks an AppID given in a URL, an event's detail or a queue message.
 *
 * @throws {ValidationError} naming `field`.
 */
export function parseAppId(value: unknown, field = 'appId'): string {
  if (!isAppId(value)) throw new ValidationError([{ field, rule: APP_ID_RULE }]);
  return value;
}
