/**
 * Every deployed function's bundle stays under 400 KB minified, built with the construct's own esbuild
 * options (infra/lib/bundling.ts) for the fullest stack: every catalogue operation, every setting that
 * turns a function on. Size is deterministic, so this is a test; load times are the bench's (bench/).
 */
import { enabledFunctions, LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';
import { LAMBDA_BUNDLE_MAX_BYTES } from '../../infra/lib/bundling';
import { buildBundles, largestParts } from '../support/bundles';

test('every function of the fullest stack bundles under 400 KB minified', async () => {
  // prepare: every function, every optional one turned on
  const specs = enabledFunctions(LAMBDA_FUNCTIONS, () => true);
  // act
  const bundles = await buildBundles(specs);
  // assess: name each function over budget, its size and what weighs most in it
  const over = specs.flatMap((spec) => {
    const bundle = bundles.get(spec.entry)!;
    return bundle.bytes < LAMBDA_BUNDLE_MAX_BYTES
      ? []
      : [
          `${spec.id} (functions/lambda/${spec.entry}.ts): ${Math.round(bundle.bytes / 1024)} KB; largest: ${largestParts(bundle).join(', ')}`,
        ];
  });
  expect(over).toEqual([]);
  expect(bundles.size).toBe(new Set(specs.map((s) => s.entry)).size);
}, 60_000);
