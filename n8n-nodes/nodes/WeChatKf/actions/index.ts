import type { INodeProperties } from 'n8n-workflow';
import { accountRouteOf, CATALOGUE, type Operation } from '../../../../functions/core/catalogue';
import { accountProperty } from '../../../shared/accounts';
import { generatedOperation, titleCase } from './generated';
import { chatRecord, chatRecordV2 } from './chatRecord';
import { message, messageV2 } from './message';
import { LEGACY_V1 } from './typing/legacy';
import type { NodeOperation, NodeResource } from './types';
import { LATEST_VERSION, NODE_VERSIONS, versionedProperties, type NodeVersion } from './versions';
import { wechatApi } from './wechatApi';

/**
 * The resources whose every operation belongs to the deployment, not to one official account (the accounts
 * themselves, webhook subscriptions): the Account field is not shown for them (the catalogue says which).
 */
const DEPLOYMENT_RESOURCES: string[] = [...new Set(CATALOGUE.map((op) => op.resource))].filter((resource) =>
	CATALOGUE.filter((op) => op.resource === resource).every((op) => accountRouteOf(op) === undefined),
);

/**
 * Resources whose UI is written by hand because generation would be worse: messages (one Send with a
 * Message Type switch over every type, rather than twelve operations), chat records (Return All / Limit,
 * following the answer's cursor), and the passthrough's names (WeChat API → Custom API Call). Their fields
 * still come from the catalogue's data (actions/message/content.ts). Every other resource is generated
 * from the catalogue.
 */
const HAND_MADE: Readonly<Record<NodeVersion, Readonly<Record<string, NodeResource>>>> = {
	1: { message, chatRecord, wechatApi },
	2: { message: messageV2, chatRecord: chatRecordV2, wechatApi },
};

/**
 * Version 1's default operation of each resource, as it was (the alphabetically first): a workflow leaves
 * out a parameter equal to its default, so a version 1 node saved with this operation has no `operation`
 * and must keep getting it, whatever operations are added since. A resource added later gets its
 * alphabetically first.
 */
const V1_DEFAULT_OPERATIONS: Readonly<Record<string, string>> = {
	kfAccount: 'add',
	message: 'send',
	typing: 'set',
	kfSession: 'close',
	chatRecord: 'getMany',
	handoff: 'clear',
	subscription: 'create',
	delivery: 'list',
	wechatApi: 'call',
	accessToken: 'get',
	media: 'download',
};

/**
 * The node's resources in a version: one per catalogue resource, in the order the catalogue first mentions
 * them; an operation of a hand-made resource that none of its node operations performs is generated beside
 * them. Operations are listed alphabetically (version 1's legacy ones last); the default is version 1's as
 * it was, and in version 2 the resource's first in the catalogue (the usual first step: Hand Off, Create,
 * Upload). A resource whose every operation the product performs itself is `gatewayOnly`.
 *
 * @example
 * ```ts
 * resourcesFor([...CATALOGUE, myOperation], 2).find((r) => r.value === myOperation.resource);
 * ```
 */
export function resourcesFor(catalogue: readonly Operation[], version: NodeVersion = LATEST_VERSION): NodeResource[] {
	const order = [...new Set(catalogue.map((op) => op.resource))];
	const position = (op: NodeOperation) =>
		Math.min(...op.catalogue.map((name) => catalogue.findIndex((c) => c.name === name)).filter((i) => i >= 0));
	return order.map((value) => {
		const ops = catalogue.filter((op) => op.resource === value);
		const made = HAND_MADE[version][value];
		const covered = new Set(made?.operations.flatMap((o) => o.catalogue) ?? []);
		const generated = ops.filter((op) => !covered.has(op.name)).map((op) => generatedOperation(op, version));
		const operations: NodeOperation[] = [...(made?.operations ?? []), ...generated].sort((a, b) => a.name.localeCompare(b.name));
		const defaultOperation =
			version === 1
				? (V1_DEFAULT_OPERATIONS[value] ?? operations[0]?.value ?? '')
				: ([...operations].sort((a, b) => position(a) - position(b))[0]?.value ?? '');
		if (version === 1) operations.push(...(LEGACY_V1[value] ?? []));
		return {
			value,
			name: made?.name ?? titleCase(value),
			operations,
			defaultOperation,
			gatewayOnly: ops.every((op) => op.direct === false),
		};
	});
}

/** The resources of the product's catalogue, by node version. */
export const RESOURCES_BY_VERSION: Readonly<Record<NodeVersion, readonly NodeResource[]>> = {
	1: resourcesFor(CATALOGUE, 1),
	2: resourcesFor(CATALOGUE, 2),
};

/** The resources of the product's catalogue in the latest version. */
export const RESOURCES: readonly NodeResource[] = RESOURCES_BY_VERSION[LATEST_VERSION];

export function findOperation(
	resource: string,
	operation: string,
	resources: readonly NodeResource[] = RESOURCES,
): NodeOperation | undefined {
	return resources.find((r) => r.value === resource)?.operations.find((op) => op.value === operation);
}

/** The resources of a node's version (a version this package does not know: the latest). */
export function resourcesOfVersion(version: number): readonly NodeResource[] {
	return RESOURCES_BY_VERSION[version as NodeVersion] ?? RESOURCES;
}

/**
 * The Resource and Operation fields and every operation's fields of one version, generated from its
 * resources. Version 2 offers a Gateway-only resource (Subscription, Delivery, Access Token) only with the
 * Gateway credential, where it can work, and there an Account field (shared/accounts.ts) that every
 * operation but the accounts' own is performed for.
 */
export function buildProperties(resources: readonly NodeResource[] = RESOURCES, version: NodeVersion = LATEST_VERSION): INodeProperties[] {
	const resourceField = (shown: readonly NodeResource[], show?: Record<string, string[]>): INodeProperties => ({
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: shown.map((r) => ({ name: r.name, value: r.value })),
		default: 'message',
		...(show ? { displayOptions: { show } } : {}),
	});
	const properties: INodeProperties[] =
		version === 1
			? [resourceField(resources)]
			: [
					accountProperty(
						{ show: { authentication: ['gateway'] }, hide: { resource: DEPLOYMENT_RESOURCES } },
						'The official account to act for; its AppID (wx…)',
						'Empty: the default account',
					),
					resourceField(
						resources.filter((r) => !r.gatewayOnly),
						{ authentication: ['direct'] },
					),
					resourceField(resources, { authentication: ['gateway'] }),
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
			default: resource.defaultOperation ?? resource.operations[0]?.value ?? '',
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

/**
 * The properties of every version of the node, each shown for its own version (actions/versions.ts).
 *
 * @example
 * ```ts
 * description.properties = [authentication, ...buildVersionedProperties()];
 * ```
 */
export function buildVersionedProperties(): INodeProperties[] {
	return versionedProperties(
		Object.fromEntries(NODE_VERSIONS.map((v) => [v, buildProperties(RESOURCES_BY_VERSION[v], v)])) as Record<
			NodeVersion,
			INodeProperties[]
		>,
	);
}
