/**
 * Webhook subscriptions, in the core: the delivery signature, event filters, URL rules, errors. No AWS.
 *
 * @example
 * ```ts
 * import { signDelivery, verifyDelivery, matchesEvents, checkWebhookUrl } from '../core/webhooks';
 * ```
 */
export * from './signature';
export * from './event-filter';
export * from './url-rules';
export * from './errors';
export * from './service';
