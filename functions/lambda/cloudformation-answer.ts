/**
 * How the stack's custom resources (secret-seed.ts, accounts-seed.ts) answer CloudFormation themselves: a
 * PUT to the request's pre-signed ResponseURL, so no provider framework function is deployed beside them.
 * The answer's Data is readable by anyone who can describe the stack: never put a secret in it.
 *
 * @example
 * ```ts
 * await answerCloudFormation(event, 'seed', 'SUCCESS', 'seeded', { Outcome: 'seeded' });
 * ```
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/**
 * Sends CloudFormation the outcome of `event` (with an empty content type, as the URL is signed).
 *
 * @param suffix the physical id of a created resource is its logical id and this suffix; an Update or a
 *   Delete keeps the id it had, so an Update never replaces the resource (CloudFormation would then
 *   Delete the old one).
 * @throws {Error} when the response URL refuses the answer.
 */
export async function answerCloudFormation(
  event: CloudFormationCustomResourceEvent,
  suffix: string,
  status: 'SUCCESS' | 'FAILED',
  reason: string,
  data: Record<string, string> = {},
): Promise<void> {
  const physicalId = event.RequestType === 'Create' ? `${event.LogicalResourceId}-${suffix}` : event.PhysicalResourceId;
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  const res = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!res.ok) throw new Error(`CloudFormation's response URL answered ${res.status}`);
}
