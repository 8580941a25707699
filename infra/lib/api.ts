/**
 * The HTTP API: one route per spec route (IAM-authorized unless `auth: 'none'`), the `$default` stage
 * with default and per-route throttling, and a JSON access log.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { LambdaFunctionSpec } from '../../functions/lambda/functions';
import type { ThrottleLimits, WeChatCustomerServiceProps } from './props';

const DEFAULT_THROTTLE: ThrottleLimits = { rateLimit: 100, burstLimit: 200 };
// The other accounts' callbacks (`/callback/{appId}`) share one route, and so one limit, between them.
const DEFAULT_ROUTE_THROTTLES: Readonly<Record<string, ThrottleLimits>> = {
  'GET /callback': { rateLimit: 20, burstLimit: 40 },
  'POST /callback': { rateLimit: 200, burstLimit: 400 },
  'GET /callback/{appId}': { rateLimit: 20, burstLimit: 40 },
  'POST /callback/{appId}': { rateLimit: 200, burstLimit: 400 },
};

/** The API and its stage. */
export function buildApi(
  scope: Construct,
  props: WeChatCustomerServiceProps,
  specs: readonly LambdaFunctionSpec[],
  functions: Readonly<Record<string, lambda.IFunction>>,
  options: { logRetention: logs.RetentionDays; removalPolicy: RemovalPolicy },
): { api: apigwv2.HttpApi; stage: apigwv2.HttpStage } {
  const { logRetention, removalPolicy } = options;
  const api = new apigwv2.HttpApi(scope, 'Api', {
    description: 'WeChat customer-service messaging: operations (IAM) and the WeChat callback (public)',
    createDefaultStage: false,
  });
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', { retention: logRetention, removalPolicy });
  const throttleDefault = props.throttling?.default ?? DEFAULT_THROTTLE;
  const stage = api.addStage('DefaultStage', {
    stageName: '$default',
    autoDeploy: true,
    throttle: throttleDefault,
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: accessLogFormat(),
    },
  });

  const iamAuthorizer = new HttpIamAuthorizer();
  const noneAuthorizer = new apigwv2.HttpNoneAuthorizer();
  const routeKeys = new Map<string, apigwv2.HttpRoute>();
  for (const spec of specs) {
    if (spec.routes.length === 0) continue;
    // One permission per function for the whole API (source arn <api>/*/*/*) instead of one per route: a
    // function's routes all reach it anyway, and the stack stays within CloudFormation's 500 resources
    // (infra/README.md, "Resources").
    const integration = new HttpLambdaIntegration(`${spec.id}Integration`, functions[spec.id]!, { scopePermissionToRoute: false });
    for (const route of spec.routes) {
      const [httpRoute] = api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration,
        authorizer: route.auth === 'iam' ? iamAuthorizer : noneAuthorizer,
      });
      const key = `${route.method} ${route.path}`;
      routeKeys.set(key, httpRoute!);
      if (route.auth === 'none') {
        Validations.of(httpRoute!).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            "WeChat's servers call this route and cannot sign requests with SigV4 or send a token; the function " +
            "verifies WeChat's signature (sha1 of the callback Token, timestamp and nonce, and msg_signature in safe " +
            'mode) and answers 401 otherwise.',
        });
      }
    }
  }

  const routeThrottles = { ...DEFAULT_ROUTE_THROTTLES, ...props.throttling?.routes };
  const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  const cfnStage = stage.node.defaultChild as apigwv2.CfnStage;
  for (const [key, limits] of Object.entries(routeThrottles).sort(([a], [b]) => a.localeCompare(b))) {
    const route = routeKeys.get(key);
    if (!route) continue;
    routeSettings[key] = { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit };
    // A stage's route settings may only name routes that exist.
    cfnStage.node.addDependency(route);
  }
  if (Object.keys(routeSettings).length > 0) cfnStage.routeSettings = routeSettings;
  return { api, stage };
}

/** The access log line: JSON with the fields of an HTTP API request, including the IAM caller. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.userArn',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      latency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationError: '$context.integrationErrorMessage',
      authorizerError: '$context.authorizer.error',
    }),
  );
}
