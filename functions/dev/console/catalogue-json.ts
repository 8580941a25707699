/**
 * The catalogue as the console's forms read it (GET /console/catalogue.json): per operation its name,
 * resource, title, description, route, how its input arrives, and its input fields as data, exactly as
 * the catalogue holds them. An operation added to the catalogue appears in the console with no change here.
 *
 * @example
 * ```ts
 * catalogueJson().operations.find((o) => o.name === 'sendText')?.fields;
 * ```
 */
import { accountRouteOf, CATALOGUE, type FieldSpec, type InputSpec, type Operation } from '../../core/catalogue';

/** One operation as the console sees it. */
export interface ConsoleOperation {
  name: string;
  resource: string;
  action: string;
  title: string;
  description: string;
  route: { method: string; path: string };
  /** Its route for another account than the default, `{appId}` in it; null for the deployment's own (accounts, subscriptions). */
  accountRoute: { method: string; path: string } | null;
  input: InputSpec;
  query: readonly string[];
  fields: readonly FieldSpec[];
}

/**
 * The operations served by this server (`served(name)` says whether its route is on).
 */
export function catalogueJson(
  served: (name: string) => boolean = () => true,
  catalogue: readonly Operation[] = CATALOGUE,
): { operations: ConsoleOperation[] } {
  return {
    operations: catalogue
      .filter((op) => served(op.name))
      .map((op) => {
        return {
          name: op.name,
          resource: op.resource,
          action: op.action,
          title: op.title,
          description: op.description,
          route: { method: op.route.method, path: op.route.path },
          accountRoute: accountRouteOf(op) ?? null,
          input: op.input,
          query: op.query ?? [],
          fields: op.fields,
        };
      }),
  };
}
