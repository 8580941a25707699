/**
 * Shared by the tests of the stack's custom resources (test/handlers/secret-seed.test.ts,
 * accounts-seed.test.ts): a Secrets Manager client pointed at a stand-in, what a handler printed, and the
 * requests CloudFormation sends.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** A Secrets Manager client that talks to the stand-in at `url`, with test credentials and no retry. */
export function secretsManagerAt(url: string): SecretsManagerClient {
  return new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/**
 * Runs `act` with console.log and console.error captured (and silenced), and answers what they printed,
 * so a test can look for a secret in it.
 *
 * @example
 * ```ts
 * const printed = await printedWhile(() => handler(event));
 * ```
 */
export async function printedWhile(act: () => Promise<unknown>): Promise<string> {
  const printed: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
  try {
    await act();
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return printed.join('\n');
}

/** What a custom resource's request is made of, beside its type. */
export interface CustomResourceRequest {
  /** The stand-in whose `/cfn-response` records CloudFormation's answer. */
  responseUrl: string;
  logicalId: string;
  resourceType: string;
  /** The id suffix the handler gives a created resource (its physical id is `<logicalId>-<suffix>`). */
  suffix: string;
  properties: Record<string, unknown>;
  /** An Update's previous properties (default: the same). */
  oldProperties?: Record<string, unknown>;
}

/** A CloudFormation custom resource request (Create, Update or Delete), as CloudFormation sends it. */
export function cloudFormationEvent(
  type: 'Create' | 'Update' | 'Delete',
  request: CustomResourceRequest,
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: `arn:aws:lambda:us-east-1:123456789012:function:${request.suffix}`,
    ResponseURL: `${request.responseUrl}/cfn-response?X-Amz-Signature=abc`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/WeChatKf/1',
    RequestId: `req-${type}`,
    LogicalResourceId: request.logicalId,
    ResourceType: request.resourceType,
    ResourceProperties: { ServiceToken: 'x', ...request.properties },
  };
  const physical = `${request.logicalId}-${request.suffix}`;
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update')
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: physical,
      OldResourceProperties: request.oldProperties ? { ServiceToken: 'x', ...request.oldProperties } : base.ResourceProperties,
    };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: physical };
}
