import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
	Icon,
} from 'n8n-workflow';
import { signRequest } from '../shared/sigv4';

/**
 * Gateway mode: the node calls this product's deployed API (API Gateway with IAM auth), signed with AWS
 * SigV4, so sends share the deployment's token cache and send-window gating.
 */
export class WeChatKfGatewayApi implements ICredentialType {
	name = 'weChatKfGatewayApi';

	displayName = 'WeChat KF Gateway API';

	icon: Icon = { light: 'file:../nodes/WeChatKf/wechat.svg', dark: 'file:../nodes/WeChatKf/wechat.dark.svg' };

	documentationUrl = 'https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html';

	properties: INodeProperties[] = [
		{
			displayName: 'API URL',
			name: 'url',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
			description: 'The URL of the deployed API (the stack output), without a trailing route',
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'string',
			default: 'us-east-1',
			required: true,
		},
		{
			displayName: 'Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Secret Access Key',
			name: 'secretAccessKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only for temporary credentials',
		},
	];

	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const base = requestOptions.baseURL ? String(requestOptions.baseURL).replace(/\/+$/, '') : '';
		let url = `${base}${requestOptions.url}`;
		const qs = Object.entries(requestOptions.qs ?? {}).filter(([, v]) => v !== undefined && v !== null);
		if (qs.length > 0) {
			const extra = qs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
			url += (url.includes('?') ? '&' : '?') + extra;
		}
		// Sign exactly the bytes that will be sent: an object body is serialised here.
		let body = requestOptions.body as unknown;
		if (body !== undefined && body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) {
			body = JSON.stringify(body);
		}
		const headers: Record<string, string> = {};
		for (const [k, v] of Object.entries(requestOptions.headers ?? {})) {
			if (/^content-type$/i.test(k)) headers['content-type'] = String(v);
		}
		if (typeof body === 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
		const signed = signRequest(
			{ method: requestOptions.method ?? 'GET', url, headers, body: body as string | Uint8Array | undefined },
			{
				accessKeyId: String(credentials.accessKeyId ?? ''),
				secretAccessKey: String(credentials.secretAccessKey ?? ''),
				sessionToken: credentials.sessionToken ? String(credentials.sessionToken) : undefined,
			},
			{ region: String(credentials.region ?? 'us-east-1') },
		);
		return {
			...requestOptions,
			url,
			baseURL: undefined,
			qs: undefined,
			body: body as IHttpRequestOptions['body'],
			headers: { ...(requestOptions.headers ?? {}), ...headers, ...signed },
		};
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.url}}',
			url: '/kf-accounts',
			method: 'GET',
		},
	};
}
