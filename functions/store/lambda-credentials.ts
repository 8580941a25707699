/**
 * The AWS credentials of a function whose bundle carries its own AWS SDK clients (docs/bundles.md): the
 * execution role's credentials, which Lambda always puts in the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). The bundler puts this module in place of
 * `@aws-sdk/credential-provider-node` (an esbuild alias, infra/lib/bundling.ts): that default chain also
 * reads profiles, SSO, web identity, containers and instance metadata, and brings the STS and SSO clients
 * with it, ~130 KB that a Lambda function never runs, since the environment is the chain's first link.
 *
 * Nothing else uses it: the local server and the tests run the SDK unbundled, with its full chain.
 *
 * @example
 * ```ts
 * const credentials = await defaultProvider()(); // { accessKeyId, secretAccessKey, sessionToken }
 * ```
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';
import { ConfigurationError } from '../core/errors';

/**
 * What the SDK clients call to get their credential provider (the same name and shape as
 * `@aws-sdk/credential-provider-node`'s); the provider reads the environment on every call, as `fromEnv` does.
 *
 * @throws {ConfigurationError} (from the provider) the environment holds no credentials: this is not a
 * Lambda function, or its bundle was deployed somewhere without the execution role's variables.
 */
export function defaultProvider(init: FromEnvInit = {}): ReturnType<typeof fromEnv> {
  const fromEnvironment = fromEnv(init);
  return async (options) => {
    try {
      return await fromEnvironment(options);
    } catch {
      throw new ConfigurationError(
        "no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): this bundle reads only those, where Lambda puts the execution role's credentials (docs/bundles.md)",
      );
    }
  };
}
