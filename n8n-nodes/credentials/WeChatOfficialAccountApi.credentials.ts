import type {
	IAuthenticateRuleResponseSuccessBody,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { describeErrcode } from '../../functions/core/errors';
import { fetchAccessToken, staleAt } from '../../functions/core/token';
import { directCredential } from '../shared/direct-credential';
import { N8nHttpTransport } from '../shared/n8n-transport';

/** What the credential test reports for the errcodes getkflist answers a working token with, from the core's table. */
function testRule(errcode: number): IAuthenticateRuleResponseSuccessBody {
	const { meaning, hint } = describeErrcode(errcode);
	return {
		type: 'responseSuccessBody',
		properties: { key: 'errcode', value: errcode, message: `WeChat answered ${errcode} (${meaning}): ${hint}` },
	};
}

/**
 * Thrown by `authenticate` when the stored token is past its use-by time. n8n answers an error whose
 * response status is 401 by running `preAuthentication` again (and storing the new token) and sending
 * the request once more: the only way a credential can renew itself in n8n's HTTP Request node, because
 * WeChat reports a dead token as HTTP 200 with errcode 42001, which n8n never looks at.
 */
class AccessTokenExpiredError extends Error {
	readonly response = { status: 401, statusText: 'access token expired' };

	constructor() {
		super('The stored WeChat access token has expired; n8n fetches a new one and sends the request again');
		this.name = 'AccessTokenExpiredError';
	}
}

/**
 * Direct mode: the node calls WeChat (or the sandbox) itself, with an access token fetched by
 * `preAuthentication` and kept in the hidden, expirable `accessToken` field, with the moment it stops
 * being used in `renewAfter`. n8n fetches a token when that field is empty; `authenticate` adds it
 * as the `access_token` query value, and asks n8n for a new one (a 401-shaped error) once it is stale, so
 * n8n's HTTP Request node can use this credential as a predefined credential type and never sends an
 * expired token. The WeChat Customer Service node does not use this stored token: it keeps a token cache
 * of its own per credential (n8n-nodes/shared/direct-tokens.ts), which also recovers from 40001 / 40014 /
 * 42001 (a token another system knocked out: WeChat reports it as HTTP 200, which only the node sees).
 */
export class WeChatOfficialAccountApi implements ICredentialType {
	name = 'weChatOfficialAccountApi';

	displayName = 'WeChat Official Account API';

	icon: Icon = { light: 'file:../nodes/WeChatKf/wechat.svg', dark: 'file:../nodes/WeChatKf/wechat.dark.svg' };

	documentationUrl = 'https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage';

	properties: INodeProperties[] = [
		{
			displayName: 'AppID',
			name: 'appId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'wx0123456789abcdef',
			description: 'The AppID of the official account (Settings and Development → Basic Configuration)',
		},
		{
			displayName: 'AppSecret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The AppSecret of the official account',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.weixin.qq.com',
			description:
				'Where the WeChat API is. Keep the default in production; point it at a WeChat stand-in (such as the sandbox of this project) for tests.',
		},
		{
			displayName: 'Access Token Endpoint',
			name: 'grantMode',
			type: 'options',
			options: [
				{
					name: 'Stable Token (Recommended)',
					value: 'stable',
					description: 'Cgi-bin/stable_token: every caller gets the same token, so other systems using this AppID are not disturbed',
				},
				{
					name: 'Classic Token',
					value: 'classic',
					description:
						'Cgi-bin/token: each fetch invalidates the previous token (after 5 minutes); use only if nothing else fetches tokens for this AppID',
				},
			],
			default: 'stable',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Renew After',
			name: 'renewAfter',
			type: 'hidden',
			default: 0,
		},
	];

	/**
	 * Fetches a token in normal mode, with the core's `fetchAccessToken` over n8n's own request helper: the
	 * same request, checks and errcode hints as everywhere in the product. Never a forced refresh: n8n runs
	 * this when the stored token is missing or stale, never because WeChat refused it (the HTTP Request node
	 * cannot see errcodes), so normal mode is always the right one. The WeChat Customer Service node keeps
	 * its own token cache per credential (n8n-nodes/README.md, "Where the access token lives").
	 */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const credential = directCredential(credentials);
		const fetchedAt = Date.now();
		const token = await fetchAccessToken({ transport: new N8nHttpTransport(this.helpers), ...credential }, false);
		return { accessToken: token.value, renewAfter: staleAt(token, fetchedAt) };
	}

	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const token = String(credentials.accessToken ?? '');
		const stale = Number(credentials.renewAfter ?? 0);
		if (token !== '' && stale > 0 && Date.now() >= stale) throw new AccessTokenExpiredError();
		requestOptions.qs = { ...(requestOptions.qs ?? {}), access_token: token };
		return requestOptions;
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/cgi-bin/customservice/getkflist',
			method: 'GET',
		},
		rules: [48001, 40164, 40001].map(testRule),
	};
}
