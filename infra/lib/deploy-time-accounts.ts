import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployTimeAccountProperty } from '../../functions/lambda/accounts-seed';
import { sdkBundlingFor } from './bundling';
import { accountKeyStatement, ACCOUNT_KEY_ENV } from './lambda-functions';
import { customResourceFunction } from './custom-resource-function';
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
  options: { logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy; behaviour: Record<string, string> },
): CustomResource {
  const { behaviour, ...functionOptions } = options;
  const {
    scope: seed,
    role,
    fn,
  } = customResourceFunction(scope, 'DeployTimeAccounts', {
    entry: ACCOUNTS_SEED_ENTRY,
    description: "Custom resource: writes the accounts of the stack's accounts prop (secrets sealed with the account key)",
    roleDescription: "Writes the accounts of the stack's accounts prop: reads their secrets, seals them with the account key",
    // A hundred accounts: a secret read, a KMS call and a write each, one after the other.
    timeout: Duration.minutes(5),
    // The deployment's behaviour variables: an account's settings are checked laid over them, as the functions lay them.
    environment: { TABLE_NAME: resources.table.tableName, [ACCOUNT_KEY_ENV]: resources.accountKey.keyArn, ...behaviour },
    // The runtime's SDK (Secrets Manager, DynamoDB, KMS): a deploy-time function, nobody waits on its cold start.
    externalModules: sdkBundlingFor(ACCOUNTS_SEED_ENTRY).externalModules,
    ...functionOptions,
  });
  // Exactly the listed secrets, in one statement (a secret named without its suffix matches its six characters).
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: accounts.map((a) => a.secret.secretFullArn ?? `${a.secret.secretArn}-??????`),
    }),
  );
  for (const account of accounts) account.secret.encryptionKey?.grantDecrypt(role);
  // As createAccount's grant: encrypt only, and only naming one account in the context.
  role.addToPrincipalPolicy(accountKeyStatement(resources.accountKey, 'seal'));
  // The accounts' items only: their partition of the one table.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: [resources.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ACCOUNTS_PARTITION] } },
    }),
  );

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
