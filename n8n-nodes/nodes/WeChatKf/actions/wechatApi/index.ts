import { getOperation } from '../../../../../functions/core/catalogue';
import { generatedOperation } from '../generated';
import type { NodeResource } from '../types';

/**
 * The passthrough as n8n users know it from other nodes: *WeChat API → Custom API Call*. Its fields are
 * the catalogue's (Method, Path, Query, Body); only the names are written here, because generation would
 * call it "Wechat Api → Call".
 */
export const wechatApi: NodeResource = {
	value: 'wechatApi',
	name: 'WeChat API',
	operations: [{ ...generatedOperation(getOperation('callApi')), name: 'Custom API Call' }],
};
