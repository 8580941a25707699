/**
 * The deployable stack: the `WeChatCustomerService` construct, its optional alarm topic and imported
 * secret, and the outputs an operator needs (API URL, callback URL for WeChat's server configuration,
 * bus, queue, secret, egress IP to whitelist).
 */
import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { WeChatCustomerService, type WeChatCustomerServiceProps } from './wechat-customer-service';

export interface WeChatKfStackProps extends StackProps {
  /** The construct's props (everything but `secret` and `alarmTopic`, which the fields below provide). */
  readonly service?: Omit<WeChatCustomerServiceProps, 'secret' | 'alarmTopic'>;
  /** Use an existing secret by its complete ARN. */
  readonly secretArn?: string;
  /** Use an existing secret by its name. */
  readonly secretName?: string;
  /** Send alarms to an existing SNS topic. */
  readonly alarmTopicArn?: string;
  /** Send alarms to this address through a new SNS topic (confirm the subscription e-mail). */
  readonly alarmEmail?: string;
}

export class WeChatKfStack extends Stack {
  readonly service: WeChatCustomerService;

  constructor(scope: Construct, id: string, props: WeChatKfStackProps = {}) {
    super(scope, id, props);
    if (props.secretArn && props.secretName) throw new Error('Give secretArn or secretName, not both');
    if (props.alarmTopicArn && props.alarmEmail) throw new Error('Give alarmTopicArn or alarmEmail, not both');

    let secret: secretsmanager.ISecret | undefined;
    if (props.secretArn) secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'ImportedSecret', props.secretArn);
    else if (props.secretName) secret = secretsmanager.Secret.fromSecretNameV2(this, 'ImportedSecret', props.secretName);

    let alarmTopic: sns.ITopic | undefined;
    if (props.alarmTopicArn) {
      alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    } else if (props.alarmEmail) {
      // Publishing requires TLS (AwsSolutions-SNS3). No KMS key: CloudWatch alarms cannot publish to a topic
      // encrypted with the AWS-managed SNS key, and alarm notifications carry no customer data.
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'WeChat customer-service alarms', enforceSSL: true });
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      alarmTopic = topic;
    }

    this.service = new WeChatCustomerService(this, 'WeChatKf', { ...props.service, secret, alarmTopic });
    const kf = this.service;

    new CfnOutput(this, 'ApiUrl', {
      value: kf.apiUrl,
      description: 'Base URL of the API (routes need SigV4, service execute-api), except /callback',
    });
    new CfnOutput(this, 'CallbackUrl', {
      value: kf.callbackUrl,
      description:
        "WeChat admin console > Settings and Development > Basic Configuration > Server URL; Token and EncodingAESKey are the secret's callbackToken and encodingAesKey",
    });
    new CfnOutput(this, 'EventBusName', {
      value: kf.bus.eventBusName,
      description: 'Put events with detail-type = operation name here; inbound messages arrive with source wechat.kf',
    });
    new CfnOutput(this, 'BulkSendQueueUrl', {
      value: kf.bulkSendQueue.queueUrl,
      description: 'Queue custom/send bodies here for bulk sends',
    });
    new CfnOutput(this, 'SecretArn', {
      value: kf.secret.secretArn,
      description:
        'Holds a random callbackToken and encodingAesKey generated at deploy time: copy them (the CallbackSettingsCommand output) into the Token and EncodingAESKey of the server configuration; ' +
        'then set appId and appSecret with aws secretsmanager put-secret-value, keeping callbackToken and encodingAesKey (infra/README.md)',
    });
    new CfnOutput(this, 'CallbackSettingsCommand', {
      value: Fn.join('', ['aws secretsmanager get-secret-value --secret-id ', kf.secret.secretArn, ' --query SecretString --output text']),
      description:
        "Prints the secret: its callbackToken is the Token and its encodingAesKey the EncodingAESKey to enter in WeChat's admin console " +
        '(Settings and Development > Basic Configuration > Server Configuration), with the message encryption mode Safe',
    });
    new CfnOutput(this, 'SecretName', { value: kf.secret.secretName });
    new CfnOutput(this, 'TableName', { value: kf.table.tableName });
    if (kf.egressIps) {
      new CfnOutput(this, 'EgressIp', {
        value: Fn.join(',', kf.egressIps),
        description: "Put on the official account's IP whitelist (Settings and Development > Basic Configuration > IP whitelist)",
      });
    }
    if (kf.egressIpAllocationIds) {
      new CfnOutput(this, 'EgressIpAllocationIds', {
        value: Fn.join(',', kf.egressIpAllocationIds),
        description: 'Elastic IP allocations of the NAT gateways; pass them as egressIpAllocationIds to keep the address on a new stack',
      });
    }
  }
}
