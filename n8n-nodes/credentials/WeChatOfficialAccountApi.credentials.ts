import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

/**
 * Direct mode: the node calls WeChat (or the sandbox) itself, with an access token fetched by
 * `preAuthentication` and kept in the hidden, expirable `accessToken` field. n8n fetches a token when that
 * field is empty; the node empties it and calls again when WeChat answers 40001 / 40014 / 42001 (WeChat
 * reports a dead token as HTTP 200, so n8n's own 401 handling never fires).
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
					description:
						'Cgi-bin/stable_token: every caller gets the same token, so other systems using this AppID are not disturbed',
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
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const base = String(credentials.baseUrl || 'https://api.weixin.qq.com').replace(/\/+$/, '');
		const appid = String(credentials.appId ?? '');
		const secret = String(credentials.appSecret ?? '');
		const fetchToken = async (forceRefresh: boolean): Promise<string> => {
			const answer = (
				credentials.grantMode === 'classic'
					? await this.helpers.httpRequest({
							method: 'GET',
							url: `${base}/cgi-bin/token`,
							qs: { grant_type: 'client_credential', appid, secret },
							json: true,
						})
					: await this.helpers.httpRequest({
							method: 'POST',
							url: `${base}/cgi-bin/stable_token`,
							body: { grant_type: 'client_credential', appid, secret, force_refresh: forceRefresh },
							json: true,
						})
			) as IDataObject;
			if (typeof answer?.access_token !== 'string' || answer.access_token === '') {
				const errcode = answer?.errcode ?? '(none)';
				const hints: Record<string, string> = {
					'40013': 'check the AppID',
					'40125': 'check the AppSecret',
					'40164': "add n8n's egress IP to the official account's IP whitelist",
					'89503': "an administrator must confirm this IP in the official account's admin console",
				};
				throw new Error(
					`WeChat refused the access token request: errcode ${errcode} (${String(answer?.errmsg ?? 'no errmsg')})${
						hints[String(errcode)] ? `: ${hints[String(errcode)]}` : ''
					}`,
				);
			}
			return answer.access_token;
		};
		let token = await fetchToken(false);
		// stable_token hands out the same token until shortly before expiry: when that is the token WeChat just
		// refused, ask for a new one (force_refresh, which WeChat allows 20 times a day).
		if (credentials.grantMode !== 'classic' && credentials.refusedToken && token === credentials.refusedToken) {
			token = await fetchToken(true);
		}
		return { accessToken: token, refusedToken: undefined };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			qs: {
				access_token: '={{$credentials.accessToken}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '/cgi-bin/customservice/getkflist',
			method: 'GET',
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 48001,
					message: 'This official account has no permission for the customer-service API (48001)',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40164,
					message: "n8n's IP is not on the official account's IP whitelist (40164)",
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'errcode',
					value: 40001,
					message: 'WeChat refused the access token (40001)',
				},
			},
		],
	};
}
