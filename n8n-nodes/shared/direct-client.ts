/**
 * The core WeChat client for a *WeChat Official Account API* credential (direct mode): n8n's request
 * helper as its transport ({@link N8nHttpTransport}) and the credential's token cache
 * ({@link tokensFor}). Retries (-1, HTTP 5xx on reads, requests that never reached WeChat), token refresh
 * on 40001 / 40014 / 42001 and the errcode table are the core's, as in the deployed product.
 *
 * @example
 * ```ts
 * const client = directClient(this.helpers, await this.getCredentials(DIRECT_CREDENTIAL, itemIndex));
 * await client.call('sendText', { touser: 'OPENID', text: { content: 'Hello' } });
 * ```
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { WeChatClient } from '../../functions/core/client';
import { DIRECT_CREDENTIAL, directCredential } from './direct-credential';
import { tokensFor } from './direct-tokens';
import { N8nHttpTransport, type N8nRequestHelper } from './n8n-transport';

export { DIRECT_CREDENTIAL };

/**
 * A WeChat client for a credential's data.
 *
 * @param options.abortSignal the execution's cancel signal (`this.getExecutionCancelSignal()`): ends this
 *   client's requests when the execution is stopped. Token fetches are shared by every execution of the
 *   credential, so they are not tied to it.
 * @throws {ConfigurationError} when the credential lacks its AppID or AppSecret, or its API Base URL is not http(s).
 */
export function directClient(
	helpers: N8nRequestHelper,
	data: ICredentialDataDecryptedObject,
	options: { abortSignal?: AbortSignal } = {},
): WeChatClient {
	const credential = directCredential(data);
	const tokens = tokensFor(credential, new N8nHttpTransport(helpers));
	return new WeChatClient({ transport: new N8nHttpTransport(helpers, options), tokens, baseUrl: credential.baseUrl });
}
