/**
 * cdk-nag 3 (AwsSolutions) runs as a policy-validation plugin of the app (infra/lib/app.ts): synthesizing
 * an App in memory throws `ValidationFailed` with the report when any finding is not acknowledged, and
 * the report is also written to validation-report.json in the cloud assembly. Every configuration must
 * synthesize clean, and every acknowledgement in code must still be needed and carry a reason.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Validations, type App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { accountsAppStack, appStack } from './helpers';

/** The configurations, by name: context, and whether the stack deploys the account functions (accountsAppStack). */
const CONFIGURATIONS: [string, Record<string, unknown>, ('accounts' | undefined)?][] = [
  ['default', {}],
  ['token vending on', { tokenVending: 'true' }],
  [
    'turns on, with typing, limits and the conversation history',
    { turnQuietMs: '3000', turnTyping: 'true', turnLimitPerHour: '20', turnHistory: '10', conversationRecord: 'true' },
  ],
  ['turns on, static egress IP', { turnQuietMs: '3000', staticEgressIp: 'true' }],
  ['static egress IP', { staticEgressIp: 'true' }],
  ['static egress IP, 2 NAT gateways, alarm e-mail', { staticEgressIp: 'true', natGateways: '2', alarmEmail: 'ops@example.com' }],
  ['existing secret by name, alarm topic', { secretName: 'wechat/kf', alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alarms' }],
  [
    'existing secret by ARN, observe, classic tokens',
    { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wechat-kf-AbCdEf', windowPolicy: 'observe', tokenMode: 'classic' },
  ],
  ['accounts: the account functions and key', {}, 'accounts'],
  [
    'accounts, every option on: static egress IP, token vending, turns',
    { staticEgressIp: 'true', tokenVending: 'true', turnQuietMs: '3000' },
    'accounts',
  ],
];

/** The report CDK wrote for the last synth of `app`. */
function report(app: App): { pluginReports: { pluginName: string; violations: unknown[] }[] } {
  const assembly = app.synth();
  return JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
}

/**
 * The AwsSolutions acknowledgements in the tree: [construct path, rule id, reason]. (CDK's own constructs
 * acknowledge some CloudFormation-Validate rules; those are not ours.)
 */
function acknowledgements(root: IConstruct): [string, string, string][] {
  return root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]): [string, string, string] => [
            c.node.path,
            id.replace(/^annotation::/i, ''),
            reason,
          ]),
        ),
    )
    .filter(([, id]) => id.startsWith('AwsSolutions-'));
}

/** What AwsSolutions finds when acknowledgements are ignored: [construct path, rule id]. */
function rawFindings(app: App): [string, string][] {
  const pack = new AwsSolutionsChecks();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r): [string, string] => [r.constructPath ?? '', v.ruleName]));
}

describe.each(CONFIGURATIONS)('AwsSolutions: %s', (_name, context, accounts) => {
  const build = () => (accounts ? accountsAppStack(context) : appStack(context));
  test('synthesizes with no unacknowledged finding', () => {
    const { app } = build();
    const result = report(app); // throws ValidationFailed (with the findings) otherwise
    const nag = result.pluginReports.filter((r) => r.pluginName === 'AwsSolutions');
    expect(nag.flatMap((r) => r.violations)).toEqual([]);
  });

  test('every acknowledgement has a reason and is still needed', () => {
    const { app } = build();
    app.synth();
    const acks = acknowledgements(app);
    const findings = rawFindings(app);
    for (const [ackPath, id, reason] of acks) {
      expect(reason.length).toBeGreaterThan(40);
      const used = findings.some(
        ([p, rule]) => rule.replace(/^AwsSolutions::/, '') === id && (p === ackPath || p.startsWith(`${ackPath}/`)),
      );
      if (!used) throw new Error(`acknowledgement ${id} on ${ackPath} matches no finding`);
    }
    // And everything found is acknowledged.
    for (const [p, rule] of findings) {
      expect(acks.some(([ackPath, id]) => id === rule && (p === ackPath || p.startsWith(`${ackPath}/`)))).toBe(true);
    }
  });
});

test('the plugin does fail the synth on a finding (negative control)', () => {
  const { app, stack } = appStack();
  new sqs.Queue(stack, 'PlainQueue');
  expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
});

test('the acknowledgements made, by rule', () => {
  const { app } = appStack({ staticEgressIp: 'true' });
  app.synth();
  const byRule = [...new Set(acknowledgements(app).map(([, id]) => id))].sort();
  expect(byRule).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
});
