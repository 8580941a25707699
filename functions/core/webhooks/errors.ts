/**
 * Errors of webhook subscriptions.
 */
import { WeChatKfError } from '../errors';

/**
 * No subscription has this id (or it was deleted).
 *
 * @example
 * ```ts
 * throw new SubscriptionNotFoundError('sub_123'); // 404 SUBSCRIPTION_NOT_FOUND
 * ```
 */
export class SubscriptionNotFoundError extends WeChatKfError {
  constructor(readonly id: string) {
    super('SUBSCRIPTION_NOT_FOUND', 404, `no subscription ${JSON.stringify(id)}: list them with GET /subscriptions`);
  }
}
