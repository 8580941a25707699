/**
 * State: the one table (token cache, send and typing windows, idempotency, inbound dedup; see
 * functions/store/README.md) and the one secret. Built in the construct's own scope, so logical ids stay those of
 * the single-file construct (moving them would replace the table).
 */
import { Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TABLE_PARTITION_KEY, TABLE_SORT_KEY, TABLE_TTL_ATTRIBUTE, type WeChatCustomerServiceProps } from './props';

/** The table, and the secret given or a new one with placeholders. */
export function buildState(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  removalPolicy: RemovalPolicy,
): { table: dynamodb.Table; secret: secretsmanager.ISecret } {
  const table = new dynamodb.Table(scope, 'Table', {
    partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
    sortKey: { name: TABLE_SORT_KEY, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
    // The AWS-managed key (aws/dynamodb): encrypted at rest with key use visible in CloudTrail, and no
    // key policy or grants to manage.
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy,
  });

  if (props.secret) return { table, secret: props.secret };
  const secret = new secretsmanager.Secret(scope, 'Secret', {
    description: 'WeChat official account credentials: {"appId","appSecret","callbackToken","encodingAesKey","callbackMode"}',
    generateSecretString: {
      // The callback Token is generated at deploy time (32 random letters and digits, what WeChat accepts
      // as a Token), so the public /callback never runs on a placeholder: copy it from the secret into the
      // server configuration (the SecretArn output says so). appId and appSecret are set afterwards with
      // put-secret-value (infra/README.md); until the token is set, /callback answers 503.
      secretStringTemplate: JSON.stringify({
        appId: 'REPLACE_ME',
        appSecret: 'REPLACE_ME',
        encodingAesKey: '',
        ...(props.callbackMode ? { callbackMode: props.callbackMode } : {}),
      }),
      generateStringKey: 'callbackToken',
      passwordLength: 32,
      excludePunctuation: true,
      includeSpace: false,
    },
    removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      "The secret holds the official account's AppSecret, callback Token and EncodingAESKey, which are issued and " +
      'changed in the WeChat admin console (mp.weixin.qq.com), not by an API a rotation Lambda could call; they are ' +
      'updated with put-secret-value after a change there.',
  });
  return { table, secret };
}
