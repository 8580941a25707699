/**
 * The official accounts of a deployment (docs/accounts.md): add one with its secret and settings, list
 * them, read one, remove one. The product keeps them itself (no WeChat call): gateway mode only in n8n.
 * Every other operation runs for one of them at `/accounts/{appId}` + its path.
 */
import { serviceOf } from './services';
import {
  parseAccountChange,
  parseAccountInput,
  parseAppId,
  type AccountChange,
  type AccountInput,
  type AccountsService,
} from '../accounts';
import type { FieldSpec, FunctionNeeds, Operation, OperationServices } from './types';

declare module './types' {
  interface OperationServices {
    /** The deployment's accounts (the deployed product and npm start; not n8n's direct mode). */
    accounts?: AccountsService;
  }
}

/**
 * Reads and writes account items in the table, and reads the deployment's secret for its default account
 * (its AppID, listed first, and whether its Token and key are set); no WeChat call.
 */
const ACCOUNT_NEEDS: FunctionNeeds = { secret: true, callsWeChat: false, table: 'read', publishesEvents: false };

const APP_ID_FIELD: FieldSpec = {
  name: 'appId',
  displayName: 'AppID',
  type: 'string',
  required: true,
  placeholder: 'wx0123456789abcdef',
  description: "The official account's AppID (微信开发者平台 → the account → AppID)",
  rules: ['wx and 1 to 32 letters, digits, _ or -'],
};

function accountsOf(services: OperationServices) {
  return serviceOf(services, 'accounts', 'accounts are not available here: they are kept by the deployed product (or npm start)');
}

const common = {
  resource: 'account',
  input: { kind: 'json' },
  gate: { kind: 'none' },
  acceptsEvents: false,
  direct: false,
} as const;

/** Every account operation. */
export const ACCOUNT_OPERATIONS: readonly Operation[] = [
  {
    ...common,
    name: 'createAccount',
    action: 'create',
    title: 'Add an official account',
    description:
      'Adds an official account to this deployment with its secret (kept encrypted, never answered) and its own settings; its operations are then at /accounts/{appId}/… and WeChat pushes to /callback/{appId}.',
    route: { method: 'POST', path: '/accounts' },
    successStatus: 201,
    fields: [
      APP_ID_FIELD,
      { name: 'appSecret', displayName: 'AppSecret', type: 'string', required: true, secret: true, rules: ['1 to 128 characters'] },
      {
        name: 'callbackToken',
        displayName: 'Callback Token',
        type: 'string',
        secret: true,
        description: 'The Token of the server configuration (needed for pushes to /callback/{appId})',
        rules: ['3 to 32 letters or digits'],
      },
      {
        name: 'encodingAesKey',
        displayName: 'EncodingAESKey',
        type: 'string',
        secret: true,
        description: 'For compatible and safe mode',
        rules: ['43 letters or digits'],
      },
      {
        name: 'ghId',
        displayName: 'Original ID',
        type: 'string',
        placeholder: 'gh_0123456789ab',
        rules: ['gh_ and 1 to 32 letters, digits or _ (12 hex digits at WeChat today)'],
      },
      { name: 'name', displayName: 'Name', type: 'string', rules: ['at most 100 characters'] },
      {
        name: 'settings',
        displayName: 'Settings',
        type: 'json',
        description:
          'This account’s own settings, e.g. {"replyMode": "passive", "handoffKeywords": "转人工", "aiLabelDefault": true}; the deployment’s otherwise',
        rules: [
          'windowPolicy, windowRules, textMaxBytes, replyMode, passiveWaitMs, passiveHoldText, passiveKeepMs, handoffKeywords, handoffWhenOffline, handoffOfflineText, aiLabelDefault, deliveryRecordContent, callbackMode',
          'each as its variable takes it (docs/configuration.md)',
        ],
      },
    ],
    // It seals the new account's secret with the account key (Encrypt only).
    needs: { ...ACCOUNT_NEEDS, table: 'readWrite', accountKey: 'seal' },
    parse: (input) => parseAccountInput(input),
    perform: (input, services) => accountsOf(services).create(input),
  } satisfies Operation<AccountInput>,
  {
    ...common,
    name: 'listAccounts',
    action: 'list',
    title: 'List official accounts',
    description: 'Every account of this deployment, the default one first; never a secret.',
    route: { method: 'GET', path: '/accounts' },
    answer: { kind: 'json', listField: 'accounts' },
    fields: [],
    needs: ACCOUNT_NEEDS,
    parse: () => ({}),
    perform: (_input, services) => accountsOf(services).list(),
  } satisfies Operation<Record<string, never>>,
  {
    ...common,
    name: 'getAccount',
    action: 'get',
    title: 'Get an official account',
    description: 'One account and its settings; never a secret. 404 when there is none.',
    route: { method: 'GET', path: '/accounts/{appId}' },
    fields: [APP_ID_FIELD],
    needs: ACCOUNT_NEEDS,
    parse: (input) => ({ appId: parseAppId((input as Record<string, unknown> | undefined)?.appId) }),
    perform: (input, services) => accountsOf(services).get(input.appId),
  } satisfies Operation<{ appId: string }>,
  {
    ...common,
    name: 'updateAccount',
    action: 'update',
    title: 'Change an official account',
    description:
      'Changes its name, original ID or settings (laid over its own; a setting given null goes back to the deployment’s), or replaces its whole secret (appSecret with the Token and key it keeps). Every running function uses the change within a minute.',
    route: { method: 'PATCH', path: '/accounts/{appId}' },
    fields: [
      APP_ID_FIELD,
      { name: 'name', displayName: 'Name', type: 'string', description: 'null removes it', rules: ['at most 100 characters'] },
      {
        name: 'ghId',
        displayName: 'Original ID',
        type: 'string',
        placeholder: 'gh_0123456789ab',
        rules: ['gh_ and 1 to 32 letters, digits or _ (12 hex digits at WeChat today)'],
      },
      {
        name: 'settings',
        displayName: 'Settings',
        type: 'json',
        description: 'Only the settings to change, e.g. {"replyMode": "auto", "aiLabelDefault": null}',
        rules: ['the settings of Add an official account', 'null: the deployment’s'],
      },
      {
        name: 'appSecret',
        displayName: 'AppSecret',
        type: 'string',
        secret: true,
        description: 'Replaces the whole secret: give the Token and EncodingAESKey to keep with it',
        rules: ['1 to 128 characters'],
      },
      {
        name: 'callbackToken',
        displayName: 'Callback Token',
        type: 'string',
        secret: true,
        onlyWith: 'appSecret',
        rules: ['3 to 32 letters or digits'],
      },
      {
        name: 'encodingAesKey',
        displayName: 'EncodingAESKey',
        type: 'string',
        secret: true,
        onlyWith: 'appSecret',
        rules: ['43 letters or digits'],
      },
    ],
    // It seals a replaced secret with the account key (Encrypt only; the old one is never read back).
    needs: { ...ACCOUNT_NEEDS, table: 'readWrite', accountKey: 'seal' },
    parse: (input) => parseAccountChange(input),
    perform: (input, services) => accountsOf(services).update(input),
  } satisfies Operation<AccountChange>,
  {
    ...common,
    name: 'deleteAccount',
    action: 'delete',
    title: 'Remove an official account',
    description:
      'Its operations and its callback answer 404 afterwards (within a minute in every running function). Its records (windows, deliveries) stay until they expire.',
    route: { method: 'DELETE', path: '/accounts/{appId}' },
    fields: [APP_ID_FIELD],
    needs: { ...ACCOUNT_NEEDS, table: 'readWrite' },
    parse: (input) => ({ appId: parseAppId((input as Record<string, unknown> | undefined)?.appId) }),
    perform: (input, services) => accountsOf(services).delete(input.appId),
  } satisfies Operation<{ appId: string }>,
];

/**
 * Whether an operation is served for each account at `/accounts/{appId}` + its path (docs/accounts.md):
 * every operation but those that name an account themselves (these, whose `appId` is their input), the
 * deployment's own (webhook subscriptions, which filter by account instead), and routes that are off by
 * default or carry their own permission (token vending): the greedy route is always deployed, and IAM
 * cannot tell operations apart under it.
 *
 * @example
 * ```ts
 * servedPerAccount(getOperation('sendMessage')); // true
 * servedPerAccount(getOperation('createSubscription')); // false
 * ```
 */
export function servedPerAccount(op: Operation): boolean {
  return runsPerAccount(op) && !op.route.enabledBy && !op.route.ownPermission;
}

/** The path prefix of an operation served for one account of several (docs/accounts.md). */
export const ACCOUNT_ROUTE_PREFIX = '/accounts/{appId}';

/**
 * The route of an operation for one account of several, `{appId}` in its path: the operation's own
 * `accountPath` (token vending, whose permission is its own), else `/accounts/{appId}` + its path when it
 * is served there (servedPerAccount); undefined for the deployment's own operations.
 *
 * @example
 * ```ts
 * accountRouteOf(getOperation('sendMessage')); // { method: 'POST', path: '/accounts/{appId}/messages' }
 * accountRouteOf(getOperation('getAccessToken')); // { method: 'GET', path: '/access-token/{appId}' }
 * accountRouteOf(getOperation('listSubscriptions')); // undefined
 * ```
 */
export function accountRouteOf(op: Operation): { method: Operation['route']['method']; path: string } | undefined {
  if (!runsPerAccount(op)) return undefined;
  if (op.route.accountPath) return { method: op.route.method, path: op.route.accountPath };
  return servedPerAccount(op) ? { method: op.route.method, path: `${ACCOUNT_ROUTE_PREFIX}${op.route.path}` } : undefined;
}

/** The resources that belong to the deployment, not to one account: the accounts themselves, webhook subscriptions. */
const DEPLOYMENT_RESOURCES: readonly string[] = ['account', 'subscription'];

/**
 * Whether an operation runs for one account of several when an event or a message names one (`appId`):
 * every operation but the deployment's own (the accounts themselves, whose `appId` is their input, and
 * webhook subscriptions, which filter by account instead).
 */
export function runsPerAccount(op: Operation): boolean {
  return !DEPLOYMENT_RESOURCES.includes(op.resource);
}
