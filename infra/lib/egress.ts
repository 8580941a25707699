/**
 * Network: a fixed egress IP for the functions that call WeChat (`needs.callsWeChat`), to put on the
 * official account's IP whitelist: private subnets behind NAT gateways with Elastic IPs.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { WeChatCustomerServiceProps } from './props';

export interface Egress {
  vpc: ec2.Vpc;
  securityGroup: ec2.SecurityGroup;
  /** The addresses, when the construct made the Elastic IPs. */
  egressIps?: string[];
  allocationIds: string[];
}

/** The VPC with its NAT gateways, or undefined without `staticEgressIp`. */
export function buildEgress(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  logRetention: logs.RetentionDays,
  removalPolicy: RemovalPolicy,
): Egress | undefined {
  if (!props.staticEgressIp) return undefined;
  const natGateways = props.egressIpAllocationIds?.length ?? props.natGateways ?? 1;
  let allocationIds = props.egressIpAllocationIds;
  let egressIps: string[] | undefined;
  if (!allocationIds) {
    const eips = Array.from({ length: natGateways }, (_, i) => {
      const eip = new ec2.CfnEIP(scope, `EgressIp${i + 1}`, {
        domain: 'vpc',
        tags: [{ key: 'Name', value: `${Stack.of(scope).stackName}-wechat-egress-${i + 1}` }],
      });
      // The address is on WeChat's whitelist: keep it even if the stack goes, so it can be reused
      // through egressIpAllocationIds.
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return eip;
    });
    allocationIds = eips.map((e) => e.attrAllocationId);
    egressIps = eips.map((e) => e.attrPublicIp);
  }
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways,
    natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: allocationIds }),
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
    ],
    gatewayEndpoints: { DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } },
    flowLogs: {
      Rejected: {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(scope, 'VpcFlowLog', { retention: logRetention, removalPolicy }),
        ),
        trafficType: ec2.FlowLogTrafficType.REJECT,
      },
    },
  });
  const securityGroup = new ec2.SecurityGroup(scope, 'EgressSecurityGroup', {
    vpc,
    description: 'Functions that call WeChat: HTTPS out only (WeChat and AWS APIs), nothing in',
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to WeChat and AWS APIs');
  return { vpc, securityGroup, egressIps, allocationIds: [...allocationIds] };
}
