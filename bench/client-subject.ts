/**
 * What the bench's `client` scenario drives, as its own entry: the bench bundles it with the Lambda
 * functions' esbuild options (infra/lib/bundling.ts: tree-shaken, minified, node24) and loads that
 * bundle, so the figures are those of the code that runs deployed (Lambda and the local server run the
 * bundled core, never the TypeScript source through tsx). Only the bench imports it.
 */
export { FetchTransport, InMemoryTokenProvider, WeChatClient } from '../functions/core';
export { NodeHttpTransport } from '../functions/core/node-transport';
