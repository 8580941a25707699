/**
 * CloudFormation refuses a stack of more than 500 resources, and every catalogue operation adds about ten
 * (function, role, policy, route, integration, permissions, rule, alarm; the functions share one log group). This test builds the
 * fullest configuration there is and keeps a margin, so that the operation which would push the stack
 * over the limit fails here, at `npm test`, and not at `cdk deploy`.
 */
import { appTemplate } from './helpers';

const CLOUDFORMATION_LIMIT = 500;
/** Room for one more operation beyond the last one added. */
const MARGIN = 12;

describe('the stack stays within CloudFormation’s resource limit', () => {
  test('every option on: static egress IP with 2 NAT gateways, alarm e-mail, token vending, turns', () => {
    // Prepare
    const template = appTemplate({
      staticEgressIp: 'true',
      natGateways: '2',
      alarmEmail: 'ops@example.com',
      tokenVending: 'true',
      turnQuietMs: '3000',
    });

    // Act
    const count = Object.keys(template.toJSON().Resources as object).length;

    // Assess
    expect(count).toBeLessThanOrEqual(CLOUDFORMATION_LIMIT - MARGIN);
  });
});
