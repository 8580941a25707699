/**
 * Network: a fixed egress IP for the functions that call WeChat (`needs.callsWeChat`), to put on the
 * official account's IP whitelist: private subnets behind NAT gateways with Elastic IPs.
 *
 * Every account of a deployment calls WeChat from the same functions, so one egress serves them all.
 * Several deployments (stacks) in one CDK app can share one VPC and its NAT too: build the network once,
 * with {@link WeChatEgress} (or any VPC of your own, e.g. with a NAT instance), and give its `vpc` to each
 * construct; each then adds only its security group (infra/README.md, "One egress").
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { WeChatCustomerServiceProps } from './props';

export interface Egress {
  vpc: ec2.IVpc;
  /** The subnets the functions that call WeChat go in. */
  subnets: ec2.SubnetSelection;
  securityGroup: ec2.ISecurityGroup;
  /** The addresses, when the construct made the Elastic IPs. */
  egressIps?: string[];
  /** The NAT gateways' Elastic IP allocations, when the construct made the VPC. */
  allocationIds?: string[];
}

/** The network options {@link WeChatEgress} and `staticEgressIp` share. */
export interface WeChatEgressProps {
  /** NAT gateways (and so egress IPs); 2 survives the loss of one AZ. @default 1 */
  readonly natGateways?: number;
  /** Existing Elastic IP allocation ids, one per NAT gateway (the addresses already whitelisted). @default - new, retained */
  readonly egressIpAllocationIds?: string[];
  /** Retention of the VPC flow log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the flow log group when it leaves the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One egress for several deployments: a VPC (2 AZs) whose private subnets reach the internet through NAT
 * gateways on Elastic IPs (retained), a DynamoDB gateway endpoint and a rejected-traffic flow log: what
 * `staticEgressIp` builds inside one construct, built once for every stack of an app that passes its
 * `vpc` to `WeChatCustomerService`. The addresses to whitelist are `egressIps` (when it made them).
 *
 * @example
 * ```ts
 * const network = new Stack(app, 'WeChatNetwork');
 * const egress = new WeChatEgress(network, 'Egress', { natGateways: 1 });
 * new WeChatKfStack(app, 'ShopA', { service: { vpc: egress.vpc } });
 * new WeChatKfStack(app, 'ShopB', { service: { vpc: egress.vpc } });
 * ```
 */
export class WeChatEgress extends Construct {
  readonly vpc: ec2.Vpc;
  /** The Elastic IPs' addresses, when it made them (not with `egressIpAllocationIds`). */
  readonly egressIps?: string[];
  /** The NAT gateways' Elastic IP allocation ids. */
  readonly egressIpAllocationIds: string[];

  constructor(scope: Construct, id: string, props: WeChatEgressProps = {}) {
    super(scope, id);
    checkNatProps(this, props);
    const network = buildNetwork(
      this,
      props,
      props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      props.removalPolicy ?? RemovalPolicy.RETAIN,
    );
    this.vpc = network.vpc;
    this.egressIps = network.egressIps;
    this.egressIpAllocationIds = network.allocationIds;
  }
}

/** The egress of the construct: the `vpc` given, a VPC of its own with `staticEgressIp`, or undefined. */
export function buildEgress(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  logRetention: logs.RetentionDays,
  removalPolicy: RemovalPolicy,
): Egress | undefined {
  const subnets = props.egressSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  if (props.vpc) {
    const securityGroup = props.egressSecurityGroup ?? egressSecurityGroup(scope, props.vpc);
    return { vpc: props.vpc, subnets, securityGroup };
  }
  if (!props.staticEgressIp) return undefined;
  const network = buildNetwork(scope, props, logRetention, removalPolicy);
  return { ...network, subnets, securityGroup: egressSecurityGroup(scope, network.vpc) };
}

/** Refuses NAT options that cannot work, naming them. */
export function checkNatProps(scope: Construct, props: WeChatEgressProps): void {
  const fail = (message: string) => {
    throw new Error(`${scope.node.path}: ${message}`);
  };
  if (props.natGateways !== undefined && (!Number.isInteger(props.natGateways) || props.natGateways < 1 || props.natGateways > 2)) {
    fail(`natGateways must be 1 or 2, got ${props.natGateways}`);
  }
  if (props.egressIpAllocationIds && (props.egressIpAllocationIds.length < 1 || props.egressIpAllocationIds.length > 2)) {
    fail('egressIpAllocationIds must hold 1 or 2 allocation ids (one per NAT gateway)');
  }
}

/**
 * The VPC with its NAT gateways on Elastic IPs. The logical ids (`EgressIp<n>`, `Vpc`, `VpcFlowLog`) are
 * those the construct has always used in its own scope: an existing stack keeps its VPC and addresses.
 */
function buildNetwork(
  scope: Construct,
  props: WeChatEgressProps,
  logRetention: logs.RetentionDays,
  removalPolicy: RemovalPolicy,
): { vpc: ec2.Vpc; egressIps?: string[]; allocationIds: string[] } {
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
  return { vpc, egressIps, allocationIds: [...allocationIds] };
}

/** The functions' security group: HTTPS out only, nothing in. */
function egressSecurityGroup(scope: Construct, vpc: ec2.IVpc): ec2.SecurityGroup {
  const securityGroup = new ec2.SecurityGroup(scope, 'EgressSecurityGroup', {
    vpc,
    description: 'Functions that call WeChat: HTTPS out only (WeChat and AWS APIs), nothing in',
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to WeChat and AWS APIs');
  return securityGroup;
}
