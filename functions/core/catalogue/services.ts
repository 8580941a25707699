/**
 * The one check an operation makes of a service only the product supplies (the table's stores: accounts,
 * subscriptions, handoffs, replies, deliveries, conversations): it is there, or the operation is refused with
 * a ConfigurationError that says where it runs instead (n8n's Direct mode has none of them).
 *
 * @example
 * ```ts
 * perform: (input, services) => serviceOf(services, 'accounts', 'accounts are kept by the deployed product').create(input),
 * ```
 */
import { ConfigurationError } from '../errors';
import type { OperationServices } from './types';

/**
 * The service `name` of `services`.
 *
 * @throws {ConfigurationError} with `missing`, saying where the operation runs instead, when it is absent.
 */
export function serviceOf<K extends keyof OperationServices>(
  services: OperationServices,
  name: K,
  missing: string,
): NonNullable<OperationServices[K]> {
  const service = services[name];
  if (!service) throw new ConfigurationError(missing);
  return service as NonNullable<OperationServices[K]>;
}
