/**
 * How every Lambda function is bundled: ONE set of esbuild options. The CDK construct hands them to
 * NodejsFunction (`bundling`, see lambda-functions.ts), and the tests and the bench build the very same
 * bundles through esbuild's API with {@link lambdaBuildOptions}, so a size or cold-start figure measured
 * there is the deployed one (docs/bundles.md).
 *
 * Where the AWS SDK v3 comes from, per entry ({@link sdkBundlingFor}):
 * - **bundled** (token refresher, interactions, webhook fan-out and delivery): the clients the function
 *   uses, tree-shaken, with the environment as their only credential source
 *   (functions/store/lambda-credentials.ts). Loading the runtime's DynamoDB client alone takes longer
 *   than the 60 ms cold-start budget; bundled, these functions load in half of it and stay under 400 KB;
 * - **the runtime's** (on NODE_PATH, under /var/runtime/node_modules) for the catalogue operations and the
 *   callback: their own code is ~300 KB, and the SDK bundled would take them past the 400 KB budget.
 *
 * This file imports nothing from aws-cdk-lib, so tests and the bench read it without loading CDK.
 *
 * @example
 * ```ts
 * import { build } from 'esbuild';
 * await build(lambdaBuildOptions('functions/lambda/operation.ts', 'out/index.js'));
 * ```
 */
import { basename } from 'path';
import type { BuildOptions } from 'esbuild';

/** The bundling facts every entry shares, in the terms CDK's NodejsFunction `bundling` takes them. */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  /** CommonJS: the runtime loads `index.js` with `require`. */
  format: 'cjs',
  /** Prefer the ES module builds (Powertools, zod, the AWS SDK) so esbuild can tree-shake them. */
  mainFields: ['module', 'main'],
  /** The runtime's Node.js (nodejs24.x). */
  target: 'node24',
  logLevel: 'warning',
} as const;

/** The budget of every deployed bundle (minified JavaScript, without its source map): 400 KB. */
export const LAMBDA_BUNDLE_MAX_BYTES = 400 * 1024;

/**
 * The entries (functions/lambda/<entry>.ts) whose bundle carries the AWS SDK clients it uses. Each of
 * them is under 400 KB with its clients (test/infra/bundle-size.test.ts holds every entry to that); the
 * others use the runtime's SDK.
 */
export const SDK_BUNDLED_ENTRIES: ReadonlySet<string> = new Set(['token-refresher', 'interactions', 'webhook-fanout', 'webhook-delivery']);

/**
 * What replaces the SDK's default credential chain in a bundle that carries the SDK: the environment only
 * (see functions/store/lambda-credentials.ts). A path relative to the repository root, where CDK runs
 * esbuild.
 */
export const LAMBDA_CREDENTIALS_ALIAS: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './functions/store/lambda-credentials.ts',
};

/**
 * Clients a bundled entry takes from the runtime all the same: the token refresher opens added accounts'
 * secrets with KMS (docs/accounts.md) once per container and account, on a schedule nobody waits for, so
 * its KMS client is the runtime's rather than 66 KB over the bundle budget.
 */
const RUNTIME_CLIENTS_OF_BUNDLED: Readonly<Record<string, readonly string[]>> = { 'token-refresher': ['@aws-sdk/client-kms'] };

/** Where one entry's AWS SDK comes from, as bundling options. */
export interface SdkBundling {
  /** `bundled`: the bundle carries the clients it uses; `runtime`: the Lambda runtime's copy. */
  sdk: 'bundled' | 'runtime';
  /** Left to the runtime (CDK `externalModules`, esbuild `external`). */
  externalModules: string[];
  /** esbuild aliases (CDK `esbuildArgs` `--alias:from=to`). */
  alias: Record<string, string>;
}

/**
 * Where `entry`'s AWS SDK comes from (see the module comment).
 *
 * @example
 * ```ts
 * sdkBundlingFor('token-refresher'); // { sdk: 'bundled', externalModules: [], alias: { '@aws-sdk/credential-provider-node': ... } }
 * sdkBundlingFor('operation');       // { sdk: 'runtime', externalModules: ['@aws-sdk/*'], alias: {} }
 * ```
 */
export function sdkBundlingFor(entry: string): SdkBundling {
  return SDK_BUNDLED_ENTRIES.has(entry)
    ? { sdk: 'bundled', externalModules: [...(RUNTIME_CLIENTS_OF_BUNDLED[entry] ?? [])], alias: { ...LAMBDA_CREDENTIALS_ALIAS } }
    : { sdk: 'runtime', externalModules: ['@aws-sdk/*'], alias: {} };
}

/**
 * The esbuild API options that produce what CDK produces for the entry file `entryFile`
 * (functions/lambda/<entry>.ts); CDK runs esbuild's CLI with the same facts: `--bundle --platform=node
 * --target=node24 --format=cjs --minify --sourcemap --sources-content=false --main-fields=module,main`,
 * then `--external:@aws-sdk/*` or the credentials `--alias` (see {@link sdkBundlingFor}).
 *
 * @example
 * ```ts
 * const result = await build({ ...lambdaBuildOptions(entry, '/tmp/fn/index.js'), write: false, metafile: true, absWorkingDir: repoRoot });
 * ```
 */
export function lambdaBuildOptions(entryFile: string, outfile: string): BuildOptions {
  const sdk = sdkBundlingFor(basename(entryFile).replace(/\.ts$/, ''));
  return {
    entryPoints: [entryFile],
    outfile,
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUNDLING.target,
    format: LAMBDA_BUNDLING.format,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: sdk.externalModules,
    alias: sdk.alias,
    logLevel: LAMBDA_BUNDLING.logLevel,
  };
}
