/**
 * CloudFormation refuses a stack of more than 500 resources, and every catalogue operation adds about six
 * to the stack (function, role, policy, route, integration, API permission; an event invoke config when it
 * accepts events; an alarm per ten functions; the functions share one log group) and two to the nested
 * stack of the operations' rules (rule, permission). This test builds the fullest configuration there is,
 * the account functions included, and keeps a margin in each stack, so that the operation which would push
 * one over the limit fails here, at `npm test`, and not at `cdk deploy`. Accounts are data: they add
 * nothing (test/infra/accounts.test.ts).
 */
import { Template } from 'aws-cdk-lib/assertions';
import type { WeChatKfStack } from '../../infra/lib/stack';
import { accountsAppStack, appStack, nestedStacks } from './helpers';

const CLOUDFORMATION_LIMIT = 500;
/** Room for two more operations beyond the last one added. */
const MARGIN = 12;
const FULLEST = {
  staticEgressIp: 'true',
  natGateways: '2',
  alarmEmail: 'ops@example.com',
  tokenVending: 'true',
  turnQuietMs: '3000',
};

/** Resources of the stack and of each nested stack, by stack id. */
function counts(stack: WeChatKfStack): Record<string, number> {
  const size = (t: Template) => Object.keys(t.toJSON().Resources as object).length;
  return {
    [stack.node.id]: size(Template.fromStack(stack)),
    ...Object.fromEntries(nestedStacks(stack).map((n) => [n.node.id, size(Template.fromStack(n))])),
  };
}

describe('the stacks stay within CloudFormation’s resource limit', () => {
  test.each([
    ['the catalogue', () => appStack(FULLEST).stack],
    ['the catalogue with the account functions (CRUD, AccountOperations, account key)', () => accountsAppStack(FULLEST, {}, false).stack],
  ])('every option on: static egress IP with 2 NAT gateways, alarm e-mail, token vending, turns: %s', (name, build) => {
    // Act
    const found = counts(build());

    // Assess
    console.log(`resources with ${name}: ${JSON.stringify(found)}`);
    expect(Object.keys(found)).toEqual(['WeChatKf', 'OperationRules']);
    for (const count of Object.values(found)) expect(count).toBeLessThanOrEqual(CLOUDFORMATION_LIMIT - MARGIN);
  });
});
