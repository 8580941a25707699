/**
 * Builds the Lambda bundles with the construct's own esbuild options (infra/lib/bundling.ts), in one
 * process and in parallel: one build per entry file, since every catalogue operation's function is the
 * shared `operation` entry. Used by the bundle-size test and the bench's `bundles` scenario.
 *
 * @example
 * ```ts
 * const bundles = await buildBundles(LAMBDA_FUNCTIONS, '/tmp/bundles');
 * bundles.get('operation')!.bytes; // minified size of index.js
 * ```
 */
import { build, type Metafile } from 'esbuild';
import { join } from 'path';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import { lambdaBuildOptions } from '../../infra/lib/bundling';

/** The repository root: entries are resolved from here. */
const ROOT = join(__dirname, '..', '..');

/** One entry's bundle. */
export interface Bundle {
  entry: LambdaFunctionSpec['entry'];
  /** The functions deployed from it. */
  functions: string[];
  /** Minified JavaScript, without the source map. */
  bytes: number;
  /** Where it was written (when `outDir` was given): `<outDir>/<entry>/index.js`. */
  file?: string;
  metafile: Metafile;
}

/**
 * Bundles every entry `specs` use; writes `<outDir>/<entry>/index.js` (and its map) when `outDir` is given.
 */
export async function buildBundles(
  specs: readonly LambdaFunctionSpec[],
  outDir?: string,
): Promise<Map<LambdaFunctionSpec['entry'], Bundle>> {
  const entries = [...new Set(specs.map((s) => s.entry))];
  const built = await Promise.all(
    entries.map(async (entry) => {
      const outfile = join(outDir ?? join(ROOT, '.bundles'), entry, 'index.js');
      const result = await build({
        ...lambdaBuildOptions(join(ROOT, 'functions', 'lambda', `${entry}.ts`), outfile),
        write: outDir !== undefined,
        metafile: true,
        absWorkingDir: ROOT,
      });
      const js = result.metafile.outputs[Object.keys(result.metafile.outputs).find((o) => o.endsWith('.js'))!]!;
      const bundle: Bundle = {
        entry,
        functions: specs.filter((s) => s.entry === entry).map((s) => s.id),
        bytes: js.bytes,
        metafile: result.metafile,
        ...(outDir !== undefined ? { file: outfile } : {}),
      };
      return bundle;
    }),
  );
  return new Map(built.map((b) => [b.entry, b]));
}

/**
 * The largest packages (or source folders) of a bundle, for a message that says what to cut.
 *
 * @example
 * ```ts
 * largestParts(bundle, 3); // ['functions/core 97 KB', 'fast-xml-parser 28 KB', ...]
 * ```
 */
export function largestParts(bundle: Bundle, count = 5): string[] {
  const js = Object.values(bundle.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const parts = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(js.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');
    parts.set(pkg, (parts.get(pkg) ?? 0) + bytesInOutput);
  }
  return [...parts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)} KB`);
}
