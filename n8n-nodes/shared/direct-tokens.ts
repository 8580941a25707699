/**
 * Access tokens of n8n's direct mode, one cache per credential (n8n-nodes/README.md, "Where the access
 * token lives"). The cache is the core's {@link InMemoryTokenProvider}, so direct mode follows the
 * product's rules exactly:
 * - one fetch at a time per credential: ten items (or ten executions) that need a token at once share
 *   one stable_token call;
 * - after WeChat refuses a token (40001 / 40014 / 42001), normal mode first: when another system on the
 *   AppID forced a refresh, normal mode hands back the new token and nobody is knocked out;
 * - a forced refresh only when normal mode hands back the very token WeChat refused, within WeChat's
 *   budget of 20 a day (Beijing time) and 30 s apart, counted per credential; when it is spent the call
 *   fails with TokenRefreshBudgetError (a NodeApiError naming the budget and when the next force is allowed).
 *
 * The cache is keyed by the API root, the token endpoint, the AppID and a SHA-256 of the AppSecret: never
 * the secret itself, and an edited credential (a new secret) gets a cache of its own.
 *
 * @example
 * ```ts
 * const transport = new N8nHttpTransport(this.helpers);
 * const tokens = tokensFor(directCredential(await this.getCredentials('weChatOfficialAccountApi')), transport);
 * const { value } = await tokens.getToken();
 * ```
 */
import { createHash } from 'crypto';
import { InMemoryTokenProvider, type AccessTokenProvider } from '../../functions/core/token';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../functions/core/transport';
import type { DirectCredential } from './direct-credential';

/**
 * The cache key of a credential: API root, endpoint, AppID and a SHA-256 of the AppSecret.
 *
 * @example
 * ```ts
 * tokenCacheKey({ appId: 'wx1', appSecret: 's', baseUrl: 'https://api.weixin.qq.com', mode: 'stable' });
 * // 'https://api.weixin.qq.com stable wx1 ' + the 64 hex digits of SHA-256('s')
 * ```
 */
export function tokenCacheKey(credential: DirectCredential): string {
	const secretHash = createHash('sha256').update(credential.appSecret, 'utf8').digest('hex');
	return `${credential.baseUrl} ${credential.mode} ${credential.appId} ${secretHash}`;
}

/**
 * The transport a cache fetches with: the one of the latest call for its credential. A cache outlives the
 * execution that created it, and n8n's request helpers belong to an execution; any execution's helper
 * fetches the same token, so the latest one is used rather than holding on to the first (the cache keeps
 * that one helper until the next call replaces it).
 */
class LatestTransport implements HttpTransport {
	constructor(public target: HttpTransport) {}

	send(request: HttpRequest): Promise<HttpResponse> {
		return this.target.send(request);
	}
}

/** How many credentials' caches one process keeps (the least recently used one goes first). */
const MAX_CACHES = 100;

const caches = new Map<string, { tokens: InMemoryTokenProvider; transport: LatestTransport }>();

/**
 * The token cache of a credential in this process, created on first use.
 *
 * @param transport what the cache fetches tokens with from now on (this execution's n8n helper).
 * @example
 * ```ts
 * const tokens = tokensFor(credential, new N8nHttpTransport(this.helpers));
 * ```
 */
export function tokensFor(credential: DirectCredential, transport: HttpTransport): AccessTokenProvider {
	const key = tokenCacheKey(credential);
	let entry = caches.get(key);
	if (entry) {
		caches.delete(key);
		entry.transport.target = transport;
	} else {
		const latest = new LatestTransport(transport);
		const tokens = new InMemoryTokenProvider({
			transport: latest,
			baseUrl: credential.baseUrl,
			appId: credential.appId,
			appSecret: credential.appSecret,
			mode: credential.mode,
		});
		entry = { tokens, transport: latest };
	}
	caches.set(key, entry);
	while (caches.size > MAX_CACHES) caches.delete(caches.keys().next().value as string);
	return entry.tokens;
}
