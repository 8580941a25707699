import type { INodeProperties } from 'n8n-workflow';

/**
 * The action node's versions. In n8n a node's parameters are its API: a workflow saves each parameter by
 * name (leaving out those equal to their default) under the node's `typeVersion`, so changing a parameter's
 * name, type, values or default breaks the workflows saved before. Such a change goes into a new version
 * and the old one keeps working:
 * - 1: the first parameters (plain text kf accounts, openids and ids; Typing → Typing / Cancel Typing of
 *   the first release beside Typing → Set; every resource in both modes; alphabetical default operations);
 * - 2: resource locators, Simplify on list answers, Gateway-only resources only with the Gateway
 *   credential, default operations that are the usual first step, events and times picked rather than typed.
 */
export const NODE_VERSIONS = [1, 2] as const;
export type NodeVersion = (typeof NODE_VERSIONS)[number];
export const LATEST_VERSION: NodeVersion = 2;

/**
 * One property list for every version: each property shows only for the version it was built for
 * (`displayOptions.show['@version']`). Every property is tagged, even one the same in both, so that each
 * version's form keeps its own order.
 *
 * @example
 * ```ts
 * versionedProperties({ 1: [v1Resource], 2: [v2Resource] });
 * // [{ name: 'resource', displayOptions: { show: { '@version': [1] } }, … }, { …, show: { '@version': [2] } }]
 * ```
 */
export function versionedProperties(byVersion: Record<NodeVersion, INodeProperties[]>): INodeProperties[] {
	return NODE_VERSIONS.flatMap((version) =>
		byVersion[version].map((property) => {
			const show = { ...property.displayOptions?.show, '@version': [version] };
			return { ...property, displayOptions: { ...property.displayOptions, show } };
		}),
	);
}
