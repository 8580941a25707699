/**
 * Real bundling (local esbuild, no Docker) of each of the handler entries: the bundle is one minified
 * CommonJS file with its source map, byte for byte what the shared options (infra/lib/bundling.ts) build
 * through esbuild's API (so the size test and the bench measure the deployed code), requires nothing but
 * Node's built-ins and the runtime's AWS SDK v3 (or, where the bundle carries its SDK clients, only the
 * built-ins), and loads with an exported `handler`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LAMBDA_FUNCTIONS, OPERATION_ENV } from '../../functions/lambda/functions';
import { sdkBundlingFor } from '../../infra/lib/bundling';
import { WeChatCustomerService } from '../../infra/lib/wechat-customer-service';
import { functionLogicalId, testApp } from './helpers';
import { buildBundles } from '../support/bundles';
import { builtinModules } from 'module';

// One function per entry file: the operation functions all share functions/lambda/operation.ts.
const specs = ['operation', 'callback', 'interactions', 'token-refresher', 'webhook-fanout', 'webhook-delivery'].map((entry) => {
  const spec = LAMBDA_FUNCTIONS.find((s) => s.entry === entry && (entry !== 'operation' || s.operation === 'sendMessage'));
  if (!spec) throw new Error(`no function uses the ${entry} entry`);
  return spec;
});

test('each entry bundles locally with esbuild: minified, source-mapped, the shared options, the runtime SDK, handler exported', async () => {
  const apiBuilt = await buildBundles(specs);
  const app = testApp({}, true);
  const stack = new Stack(app, 'Bundled');
  new WeChatCustomerService(stack, 'WeChatKf', { functions: specs, appId: 'wx0123456789abcdef' });
  const assembly = app.synth();
  const template = Template.fromJSON(assembly.getStackByName('Bundled').template);

  for (const spec of specs) {
    const fn = template.toJSON().Resources[functionLogicalId(template, spec.id)].Properties;
    const hash = (fn.Code.S3Key as string).replace(/\.zip$/, '');
    const dir = path.join(assembly.directory, `asset.${hash}`);
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(['index.js', 'index.js.map']);

    const code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000); // minified: long lines, only template literals break them
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    expect(Buffer.byteLength(code)).toBe(apiBuilt.get(spec.entry)!.bytes);
    // No import() of the SDK is left: ESM resolution does not read NODE_PATH, where the runtime keeps it.
    expect(code).not.toMatch(/import\(\s*["']@aws-sdk\//);
    // Only Node's built-ins and the AWS SDK v3 the runtime provides are left to require.
    const required = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))];
    expect(required.filter((m) => !m.startsWith('@aws-sdk/') && !m.startsWith('node:') && !builtinModules.includes(m))).toEqual([]);
    // Where the SDK comes from (bundling.ts): the runtime's, or bundled with the environment as its only
    // credential source, without the default chain's profile, SSO, STS and instance-metadata code.
    const sources: string[] = JSON.parse(fs.readFileSync(path.join(dir, 'index.js.map'), 'utf8')).sources;
    if (sdkBundlingFor(spec.entry).sdk === 'bundled') {
      // Only the clients the entry takes from the runtime on purpose (bundling.ts, RUNTIME_CLIENTS_OF_BUNDLED).
      expect(required.filter((m) => m.startsWith('@aws-sdk/'))).toEqual(sdkBundlingFor(spec.entry).externalModules);
      expect(sources.some((s) => s.endsWith('functions/store/lambda-credentials.ts'))).toBe(true);
      expect(
        sources.filter((s) => /credential-provider-(node|ini|sso|process|web-identity)|nested-clients|credential-provider-imds/.test(s)),
      ).toEqual([]);
    } else {
      expect(required).toContain('@aws-sdk/client-dynamodb');
      expect(sources.filter((s) => s.includes('node_modules/@aws-sdk/') || s.includes('node_modules/@smithy/'))).toEqual([]);
    }

    const exported = execFileSync(
      process.execPath,
      ['-e', `process.stdout.write(typeof require(${JSON.stringify(path.join(dir, 'index.js'))}).handler)`],
      {
        // NODE_PATH: where the Lambda runtime keeps the SDK (/var/runtime/node_modules); here, the repository's.
        env: {
          ...process.env,
          [OPERATION_ENV]: spec.operation ?? '',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          AWS_REGION: 'us-east-1',
          NODE_PATH: path.join(__dirname, '../../node_modules'),
        },
        encoding: 'utf8',
      },
    );
    expect(exported).toBe('function');
  }
}, 180_000);
