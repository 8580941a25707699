/**
 * Accounts (several official accounts per deployment) in the stack: accounts are data, items of the one
 * table, so the stack holds one thing for all of them, the KMS key that seals each account's secrets
 * (appSecret, callbackToken, encodingAesKey) in the table, with the encryption context `{ appId }`.
 * Who may use it how is derived from each function's needs (lambda-functions.ts, accountKeyUse):
 * creating an account may only encrypt, the functions that read secrets only decrypt. A hundred accounts
 * add no resource (test/infra/accounts.test.ts).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** The account key. */
export function buildAccountKey(scope: Construct, removalPolicy: RemovalPolicy): kms.Key {
  return new kms.Key(scope, 'AccountKey', {
    description: "Seals each official account's secrets in the table (encryption context appId)",
    enableKeyRotation: true,
    // Retained with the table by default: without the key, the sealed secrets in a retained table are lost.
    removalPolicy,
  });
}

/**
 * Whether `appId` can name an account in an IAM resource ARN: letters, digits, `_` and `-` only, so that
 * a grant never holds a wildcard (`*`, `?`) or a path separator by mistake.
 */
export function checkGrantAppId(appId: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(appId))
    throw new Error(
      `appId must be 1 to 64 letters, digits, _ or - (an official account's AppID, e.g. wx0123456789abcdef), got ${JSON.stringify(appId)}`,
    );
}
