import type { INodeProperties } from 'n8n-workflow';
import { CATALOGUE, getOperation, type Resource } from '../../../../functions/core/catalogue';
import { kfAccount } from './kfAccount';
import { message } from './message';
import type { NodeOperation, NodeResource } from './types';
import { typing } from './typing';

/**
 * The node's resources, keyed by the core catalogue's resources: the compiler refuses a catalogue resource
 * without one, and test/n8n checks that every catalogue operation is performed by some node operation.
 */
export const RESOURCES: Record<Resource, NodeResource> = { kfAccount, message, typing };

/** Resource order in the UI: the order the catalogue first mentions them. */
const resourceOrder = [...new Set(CATALOGUE.map((op) => op.resource))];

export function findOperation(resource: string, operation: string): NodeOperation | undefined {
	return RESOURCES[resource as Resource]?.operations.find((op) => op.value === operation);
}

function operationDescription(op: NodeOperation): string {
	if (op.description) return op.description;
	const first = op.catalogue[0];
	return first ? getOperation(first).description : op.action;
}

/** The Resource and Operation fields and every operation's fields, generated from the resources above. */
export function buildProperties(): INodeProperties[] {
	const properties: INodeProperties[] = [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: resourceOrder.map((value) => ({ name: RESOURCES[value].name, value })),
			default: 'message',
		},
	];
	for (const value of resourceOrder) {
		const resource = RESOURCES[value];
		const generated = {
			displayOptions: { show: { resource: [value] } },
			options: resource.operations.map((op) => ({
				name: op.name,
				value: op.value,
				action: op.action,
				description: operationDescription(op),
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
				const show = { ...(property.displayOptions?.show ?? {}), resource: [value], operation: [op.value] };
				properties.push(Object.assign({}, property, { displayOptions: { ...property.displayOptions, show } }));
			}
		}
	}
	return properties;
}
