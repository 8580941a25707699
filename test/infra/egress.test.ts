/**
 * staticEgressIp: the functions that call WeChat run in private subnets behind a NAT gateway with an
 * Elastic IP, whose address is an output to put on WeChat's IP whitelist (errcode 40164). Every account of
 * a deployment calls WeChat from those functions, so through that one address; and several deployments
 * in one CDK app share one VPC and NAT by giving each the same `vpc` (a WeChatEgress's).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { enabledFunctions, LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';
import { WeChatKfStack } from '../../infra/lib/stack';
import { WeChatCustomerService, WeChatEgress } from '../../infra/lib/wechat-customer-service';
import { actionsOf, appTemplate, functionLogicalId, resourcesOf, roleStatements, TEST_APP_ID, testApp } from './helpers';

/** What the default deployment has: every function but those off by default (route.enabledBy, e.g. token vending). */
const DEPLOYED = enabledFunctions(LAMBDA_FUNCTIONS, () => false);

describe('staticEgressIp on', () => {
  const template = appTemplate({ staticEgressIp: 'true' });
  const json = template.toJSON();

  test('a VPC with one NAT gateway on a new, retained Elastic IP', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::EIP', 1);
    const [eipId, eip] = resourcesOf(template, 'AWS::EC2::EIP')[0]!;
    expect(eip.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: { 'Fn::GetAtt': [eipId, 'AllocationId'] } });
    expect(json.Outputs.EgressIp.Value).toEqual({ 'Fn::GetAtt': [eipId, 'PublicIp'] });
    expect(json.Outputs.EgressIpAllocationIds.Value).toEqual({ 'Fn::GetAtt': [eipId, 'AllocationId'] });
  });

  test('VPC flow logs, a DynamoDB gateway endpoint, a security group with HTTPS out only', () => {
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({}) });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
    const groups = resourcesOf(template, 'AWS::EC2::SecurityGroup');
    for (const [, g] of groups) expect(g.Properties.SecurityGroupIngress).toBeUndefined();
  });

  test.each(DEPLOYED.map((s) => [s.id, s] as const))('%s: in the private subnets exactly when it calls WeChat', (id, spec) => {
    const fn = json.Resources[functionLogicalId(template, id)].Properties;
    if (spec.needs.callsWeChat) {
      expect(fn.VpcConfig.SubnetIds).toHaveLength(2);
      for (const subnet of fn.VpcConfig.SubnetIds) expect(subnet.Ref).toMatch(/PrivateSubnet/);
      // The network-interface permissions Lambda needs (inline, instead of the AWS managed policy).
      expect(roleStatements(template, id).flatMap(actionsOf)).toContain('ec2:CreateNetworkInterface');
    } else {
      expect(fn.VpcConfig).toBeUndefined();
      expect(
        roleStatements(template, id)
          .flatMap(actionsOf)
          .filter((a) => a.startsWith('ec2:')),
      ).toEqual([]);
    }
  });
});

test('staticEgressIp with existing allocation ids: no new Elastic IP, the NAT gateways use them', () => {
  const template = appTemplate({ staticEgressIp: 'true', egressIpAllocationIds: 'eipalloc-0123456789abcdef0,eipalloc-0fedcba9876543210' });
  template.resourceCountIs('AWS::EC2::EIP', 0);
  template.resourceCountIs('AWS::EC2::NatGateway', 2);
  template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: 'eipalloc-0123456789abcdef0' });
  template.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: 'eipalloc-0fedcba9876543210' });
  const outputs = template.toJSON().Outputs;
  expect(outputs.EgressIp).toBeUndefined();
  expect(outputs.EgressIpAllocationIds.Value).toBe('eipalloc-0123456789abcdef0,eipalloc-0fedcba9876543210');
});

test('staticEgressIp off: no VPC at all', () => {
  const template: Template = appTemplate({ staticEgressIp: 'false' });
  for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP']) template.resourceCountIs(type, 0);
  expect(template.toJSON().Outputs.EgressIp).toBeUndefined();
});

describe('one egress for several stacks: a shared VPC (the vpc prop)', () => {
  /** An app with a network stack (WeChatEgress) and two service stacks giving its VPC, cdk-nag on. */
  function sharedApp() {
    const app = testApp({ appId: TEST_APP_ID });
    const network = new Stack(app, 'WeChatNetwork');
    const egress = new WeChatEgress(network, 'Egress');
    const shops = ['ShopA', 'ShopB'].map((id) => new WeChatKfStack(app, id, { service: { vpc: egress.vpc } }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return { app, network, egress, shops };
  }

  test('two stacks in one app synthesize with one VPC and one NAT gateway on one Elastic IP, cdk-nag clean', () => {
    // Prepare
    const { app, network, shops } = sharedApp();
    // Act
    const assembly = app.synth(); // throws ValidationFailed on an unacknowledged cdk-nag finding
    const count = (type: string) =>
      [network, ...shops].reduce((n, s) => n + Object.keys(Template.fromStack(s).findResources(type)).length, 0);
    // Assess
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['ShopA', 'ShopB', 'WeChatNetwork']);
    expect([count('AWS::EC2::VPC'), count('AWS::EC2::NatGateway'), count('AWS::EC2::EIP')]).toEqual([1, 1, 1]);
    const networkJson = Template.fromStack(network).toJSON();
    expect(resourcesOf(Template.fromStack(network), 'AWS::EC2::EIP')[0]![1].DeletionPolicy).toBe('Retain');
    for (const shop of shops) {
      const template = Template.fromStack(shop);
      for (const type of ['AWS::EC2::VPC', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::Subnet']) template.resourceCountIs(type, 0);
      // Its own security group (HTTPS out only) in the shared VPC.
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
      });
      // The functions that call WeChat run in the network stack's private subnets, the others in none.
      const json = template.toJSON();
      for (const spec of DEPLOYED) {
        const fn = json.Resources[functionLogicalId(template, spec.id)].Properties;
        if (!spec.needs.callsWeChat) {
          expect(fn.VpcConfig).toBeUndefined();
          continue;
        }
        expect(fn.VpcConfig.SubnetIds).toHaveLength(2);
        for (const subnet of fn.VpcConfig.SubnetIds) expect(JSON.stringify(subnet)).toMatch(/WeChatNetwork.*PrivateSubnet/);
      }
      expect(json.Outputs.EgressIp).toBeUndefined();
    }
    expect(Object.keys(networkJson.Resources).some((id) => id.includes('FlowLog'))).toBe(true);
  });

  test('vpc with staticEgressIp, natGateways or egressIpAllocationIds is refused, naming the props', () => {
    const app = testApp();
    const network = new Stack(app, 'Net');
    const egress = new WeChatEgress(network, 'Egress');
    const service = (id: string, props: Record<string, unknown>) => () =>
      new WeChatCustomerService(new Stack(app, id), 'Kf', { vpc: egress.vpc, ...props });
    expect(service('A', { staticEgressIp: true })).toThrow(/give vpc .* or staticEgressIp .*, not both/);
    expect(service('B', { natGateways: 2 })).toThrow(/natGateways only apply with staticEgressIp/);
    expect(() => new WeChatCustomerService(new Stack(app, 'C'), 'Kf', { egressSubnets: {} })).toThrow(/egressSubnets only applies/);
    expect(() => new WeChatEgress(network, 'Three', { natGateways: 3 })).toThrow(/natGateways must be 1 or 2/);
  });
});
