import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * What the WeChat Customer Service Trigger needs to check and open WeChat's pushes: the Token,
 * EncodingAESKey and message encryption mode of the official account's server configuration, and its
 * AppID (safe mode checks it). The mode follows the product's WECHAT_CALLBACK_MODE rule
 * (docs/callback-modes.md): unset, safe with a key, else plain. Nothing is called with it, so it has no
 * test request.
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
			description: 'The Token of the server configuration (Settings and Development → Basic Configuration → Server Configuration)',
		},
		// The AES key decrypts every message users send: a secret, whatever its name suggests to the linter.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'EncodingAESKey',
			name: 'encodingAesKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: '43 characters. Needed when the message encryption mode is Safe (or Compatible); leave empty for Plain text mode.',
		},
		{
			displayName: 'Message Encryption Mode',
			name: 'callbackMode',
			type: 'options',
			options: [
				{
					name: 'Automatic (Safe With an EncodingAESKey, Else Plain)',
					value: 'auto',
					description: 'Safe mode when an EncodingAESKey is filled in, plain text mode otherwise',
				},
				{ name: 'Plain Text', value: 'plain', description: 'Unencrypted pushes; each signed URL is accepted once' },
				{
					name: 'Compatible',
					value: 'compatible',
					description: 'Only encrypted pushes are accepted; the encrypted part is read, never the plaintext beside it',
				},
				{ name: 'Safe', value: 'safe', description: 'Only encrypted pushes (encrypt_type=aes with a valid msg_signature) are accepted' },
			],
			default: 'auto',
			description:
				"The message encryption mode chosen in the official account's server configuration. In Safe and Compatible mode an unencrypted push is refused (401): its signature does not cover the message, so anyone who saw one push URL could forge another.",
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
