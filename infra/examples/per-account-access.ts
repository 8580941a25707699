/**
 * Example: IAM per official account. One caller role per account, each allowed that account's routes
 * (`/accounts/<appId>/…` and `GET /accounts/<appId>`) and nothing of another account, the default
 * account's routes or the account admin routes (`POST /accounts`, `DELETE /accounts/{appId}`); synthesized
 * cdk-nag-clean in test/infra/accounts.test.ts (infra/README.md, "IAM per account").
 *
 * The roles are made next to the service (in its stack): cdk-nag's AwsSolutions-IAM5 finds the `*` of
 * every execute-api ARN (any stage, any method, the rest of the path), and its findings are acknowledged
 * one by one, exactly, for these ARNs only. Two resources per role count against that stack's 500, so for
 * many accounts grant the callers your systems already have (grantAccount on their roles), wherever they
 * live.
 *
 * @example
 * ```ts
 * const { service } = new WeChatKfStack(app, 'WeChatKf');
 * const roles = perAccountCallers(service, ['wx0123456789abcdef', 'wxfedcba9876543210']);
 * ```
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { rules } from 'cdk-nag';
import { Construct } from 'constructs';
import type { WeChatCustomerService } from '../lib/wechat-customer-service';

/** The role of each account, by its AppID, under `<service's stack>/AccountCallers`. */
export function perAccountCallers(kf: WeChatCustomerService, appIds: readonly string[]): Record<string, iam.Role> {
  const scope = new Construct(Stack.of(kf), 'AccountCallers');
  const roles: Record<string, iam.Role> = {};
  for (const appId of appIds) {
    // Whoever in this AWS account is allowed sts:AssumeRole on it (the account root delegates to IAM policies).
    const role = new iam.Role(scope, appId, {
      assumedBy: new iam.AccountRootPrincipal(),
      description: `Calls the WeChat customer-service API for the official account ${appId} only`,
    });
    kf.grantAccount(role, appId);
    acknowledgeAccountArns(role, appId);
    roles[appId] = role;
  }
  return roles;
}

/**
 * Acknowledges AwsSolutions-IAM5 for the `*` of the account's execute-api ARNs in the role's policy, each
 * finding by its exact id, and nothing else the policy may hold.
 */
function acknowledgeAccountArns(role: iam.Role, appId: string): void {
  const policy = role.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy;
  const findings = rules.iam.IAMNoWildcardPermissions(policy);
  const ours = (Array.isArray(findings) ? findings : []).filter(
    (f) => f.startsWith('Resource::arn:') && f.includes(':execute-api:') && new RegExp(`/accounts/${appId}(/\\*)?$`).test(f),
  );
  for (const finding of ours) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${finding}]`,
      reason:
        `An execute-api ARN names a route by stage, method and path: '*' stands for the API's one stage ($default), any ` +
        `method and the rest of the path under /accounts/${appId}/, so the role reaches this account's operations only ` +
        '(routes with a permission of their own are denied explicitly).',
    });
  }
}
