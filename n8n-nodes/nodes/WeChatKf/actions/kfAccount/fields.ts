import type { INodeProperties } from 'n8n-workflow';

export const kfAccountField: INodeProperties = {
	displayName: 'Kf Account',
	name: 'kfAccount',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'kf2001@gh_account_wxid',
	description:
		"The kf account: a prefix of up to 10 letters, digits or _, then @ and the official account's WeChat ID",
};

export const nicknameField: INodeProperties = {
	displayName: 'Nickname',
	name: 'nickname',
	type: 'string',
	required: true,
	default: '',
	description: 'The name users see (at most 16 characters)',
};

export const passwordFields: INodeProperties[] = [
	{
		displayName: 'Password',
		name: 'password',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description: 'Optional. Sent to WeChat as its MD5, as WeChat requires.',
	},
	{
		displayName: 'Password Is Already MD5',
		name: 'passwordIsMd5',
		type: 'boolean',
		default: false,
		description: 'Whether the password above is already the 32-hex MD5 of the password (then it is sent as is)',
	},
];
