/**
 * The function of one of the stack's custom resources (the secret seed, the deploy-time accounts): its
 * construct, its log group, its role (which may write that log group and whatever the caller adds), and the
 * function itself, bundled as the product's are but without a source map. Each answers CloudFormation
 * itself (functions/lambda/cloudformation-answer.ts), so no provider framework is deployed beside it.
 *
 * @example
 * ```ts
 * const { scope, role, fn } = customResourceFunction(this, 'EncodingAesKeySeed', { entry: 'secret-seed', ... });
 * role.addToPrincipalPolicy(statement);
 * new CustomResource(scope, 'Resource', { serviceToken: fn.functionArn, resourceType: 'Custom::X' });
 * ```
 */
import * as path from 'path';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './bundling';
import { REPO_ROOT } from './lambda-functions';

/** What differs between the stack's custom-resource functions. */
export interface CustomResourceFunctionProps {
  /** The entry (functions/lambda/<entry>.ts). */
  entry: string;
  description: string;
  roleDescription: string;
  timeout: Duration;
  environment?: Record<string, string>;
  /** Left to the runtime (the AWS SDK, or nothing: the bundle carries what it uses). */
  externalModules: string[];
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/** The construct `id` under `parent`, holding the log group, the role and the function. */
export function customResourceFunction(
  parent: Construct,
  id: string,
  props: CustomResourceFunctionProps,
): { scope: Construct; role: iam.Role; fn: nodejs.NodejsFunction } {
  const scope = new Construct(parent, id);
  const logGroup = new logs.LogGroup(scope, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  const fn = new nodejs.NodejsFunction(scope, 'Function', {
    description: props.description,
    entry: path.join(REPO_ROOT, 'functions', 'lambda', `${props.entry}.ts`),
    handler: 'handler',
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    projectRoot: REPO_ROOT,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: props.timeout,
    role,
    logGroup,
    ...(props.environment ? { environment: props.environment } : {}),
    // CloudFormation invokes it asynchronously, so Lambda retries a failed run: each one is safe to run again.
    awsSdkConnectionReuse: false,
    bundling: {
      forceDockerBundling: false,
      minify: LAMBDA_BUNDLING.minify,
      sourceMap: false,
      format: nodejs.OutputFormat.CJS,
      mainFields: [...LAMBDA_BUNDLING.mainFields],
      externalModules: props.externalModules,
      logLevel: nodejs.LogLevel.WARNING,
    },
  });
  return { scope, role, fn };
}
