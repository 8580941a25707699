/**
 * The official accounts of a deployment and the context of each (docs/accounts.md).
 *
 * The default account is the deployment's own (its secret, its variables): its context is the one every
 * handler already has, and every route without `/accounts/{appId}` means it. Each account added with
 * `POST /accounts` is an item of the table whose secret is sealed with the account key; its context is
 * built the first time a request names it, from its own secret and its settings laid over the
 * deployment's, and shares the container's clients (DynamoDB, keep-alive HTTP, publisher, logger).
 *
 * The account is always an explicit argument: a handler asks `contextOf(appId)` and passes that context
 * down; no "current account" is kept anywhere, so two requests for two accounts in one container never
 * see each other's (the failure of SDKs with a thread-local account).
 *
 * Every record an account's context writes is keyed by its AppID (store/table.ts); the idempotency keys of
 * added accounts are too (`keyScope`), while the default account's keep today's keys, so that an upgraded
 * stack runs a retry of a request made before the upgrade once.
 *
 * @example
 * ```ts
 * const ctxB = await ctx.accounts!.contextOf('wxbbbbbbbbbbbbbbbb'); // 404 ACCOUNT_NOT_FOUND if there is none
 * await perform(ctxB, op, input);
 * ```
 */
import {
  accountSettingsEnv,
  AccountExistsError,
  AccountNotFoundError,
  DefaultAccountError,
  settingOfVariable,
  type AccountChange,
  type AccountInput,
  type AccountSettingName,
  type AccountSecret,
  type AccountSettings,
  type AccountsService,
  type AccountView,
} from '../core/accounts';
import { ConfigurationError, ValidationError, WeChatKfError } from '../core/errors';
import { AccountStore, MAX_ACCOUNTS, type StoredAccount } from '../store/accounts';
import { KmsSecretSealer, type SecretSealer } from '../webhooks/sealer';
import { checkSecrets, configFromEnv, type AppConfig, type WeChatSecrets } from './config';

/** An account of the stack's `accounts` prop: the stack changes and removes it, not the API. 409. */
class AccountManagedByStackError extends WeChatKfError {
  constructor(appId: string, action: 'change' | 'delete') {
    super('ACCOUNT_MANAGED_BY_STACK', 409, `${appId} is in the stack's accounts prop: ${action} it there and deploy`);
  }
}

/** How long a container trusts what it read of an account before reading its item again. */
export const ACCOUNT_CACHE_MS = 60_000;

/** The deployment holds no account key (ACCOUNT_KEY_ID): only its default account can act. 503. */
export class AccountKeyMissingError extends WeChatKfError {
  constructor(action: 'seal' | 'open') {
    super(
      'ACCOUNT_KEY_MISSING',
      503,
      `this function cannot ${action} an account's secret: it has no account key (ACCOUNT_KEY_ID); deploy the stack of this version`,
    );
  }
}

/** A sealer for functions without the account key: every use is a clear 503. */
export const NO_ACCOUNT_KEY: SecretSealer = {
  seal: async () => {
    throw new AccountKeyMissingError('seal');
  },
  open: async () => {
    throw new AccountKeyMissingError('open');
  },
};

/**
 * The sealer of a deployed function: the account key (ACCOUNT_KEY_ID; the function's role may encrypt or
 * decrypt with it, as its needs say), bound to each secret's AppID; without the key, none.
 *
 * @example
 * ```ts
 * const sealer = accountSealerFromEnv(); // KMS when ACCOUNT_KEY_ID is set
 * ```
 */
export function accountSealerFromEnv(env: NodeJS.ProcessEnv = process.env): SecretSealer {
  return env.ACCOUNT_KEY_ID ? new KmsSecretSealer(env.ACCOUNT_KEY_ID, 'appId') : NO_ACCOUNT_KEY;
}

/** What the directory builds an account's context with. */
export interface AccountDirectoryOptions<C> {
  store: AccountStore;
  /** Seals and opens account secrets, bound to their AppID. */
  sealer: SecretSealer;
  /** The default account's context. */
  defaultContext: C & { secrets: WeChatSecrets; config: AppConfig };
  /** The environment the deployment's configuration was read from (an account's settings are laid over it). */
  env: NodeJS.ProcessEnv;
  /** Builds the context of an added account. */
  build(secrets: WeChatSecrets, config: AppConfig, keyScope: string): Promise<C>;
  now: () => number;
}

interface CachedAccount<C> {
  /** The item's version when the context was built: its `updatedAt`, or `createdAt` until a change. */
  version: number;
  checkedAt: number;
  context: Promise<C>;
}

/**
 * An account's configuration: the deployment's, with the settings the account sets read by the same reader
 * (config.ts), so that each is checked by its own rule. Deployment-wide values (table, API base URL, turns,
 * the conversation record) stay the deployment's.
 *
 * @throws {ValidationError} naming `settings.<name>` and the rule when a setting is wrong.
 */
export function accountConfig(base: AppConfig, env: NodeJS.ProcessEnv, settings: AccountSettings): AppConfig {
  let read: AppConfig;
  try {
    read = configFromEnv({ ...env, ...accountSettingsEnv(settings) });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const variable = /^[A-Z_]+/.exec(error.message)?.[0] ?? '';
    const field = settingOfVariable(variable) ?? 'settings';
    throw new ValidationError([{ field, rule: error.message }]);
  }
  return {
    ...base,
    windowPolicy: read.windowPolicy,
    windowRules: read.windowRules,
    textMaxBytes: read.textMaxBytes,
    passive: read.passive,
    handoff: read.handoff,
    aiLabelDefault: read.aiLabelDefault,
    deliveryRecordContent: read.deliveryRecordContent,
    callbackMode: read.callbackMode,
  };
}

/**
 * The contexts of added accounts, each built once from its item and kept while the item keeps its version:
 * the item is read again at most every {@link ACCOUNT_CACHE_MS}, so a change or a removal is seen within a
 * minute in every container. What a context is (with its secret opened or not) is the caller's `build`.
 *
 * @example
 * ```ts
 * const windows = new AccountContexts(store, Date.now, async (stored) => windowStoresOf(stored.appId, stored.settings));
 * await windows.of('wxbbbbbbbbbbbbbbbb'); // 404 ACCOUNT_NOT_FOUND if there is none
 * ```
 */
export class AccountContexts<C> {
  private readonly cache = new Map<string, CachedAccount<C>>();

  constructor(
    private readonly store: Pick<AccountStore, 'get'>,
    private readonly now: () => number,
    private readonly build: (stored: StoredAccount) => Promise<C>,
  ) {}

  /**
   * The context of an added account.
   *
   * @throws {AccountNotFoundError} (404) when the deployment has no such account.
   */
  async of(appId: string): Promise<C> {
    const now = this.now();
    const cached = this.cache.get(appId);
    if (cached && now - cached.checkedAt < ACCOUNT_CACHE_MS) return cached.context;
    const stored = await this.store.get(appId);
    if (!stored) {
      this.cache.delete(appId);
      throw new AccountNotFoundError(appId);
    }
    const version = stored.updatedAt ?? stored.createdAt;
    if (cached && cached.version === version) {
      cached.checkedAt = now;
      return cached.context;
    }
    const context = this.build(stored);
    // A failed build (a secret that does not open) is not kept: the next request tries again.
    context.catch(() => this.cache.delete(appId));
    this.cache.set(appId, { version, checkedAt: now, context });
    return context;
  }

  /** Drops what is kept of an account (this container changed or removed it). */
  forget(appId: string): void {
    this.cache.delete(appId);
  }
}

/**
 * The accounts and their contexts; see the module comment.
 */
export class AccountDirectory<C> {
  private readonly contexts: AccountContexts<C>;

  constructor(private readonly options: AccountDirectoryOptions<C>) {
    this.contexts = new AccountContexts(options.store, options.now, (stored) => this.build(stored));
  }

  /** The default account's AppID. */
  get defaultAppId(): string {
    return this.options.defaultContext.secrets.appId;
  }

  /**
   * The context of an account: the default one's for `undefined` or its AppID.
   *
   * @throws {AccountNotFoundError} (404) when the deployment has no such account.
   */
  async contextOf(appId: string | undefined): Promise<C> {
    if (appId === undefined || appId === this.defaultAppId) return this.options.defaultContext;
    return this.contexts.of(appId);
  }

  /** Every account's AppID, the default one first (the token refresher, the doctor). */
  async appIds(): Promise<string[]> {
    return [this.defaultAppId, ...(await this.options.store.list()).map((a) => a.appId).filter((id) => id !== this.defaultAppId)];
  }

  /** The accounts as the catalogue's account operations use them. */
  service(): AccountsService {
    return {
      create: (input) => this.create(input),
      update: (change) => this.update(change),
      list: async () => ({ accounts: [this.defaultView(), ...(await this.options.store.list()).map((a) => this.view(a))] }),
      get: async (appId) => {
        if (appId === this.defaultAppId) return this.defaultView();
        const stored = await this.options.store.get(appId);
        if (!stored) throw new AccountNotFoundError(appId);
        return this.view(stored);
      },
      delete: async (appId) => {
        if (appId === this.defaultAppId) throw new DefaultAccountError(appId);
        // The stack's own accounts (its accounts prop) go when a deployment drops them, not through the API.
        if ((await this.options.store.get(appId))?.owner) throw new AccountManagedByStackError(appId, 'delete');
        if (!(await this.options.store.delete(appId))) throw new AccountNotFoundError(appId);
        this.contexts.forget(appId);
        return { appId, deleted: true as const };
      },
    };
  }

  private async create(input: AccountInput): Promise<AccountView> {
    if (input.appId === this.defaultAppId) throw new AccountExistsError(input.appId, true);
    // The settings are checked before anything is written: a wrong one is a 400 naming it, and no item.
    accountConfig(this.options.defaultContext.config, this.options.env, input.settings);
    if ((await this.options.store.count()) >= MAX_ACCOUNTS) {
      throw new ValidationError([{ field: 'appId', rule: `a deployment holds at most ${MAX_ACCOUNTS} accounts; remove one first` }]);
    }
    const stored = await this.options.store.put(await sealAccount(this.options.sealer, input));
    if (!stored) throw new AccountExistsError(input.appId, false);
    return this.view(stored);
  }

  /**
   * Changes an account the API added: its name, `gh_` id, settings (laid over its own; `null` drops one) or
   * its whole secret. Checked like a new account before anything is written; the item is replaced with one
   * conditional write on the version that was read, so two changes at once never lose one silently (the
   * second is a 409 to retry).
   */
  private async update(change: AccountChange): Promise<AccountView> {
    if (change.appId === this.defaultAppId) throw new DefaultAccountError(change.appId, 'changed');
    const read = await this.options.store.get(change.appId);
    if (!read) throw new AccountNotFoundError(change.appId);
    if (read.owner) throw new AccountManagedByStackError(change.appId, 'change');
    const settings: AccountSettings = { ...read.settings };
    for (const [key, value] of Object.entries(change.settings ?? {}) as [
      AccountSettingName,
      AccountSettings[AccountSettingName] | null,
    ][]) {
      if (value === null) delete settings[key];
      else settings[key] = value;
    }
    accountConfig(this.options.defaultContext.config, this.options.env, settings);
    const sealed = change.secret ? await sealAccount(this.options.sealer, { appId: change.appId, ...change.secret, settings }) : read;
    const name = change.name === undefined ? read.name : (change.name ?? undefined);
    const ghId = change.ghId === undefined ? read.ghId : (change.ghId ?? undefined);
    const next: StoredAccount = {
      appId: read.appId,
      settings,
      sealedSecret: sealed.sealedSecret,
      hasCallbackToken: sealed.hasCallbackToken,
      hasEncodingAesKey: sealed.hasEncodingAesKey,
      createdAt: read.createdAt,
      ...(name ? { name } : {}),
      ...(ghId ? { ghId } : {}),
    };
    const stored = await this.options.store.replace(next, read);
    if (!stored) {
      throw new WeChatKfError(
        'ACCOUNT_CHANGED',
        409,
        `the account ${change.appId} changed (or was removed) while this change was made: read it and try again`,
      );
    }
    this.contexts.forget(change.appId);
    return this.view(stored);
  }

  private async build(stored: StoredAccount): Promise<C> {
    const secrets = checkSecrets(
      JSON.parse(await this.options.sealer.open(stored.appId, stored.sealedSecret)),
      `the account ${stored.appId}`,
    );
    // The sealed secret is bound to its AppID (the sealer's context); a copied item does not open, and this
    // check makes a tampered one that did open unusable for another account.
    if (secrets.appId !== stored.appId) throw new ConfigurationError(`the secret of the account ${stored.appId} names another AppID`);
    const config = accountConfig(this.options.defaultContext.config, this.options.env, stored.settings);
    return this.options.build(secrets, config, stored.appId);
  }

  private defaultView(): AccountView {
    const { secrets, config } = this.options.defaultContext;
    return {
      appId: secrets.appId,
      default: true,
      settings: {
        windowPolicy: config.windowPolicy,
        windowRules: config.windowRules,
        textMaxBytes: config.textMaxBytes,
        replyMode: config.passive.replyMode,
        aiLabelDefault: config.aiLabelDefault,
      },
      callbackPath: '/callback',
      hasCallbackToken: Boolean(secrets.callbackToken),
      hasEncodingAesKey: Boolean(secrets.encodingAesKey),
    };
  }

  private view(stored: StoredAccount): AccountView {
    return {
      appId: stored.appId,
      ...(stored.name ? { name: stored.name } : {}),
      ...(stored.ghId ? { ghId: stored.ghId } : {}),
      default: false,
      settings: stored.settings,
      callbackPath: `/callback/${stored.appId}`,
      hasCallbackToken: stored.hasCallbackToken,
      hasEncodingAesKey: stored.hasEncodingAesKey,
      createdAt: new Date(stored.createdAt).toISOString(),
      // Absent (and so not answered) for an account added through the API.
      managedBy: stored.owner,
    };
  }
}

/**
 * An account as it is stored: its secret (AppSecret, Token, EncodingAESKey) sealed for its AppID, the rest
 * as given. `POST /accounts` and the stack's deploy-time accounts (functions/lambda/accounts-seed.ts) store
 * accounts alike.
 *
 * @example
 * ```ts
 * await store.put(await sealAccount(sealer, parseAccountInput(body)));
 * ```
 */
export async function sealAccount(sealer: SecretSealer, input: AccountInput): Promise<Omit<StoredAccount, 'createdAt'>> {
  const secret: AccountSecret = {
    appId: input.appId,
    appSecret: input.appSecret,
    ...(input.callbackToken ? { callbackToken: input.callbackToken } : {}),
    ...(input.encodingAesKey ? { encodingAesKey: input.encodingAesKey } : {}),
  };
  return {
    appId: input.appId,
    settings: input.settings,
    sealedSecret: await sealer.seal(input.appId, JSON.stringify(secret)),
    hasCallbackToken: Boolean(secret.callbackToken),
    hasEncodingAesKey: Boolean(secret.encodingAesKey),
    ...(input.name ? { name: input.name } : {}),
    ...(input.ghId ? { ghId: input.ghId } : {}),
  };
}

/**
 * The context of an account that may have been removed since a message naming it was queued (a turn timer):
 * undefined then, so that the message is dropped rather than retried.
 *
 * @example
 * ```ts
 * const account = await contextOrGone(ctx.accounts, timer.appId);
 * if (!account) return 'account-gone';
 * ```
 */
export async function contextOrGone<C>(directory: AccountDirectory<C>, appId: string | undefined): Promise<C | undefined> {
  try {
    return await directory.contextOf(appId);
  } catch (error) {
    if (error instanceof AccountNotFoundError) return undefined;
    throw error;
  }
}
