import type { IExecuteFunctions } from 'n8n-workflow';

/** The add / update input of the catalogue, from the node's fields. */
export function kfAccountInput(this: IExecuteFunctions, itemIndex: number) {
	const input: Record<string, unknown> = {
		kf_account: (this.getNodeParameter('kfAccount', itemIndex) as string).trim(),
		nickname: this.getNodeParameter('nickname', itemIndex) as string,
	};
	const password = this.getNodeParameter('password', itemIndex, '') as string;
	if (password !== '') {
		input.password = password;
		input.hash_password = !(this.getNodeParameter('passwordIsMd5', itemIndex, false) as boolean);
	}
	return input;
}
