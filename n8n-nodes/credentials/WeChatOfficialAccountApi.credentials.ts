import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { staleAt } from '../../functions/core/token';

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
 * expired token. The node also empties the token and calls again when WeChat answers 40001 / 40014 /
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
		{
			displayName: 'Renew After',
			name: 'renewAfter',
			type: 'hidden',
			default: 0,
		},
	];

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const base = String(credentials.baseUrl || 'https://api.weixin.qq.com').replace(/\/+$/, '');
		const appid = String(credentials.appId ?? '');
		const secret = String(credentials.appSecret ?? '');
		const fetchToken = async (forceRefresh: boolean): Promise<{ value: string; expiresAt: number }> => {
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
			const expiresIn = typeof answer.expires_in === 'number' ? answer.expires_in : 7200;
			return { value: answer.access_token, expiresAt: fetchedAt + expiresIn * 1000 };
		};
		const fetchedAt = Date.now();
		let token = await fetchToken(false);
		// stable_token hands out the same token until shortly before expiry: when that is the token WeChat just
		// refused, ask for a new one (force_refresh, which WeChat allows 20 times a day).
		if (credentials.grantMode !== 'classic' && credentials.refusedToken && token.value === credentials.refusedToken) {
			token = await fetchToken(true);
		}
		return { accessToken: token.value, renewAfter: staleAt(token, fetchedAt), refusedToken: undefined };
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
