/**
 * What the n8n bundles use in place of the core's `sleep` (functions/core/sleep.ts; scripts/bundle.mjs
 * swaps the module): n8n-workflow's own, so the published code uses no timer global of its own, as n8n's
 * verification scan requires.
 *
 * @example
 * ```ts
 * await sleep(200);
 * ```
 */
export { sleep } from 'n8n-workflow';
