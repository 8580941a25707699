/**
 * Accounts known at deploy time (the `accounts` prop; infra/lib/deploy-time-accounts.ts): one custom
 * resource for all of them, whatever their number; its role reads exactly the listed secrets and may only
 * encrypt with the account key naming one account; a wrong entry fails the synth naming it; cdk-nag clean;
 * without the prop, nothing at all.
 */
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import { build } from 'esbuild';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { LAMBDA_BUNDLE_MAX_BYTES, lambdaBuildOptions } from '../../infra/lib/bundling';
import { ACCOUNTS_SEED_ENTRY } from '../../infra/lib/deploy-time-accounts';
import type { DeployTimeAccount } from '../../infra/lib/props';
import { accountsAppStack, actionsOf, allResources, REPO_ROOT, resourcesOf, TEST_APP_ID } from './helpers';

/** Secrets imported by their full ARN, in a scope of their own (their ARNs are plain strings). */
const imports = new Stack(new App(), 'Imports');
const arnOf = (i: number) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat/account-${i}-AbC${String(i).padStart(3, '0')}`;
let imported = 0;
function declared(count: number): DeployTimeAccount[] {
  imported++;
  return Array.from({ length: count }, (_, i) => ({
    appId: `wx${i.toString(16).padStart(16, '0')}`,
    secret: secretsmanager.Secret.fromSecretCompleteArn(imports, `S${imported}-${i}`, arnOf(i)),
    ...(i === 0 ? { name: 'Brand A', settings: { replyMode: 'passive', aiLabelDefault: true } } : {}),
  }));
}

const customResources = (stack: Stack) => Object.entries(allResources(stack)).filter(([, r]) => r.Type === 'Custom::DeployTimeAccounts');
/** The statements of the deploy-time accounts function's role. */
function seedStatements(template: Template) {
  const [, fn] = resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith('WeChatKfDeployTimeAccounts'))!;
  const roleId: string = fn.Properties.Role['Fn::GetAtt'][0];
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: any; Condition?: any }[]);
}

describe('accounts known at deploy time', () => {
  test('three accounts: one custom resource listing them, and the same resources as with one account (scale)', () => {
    // Prepare
    const one = accountsAppStack({}, { accounts: declared(1) }, false).stack;
    const three = accountsAppStack({}, { accounts: declared(3) }, false).stack;
    const hundred = accountsAppStack({}, { accounts: declared(100) }, false).stack;
    // Assess
    expect(customResources(three)).toHaveLength(1);
    expect(Object.keys(allResources(three))).toEqual(Object.keys(allResources(one)));
    expect(Object.keys(allResources(hundred))).toEqual(Object.keys(allResources(one)));
    const [, resource] = customResources(three)[0]!;
    expect(resource.Properties.Accounts).toEqual([
      { appId: 'wx0000000000000000', secretArn: arnOf(0), name: 'Brand A', settings: '{"replyMode":"passive","aiLabelDefault":true}' },
      { appId: 'wx0000000000000001', secretArn: arnOf(1), settings: '{}' },
      { appId: 'wx0000000000000002', secretArn: arnOf(2), settings: '{}' },
    ]);
    const bytes = (s: Stack) => Buffer.byteLength(JSON.stringify(Template.fromStack(s).toJSON()));
    console.log(`deploy-time accounts: parent template ${bytes(one)} bytes with 1, ${bytes(hundred)} with 100`);
  });

  test("the role reads exactly the listed secrets, encrypts only with the account key naming one account, writes only the accounts' items", () => {
    // Act
    const template = Template.fromStack(accountsAppStack({}, { accounts: declared(3) }, false).stack);
    const statements = seedStatements(template);
    // Assess
    const reads = statements.filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(reads).toHaveLength(1);
    expect(actionsOf(reads[0]!)).toEqual(['secretsmanager:GetSecretValue']);
    expect(reads[0]!.Resource).toEqual([arnOf(0), arnOf(1), arnOf(2)]);
    const keyId = resourcesOf(template, 'AWS::KMS::Key').find(([, k]) => String(k.Properties.Description).includes('account'))![0];
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))).toEqual([
      {
        Action: 'kms:Encrypt',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: {
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['appId'] },
          Null: { 'kms:EncryptionContext:appId': 'false' },
        },
      },
    ]);
    const table = statements.find((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))!;
    expect(actionsOf(table).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(table.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ACCOUNTS'] } });
    expect(statements.flatMap(actionsOf).sort()).toEqual(
      [
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'kms:Encrypt',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
      ].sort(),
    );
  });

  test('cdk-nag clean with three accounts, one of them a secret named without its suffix', () => {
    const byName = {
      ...declared(1)[0]!,
      appId: 'wxbyname',
      secret: secretsmanager.Secret.fromSecretNameV2(imports, 'ByName', 'wechat/by-name'),
    };
    const { app, stack } = accountsAppStack({}, { accounts: [...declared(2), byName] });
    const reads = seedStatements(Template.fromStack(stack)).find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))!;
    expect(JSON.stringify(reads.Resource[2])).toContain(':secret:wechat/by-name-??????');
    const assembly = app.synth(); // throws ValidationFailed on a finding
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  test('without the prop (or with an empty list) there is no custom resource, no function for it', () => {
    for (const service of [{}, { accounts: [] }]) {
      const { stack } = accountsAppStack({}, service, false);
      expect(customResources(stack)).toEqual([]);
      expect(Object.keys(allResources(stack)).filter((id) => id.includes('DeployTimeAccounts'))).toEqual([]);
    }
  });

  test("checks an account's settings laid over the deployment's, and gives its function the deployment's variables", () => {
    // Prepare: handoff with a reply when no agent is online needs the offline text, which the deployment sets
    const [account] = declared(1);
    const replying = { ...account!, settings: { handoffWhenOffline: 'reply' } } as DeployTimeAccount;
    // Act
    const { stack } = accountsAppStack({}, { accounts: [replying], handoffOfflineText: 'An agent will be with you soon' }, false);
    const alone = () => accountsAppStack({}, { accounts: [replying] }, false);
    // Assess
    const [, fn] = resourcesOf(Template.fromStack(stack), 'AWS::Lambda::Function').find(([id]) =>
      id.startsWith('WeChatKfDeployTimeAccounts'),
    )!;
    expect(fn.Properties.Environment.Variables).toMatchObject({
      HANDOFF_OFFLINE_TEXT: 'An agent will be with you soon',
      WINDOW_POLICY: 'enforce',
    });
    expect(alone).toThrow(
      /accounts\[0\] \(wx0000000000000000\): settings.handoffWhenOffline: HANDOFF_WHEN_OFFLINE=reply needs HANDOFF_OFFLINE_TEXT/,
    );
  });

  test.each([
    ['an appId that is not an AppID', [{ appId: 'gh_123' }], /accounts\[0\] \(gh_123\): appId must be an AppID/],
    ['a duplicate', [{}, { appId: 'wx0000000000000000' }], /accounts\[1\] \(wx0000000000000000\): the AppID is declared twice/],
    ['the default account', [{ appId: TEST_APP_ID }], /accounts\[0\] \(wx0123456789abcdef\): this is the default account/],
    [
      'an unknown setting',
      [{ settings: { replyMod: 'passive' } }],
      /accounts\[0\] \(wx0000000000000000\): settings.replyMod is not an account setting/,
    ],
    [
      'a wrong setting value',
      [{ settings: { replyMode: 'loud' } }],
      /accounts\[0\] \(wx0000000000000000\): settings.replyMode: REPLY_MODE/,
    ],
  ])('fails the synth on %s, naming the entry', (_what, overrides, message) => {
    const two = declared(2);
    const accounts = overrides.map((o, i) => ({ ...two[i]!, ...o }) as DeployTimeAccount);
    expect(() => accountsAppStack({}, { accounts }, false)).toThrow(message);
  });

  test('its bundle stays under 400 KB and requires only built-ins and the runtime SDK', async () => {
    const result = await build({
      ...lambdaBuildOptions(path.join(REPO_ROOT, 'functions', 'lambda', `${ACCOUNTS_SEED_ENTRY}.ts`), '/tmp/accounts-seed/index.js'),
      write: false,
      metafile: true,
      absWorkingDir: REPO_ROOT,
    });
    const js = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
    console.log(`accounts-seed bundle: ${Math.round(js.bytes / 1024)} KB`);
    expect(js.bytes).toBeLessThan(LAMBDA_BUNDLE_MAX_BYTES);
    const code = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const required = [...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!))];
    expect(required.filter((m) => !builtinModules.includes(m.replace(/^node:/, '')) && !m.startsWith('@aws-sdk/'))).toEqual([]);
    expect(required).toEqual(
      expect.arrayContaining(['@aws-sdk/client-secrets-manager', '@aws-sdk/client-dynamodb', '@aws-sdk/client-kms']),
    );
  }, 60_000);
});
