/**
 * Several official accounts per deployment, in the stack: accounts are data (items of the one table), so
 * the stack has one greedy route `ANY /accounts/{appId}/{proxy+}` (IAM) served by one function, the four
 * `/accounts` operations, the per-account callback `/callback/{appId}` (public, like `/callback`) and one
 * KMS key sealing every account's secrets: creating an account may only encrypt, the functions that read
 * secrets only decrypt, both only with an encryption context of `appId`. A caller can be granted one
 * account and not another (execute-api ARNs), and a hundred accounts add nothing to the stack.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { enabledFunctions } from '../../functions/lambda/functions';
import { perAccountCallers } from '../../infra/examples/per-account-access';
import { ACCOUNT_KEY_ENV } from '../../infra/lib/wechat-customer-service';
import { accountSpecs, accountsAppStack, actionsOf, allResources, functionLogicalId, resourcesOf, roleStatements } from './helpers';

/** The functions of the stack with accounts (token vending, off by default, is not among them). */
const SPECS = enabledFunctions(accountSpecs(), () => false);

describe('accounts in the stack', () => {
  const { stack } = accountsAppStack();
  const template = Template.fromStack(stack);
  const json = template.toJSON();
  const keyId = resourcesOf(template, 'AWS::KMS::Key').find(([, k]) => String(k.Properties.Description).includes('account'))![0];
  const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
  const kmsStatements = (specId: string) =>
    roleStatements(template, specId).filter(
      (s) => JSON.stringify(s.Resource).includes(keyId) && actionsOf(s).some((a) => a.startsWith('kms:')),
    );
  const env = (specId: string) => json.Resources[functionLogicalId(template, specId)].Properties.Environment.Variables;

  test('the greedy per-account route: ANY, IAM, to AccountOperations alone', () => {
    const [, route] = resourcesOf(template, 'AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === 'ANY /accounts/{appId}/{proxy+}',
    )!;
    expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
    expect(json.Resources[integrationId].Properties.IntegrationUri).toEqual({
      'Fn::GetAtt': [functionLogicalId(template, 'AccountOperations'), 'Arn'],
    });
    for (const key of ['POST /accounts', 'GET /accounts', 'GET /accounts/{appId}', 'DELETE /accounts/{appId}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key, AuthorizationType: 'AWS_IAM' });
    }
  });

  test("every account's operations share the greedy route's throttle: the stage default, or the route's own", () => {
    const own = Template.fromStack(
      accountsAppStack({}, { throttling: { routes: { 'ANY /accounts/{appId}/{proxy+}': { rateLimit: 500, burstLimit: 1000 } } } }, false)
        .stack,
    );
    own.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: Match.objectLike({ 'ANY /accounts/{appId}/{proxy+}': { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 } }),
    });
    const stage = resourcesOf(template, 'AWS::ApiGatewayV2::Stage')[0]![1].Properties;
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    expect(stage.RouteSettings['ANY /accounts/{appId}/{proxy+}']).toBeUndefined();
  });

  test('the per-account callback is public, on the callback function', () => {
    for (const key of ['GET /callback/{appId}', 'POST /callback/{appId}']) {
      const [, route] = resourcesOf(template, 'AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === key)!;
      expect(route.Properties.AuthorizationType).toBe('NONE');
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      expect(json.Resources[integrationId].Properties.IntegrationUri).toEqual({
        'Fn::GetAtt': [functionLogicalId(template, 'Callback'), 'Arn'],
      });
    }
  });

  test('AccountOperations needs what the operations it runs need: secret, WeChat (in the egress), table, bus, and opens account secrets', () => {
    const actions = roleStatements(template, 'AccountOperations').flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'dynamodb:PutItem', 'events:PutEvents', 'kms:Decrypt']),
    );
    // Not the deployment's own operations (webhook subscriptions filter by account instead): no webhook queue, no sealing.
    expect(actions).not.toEqual(expect.arrayContaining(['kms:Encrypt']));
    expect(actions).not.toEqual(expect.arrayContaining(['sqs:SendMessage']));
    const spec = SPECS.find((s) => s.id === 'AccountOperations')!;
    expect(spec.needs).toMatchObject({ secret: true, callsWeChat: true, table: 'readWrite', publishesEvents: true });
    expect(spec.sizing).toEqual({ memoryMb: 512, timeoutSeconds: 30 });
  });

  test('a rotated key seals account secrets: createAccount and updateAccount may only encrypt, every reader of secrets only decrypt, with an appId context', () => {
    expect(json.Resources[keyId].Properties.EnableKeyRotation).toBe(true);
    const withContext = {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['appId'] },
      Null: { 'kms:EncryptionContext:appId': 'false' },
    };
    for (const sealer of ['CreateAccount', 'UpdateAccount']) {
      expect(kmsStatements(sealer)).toEqual([{ Action: 'kms:Encrypt', Effect: 'Allow', Resource: keyArn, Condition: withContext }]);
      expect(env(sealer)[ACCOUNT_KEY_ENV]).toEqual(keyArn);
    }
    for (const spec of SPECS.filter((s) => s.id !== 'CreateAccount' && s.id !== 'UpdateAccount')) {
      const statements = kmsStatements(spec.id);
      if (spec.needs.secret) {
        expect(statements).toEqual([{ Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn, Condition: withContext }]);
        expect(env(spec.id)[ACCOUNT_KEY_ENV]).toEqual(keyArn);
      } else {
        expect(statements).toEqual([]);
        expect(env(spec.id)[ACCOUNT_KEY_ENV]).toBeUndefined();
      }
    }
  });
});

describe('IAM per account (infra/examples/per-account-access.ts)', () => {
  const A = 'wxaaaaaaaaaaaaaaaa';
  const B = 'wxbbbbbbbbbbbbbbbb';
  /**
   * The service's app with the example's roles for A and B; without cdk-nag (`nag` false), a stack of other
   * callers too: a role granted every account and one granted token vending.
   */
  function build(extra: Record<string, unknown> = {}, nag = true) {
    const { app, stack } = accountsAppStack(extra, {}, nag);
    perAccountCallers(stack.service, [A, B]);
    const callers = nag ? undefined : new Stack(app, 'Callers');
    if (callers) {
      stack.service.grantInvoke(new iam.Role(callers, 'AllAccountsRole', { assumedBy: new iam.AccountRootPrincipal() }));
      if (extra.tokenVending)
        stack.service.grantTokenVending(new iam.Role(callers, 'Vendor', { assumedBy: new iam.AccountRootPrincipal() }));
    }
    return { app, stack, template: () => Template.fromStack(stack), callersTemplate: () => Template.fromStack(callers!) };
  }
  /** A role's execute-api statements, `<Effect> <Api>/<stage>/<method>/<path>`. */
  const invoke = (template: Template, rolePrefix: string) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: unknown; Resource: unknown }[])
      .filter((s) => JSON.stringify(s.Action).includes('execute-api:Invoke'))
      .flatMap((s) =>
        (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => {
          const parts = (r as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
          const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p).includes('Api') ? '<Api>' : '<x>')).join('');
          return `${s.Effect} ${text.slice(text.indexOf('<Api>'))}`;
        }),
      );
  const roleOf = (appId: string) => `AccountCallers${appId}`;

  test("the role of account A may call A's operations and read A, and nothing of account B, the default routes or the admin ones; cdk-nag clean", () => {
    // Prepare
    const { app, template } = build({}, true);
    // Act
    const arns = invoke(template(), roleOf(A));
    // Assess
    expect(arns.sort()).toEqual([`Allow <Api>/*/*/accounts/${A}/*`, `Allow <Api>/*/GET/accounts/${A}`]);
    expect(arns.join('\n')).not.toContain(B);
    expect(invoke(template(), roleOf(B)).join('\n')).not.toContain(A);
    expect(arns.some((a) => a.includes('/messages') || a.endsWith('/accounts'))).toBe(false);
    // The AwsSolutions plugin found nothing unacknowledged (synth throws otherwise).
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  test('the example acknowledges exactly its ARNs: another wildcard on the same role still fails the synth', () => {
    const { app, stack } = accountsAppStack();
    const roles = perAccountCallers(stack.service, [A]);
    roles[A]!.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/\*\]/);
  });

  test('grantInvoke covers every account (the greedy route) and the account routes', () => {
    const arns = invoke(build({}, false).callersTemplate(), 'AllAccountsRole');
    expect(arns).toEqual(
      expect.arrayContaining([
        'Allow <Api>/*/*/accounts/*/*',
        'Allow <Api>/*/POST/accounts',
        'Allow <Api>/*/GET/accounts/*',
        'Allow <Api>/*/POST/messages/text',
      ]),
    );
  });

  test("with token vending on, neither grant reaches an account's /access-token: an explicit deny, as /access-token has its own permission", () => {
    const { template, callersTemplate } = build({ tokenVending: 'true' }, false);
    expect(invoke(template(), roleOf(A))).toContain(`Deny <Api>/*/GET/accounts/${A}/access-token`);
    expect(invoke(callersTemplate(), 'AllAccountsRole')).toContain('Deny <Api>/*/GET/accounts/*/access-token');
    // Without token vending there is nothing to deny.
    expect(invoke(build({}, false).template(), roleOf(A)).filter((a) => a.startsWith('Deny'))).toEqual([]);
    // The route's own grant is unchanged.
    expect(invoke(callersTemplate(), 'Vendor')).toEqual(['Allow <Api>/*/GET/access-token']);
  });

  test('an appId that would widen the grant is refused', () => {
    const { stack } = accountsAppStack();
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    for (const bad of ['*', 'wx1/*', 'wx?', '', 'wx a'])
      expect(() => stack.service.grantAccount(role, bad)).toThrow(/appId must be 1 to 64 letters/);
  });
});

describe('scale: accounts are data', () => {
  test("the service's stack is the same with 0 and 100 accounts, their callers granted one each elsewhere; template size printed", () => {
    // Prepare
    const none = accountsAppStack({}, {}, false);
    const hundred = accountsAppStack({}, {}, false);
    const appIds = Array.from({ length: 100 }, (_, i) => `wx${i.toString(16).padStart(16, '0')}`);
    const callers = new Stack(hundred.app, 'Callers');
    // Act
    for (const appId of appIds)
      hundred.stack.service.grantAccount(new iam.Role(callers, appId, { assumedBy: new iam.AccountRootPrincipal() }), appId);
    // Assess: the callers' roles and policies are theirs; the service's resources do not change
    expect(Object.keys(Template.fromStack(callers).toJSON().Resources)).toHaveLength(2 * appIds.length);
    const [before, after] = [allResources(none.stack), allResources(hundred.stack)];
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(JSON.stringify(after)).toBe(JSON.stringify(before));
    for (const appId of appIds) expect(JSON.stringify(after)).not.toContain(appId);
    const parent = Template.fromStack(none.stack).toJSON();
    const bytes = Buffer.byteLength(JSON.stringify(parent));
    const inNested = Object.keys(before).length - Object.keys(parent.Resources).length;
    console.log(
      `the stack with the account functions: ${Object.keys(before).length} resources (${Object.keys(parent.Resources).length} in the parent, ${inNested} in the nested rules stack), parent template ${bytes} bytes; the same with 100 accounts`,
    );
    // CloudFormation takes templates of up to 1 MB from S3.
    expect(bytes).toBeLessThan(1_000_000);
  });
});
