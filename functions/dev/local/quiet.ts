/**
 * Defaults for running on a developer's machine, set before the AWS SDK and Powertools load: no Node
 * version nag from the SDK, no metrics output (there is no CloudWatch here), and warnings-only logs, each
 * unless the variable is already set.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.AWS_REGION ??= 'us-east-1';
// The embedded DynamoDB accepts any credentials; the SDK only insists that some exist.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
