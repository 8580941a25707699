/**
 * Every Lambda function of the product and the routes and events that reach it, derived from the core
 * catalogue plus the product's own functions (callback, interactions, token refresher). The CDK construct
 * deploys exactly this list, and the local server serves exactly these routes: a new catalogue entry
 * becomes a new function, route, EventBridge rule and IAM role without touching either. Every fact comes
 * from the entry (route, auth, setting that enables it, needs, sizing, bulk queue); nothing here is keyed
 * by an operation's name.
 *
 * @example
 * ```ts
 * for (const fn of LAMBDA_FUNCTIONS) console.log(fn.id, fn.entry, fn.routes);
 * ```
 */
import { ACCOUNT_ROUTE_PREFIX, CATALOGUE, servedPerAccount, type FunctionNeeds, type Operation, type Sizing } from '../core/catalogue';
import { readFlag } from '../core/flags';
import { turnSettingsFromEnv } from '../core/turns';

export type { FunctionNeeds, Sizing };

/** An HTTP route of the API. */
export interface RouteSpec {
  /** `ANY`: every method (the accounts' greedy route, which matches the method itself). */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'ANY';
  /** API Gateway path syntax, e.g. `/kf-accounts/{kf_account}`. */
  path: string;
  /** `iam`: callers sign with SigV4; `none`: public (the callback, whose signature is its check). */
  auth: 'iam' | 'none';
  /** Not covered by the construct's grantInvoke: granted only on its own (see OperationRoute.ownPermission). */
  ownPermission?: boolean;
}

/** One Lambda function. */
export interface LambdaFunctionSpec {
  /** Construct id and function-name suffix, e.g. `SendText`. */
  id: string;
  /** The catalogue operation it serves, when it serves one. */
  operation?: string;
  /** Source file under functions/lambda, without extension. */
  entry:
    | 'operation'
    | 'account-operations'
    | 'callback'
    | 'interactions'
    | 'token-refresher'
    | 'webhook-fanout'
    | 'webhook-delivery'
    | 'turn-closer';
  description: string;
  routes: RouteSpec[];
  /** Whether EventBridge events with detail-type = `operation` invoke it. */
  acceptsEvents: boolean;
  /** Whether it also consumes the bulk-send queue. */
  consumesBulkQueue?: boolean;
  /** The setting that turns it on (see OperationRoute.enabledBy); absent: always on. */
  enabledBy?: string;
  needs: FunctionNeeds;
  sizing: Sizing;
}

/** Memory and timeout of a catalogue operation without its own: one WeChat call, one token refresh, one retry. */
export const DEFAULT_SIZING: Sizing = { memoryMb: 256, timeoutSeconds: 15 };

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** The function of one catalogue operation. */
export function operationFunction(op: Operation): LambdaFunctionSpec {
  const route = (path: string): RouteSpec => ({
    method: op.route.method,
    path,
    auth: op.route.auth ?? 'iam',
    ...(op.route.ownPermission ? { ownPermission: true } : {}),
  });
  return {
    id: pascal(op.name),
    operation: op.name,
    entry: 'operation',
    description: op.title,
    // An operation with a route of its own per account (token vending) serves it too: the handler takes the account from the path.
    routes: [route(op.route.path), ...(op.route.accountPath ? [route(op.route.accountPath)] : [])],
    acceptsEvents: op.acceptsEvents ?? true,
    consumesBulkQueue: op.consumesBulkQueue,
    enabledBy: op.route.enabledBy,
    needs: op.needs,
    sizing: op.sizing ?? DEFAULT_SIZING,
  };
}

/**
 * The functions of a catalogue, then the product's own: what CDK deploys and the local server serves.
 *
 * @example
 * ```ts
 * const specs = functionsFor([...CATALOGUE, myOperation]);
 * ```
 */
export function functionsFor(catalogue: readonly Operation[]): LambdaFunctionSpec[] {
  const bulk = catalogue.filter((op) => op.consumesBulkQueue);
  if (bulk.length > 1) throw new Error(`only one operation may consume the bulk-send queue, got ${bulk.map((op) => op.name).join(', ')}`);
  return [...catalogue.map(operationFunction), accountOperationsFunction(catalogue), ...PRODUCT_FUNCTIONS];
}

/**
 * `AccountOperations`: one function behind the greedy route `ANY /accounts/{appId}/{proxy+}` that runs any
 * catalogue operation for the named account in-process, so that an account adds no route, function or
 * rule (accounts are data). Its needs are the union of the operations' it serves (servedPerAccount:
 * core/catalogue/accounts.ts), its sizing the largest of theirs; the handler is
 * functions/lambda/account-operations-handler.ts.
 */
export function accountOperationsFunction(catalogue: readonly Operation[]): LambdaFunctionSpec {
  const served = catalogue.filter(servedPerAccount);
  const needs = served.map((op) => op.needs);
  const level = (t: FunctionNeeds['table']) => ['none', 'read', 'readWrite'].indexOf(t);
  const table = needs.reduce<FunctionNeeds['table']>((a, n) => (level(n.table) > level(a) ? n.table : a), 'none');
  const queues = [...new Set(needs.flatMap((n) => n.queues ?? []))].sort();
  const webhookKeys = new Set(needs.flatMap((n) => (n.webhookKey ? [n.webhookKey] : [])));
  if (webhookKeys.size > 1) throw new Error('AccountOperations would need to both seal and open with the webhook key');
  const sizings = served.map((op) => op.sizing ?? DEFAULT_SIZING);
  return {
    id: 'AccountOperations',
    entry: 'account-operations',
    description: 'Runs any catalogue operation for a named official account: /accounts/{appId}/<operation path>',
    routes: [{ method: 'ANY', path: `${ACCOUNT_ROUTE_PREFIX}/{proxy+}`, auth: 'iam' }],
    acceptsEvents: false,
    needs: {
      secret: needs.some((n) => n.secret),
      callsWeChat: needs.some((n) => n.callsWeChat),
      table,
      publishesEvents: needs.some((n) => n.publishesEvents),
      ...(queues.length > 0 ? { queues } : {}),
      ...(webhookKeys.size === 1 ? { webhookKey: [...webhookKeys][0] } : {}),
    },
    sizing: {
      memoryMb: Math.max(...sizings.map((z) => z.memoryMb)),
      timeoutSeconds: Math.max(...sizings.map((z) => z.timeoutSeconds)),
    },
  };
}

/**
 * The functions whose setting is on: `isOn(setting)` says whether a setting (e.g. `TOKEN_VENDING`) is
 * turned on.
 */
export function enabledFunctions(specs: readonly LambdaFunctionSpec[], isOn: (setting: string) => boolean): LambdaFunctionSpec[] {
  return specs.filter((spec) => spec.enabledBy === undefined || isOn(spec.enabledBy));
}

/** The setting that turns turns on (docs/turns.md): TURN_QUIET_MS locally, the turnQuietMs prop deployed. */
export const TURNS_SETTING = 'TURN_QUIET_MS';

/**
 * The settings that are on when they hold a value rather than a flag word, each with its own reader:
 * TURN_QUIET_MS is a duration (docs/turns.md), read and checked by the turns' reader.
 */
const VALUE_SETTINGS: Readonly<Record<string, (env: NodeJS.ProcessEnv) => boolean>> = {
  [TURNS_SETTING]: (env) => turnSettingsFromEnv(env) !== undefined,
};

/**
 * How the local server reads a setting from its environment: a value setting by its own reader, every
 * other one by the one flag reader (core/flags.ts), so `on`, `true`, `1` or `yes` turn it on and a value
 * that is no flag word is refused with its name.
 *
 * @example
 * ```ts
 * settingIsOn({ TOKEN_VENDING: 'on' }, 'TOKEN_VENDING'); // true
 * settingIsOn({ TURN_QUIET_MS: '3000' }, TURNS_SETTING); // true
 * ```
 */
export function settingIsOn(env: NodeJS.ProcessEnv, setting: string): boolean {
  const valued = VALUE_SETTINGS[setting];
  return valued ? valued(env) : readFlag(env, setting);
}

/** The product's own functions, besides the catalogue's. */
const PRODUCT_FUNCTIONS: readonly LambdaFunctionSpec[] = [
  {
    id: 'Callback',
    entry: 'callback',
    description: "WeChat's server push: URL verification and inbound messages and events",
    // `/callback` is the default account's; `/callback/{appId}` another account's (its own token and key).
    routes: [
      { method: 'GET', path: '/callback', auth: 'none' },
      { method: 'POST', path: '/callback', auth: 'none' },
      // Each added account's own server URL (docs/accounts.md): checked with that account's token and key.
      { method: 'GET', path: '/callback/{appId}', auth: 'none' },
      { method: 'POST', path: '/callback/{appId}', auth: 'none' },
    ],
    acceptsEvents: false,
    needs: { secret: true, callsWeChat: false, table: 'readWrite', publishesEvents: true },
    // 512 MB for a faster cold start. 10 s in every mode: WeChat waits 5 s for an answer, but an account may
    // choose passive replies at runtime (its replyMode setting), and then a try that is not the last holds up
    // to ~6 s so that WeChat tries again (docs/passive-replies.md). Lambda bills the time used, not the
    // timeout, so the longer limit costs nothing on a push answered at once.
    sizing: { memoryMb: 512, timeoutSeconds: 10 },
  },
  {
    id: 'Interactions',
    entry: 'interactions',
    description: 'Records interactions received elsewhere and reports a user’s window state',
    routes: [
      { method: 'POST', path: '/interactions', auth: 'iam' },
      { method: 'GET', path: '/interactions/{openid}', auth: 'iam' },
    ],
    acceptsEvents: false,
    // It reads the secret only for the app id, which keys each user's window record.
    needs: { secret: true, callsWeChat: false, table: 'readWrite', publishesEvents: false },
    sizing: { memoryMb: 256, timeoutSeconds: 10 },
  },
  {
    id: 'TokenRefresher',
    entry: 'token-refresher',
    description: 'Keeps the cached access token fresh on a schedule',
    routes: [],
    acceptsEvents: false,
    needs: { secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: false },
    sizing: { memoryMb: 256, timeoutSeconds: 30 },
  },
  {
    id: 'WebhookFanOut',
    entry: 'webhook-fanout',
    description: 'Turns each event the product publishes into one delivery per matching webhook subscription',
    routes: [],
    acceptsEvents: false,
    needs: { secret: false, callsWeChat: false, table: 'read', publishesEvents: false, queues: ['webhookDelivery'] },
    sizing: { memoryMb: 256, timeoutSeconds: 15 },
  },
  {
    id: 'WebhookDelivery',
    entry: 'webhook-delivery',
    description: 'Delivers webhook events, signed, retrying through the delivery queue',
    routes: [],
    acceptsEvents: false,
    // Decrypts subscription secrets (webhookKey: open); 10 s per POST, tries of a batch in parallel; sends a
    // deferred delivery back to its queue (docs/webhooks.md, "Isolation").
    needs: {
      secret: false,
      callsWeChat: false,
      table: 'readWrite',
      publishesEvents: false,
      webhookKey: 'open',
      queues: ['webhookDelivery'],
    },
    sizing: { memoryMb: 256, timeoutSeconds: 30 },
  },
  {
    id: 'TurnCloser',
    entry: 'turn-closer',
    description: "Closes a user's turn when its timer fires (quiet, max wait, max messages) and publishes turn.ready once",
    routes: [],
    acceptsEvents: false,
    // Deployed only with turns on (the turnQuietMs prop); it re-arms its own timers on the turn queue and,
    // with TURN_TYPING, shows typing (a WeChat call: behind the whitelisted egress when there is one).
    enabledBy: TURNS_SETTING,
    needs: { secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: true, queues: ['turnTimer'] },
    sizing: { memoryMb: 256, timeoutSeconds: 30 },
  },
];

/** The functions of the product's catalogue, then its own. */
export const LAMBDA_FUNCTIONS: readonly LambdaFunctionSpec[] = functionsFor(CATALOGUE);

/** The environment variable that tells the shared `operation` entry which catalogue operation it serves. */
export const OPERATION_ENV = 'OPERATION_NAME';
