/**
 * Lambda entry of the stack's one custom resource: puts a random EncodingAESKey into the secret the
 * stack created, once, when that secret is still as the stack made it (docs/deployment-secret.md).
 *
 * Why a custom resource: CloudFormation's `GenerateSecretString` fills one field, and the secret's one is
 * the callback token. Changing the secret's `GenerateSecretString` to add a second field would make
 * CloudFormation generate a whole new value on the next update, wiping the appId and appSecret an
 * existing deployment has put there. So the secret resource stays exactly as it was, and this resource
 * fills `encodingAesKey` beside it.
 *
 * What it does, by CloudFormation request:
 * - Create (a new stack, or an existing stack that gains this resource on update): reads the secret; if
 *   its `encodingAesKey` is empty AND its `appId` and `appSecret` are still the stack's placeholders
 *   (nobody has configured it), writes the same JSON back with a random key (the alphabet and length are
 *   the resource's properties). Anything else is left exactly as it is: a configured deployment, even one
 *   in plain mode without a key, never gets a key it did not choose.
 * - Update: the same check (a no-op once the key is there, or the secret is configured).
 * - Delete: nothing (the secret is the stack's; it goes with its own removal policy).
 *
 * It answers CloudFormation itself (a PUT to the request's pre-signed ResponseURL), so no provider
 * framework function is deployed beside it. Neither the key nor any other secret value is logged or put
 * in the response (whose Data is readable by anyone who can describe the stack).
 */
import { answerCloudFormation } from './cloudformation-answer';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { generateEncodingAesKey } from '../core/callback';

/** The placeholder the stack's secret template puts in appId and appSecret (infra/lib/state.ts). */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/** The properties of the custom resource (strings: CloudFormation passes every property as one). */
export interface SecretSeedProperties {
  /** The secret's ARN. */
  SecretId: string;
  /** The JSON field to fill: `encodingAesKey`. */
  Field: string;
  /** The characters the key is drawn from. */
  Alphabet: string;
  /** How many characters. */
  Length: string;
}

/** What a seeding run did, without any secret value: `seeded`, or why it left the secret alone. */
export type SeedOutcome = 'seeded' | 'already-set' | 'configured' | 'not-json';

/**
 * Fills `field` of the secret with a random key when it is empty and the secret is still unconfigured.
 *
 * @example
 * ```ts
 * await seedSecretField(new SecretsManagerClient({}), { SecretId: arn, Field: 'encodingAesKey', Alphabet: 'AB…89', Length: '43' });
 * // 'seeded' on a fresh stack, 'configured' once appId and appSecret are set
 * ```
 */
export async function seedSecretField(client: SecretsManagerClient, props: SecretSeedProperties): Promise<SeedOutcome> {
  const current = await client.send(new GetSecretValueCommand({ SecretId: props.SecretId }));
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(current.SecretString ?? '') as Record<string, unknown>;
  } catch {
    return 'not-json';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not-json';
  const existing = value[props.Field];
  if (typeof existing === 'string' && existing.trim() !== '') return 'already-set';
  if (value.appId !== SECRET_PLACEHOLDER || value.appSecret !== SECRET_PLACEHOLDER) return 'configured';
  const key = generateEncodingAesKey(props.Alphabet, Number(props.Length));
  // The version's token is derived from the version read, so a retried invocation writing on top of
  // the same version is the same request to Secrets Manager (it then finds the key set and stops).
  await client.send(
    new PutSecretValueCommand({
      SecretId: props.SecretId,
      SecretString: JSON.stringify({ ...value, [props.Field]: key }),
      ClientRequestToken: current.VersionId ? `seed-${props.Field}-${current.VersionId}`.slice(0, 64).padEnd(32, '0') : undefined,
    }),
  );
  return 'seeded';
}

/**
 * The handler, for a given Secrets Manager client.
 *
 * @example
 * ```ts
 * export const handler = createSecretSeedHandler(new SecretsManagerClient({}));
 * ```
 */
export function createSecretSeedHandler(client: SecretsManagerClient) {
  return async (event: CloudFormationCustomResourceEvent): Promise<void> => {
    if (event.RequestType === 'Delete')
      return await answerCloudFormation(event, 'seed', 'SUCCESS', 'nothing to undo: the secret keeps its value');
    const props = event.ResourceProperties as unknown as SecretSeedProperties;
    let outcome: SeedOutcome;
    try {
      outcome = await seedSecretField(client, props);
    } catch (error) {
      // The error's name and message only (the SDK's never hold the secret's value).
      const reason = `could not fill ${props.Field} of the secret: ${(error as Error).name}: ${(error as Error).message}`;
      console.error(JSON.stringify({ level: 'ERROR', message: reason }));
      return await answerCloudFormation(event, 'seed', 'FAILED', reason.slice(0, 1000));
    }
    console.log(JSON.stringify({ level: 'INFO', message: 'secret seed', field: props.Field, outcome }));
    await answerCloudFormation(event, 'seed', 'SUCCESS', outcome, { Outcome: outcome });
  };
}

export const handler = createSecretSeedHandler(new SecretsManagerClient({}));
