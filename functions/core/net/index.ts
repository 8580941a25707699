/**
 * Connecting to URLs that users give the product (webhook subscriptions, media URLs) without letting them
 * reach internal addresses (SSRF): address classification, checked DNS resolution, a guarded `lookup`,
 * and the file fetcher built on them (fetcher.ts, docs/media.md).
 *
 * @example
 * ```ts
 * import { guardedLookup, resolveChecked } from '../core/net';
 * await resolveChecked('hooks.example.com', 'public');
 * ```
 */
export * from './addresses';
export * from './lookup';
export * from './errors';
export * from './fetcher';
export * from './metadata-hosts';
