/**
 * Shared by the tests of the stack's custom resources (test/handlers/secret-seed.test.ts,
 * accounts-seed.test.ts): a Secrets Manager client pointed at a stand-in, and what a handler printed.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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
