/**
 * Accounts known at deploy time (the `accounts` prop; docs/accounts.md): ONE custom resource,
 * `Custom::DeployTimeAccounts`, for all of them, whose function (functions/lambda/accounts-seed.ts) reads
 * each account's secret, seals it with the account key and writes the account's item, marked as the
 * stack's. A hundred accounts are a hundred entries of one property and a hundred ARNs of one policy
 * statement: no resource per account (test/infra/deploy-time-accounts.test.ts).
 *
 * Five resources, as the secret seed (infra/lib/secret-seed.ts): the function, its role, the role's
 * policy, the log group and the custom resource. No provider framework: the function answers
 * CloudFormation itself. Without the prop, none of them.
 */
import * as path from 'path';
import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployTimeAccountProperty } from '../../functions/lambda/accounts-seed';
import { LAMBDA_BUNDLING, sdkBundlingFor } from './bundling';
import { ACCOUNT_KEY_ENV, REPO_ROOT } from './lambda-functions';
import type { DeployTimeAccount } from './props';

/** The entry of the function (functions/lambda/<entry>.ts); it uses the runtime's AWS SDK. */
export const ACCOUNTS_SEED_ENTRY = 'accounts-seed';

/** The partition of the accounts' items (functions/store/accounts.ts): the only one the function touches. */
const ACCOUNTS_PARTITION = 'ACCOUNTS';

/** Adds the one custom resource that writes the declared accounts (see the file's comment). */
export function buildDeployTimeAccounts(
  scope: Construct,
  accounts: readonly DeployTimeAccount[],
  resources: { table: dynamodb.ITable; accountKey: kms.IKey },
  options: { logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
): CustomResource {
  const seed = new Construct(scope, 'DeployTimeAccounts');
  const logGroup = new logs.LogGroup(seed, 'Logs', { retention: options.logRetention, removalPolicy: options.removalPolicy });
  const role = new iam.Role(seed, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: "Writes the accounts of the stack's accounts prop: reads their secrets, seals them with the account key",
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
  );
  // Exactly the listed secrets, in one statement (a secret named without its suffix matches its six characters).
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: accounts.map((a) => a.secret.secretFullArn ?? `${a.secret.secretArn}-??????`),
    }),
  );
  for (const account of accounts) account.secret.encryptionKey?.grantDecrypt(role);
  // As createAccount's grant (lambda-functions.ts): encrypt only, and only naming one account in the context.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['kms:Encrypt'],
      resources: [resources.accountKey.keyArn],
      conditions: {
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['appId'] },
        Null: { 'kms:EncryptionContext:appId': 'false' },
      },
    }),
  );
  // The accounts' items only: their partition of the one table.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: [resources.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ACCOUNTS_PARTITION] } },
    }),
  );

  const sdk = sdkBundlingFor(ACCOUNTS_SEED_ENTRY);
  const fn = new nodejs.NodejsFunction(seed, 'Function', {
    description: "Custom resource: writes the accounts of the stack's accounts prop (secrets sealed with the account key)",
    entry: path.join(REPO_ROOT, 'functions', 'lambda', `${ACCOUNTS_SEED_ENTRY}.ts`),
    handler: 'handler',
    depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
    projectRoot: REPO_ROOT,
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    // A hundred accounts: a secret read, a KMS call and a write each, one after the other.
    timeout: Duration.minutes(5),
    role,
    logGroup,
    environment: { TABLE_NAME: resources.table.tableName, [ACCOUNT_KEY_ENV]: resources.accountKey.keyArn },
    awsSdkConnectionReuse: false,
    bundling: {
      forceDockerBundling: false,
      minify: LAMBDA_BUNDLING.minify,
      sourceMap: false,
      format: nodejs.OutputFormat.CJS,
      mainFields: [...LAMBDA_BUNDLING.mainFields],
      // The runtime's SDK (Secrets Manager, DynamoDB, KMS): a deploy-time function, nobody waits on its cold start.
      externalModules: sdk.externalModules,
      logLevel: nodejs.LogLevel.WARNING,
    },
  });

  const properties: DeployTimeAccountProperty[] = accounts.map((a) => ({
    appId: a.appId,
    secretArn: a.secret.secretArn,
    ...(a.name ? { name: a.name } : {}),
    settings: JSON.stringify(a.settings ?? {}),
  }));
  return new CustomResource(seed, 'Resource', {
    serviceToken: fn.functionArn,
    resourceType: 'Custom::DeployTimeAccounts',
    properties: { Accounts: properties },
  });
}
