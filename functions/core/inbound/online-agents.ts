/**
 * Whether any kf account is online, for keyword handoff's out-of-hours reply (docs/handoff.md): WeChat's
 * getonlinekflist, asked at most once a minute (a user asking for a human twice in a minute does not cost
 * two calls). When WeChat cannot say (an errcode, unreachable), the answer is "online": the user is then
 * transferred and WeChat's desk queues them, as without the option, rather than told nobody is there.
 *
 * @example
 * ```ts
 * const online = cachedAgentsOnline(() => client.call('listOnlineKfAccounts', {}), Date.now);
 * if (!(await online())) reply(offlineText);
 * ```
 */

/** How long one answer of getonlinekflist is used, in ms. */
export const ONLINE_AGENTS_CACHE_MS = 60_000;

/**
 * A cached "is any kf account online" over `list` (getonlinekflist's answer).
 *
 * @param onError told when WeChat could not be asked (the answer is then `true`).
 */
export function cachedAgentsOnline(
  list: () => Promise<{ kf_online_list?: unknown }>,
  now: () => number = Date.now,
  onError: (error: unknown) => void = () => undefined,
  maxAgeMs = ONLINE_AGENTS_CACHE_MS,
): () => Promise<boolean> {
  let cached: { at: number; online: boolean } | undefined;
  return async () => {
    const at = now();
    if (cached && at - cached.at < maxAgeMs && at >= cached.at) return cached.online;
    try {
      const answer = await list();
      const online = Array.isArray(answer.kf_online_list) && answer.kf_online_list.length > 0;
      cached = { at, online };
      return online;
    } catch (error) {
      onError(error);
      return true;
    }
  };
}
