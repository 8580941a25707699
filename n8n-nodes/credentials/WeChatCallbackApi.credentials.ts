import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * What the WeChat Customer Service Trigger needs to check and open WeChat's pushes: the Token and
 * EncodingAESKey of the official account's server configuration, and its AppID (safe mode checks it).
 * Nothing is called with it, so it has no test request.
 */
export class WeChatCallbackApi implements ICredentialType {
	name = 'weChatCallbackApi';

	displayName = 'WeChat Callback API';

	icon: Icon = { light: 'file:../nodes/WeChatKf/wechat.svg', dark: 'file:../nodes/WeChatKf/wechat.dark.svg' };

	documentationUrl = 'https://developers.weixin.qq.com/doc/service/guide/dev/push/';

	properties: INodeProperties[] = [
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The Token of the server configuration (Settings and Development → Basic Configuration → Server Configuration)',
		},
		{
			displayName: 'EncodingAESKey',
			name: 'encodingAesKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'43 characters. Needed when the message encryption mode is Safe (or Compatible); leave empty for Plain text mode.',
		},
		{
			displayName: 'AppID',
			name: 'appId',
			type: 'string',
			default: '',
			description: 'The AppID of the official account: safe mode checks that every message was encrypted for it',
		},
	];
}
