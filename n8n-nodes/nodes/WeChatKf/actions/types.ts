import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

/** What an operation hands to the transport: the catalogue operation to call and its raw input. */
export interface PreparedCall {
	/** The name of the core catalogue operation, e.g. `addKfAccount`. */
	operation: string;
	/** The input, as the catalogue's `parse` wants it; validated there. */
	input: unknown;
	/** Node-side settings that shape the output, e.g. whether to split a list. */
	settings?: IDataObject;
}

/**
 * One operation of the node: its option in the Operation list, its fields (without displayOptions: the
 * resource file adds them), how an item becomes a catalogue call, and how WeChat's answer becomes items.
 */
export interface NodeOperation {
	/** The value of the Operation option. */
	value: string;
	/** The label in the Operation list. */
	name: string;
	/** The label shown on the canvas, e.g. "Add a kf account". */
	action: string;
	/** The catalogue operations this node operation performs (a test checks each catalogue entry is here). */
	catalogue: readonly string[];
	/** Overrides the catalogue's description. */
	description?: string;
	properties: INodeProperties[];
	prepare(this: IExecuteFunctions, itemIndex: number): Promise<PreparedCall> | PreparedCall;
	/** Items made from WeChat's answer; default: the answer as one item. */
	toItems?(answer: IDataObject, call: PreparedCall): IDataObject[];
	/** The next call of a paged operation (Return All / Limit), from the answer and the call made; none: done. */
	next?(answer: IDataObject, call: PreparedCall): PreparedCall | undefined;
}

/** A resource of the node: its option in the Resource list and its operations. */
export interface NodeResource {
	value: string;
	name: string;
	operations: NodeOperation[];
	/** The Operation field's default (resourcesFor sets it); absent: the first listed. */
	defaultOperation?: string;
	/** Every operation is the product's own (catalogue `direct: false`): version 2 offers it in Gateway mode only. */
	gatewayOnly?: boolean;
}
