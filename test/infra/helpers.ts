/**
 * Shared by the infra tests: an app with the feature flags of cdk.json, bundling skipped (fast), and a
 * template normalizer for snapshots.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, NestedStack, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CATALOGUE } from '../../functions/core/catalogue';
import { accountOperationsFunction, LAMBDA_FUNCTIONS, type LambdaFunctionSpec } from '../../functions/lambda/functions';
import { buildApp } from '../../infra/lib/app';
import { settingsFromContext } from '../../infra/lib/context';
import { WeChatKfStack } from '../../infra/lib/stack';

// Templates must not depend on the machine's AWS settings: env-agnostic stacks only.
delete process.env.CDK_DEFAULT_ACCOUNT;
delete process.env.CDK_DEFAULT_REGION;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CDK_JSON = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

/** The context of cdk.json plus `extra`; bundling is skipped unless `bundle` is set. */
export function testContext(extra: Record<string, unknown> = {}, bundle = false): Record<string, unknown> {
  return {
    ...CDK_JSON.context,
    // Templates without construct paths or the CDK version, so snapshots do not churn.
    'aws:cdk:enable-path-metadata': false,
    'aws:cdk:version-reporting': false,
    ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    ...extra,
  };
}

/** A fresh App with the test context (its cloud assembly goes to a temporary directory). */
export function testApp(extra: Record<string, unknown> = {}, bundle = false): App {
  return new App({ context: testContext(extra, bundle) });
}

/** The app id the test apps are given (context appId), as a deployment would be. */
export const TEST_APP_ID = 'wx0123456789abcdef';

/** The app of infra/bin/app.ts (stack + cdk-nag plugin) built with this context (plus appId). */
export function appStack(extra: Record<string, unknown> = {}): { app: App; stack: WeChatKfStack } {
  const app = testApp({ appId: TEST_APP_ID, ...extra });
  return { app, stack: buildApp(app) };
}

/** The template of a stack of the real app. */
export function appTemplate(extra: Record<string, unknown> = {}): Template {
  return Template.fromStack(appStack(extra).stack);
}

/**
 * The four account operations (POST /accounts, GET /accounts, GET and DELETE /accounts/{appId}; no
 * events), as the catalogue will declare them, for the infra tests until they are in CATALOGUE: creating an
 * account seals its secrets (accountKey seal), the others read secrets (the default account's from the secret).
 */
export const ACCOUNT_OPERATION_STUBS: readonly LambdaFunctionSpec[] = (
  [
    ['CreateAccount', 'createAccount', 'POST', '/accounts', { secret: false, table: 'readWrite', accountKey: 'seal' }],
    ['ListAccounts', 'listAccounts', 'GET', '/accounts', { secret: true, table: 'read' }],
    ['GetAccount', 'getAccount', 'GET', '/accounts/{appId}', { secret: true, table: 'read' }],
    ['DeleteAccount', 'deleteAccount', 'DELETE', '/accounts/{appId}', { secret: true, table: 'readWrite' }],
  ] as const
).map(([id, operation, method, p, needs]) => ({
  id,
  operation,
  entry: 'operation',
  description: `${operation} (stub of the lead's catalogue entry)`,
  routes: [{ method, path: p, auth: 'iam' }],
  acceptsEvents: false,
  needs: { callsWeChat: false, publishesEvents: false, ...needs },
  sizing: { memoryMb: 256, timeoutSeconds: 15 },
}));

/** The functions with accounts: the catalogue's, the four account operations and AccountOperations. */
export function accountSpecs(): LambdaFunctionSpec[] {
  const [catalogue, product] = [LAMBDA_FUNCTIONS.filter((s) => s.operation), LAMBDA_FUNCTIONS.filter((s) => !s.operation)];
  return [...catalogue, ...ACCOUNT_OPERATION_STUBS, ...product, accountOperationsFunction(CATALOGUE)];
}

let stubDir: string | undefined;
/**
 * A handlers directory for synth without bundling: the real entries, plus a placeholder
 * `account-operations.ts` until the lead's entry lands (synth only checks that an entry exists).
 */
export function stubHandlersDir(): string {
  if (stubDir) return stubDir;
  // Under the repository (NodejsFunction wants entries under its project root), in the ignored cdk.out.
  fs.mkdirSync(path.join(REPO_ROOT, 'cdk.out'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, 'cdk.out', 'test-handlers-'));
  const real = path.join(REPO_ROOT, 'functions', 'lambda');
  for (const f of fs.readdirSync(real)) fs.symlinkSync(path.join(real, f), path.join(dir, f));
  const accountEntry = path.join(dir, 'account-operations.ts');
  if (!fs.existsSync(accountEntry)) fs.writeFileSync(accountEntry, 'export const handler = async () => ({ statusCode: 501 });\n');
  stubDir = dir;
  return dir;
}

/**
 * The real app (context, cdk-nag plugin unless `nag` is false) whose stack deploys the account functions
 * too (accountSpecs), with `service` added to the construct's props.
 */
export function accountsAppStack(
  extra: Record<string, unknown> = {},
  service: Record<string, unknown> = {},
  nag = true,
): { app: App; stack: WeChatKfStack } {
  const app = testApp({ appId: TEST_APP_ID, ...extra });
  const { stackName, props } = settingsFromContext(app.node);
  const stack = new WeChatKfStack(app, stackName, {
    ...props,
    service: { ...props.service, functions: accountSpecs(), handlersDir: stubHandlersDir(), ...service },
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/** The nested stacks under a stack (the operations' rules). */
export function nestedStacks(stack: Stack): NestedStack[] {
  return stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack);
}

/** Resources in a stack and its nested stacks, by logical id (nested ones prefixed with their stack's id). */
export function allResources(stack: Stack): Record<string, { Type: string; Properties?: any }> {
  const own = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
  const nested = nestedStacks(stack).flatMap((n) =>
    Object.entries(Template.fromStack(n).toJSON().Resources as Record<string, { Type: string }>).map(([id, r]) => [
      `${n.node.id}/${id}`,
      r,
    ]),
  );
  return { ...own, ...Object.fromEntries(nested) };
}

/**
 * A nested stack's template with its parameters replaced by what the parent passes (`{ Ref: param }` →
 * the parent's value), so its resources can be checked against the parent's logical ids.
 */
export function nestedTemplateResolved(parent: Stack, nested: NestedStack): Record<string, any> {
  const parentJson = Template.fromStack(parent).toJSON();
  const stackResource = parentJson.Resources[parent.getLogicalId(nested.nestedStackResource!)];
  const params: Record<string, unknown> = stackResource?.Properties.Parameters ?? {};
  const resolve = (value: any): any => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      if (Object.keys(value).length === 1 && typeof value.Ref === 'string' && value.Ref in params) return params[value.Ref];
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    }
    return value;
  };
  return resolve(Template.fromStack(nested).toJSON());
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The template with what varies between machines and source edits masked: asset hashes in S3 keys (and
 * anywhere else a 64-hex hash appears).
 */
export function normalizedTemplate(stack: Stack | Template): Json {
  const json = (stack instanceof Template ? stack : Template.fromStack(stack)).toJSON() as Json;
  const mask = (value: Json): Json => {
    if (typeof value === 'string') return value.replace(/[0-9a-f]{64}/g, '[ASSET-HASH]');
    if (Array.isArray(value)) return value.map(mask);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
    return value;
  };
  return mask(json);
}

/** Resources of a type, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): [string, { Properties: Record<string, any>; [k: string]: any }][] {
  return Object.entries(template.findResources(type)) as [string, { Properties: Record<string, any> }][];
}

/** The logical id of a function of the construct, by its LAMBDA_FUNCTIONS id. */
export function functionLogicalId(template: Template, specId: string): string {
  const matches = resourcesOf(template, 'AWS::Lambda::Function').filter(([id]) => new RegExp(`^WeChatKf${specId}[0-9A-F]{8}$`).test(id));
  if (matches.length !== 1) throw new Error(`expected one function for ${specId}, found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  return matches[0]![0];
}

/** The statements of the inline policy attached to a function's role. */
export function roleStatements(template: Template, specId: string): { Action: string | string[]; Resource: any; Effect: string }[] {
  const fnId = functionLogicalId(template, specId);
  const fn = template.toJSON().Resources[fnId];
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = resourcesOf(template, 'AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
  return policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

export const actionsOf = (s: { Action: string | string[] }): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
