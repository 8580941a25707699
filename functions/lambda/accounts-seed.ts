/**
 * Lambda entry of the custom resource `Custom::DeployTimeAccounts`: the accounts the stack declares in its
 * `accounts` prop (docs/accounts.md, "Accounts known at deploy time"), ONE resource for all of them, so
 * that a hundred accounts add no resource to the stack (infra/lib/deploy-time-accounts.ts).
 *
 * Each account's secret is a Secrets Manager secret of the same JSON as the default one (`{appId,
 * appSecret, callbackToken?, encodingAesKey?}`). What it does, by CloudFormation request:
 * - Create, Update: reads every listed secret and checks it (the default secret's rules, and POST
 *   /accounts' rules for each field; its `appId` must be the entry's); only when every one is right, seals
 *   each with the account key (context `{appId}`) and writes its item, marked `owner: stack` (overwriting
 *   the item that AppID had). A wrong entry fails the resource, naming its AppID, and writes nothing.
 * - Update: also removes the stack's items of the accounts no longer listed (OldResourceProperties). A
 *   failed update is rolled back by CloudFormation with an Update back to the old list.
 * - Delete: removes the stack's items of the listed accounts (an item the API wrote since is left).
 *
 * It answers CloudFormation itself (a PUT to the pre-signed ResponseURL), as functions/lambda/secret-seed.ts
 * does. No secret value is ever logged, put in an error or in the response (whose Data anyone who can
 * describe the stack reads): the reasons name the AppID, the secret's ARN and the rule.
 */
import { answerCloudFormation } from './cloudformation-answer';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { isAppId, parseAccountInput, type AccountInput, type AccountSettings } from '../core/accounts';
import { ValidationError } from '../core/errors';
import { accountConfig, sealAccount } from '../context/accounts';
import { checkSecrets, configFromEnv } from '../context/config';
import type { StoredAccount } from '../store/accounts';
import { StackAccountStore } from '../store/stack-accounts';
import { createDynamoClient } from '../store/embedded';
import { KmsSecretSealer, type SecretSealer } from '../webhooks/sealer';

/** One declared account, as the custom resource's `Accounts` property lists it. */
export interface DeployTimeAccountProperty {
  appId: string;
  /** The ARN of the secret holding `{appId, appSecret, callbackToken?, encodingAesKey?}`. */
  secretArn: string;
  name?: string;
  /** The settings, JSON (CloudFormation would turn a number or boolean into a string). */
  settings: string;
}

/** The custom resource's properties. */
export interface DeployTimeAccountsProperties {
  Accounts: DeployTimeAccountProperty[];
}

/** What the handler works with. */
export interface AccountsSeedDeps {
  secrets: SecretsManagerClient;
  store: StackAccountStore;
  /** The account key (KmsSecretSealer(ACCOUNT_KEY_ID, 'appId') deployed). */
  sealer: SecretSealer;
  /** The deployment's variables, which an account's settings are laid over (deployed: the function's environment). */
  env?: NodeJS.ProcessEnv;
}

/** A declared account that cannot be stored: the message names its AppID and rule, never a secret value. */
class DeclaredAccountError extends Error {
  override readonly name = 'DeclaredAccountError';
}

/** The declared accounts of a property set; a malformed one is refused, naming its place. */
function declaredAccounts(properties: unknown): DeployTimeAccountProperty[] {
  const list = (properties as Partial<DeployTimeAccountsProperties> | undefined)?.Accounts ?? [];
  if (!Array.isArray(list)) throw new DeclaredAccountError('Accounts must be a list of {appId, secretArn, name?, settings}');
  return list.map((entry, i) => {
    const e = entry as Partial<DeployTimeAccountProperty>;
    if (!isAppId(e.appId)) throw new DeclaredAccountError(`Accounts[${i}].appId must be an AppID`);
    if (typeof e.secretArn !== 'string' || !e.secretArn.startsWith('arn:'))
      throw new DeclaredAccountError(`Accounts[${i}] (${e.appId}): secretArn must be a secret's ARN`);
    return { appId: e.appId, secretArn: e.secretArn, ...(e.name ? { name: e.name } : {}), settings: e.settings ?? '{}' };
  });
}

/** The rules' names of a validation error (`appSecret: is required …`), which never hold the value. */
function issuesOf(error: ValidationError): string {
  return error.issues.map((i) => `${i.field}: ${i.rule}`).join('; ');
}

/** Whether the table is not there (a stack deleted with a table already gone): nothing is left to remove. */
function isTableGone(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ResourceNotFoundException';
}

/**
 * Reads one declared account's secret and makes the account to store, checked as `POST /accounts` checks one.
 *
 * @throws {DeclaredAccountError} naming the AppID and the rule.
 */
async function readDeclared(deps: AccountsSeedDeps, declared: DeployTimeAccountProperty): Promise<AccountInput> {
  const where = `the account ${declared.appId} (secret ${declared.secretArn})`;
  let settings: AccountSettings;
  try {
    settings = JSON.parse(declared.settings) as AccountSettings;
  } catch {
    throw new DeclaredAccountError(`${where}: its settings are not JSON`);
  }
  let raw: unknown;
  try {
    const out = await deps.secrets.send(new GetSecretValueCommand({ SecretId: declared.secretArn }));
    raw = JSON.parse(out.SecretString ?? '');
  } catch (error) {
    // A JSON error's message quotes the text it could not read: the secret's. Only the SDK's errors are named.
    const reason = error instanceof SyntaxError ? 'is not JSON' : `cannot be read: ${(error as Error).name}: ${(error as Error).message}`;
    throw new DeclaredAccountError(`${where}: the secret ${reason}`);
  }
  let input: AccountInput;
  try {
    const secrets = checkSecrets(raw, where);
    if (secrets.appId !== declared.appId)
      throw new DeclaredAccountError(`${where}: the secret's appId is not ${declared.appId} (each account's secret names its own AppID)`);
    input = parseAccountInput({
      appId: secrets.appId,
      appSecret: secrets.appSecret,
      ...(secrets.callbackToken ? { callbackToken: secrets.callbackToken } : {}),
      ...(secrets.encodingAesKey ? { encodingAesKey: secrets.encodingAesKey } : {}),
      ...(declared.name ? { name: declared.name } : {}),
      settings,
    });
    // The settings' values, by the deployment's own reader (each setting's rule), laid over the deployment's
    // variables (this function has them, infra/lib/behaviour-environment.ts) as every function lays them.
    const env = deps.env ?? {};
    accountConfig(configFromEnv(env), env, input.settings);
  } catch (error) {
    if (error instanceof DeclaredAccountError) throw error;
    if (error instanceof ValidationError) throw new DeclaredAccountError(`${where}: ${issuesOf(error)}`);
    // checkSecrets' messages name the field and its rule only.
    throw new DeclaredAccountError((error as Error).message);
  }
  return input;
}

/** What one request did, without any secret: the AppIDs written and removed. */
export interface SeedResult {
  written: string[];
  removed: string[];
}

/**
 * Carries out one CloudFormation request (see the module comment).
 *
 * @throws {Error} naming the account and the rule; nothing is written when a declared account is wrong.
 */
export async function applyDeployTimeAccounts(deps: AccountsSeedDeps, event: CloudFormationCustomResourceEvent): Promise<SeedResult> {
  if (event.RequestType === 'Delete') {
    // A Delete never fails on what it cannot remove for good (properties a failed Create left unreadable, a
    // table already gone): a failing Delete would keep the stack from being deleted or rolled back.
    const removed: string[] = [];
    let listedThen: DeployTimeAccountProperty[];
    try {
      listedThen = declaredAccounts(event.ResourceProperties);
    } catch {
      return { written: [], removed };
    }
    for (const { appId } of listedThen) {
      try {
        if (await deps.store.deleteOwnedByStack(appId)) removed.push(appId);
      } catch (error) {
        if (isTableGone(error)) return { written: [], removed };
        throw error;
      }
    }
    return { written: [], removed };
  }
  const listed = declaredAccounts(event.ResourceProperties);
  const seen = new Set<string>();
  for (const { appId } of listed) {
    if (seen.has(appId)) throw new DeclaredAccountError(`the account ${appId} is listed twice`);
    seen.add(appId);
  }
  // Every secret read and checked first: one wrong account fails the resource before anything is sealed or written.
  const inputs: AccountInput[] = [];
  for (const declared of listed) inputs.push(await readDeclared(deps, declared));
  const accounts: Array<Omit<StoredAccount, 'createdAt'>> = [];
  for (const input of inputs) accounts.push(await sealAccount(deps.sealer, input));
  for (const account of accounts) await deps.store.putOwnedByStack(account);
  const removed: string[] = [];
  if (event.RequestType === 'Update') {
    // An old list that cannot be read (hand-edited) removes nothing rather than failing the update.
    let old: DeployTimeAccountProperty[] = [];
    try {
      old = declaredAccounts(event.OldResourceProperties);
    } catch {
      old = [];
    }
    for (const { appId } of old) {
      if (!seen.has(appId) && (await deps.store.deleteOwnedByStack(appId))) removed.push(appId);
    }
  }
  return { written: accounts.map((a) => a.appId), removed };
}

/**
 * The handler, for the given clients.
 *
 * @example
 * ```ts
 * export const handler = createAccountsSeedHandler(() => ({ secrets, store, sealer }));
 * ```
 */
export function createAccountsSeedHandler(deps: () => AccountsSeedDeps) {
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    let result: SeedResult;
    try {
      result = await applyDeployTimeAccounts(deps(), event);
    } catch (error) {
      // DeclaredAccountError and the SDK's errors name the account, the ARN and the rule, never a value.
      const reason = `deploy-time accounts (${event.RequestType}): ${(error as Error).name}: ${(error as Error).message}`;
      console.error(JSON.stringify({ level: 'ERROR', message: reason }));
      return await answerCloudFormation(event, 'accounts', 'FAILED', reason.slice(0, 1000));
    }
    console.log(JSON.stringify({ level: 'INFO', message: 'deploy-time accounts', requestType: event.RequestType, ...result }));
    // Counts, not lists: CloudFormation takes at most 4 KB of response, and a hundred AppIDs are half of it.
    await answerCloudFormation(event, 'accounts', 'SUCCESS', `${result.written.length} written, ${result.removed.length} removed`, {
      Written: String(result.written.length),
      Removed: String(result.removed.length),
    });
  };
}

let deployed: AccountsSeedDeps | undefined;

export const handler = createAccountsSeedHandler(
  () =>
    (deployed ??= {
      secrets: new SecretsManagerClient({}),
      store: new StackAccountStore({ client: createDynamoClient(), tableName: process.env.TABLE_NAME ?? '' }),
      sealer: new KmsSecretSealer(process.env.ACCOUNT_KEY_ID ?? '', 'appId'),
      env: process.env,
    }),
);
