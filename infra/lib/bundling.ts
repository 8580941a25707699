/**
 * How every Lambda function is bundled: ONE set of esbuild options. The CDK construct hands them to
 * NodejsFunction (`bundling`, see lambda-functions.ts), and the tests and the bench build the very same
 * bundles through esbuild's API with {@link lambdaBuildOptions}, so a size or cold-start figure measured
 * there is the deployed one (docs/bundles.md).
 *
 * Why the AWS SDK v3 is not bundled: the Lambda Node.js runtimes ship it (on NODE_PATH, under
 * /var/runtime/node_modules), and bundled it was ~550 KB of every function even tree-shaken, which no
 * function can afford under the 400 KB budget. Everything else (Powertools, zod/mini, fast-xml-parser,
 * busboy, the product) is bundled, tree-shaken and minified.
 *
 * This file imports nothing from aws-cdk-lib, so tests and the bench read it without loading CDK.
 *
 * @example
 * ```ts
 * import { build } from 'esbuild';
 * await build(lambdaBuildOptions('functions/handlers/operation.ts', 'out/index.js'));
 * ```
 */
import type { BuildOptions } from 'esbuild';

/** The bundling facts, in the terms CDK's NodejsFunction `bundling` takes them. */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  /** CommonJS: the runtime loads `index.js` with `require`. */
  format: 'cjs',
  /** Prefer the ES module builds (Powertools, zod) so esbuild can tree-shake them. */
  mainFields: ['module', 'main'],
  /** The runtime's Node.js (nodejs24.x). */
  target: 'node24',
  /** Provided by the runtime (see the module comment). */
  externalModules: ['@aws-sdk/*'],
  logLevel: 'warning',
} as const;

/** The budget of every deployed bundle (minified JavaScript, without its source map): 400 KB. */
export const LAMBDA_BUNDLE_MAX_BYTES = 400 * 1024;

/**
 * The esbuild API options that produce what CDK produces for `entry` (CDK runs esbuild's CLI with the
 * same facts: `--bundle --platform=node --target=node24 --format=cjs --minify --sourcemap
 * --sources-content=false --main-fields=module,main --external:@aws-sdk/*`).
 *
 * @example
 * ```ts
 * const result = await build({ ...lambdaBuildOptions(entry, '/tmp/fn/index.js'), write: false, metafile: true });
 * ```
 */
export function lambdaBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUNDLING.target,
    format: LAMBDA_BUNDLING.format,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: [...LAMBDA_BUNDLING.externalModules],
    logLevel: LAMBDA_BUNDLING.logLevel,
  };
}
