/**
 * Connecting to URLs that users give the product (webhook subscriptions, media URLs) without letting them
 * reach internal addresses (SSRF): address classification, checked DNS resolution, a guarded `lookup`.
 *
 * @example
 * ```ts
 * import { guardedLookup, resolveChecked } from '../core/net';
 * await resolveChecked('hooks.example.com', 'public');
 * ```
 */
export * from './addresses';
export * from './lookup';
