/**
 * staticEgressIp: the functions that call WeChat run in private subnets behind a NAT gateway with an
 * Elastic IP, whose address is an output to put on WeChat's IP whitelist (errcode 40164).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { enabledFunctions, LAMBDA_FUNCTIONS } from '../../functions/lambda/functions';
import { actionsOf, appTemplate, functionLogicalId, resourcesOf, roleStatements } from './helpers';

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
