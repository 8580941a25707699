/**
 * The wait between retries (the client's and the token fetch's default). A module of its own so that the
 * n8n package's bundle can put n8n-workflow's `sleep` in its place (n8n-nodes/scripts/bundle.mjs): n8n's
 * verification scan refuses community code that uses timer globals itself.
 *
 * @example
 * ```ts
 * await sleep(200); // about 200 ms later
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
