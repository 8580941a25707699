/**
 * The *WeChat Official Account API* credential (direct mode) as the core needs it, checked once for the
 * node, the trigger and the credential's own token fetch.
 */
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { ConfigurationError } from '../../functions/core/errors';
import { TOKEN_MODES, WECHAT_API_BASE_URL, type TokenMode } from '../../functions/core/token';

/** The name of the direct-mode credential type. */
export const DIRECT_CREDENTIAL = 'weChatOfficialAccountApi';

/** What direct mode needs of a *WeChat Official Account API* credential. */
export interface DirectCredential {
	appId: string;
	appSecret: string;
	/** The API root, without a trailing slash. */
	baseUrl: string;
	mode: TokenMode;
}

/**
 * Reads a *WeChat Official Account API* credential.
 *
 * @throws {ConfigurationError} when the AppID or AppSecret is empty or the API Base URL is not an http(s) URL.
 * @example
 * ```ts
 * directCredential({ appId: 'wx1', appSecret: 's', baseUrl: 'https://api.weixin.qq.com/', grantMode: 'stable' });
 * // { appId: 'wx1', appSecret: 's', baseUrl: 'https://api.weixin.qq.com', mode: 'stable' }
 * ```
 */
export function directCredential(data: ICredentialDataDecryptedObject): DirectCredential {
	const appId = String(data.appId ?? '').trim();
	const appSecret = String(data.appSecret ?? '');
	const baseUrl = String(data.baseUrl || WECHAT_API_BASE_URL)
		.trim()
		.replace(/\/+$/, '');
	if (appId === '')
		throw new ConfigurationError(
			'the WeChat Official Account API credential has no AppID: fill it in (Settings and Development → Basic Configuration)',
		);
	if (appSecret === '')
		throw new ConfigurationError(
			'the WeChat Official Account API credential has no AppSecret: fill it in (Settings and Development → Basic Configuration)',
		);
	if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(baseUrl)) {
		throw new ConfigurationError(
			'the API Base URL of the WeChat Official Account API credential must be an http(s) URL such as https://api.weixin.qq.com',
		);
	}
	const mode = (TOKEN_MODES as readonly string[]).includes(String(data.grantMode)) ? (data.grantMode as TokenMode) : 'stable';
	return { appId, appSecret, baseUrl, mode };
}
