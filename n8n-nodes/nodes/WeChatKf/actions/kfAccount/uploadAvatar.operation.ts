import type { NodeOperation } from '../types';
import { kfAccountField } from './fields';

export const uploadAvatar: NodeOperation = {
	value: 'uploadAvatar',
	name: 'Upload Avatar',
	action: "Upload a kf account's avatar",
	catalogue: ['uploadKfAvatar'],
	properties: [
		kfAccountField,
		{
			displayName: 'Input Binary Field',
			name: 'binaryPropertyName',
			type: 'string',
			required: true,
			default: 'data',
			hint: 'The name of the input binary field holding the JPG image (at most 5 MB, 640×640 looks best)',
		},
	],
	async prepare(itemIndex) {
		const property = this.getNodeParameter('binaryPropertyName', itemIndex) as string;
		const binary = this.helpers.assertBinaryData(itemIndex, property);
		const data = await this.helpers.getBinaryDataBuffer(itemIndex, property);
		return {
			operation: 'uploadKfAvatar',
			input: {
				kf_account: (this.getNodeParameter('kfAccount', itemIndex) as string).trim(),
				media: new Uint8Array(data),
				filename: binary.fileName ?? 'avatar.jpg',
			},
		};
	},
};
