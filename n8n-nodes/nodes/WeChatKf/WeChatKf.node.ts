import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import { getOperation, isFileResult, type FileResult } from '../../../functions/core/catalogue';
import { buildVersionedProperties, findOperation, resourcesOfVersion } from './actions';
import { LATEST_VERSION, NODE_VERSIONS } from './actions/versions';
import { LIST_SEARCH } from './methods/list-search';
import type { PreparedCall } from './actions/types';
import { DIRECT_CREDENTIAL, GATEWAY_CREDENTIAL, parseInput, performOperation } from './transport/request';
import { nodeErrorFrom } from './transport/errors';
import { CALLBACK_CREDENTIAL } from './transport/direct-reply';
import { fileSummary } from '../../shared/media-transfer';

/** The most calls one item's paged operation makes (Return All). */
const MAX_PAGES = 1000;

/** The output item of a failed item when "Continue On Fail" is on. */
function errorJson(error: Error): IDataObject {
	const json: IDataObject = { error: error.message };
	const context = (error as { context?: IDataObject }).context ?? {};
	for (const key of ['errcode', 'errmsg', 'hint', 'code', 'issues', 'limit', 'nextForceAt']) {
		if (context[key] !== undefined) json[key] = context[key];
	}
	const description = (error as { description?: string | null }).description;
	if (description) json.description = description;
	return json;
}

/**
 * The output item of a file answer: the file in the binary property the operation names (default
 * `data`), with its content type and name, and a summary in the JSON.
 */
async function fileItem(this: IExecuteFunctions, file: FileResult, call: PreparedCall, itemIndex: number): Promise<INodeExecutionData> {
	const property =
		typeof call.settings?.binaryProperty === 'string' && call.settings.binaryProperty !== '' ? call.settings.binaryProperty : 'data';
	const binary = await this.helpers.prepareBinaryData(
		Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength),
		file.filename,
		file.contentType,
	);
	const input = (typeof call.input === 'object' && call.input !== null ? call.input : {}) as IDataObject;
	const json: IDataObject = {};
	for (const [key, value] of Object.entries(input)) if (typeof value !== 'object') json[key] = value;
	return { json: { ...json, ...fileSummary(binary, property) }, binary: { [property]: binary }, pairedItem: { item: itemIndex } };
}

export class WeChatKf implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WeChat Customer Service',
		name: 'weChatKf',
		icon: { light: 'file:wechat.svg', dark: 'file:wechat.dark.svg' },
		group: ['output'],
		// Version 2 since resource locators, Simplify and the rest (actions/versions.ts); version 1 still runs.
		version: [...NODE_VERSIONS],
		defaultVersion: LATEST_VERSION,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			'Send WeChat Official Account customer-service messages (客服消息) to a user who wrote in recently, show typing, hand a user to a human agent, and manage kf accounts, sessions and media',
		defaults: { name: 'WeChat Customer Service' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: DIRECT_CREDENTIAL,
				required: true,
				displayOptions: { show: { authentication: ['direct'] } },
			},
			// Version 2's Message → Reply in Direct mode encrypts its answer to a safe-mode push with this key.
			{
				name: CALLBACK_CREDENTIAL,
				required: false,
				displayOptions: { show: { authentication: ['direct'], resource: ['message'], operation: ['reply'], '@version': [2] } },
			},
			{
				name: GATEWAY_CREDENTIAL,
				required: true,
				displayOptions: { show: { authentication: ['gateway'] } },
			},
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [
					{
						name: 'Direct (WeChat API)',
						value: 'direct',
						description: 'Call WeChat directly with the AppID and AppSecret',
					},
					{
						name: 'Gateway (Deployed API)',
						value: 'gateway',
						description: "Call this product's deployed API (AWS, SigV4), which holds the token and enforces the send window",
					},
				],
				default: 'direct',
			},
			...buildVersionedProperties(),
		],
	};

	methods = { listSearch: LIST_SEARCH };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const resource = this.getNodeParameter('resource', itemIndex) as string;
				const operation = this.getNodeParameter('operation', itemIndex) as string;
				const nodeOperation = findOperation(resource, operation, resourcesOfVersion(this.getNode().typeVersion));
				if (!nodeOperation) {
					throw new NodeOperationError(this.getNode(), `The operation "${operation}" of resource "${resource}" is not known`, {
						itemIndex,
					});
				}
				// A paged operation asks again while `next` gives a call (bounded, so a wrong answer cannot loop).
				let call: PreparedCall | undefined = await nodeOperation.prepare.call(this, itemIndex);
				for (let page = 0; call && page < MAX_PAGES; page++) {
					const catalogueOperation = getOperation(call.operation);
					const input: unknown = parseInput.call(this, catalogueOperation, call.input, itemIndex);
					const answer: IDataObject = await performOperation.call(this, catalogueOperation, input, itemIndex, call.input);
					if (isFileResult(answer)) {
						// A file (Media → Download, a Custom API Call answered with one): the item's binary data.
						returnData.push(await fileItem.call(this, answer, call, itemIndex));
						call = undefined;
						break;
					}
					const results = nodeOperation.toItems ? nodeOperation.toItems(answer, call) : [answer];
					for (const json of results) returnData.push({ json, pairedItem: { item: itemIndex } });
					call = nodeOperation.next?.(answer, call);
				}
			} catch (caught) {
				const error = nodeErrorFrom(this.getNode(), caught, itemIndex);
				if (this.continueOnFail()) {
					returnData.push({ json: errorJson(error), pairedItem: { item: itemIndex } });
					continue;
				}
				throw error;
			}
		}
		return [returnData];
	}
}
