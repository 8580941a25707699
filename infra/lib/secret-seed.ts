/**
 * The deploy-time EncodingAESKey: a small custom resource that fills `encodingAesKey` of the secret the
 * construct created with 43 random letters and digits, once, while the secret is still unconfigured
 * (functions/lambda/secret-seed.ts says when it writes and why the secret resource itself is left
 * as it was; docs/deployment-secret.md). Only for a secret the construct creates: an imported one is
 * never written to.
 *
 * Five resources: the function, its role (inline statements scoped to the secret and its log group), the
 * role's policy, the log group, and the custom resource. No provider framework: the function answers
 * CloudFormation itself.
 */
import * as path from 'path';
import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENCODING_AES_KEY_ALPHABET, ENCODING_AES_KEY_LENGTH } from '../../functions/core/callback/crypto';
import { REPO_ROOT } from './lambda-functions';

/** The field of the secret the custom resource fills. */
export const SEEDED_FIELD = 'encodingAesKey';

/** Adds the custom resource that puts a random EncodingAESKey into `secret` (see the file's comment). */
export function buildSecretSeed(
  scope: Construct,
  secret: secretsmanager.ISecret,
  options: { logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
): CustomResource {
  const seed = new Construct(scope, 'EncodingAesKeySeed');
  const logGroup = new logs.LogGroup(seed, 'Logs', { retention: options.logRetention, removalPolicy: options.removalPolicy });
  const role = new iam.Role(seed, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Fills encodingAesKey of the stack secret once, at deploy time, while the secret is unconfigured',
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
    }),
  );
  secret.encryptionKey?.grantEncryptDecrypt(role);

  const fn = new nodejs.NodejsFunction(seed, 'Function', {
    description: 'Custom resource: fills encodingAesKey of the stack secret with a random key while the secret is unconfigured',
    entry: path.join(REPO_ROOT, 'functions', 'lambda', 'secret-seed.ts'),
    handler: 'handler',
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    projectRoot: REPO_ROOT,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: Duration.seconds(30),
    role,
    logGroup,
    // CloudFormation invokes it asynchronously, so Lambda retries a failed run; a retry finds the key
    // set (or the secret configured) and stops.
    awsSdkConnectionReuse: false,
    bundling: {
      forceDockerBundling: false,
      minify: true,
      sourceMap: false,
      format: nodejs.OutputFormat.CJS,
      mainFields: ['module', 'main'],
      externalModules: [],
      logLevel: nodejs.LogLevel.WARNING,
    },
  });

  // The properties never change between deployments, so CloudFormation sends Create once per stack
  // (and Update only if they are edited): the key is drawn once, from this alphabet, this long.
  return new CustomResource(seed, 'Resource', {
    serviceToken: fn.functionArn,
    resourceType: 'Custom::EncodingAesKeySeed',
    properties: {
      SecretId: secret.secretArn,
      Field: SEEDED_FIELD,
      Alphabet: ENCODING_AES_KEY_ALPHABET,
      Length: String(ENCODING_AES_KEY_LENGTH),
    },
  });
}
