/**
 * Builds something once per Lambda container, on the first invocation, and shares it with every later
 * one; a build that failed (a secret not readable yet, a throttled call) is tried again by the next
 * invocation instead of failing every invocation of the container.
 *
 * @example
 * ```ts
 * const getContext = perContainer(async () => ({ config: configFromEnv() }));
 * export const handler = async () => (await getContext()).config.tableName;
 * ```
 */
export function perContainer<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
