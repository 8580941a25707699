import type { INodeProperties } from 'n8n-workflow';
import { CATALOGUE, type Operation } from '../../../../functions/core/catalogue';
import { generatedOperation, titleCase } from './generated';
import { chatRecord } from './chatRecord';
import { message } from './message';
import type { NodeOperation, NodeResource } from './types';
import { wechatApi } from './wechatApi';

/**
 * Resources whose UI is written by hand because generation would be worse: messages (one Send with a
 * Message Type switch over every type, rather than twelve operations), chat records (Return All / Limit,
 * following the answer's cursor), and the passthrough's names (WeChat API → Custom API Call). Their fields
 * still come from the catalogue's data (actions/message/content.ts). Every other resource is generated
 * from the catalogue.
 */
const HAND_MADE: Readonly<Record<string, NodeResource>> = { message, chatRecord, wechatApi };

/**
 * The node's resources: one per catalogue resource, in the order the catalogue first mentions them; an
 * operation of a hand-made resource that none of its node operations performs is generated beside them.
 *
 * @example
 * ```ts
 * resourcesFor([...CATALOGUE, myOperation]).find((r) => r.value === myOperation.resource);
 * ```
 */
export function resourcesFor(catalogue: readonly Operation[]): NodeResource[] {
	const order = [...new Set(catalogue.map((op) => op.resource))];
	return order.map((value) => {
		const ops = catalogue.filter((op) => op.resource === value);
		const made = HAND_MADE[value];
		const covered = new Set(made?.operations.flatMap((o) => o.catalogue) ?? []);
		const generated = ops.filter((op) => !covered.has(op.name)).map(generatedOperation);
		const operations: NodeOperation[] = [...(made?.operations ?? []), ...generated].sort((a, b) => a.name.localeCompare(b.name));
		return { value, name: made?.name ?? titleCase(value), operations };
	});
}

/** The resources of the product's catalogue. */
export const RESOURCES: readonly NodeResource[] = resourcesFor(CATALOGUE);

export function findOperation(resource: string, operation: string, resources: readonly NodeResource[] = RESOURCES): NodeOperation | undefined {
	return resources.find((r) => r.value === resource)?.operations.find((op) => op.value === operation);
}

/** The Resource and Operation fields and every operation's fields, generated from the resources. */
export function buildProperties(resources: readonly NodeResource[] = RESOURCES): INodeProperties[] {
	const properties: INodeProperties[] = [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: resources.map((r) => ({ name: r.name, value: r.value })),
			default: 'message',
		},
	];
	for (const resource of resources) {
		const generated = {
			displayOptions: { show: { resource: [resource.value] } },
			options: resource.operations.map((op) => ({
				name: op.name,
				value: op.value,
				action: op.action,
				description: op.description ?? op.action,
			})),
			default: resource.operations[0]?.value ?? '',
		};
		properties.push(
			Object.assign(
				{ displayName: 'Operation', name: 'operation', type: 'options' as const, noDataExpression: true, default: '' },
				generated,
			),
		);
		for (const op of resource.operations) {
			for (const property of op.properties) {
				const show = { ...(property.displayOptions?.show ?? {}), resource: [resource.value], operation: [op.value] };
				properties.push(Object.assign({}, property, { displayOptions: { ...property.displayOptions, show } }));
			}
		}
	}
	return properties;
}
