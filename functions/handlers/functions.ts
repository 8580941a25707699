/**
 * Every Lambda function of the product and the routes and events that reach it, derived from the core
 * catalogue plus the product's own functions (callback, interactions, token refresher). The CDK construct
 * deploys exactly this list, and the local server serves exactly these routes: a new catalogue entry
 * becomes a new function, route and EventBridge rule without touching either.
 *
 * @example
 * ```ts
 * for (const fn of LAMBDA_FUNCTIONS) console.log(fn.id, fn.entry, fn.routes);
 * ```
 */
import { CATALOGUE } from '../core/catalogue';

/** An HTTP route of the API. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax, e.g. `/kf-accounts/{kf_account}`. */
  path: string;
  /** `iam`: callers sign with SigV4; `none`: public (the callback, whose signature is its check). */
  auth: 'iam' | 'none';
}

/** What a function needs, which decides its environment and its IAM grants. */
export interface FunctionNeeds {
  /** Reads the Secrets Manager secret (app secret, callback token, AES key). */
  secret: boolean;
  /** Calls WeChat's API (and so needs the whitelisted egress when that option is on). */
  callsWeChat: boolean;
  /** Table access. */
  table: 'read' | 'readWrite';
  /** Publishes to the event bus. */
  publishesEvents: boolean;
}

/** One Lambda function. */
export interface LambdaFunctionSpec {
  /** Construct id and function-name suffix, e.g. `SendText`. */
  id: string;
  /** The catalogue operation it serves, when it serves one. */
  operation?: string;
  /** Source file under functions/handlers, without extension. */
  entry: 'operation' | 'callback' | 'interactions' | 'token-refresher';
  description: string;
  routes: RouteSpec[];
  /** Whether EventBridge events with detail-type = `operation` and SQS messages invoke it. */
  acceptsEvents: boolean;
  needs: FunctionNeeds;
}

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** The functions, one per catalogue operation first, then the product's own. */
export const LAMBDA_FUNCTIONS: readonly LambdaFunctionSpec[] = [
  ...CATALOGUE.map(
    (op): LambdaFunctionSpec => ({
      id: pascal(op.name),
      operation: op.name,
      entry: 'operation',
      description: op.title,
      routes: [{ method: op.route.method, path: op.route.path, auth: 'iam' }],
      acceptsEvents: true,
      needs: { secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: false },
    }),
  ),
  {
    id: 'Callback',
    entry: 'callback',
    description: "WeChat's server push: URL verification and inbound messages and events",
    routes: [
      { method: 'GET', path: '/callback', auth: 'none' },
      { method: 'POST', path: '/callback', auth: 'none' },
    ],
    acceptsEvents: false,
    needs: { secret: true, callsWeChat: false, table: 'readWrite', publishesEvents: true },
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
  },
  {
    id: 'TokenRefresher',
    entry: 'token-refresher',
    description: 'Keeps the cached access token fresh on a schedule',
    routes: [],
    acceptsEvents: false,
    needs: { secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: false },
  },
];

/** The environment variable that tells the shared `operation` entry which catalogue operation it serves. */
export const OPERATION_ENV = 'OPERATION_NAME';
