/**
 * Builds the CDK app: the stack from context (infra/lib/context.ts) and the cdk-nag AwsSolutions checks,
 * which run as a policy-validation plugin when the app is synthesized (`npx cdk synth` fails and prints the
 * report when a rule finds something that is not acknowledged in code).
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './context';
import { WeChatKfStack } from './stack';

export function buildApp(app: App): WeChatKfStack {
  const { stackName, props } = settingsFromContext(app.node);
  const stack = new WeChatKfStack(app, stackName, {
    ...props,
    description: 'WeChat Official Account customer-service messaging (客服消息) on AWS Lambda',
    // Deploys to the account and region of the CLI's credentials; synth works without any.
    env: process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
