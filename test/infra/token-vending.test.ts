/**
 * Token vending in the template: `GET /access-token` and its function exist only with `tokenVending` on,
 * behind IAM, and its execute-api permission is its own: `grantInvoke` covers every other IAM route and
 * never this one; only `grantTokenVending` grants it. (cdk-nag runs on this configuration in nag.test.ts.)
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { WeChatCustomerService } from '../../infra/lib/wechat-customer-service';
import { testApp } from './helpers';

/** A stack with the construct, and a role granted the ordinary invoke and one granted token vending. */
function build(tokenVending: boolean) {
  const stack = new Stack(testApp(), 'Vending');
  const kf = new WeChatCustomerService(stack, 'Kf', { tokenVending });
  const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  kf.grantInvoke(caller);
  return { stack, kf, caller };
}

/** The execute-api ARNs (as JSON text) a role's policies allow. */
function invokeArns(template: Template, roleLogicalIdPrefix: string, effect: 'Allow' | 'Deny' = 'Allow'): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Effect?: string }[])
    .filter((s) => JSON.stringify(s.Action).includes('execute-api:Invoke') && (s.Effect ?? 'Allow') === effect)
    .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => JSON.stringify(r)));
}

describe('token vending', () => {
  it('is off by default: no route, no function, and nothing to grant', () => {
    // prepare
    const { stack, kf } = build(false);
    const template = Template.fromStack(stack);
    // act
    const grant = () => kf.grantTokenVending(new iam.Role(stack, 'Legacy', { assumedBy: new iam.AccountRootPrincipal() }));
    // assess
    template.resourcePropertiesCountIs('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /access-token' }, 0);
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).some((id) => id.includes('GetAccessToken'))).toBe(false);
    expect(grant).toThrow(/no route GET \/access-token/);
    expect(JSON.stringify(template.toJSON())).not.toContain('access-token');
  });

  it('with tokenVending on: the route, behind IAM, and a permission nothing but grantTokenVending grants', () => {
    // prepare
    const { stack, kf } = build(true);
    const legacy = new iam.Role(stack, 'Legacy', { assumedBy: new iam.AccountRootPrincipal() });
    // act
    kf.grantTokenVending(legacy);
    const template = Template.fromStack(stack);
    // assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /access-token', AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OPERATION_NAME: 'getAccessToken' }) },
    });
    const callerArns = invokeArns(template, 'Caller');
    const legacyArns = invokeArns(template, 'Legacy');
    expect(callerArns.some((a) => a.includes('/GET/access-token'))).toBe(false);
    expect(callerArns.some((a) => a.includes('/POST/wechat-api'))).toBe(true);
    // The one wildcard a caller gets is the accounts' greedy route (every operation of every account,
    // docs/accounts.md), and an explicit Deny keeps the vending route out of it.
    expect(callerArns.filter((a) => a.includes('/*/*')).every((a) => a.includes('/*/*/accounts/*/*'))).toBe(true);
    expect(invokeArns(template, 'Caller', 'Deny').some((a) => a.includes('/accounts/*/access-token'))).toBe(true);
    expect(legacyArns).toHaveLength(1);
    expect(legacyArns[0]).toContain('/GET/access-token');
    // No other policy in the template (the functions' roles included) may invoke the vending route.
    const everywhere = Object.values(template.findResources('AWS::IAM::Policy')).filter(
      (p) =>
        (p.Properties.PolicyDocument.Statement as { Effect?: string }[]).some(
          (st) => (st.Effect ?? 'Allow') === 'Allow' && JSON.stringify(st).includes('access-token'),
        ) && !JSON.stringify(p.Properties.Roles).includes('Legacy'),
    );
    expect(everywhere).toEqual([]);
  });

  it("serves an added account's token at GET /access-token/{appId}, granted per account and by nothing else", () => {
    // prepare
    const { stack, kf } = build(true);
    const brand = new iam.Role(stack, 'Brand', { assumedBy: new iam.AccountRootPrincipal() });
    const accountCaller = new iam.Role(stack, 'AccountCaller', { assumedBy: new iam.AccountRootPrincipal() });
    // act
    kf.grantTokenVending(brand, { appId: 'wxBrand0001' });
    kf.grantAccount(accountCaller, 'wxBrand0001');
    const template = Template.fromStack(stack);
    // assess: the route is behind IAM, on the vending function (not the accounts' greedy route)
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /access-token/{appId}', AuthorizationType: 'AWS_IAM' });
    const brandArns = invokeArns(template, 'Brand');
    expect(brandArns).toHaveLength(1);
    expect(brandArns[0]).toContain('/GET/access-token/wxBrand0001"');
    // outside /accounts/<appId>/*: the account's own grant and grantInvoke's do not reach it
    for (const role of ['AccountCaller', 'Caller']) expect(invokeArns(template, role).some((a) => a.includes('access-token'))).toBe(false);
    // a wildcard or a path would widen the grant
    expect(() => kf.grantTokenVending(brand, { appId: '*' })).toThrow(/AppID/);
    expect(() => kf.grantTokenVending(brand, { appId: 'wxA/../x' })).toThrow(/AppID/);
  });

  it('grantInvoke still covers every other IAM route, path parameters as wildcards', () => {
    // prepare
    const { stack } = build(true);
    // act
    const arns = invokeArns(Template.fromStack(stack), 'Caller');
    // assess
    expect(arns.some((a) => a.includes('/PUT/kf-accounts/*'))).toBe(true);
    expect(arns.some((a) => a.includes('/POST/messages/text'))).toBe(true);
    expect(arns.some((a) => a.includes('/GET/interactions/*'))).toBe(true);
    expect(arns.some((a) => a.includes('/callback'))).toBe(false);
  });
});
