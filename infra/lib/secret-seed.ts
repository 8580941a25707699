import { CustomResource, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENCODING_AES_KEY_ALPHABET, ENCODING_AES_KEY_LENGTH } from '../../functions/core/callback/crypto';
import { customResourceFunction } from './custom-resource-function';

/** The field of the secret the custom resource fills. */
export const SEEDED_FIELD = 'encodingAesKey';

/** Adds the custom resource that puts a random EncodingAESKey into `secret` (see the file's comment). */
export function buildSecretSeed(
  scope: Construct,
  secret: secretsmanager.ISecret,
  options: { logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
): CustomResource {
  const {
    scope: seed,
    role,
    fn,
  } = customResourceFunction(scope, 'EncodingAesKeySeed', {
    entry: 'secret-seed',
    description: 'Custom resource: fills encodingAesKey of the stack secret with a random key while the secret is unconfigured',
    roleDescription: 'Fills encodingAesKey of the stack secret once, at deploy time, while the secret is unconfigured',
    timeout: Duration.seconds(30),
    // Its Secrets Manager client is bundled. A retried run finds the key set (or the secret configured) and stops.
    externalModules: [],
    ...options,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
    }),
  );
  secret.encryptionKey?.grantEncryptDecrypt(role);

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
