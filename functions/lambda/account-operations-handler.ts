/**
 * `/accounts/{appId}/{proxy+}`: every operation of the catalogue, and the interactions routes, for one of the
 * deployment's accounts (docs/accounts.md). `POST /accounts/wxB/messages/text` is `POST /messages/text` run
 * for the account wxB.
 *
 * Deployed, this is ONE route and ONE function, however many accounts there are and whatever the
 * catalogue holds (a route per operation and account would pass CloudFormation's 500 resources at once):
 * the request's path is matched against the catalogue's routes here, the API Gateway event is rewritten
 * as the operation's own route would have made it (its path parameters plus `appId`), and the operation's
 * handler runs it in process. IAM still tells accounts apart: API Gateway checks `execute-api:Invoke` on
 * the request's own path (`…/POST/accounts/wxB/messages/text`), so a caller can be granted
 * `…/*\/accounts/wxB/*` and not `…/accounts/wxC/*` (infra: grantAccount).
 *
 * Not served here: the account operations themselves, webhook subscriptions (the deployment's; they filter
 * by account instead), and routes that are off by default or carry their own permission (token vending).
 *
 * @example
 * ```ts
 * export const handler = createAccountOperationsHandler(lambdaContext());
 * ```
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { accountRouteOf, CATALOGUE, servedPerAccount, type Operation } from '../core/catalogue';
import type { AppContext } from '../context/context';
import { toGatewayResult } from '../http/events';
import { jsonAnswer } from '../http/http';
import { createInteractionsHandler } from './interactions-handler';
import { createOperationHandler } from './operation-handler';

interface AccountRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  /** The route key the operation's own route has, e.g. `POST /messages/text`. */
  routeKey: string;
  handler: (event: unknown, lambda?: Context) => Promise<unknown>;
}

function compile(method: string, path: string, handler: AccountRoute['handler']): AccountRoute {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { method, pattern: new RegExp(`^${source}$`), names, routeKey: `${method} ${path}`, handler };
}

/**
 * The handler of `ANY /accounts/{appId}/{proxy+}`.
 */
export function createAccountOperationsHandler(getContext: () => Promise<AppContext>, catalogue: readonly Operation[] = CATALOGUE) {
  const interactions = createInteractionsHandler(getContext);
  const routes: AccountRoute[] = [
    ...catalogue.filter(servedPerAccount).map((op) => compile(op.route.method, op.route.path, createOperationHandler(op, getContext))),
    compile('POST', '/interactions', interactions),
    compile('GET', '/interactions/{openid}', interactions),
  ];
  // The catalogue's routes not served here, to say where they are when a caller looks for them here.
  const elsewhere = catalogue
    .filter((op) => !servedPerAccount(op))
    .map((op) => ({ op, route: compile(op.route.method, op.route.path, async () => undefined) }));
  const whereInstead = (method: string, path: string): string | undefined => {
    const found =
      elsewhere.find((e) => e.route.pattern.test(path) && e.route.method === method) ?? elsewhere.find((e) => e.route.pattern.test(path));
    if (!found) return undefined;
    const { op } = found;
    const own = accountRouteOf(op);
    return own
      ? `${op.route.method} ${op.route.path} for an account is ${own.method} ${own.path} (a permission of its own, outside /accounts/{appId}/)`
      : `${op.route.method} ${op.route.path} belongs to the deployment, not to one account: call it without /accounts/{appId}` +
          (op.resource === 'subscription' ? ' (a subscription filters its events by account with appIds)' : '');
  };
  const notFound = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
    const answer = jsonAnswer(status, { error: { code, message } });
    return toGatewayResult({ ...answer, headers: { ...answer.headers, ...headers } });
  };

  return async function handler(event: APIGatewayProxyEventV2, lambda?: Context): Promise<unknown> {
    const params = event.pathParameters ?? {};
    const path = `/${params.proxy ?? ''}`.replace(/\/+$/, '') || '/';
    const method = (event.requestContext?.http?.method ?? '').toUpperCase();
    const matches = routes.filter((r) => r.pattern.test(path));
    const match = matches.find((r) => r.method === method);
    if (!match) {
      if (matches.length > 0) {
        const allowed = matches.map((r) => r.method).join(', ');
        return notFound(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on /accounts/{appId}${path}; use ${allowed}`, {
          allow: allowed,
        });
      }
      const instead = whereInstead(method, path);
      return notFound(
        404,
        'NOT_FOUND',
        `no operation at /accounts/{appId}${path}: ${instead ?? "an account's routes are the usual ones after /accounts/{appId}"}`,
      );
    }
    const values = match.pattern.exec(path)!.slice(1);
    const own = Object.fromEntries(match.names.map((name, i) => [name, values[i]!]));
    // As API Gateway would have invoked the operation's own route, plus the account.
    const rewritten: APIGatewayProxyEventV2 = {
      ...event,
      routeKey: match.routeKey,
      pathParameters: { ...own, appId: params.appId ?? '' },
      requestContext: { ...event.requestContext, routeKey: match.routeKey },
    };
    return match.handler(rewritten, lambda);
  };
}
