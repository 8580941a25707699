import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { FieldSpec, Operation } from '../../../../functions/core/catalogue';
import { mediaFieldProperties, readMediaField } from './media-field';
import { simplifyEntry, SIMPLIFY_PROPERTY } from './simplify';
import type { NodeOperation } from './types';
import { v2Property } from './v2-fields';
import type { NodeVersion } from './versions';

/** n8n's parameter name of a catalogue field: its camelCase (`kf_account` → `kfAccount`). */
export function parameterName(field: string): string {
	return field.replace(/[._]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** "uploadAvatar" → "Upload Avatar"; "kfAccount" → "Kf Account". */
export function titleCase(camel: string): string {
	const words = camel.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
	return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The name of the parameter that holds the input binary field's name, for file fields. */
export const BINARY_PROPERTY = 'binaryPropertyName';

/** The parameter that splits a list answer into one item per entry. */
export const SPLIT_PROPERTY = 'splitIntoItems';

/** The parameter naming the output binary property of an operation that answers a file (as n8n's own nodes name it). */
export const OUTPUT_BINARY_PROPERTY = 'binaryPropertyName';

/** The Options collection of an operation that may answer a file (the passthrough). */
export const OPTIONS_PROPERTY = 'options';

/**
 * An n8n parameter from a catalogue field (without displayOptions: the resource adds them).
 *
 * @example
 * ```ts
 * fieldProperty({ name: 'kf_account', displayName: 'Kf Account', type: 'string', required: true });
 * // { displayName: 'Kf Account', name: 'kfAccount', type: 'string', required: true, default: '' }
 * ```
 */
export function fieldProperty(field: FieldSpec, name = parameterName(field.name)): INodeProperties {
	const base = {
		displayName: field.displayName,
		name,
		...(field.required ? { required: true } : {}),
		...(field.description ? { description: field.description } : {}),
		...(field.placeholder ? { placeholder: field.placeholder } : {}),
	};
	switch (field.type) {
		case 'file':
			return {
				displayName: 'Input Binary Field',
				name: BINARY_PROPERTY,
				type: 'string',
				required: true,
				default: 'data',
				hint: `The name of the input binary field holding ${field.description ?? field.displayName}`,
			};
		case 'boolean':
			return { ...base, type: 'boolean', default: field.default === true };
		case 'number':
			return { ...base, type: 'number', default: typeof field.default === 'number' ? field.default : 0 };
		case 'json':
			return { ...base, type: 'json', default: typeof field.default === 'string' ? field.default : '' };
		case 'enum': {
			const options: INodePropertyOptions[] = [...(field.enum ?? [])]
				.sort((a, b) => a.name.localeCompare(b.name))
				.map((o) => ({ name: o.name, value: o.value, ...(o.description ? { description: o.description } : {}) }));
			return { ...base, type: 'options', options, default: String(field.default ?? field.enum?.[0]?.value ?? '') };
		}
		default:
			return {
				...base,
				type: 'string',
				default: typeof field.default === 'string' ? field.default : '',
				...(field.secret ? { typeOptions: { password: true } } : field.multiline ? { typeOptions: { rows: 4 } } : {}),
			};
	}
}

/**
 * The n8n parameters of a catalogue field: one, or for a `media` field its Source and one per source
 * (actions/media-field.ts).
 */
export function fieldProperties(field: FieldSpec, name = parameterName(field.name)): INodeProperties[] {
	return field.type === 'media' ? mediaFieldProperties(field, name) : [fieldProperty(field, name)];
}

/**
 * Version 2's Simplify switch of a list operation (actions/simplify.ts).
 *
 * @example
 * ```ts
 * properties.push(simplifyProperty());
 * ```
 */
export function simplifyProperty(): INodeProperties {
	return {
		displayName: 'Simplify',
		name: SIMPLIFY_PROPERTY,
		type: 'boolean',
		default: true,
		description: 'Whether to return a simplified version of each entry instead of the raw data',
	};
}

/** Sets `a.b.c` of an input (catalogue field names of nested objects are dotted). */
function setPath(input: IDataObject, dotted: string, value: unknown): void {
	const keys = dotted.split('.');
	let node = input;
	for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as IDataObject;
	node[keys[keys.length - 1]!] = value as IDataObject;
}

/** Reads one field's value from the node's parameters; undefined when an optional field is left empty. */
async function readField(ctx: IExecuteFunctions, field: FieldSpec, itemIndex: number, input: IDataObject): Promise<void> {
	const name = parameterName(field.name);
	if (field.type === 'media') {
		const value = await readMediaField(ctx, field, name, itemIndex);
		if (value !== undefined) setPath(input, field.name, value);
		return;
	}
	if (field.type === 'file') {
		const property = ctx.getNodeParameter(BINARY_PROPERTY, itemIndex) as string;
		const binary = ctx.helpers.assertBinaryData(itemIndex, property);
		const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
		input[field.name] = new Uint8Array(data) as unknown as IDataObject;
		if (binary.fileName) input.filename = binary.fileName;
		return;
	}
	// extractValue: a resource locator's (version 2) value; any other parameter's as it is.
	const value = ctx.getNodeParameter(name, itemIndex, field.default ?? '', { extractValue: true }) as unknown;
	if (field.type === 'json' && typeof value === 'string') {
		if (value.trim() === '') return;
		try {
			input[field.name] = JSON.parse(value) as IDataObject;
		} catch (error) {
			throw new NodeOperationError(ctx.getNode(), `${field.displayName} is not valid JSON: ${(error as Error).message}`, { itemIndex });
		}
		return;
	}
	if (Array.isArray(value) && value.length === 0 && !field.required) return;
	if (typeof value === 'string') {
		const text = field.secret || field.multiline ? value : value.trim();
		if (text === '' && !field.required) return;
		input[field.name] = text;
		return;
	}
	input[field.name] = value as IDataObject;
}

/**
 * The node operation of a catalogue entry, generated from its fields: one parameter per field (a binary
 * field name for a file), the input built from them, a Split Into Items switch when the answer lists
 * items (and, version 2, a Simplify switch). A field with `onlyWith` is sent only when that field is.
 * Version 2 shows some fields otherwise (actions/v2-fields.ts: locators, date pickers, an events multi-select).
 */
export function generatedOperation(op: Operation, version: NodeVersion = 1): NodeOperation {
	const properties = op.fields.flatMap((field) => {
		const v2 = version >= 2 ? v2Property(field, parameterName(field.name), op) : undefined;
		return v2 ? [v2] : fieldProperties(field);
	});
	const listField = op.answer?.kind === 'json' ? op.answer.listField : undefined;
	const answersFile = op.answer?.kind === 'file';
	// JSON usually, a file sometimes (the passthrough): where the file goes is an option, as in n8n's HTTP Request node.
	const mayAnswerFile = op.answer?.kind === 'json' && op.answer.mayAnswerFile === true;
	if (mayAnswerFile) {
		properties.push({
			displayName: 'Options',
			name: OPTIONS_PROPERTY,
			type: 'collection',
			placeholder: 'Add option',
			default: {},
			options: [
				{
					displayName: 'Put Output File in Field',
					name: OUTPUT_BINARY_PROPERTY,
					type: 'string',
					default: 'data',
					hint: 'The name of the output binary field to put the file in, when WeChat answers a file (media/get, a QR code) rather than JSON',
				},
			],
		});
	}
	if (answersFile) {
		properties.push({
			displayName: 'Put Output File in Field',
			name: OUTPUT_BINARY_PROPERTY,
			type: 'string',
			required: true,
			default: 'data',
			hint: 'The name of the output binary field to put the file in',
		});
	}
	if (listField) {
		properties.push({
			displayName: 'Split Into Items',
			name: SPLIT_PROPERTY,
			type: 'boolean',
			default: true,
			description: `Whether to output one item per entry of ${listField}, or the answer as one item`,
		});
		if (version >= 2) properties.push(simplifyProperty());
	}
	return {
		value: op.action,
		name: titleCase(op.action),
		action: op.title,
		catalogue: [op.name],
		description: op.description,
		properties,
		async prepare(itemIndex) {
			const input: IDataObject = {};
			for (const field of op.fields) await readField(this, field, itemIndex, input);
			for (const field of op.fields) {
				if (field.onlyWith !== undefined && input[field.onlyWith] === undefined) delete input[field.name];
			}
			const settings: IDataObject = {};
			if (listField) settings.split = this.getNodeParameter(SPLIT_PROPERTY, itemIndex, true) as boolean;
			if (listField && version >= 2) settings.simplify = this.getNodeParameter(SIMPLIFY_PROPERTY, itemIndex, true) as boolean;
			if (answersFile) settings.binaryProperty = String(this.getNodeParameter(OUTPUT_BINARY_PROPERTY, itemIndex, 'data') || 'data');
			if (mayAnswerFile) {
				const options = this.getNodeParameter(OPTIONS_PROPERTY, itemIndex, {}) as IDataObject;
				settings.binaryProperty = String(options[OUTPUT_BINARY_PROPERTY] ?? '').trim() || 'data';
			}
			return { operation: op.name, input, settings };
		},
		toItems(answer, call) {
			if (!listField) return [answer];
			const list = Array.isArray(answer[listField]) ? (answer[listField] as IDataObject[]) : [];
			const entries = call.settings?.simplify === true ? list.map((entry) => simplifyEntry(listField, entry)) : list;
			if (call.settings?.split === false) return [call.settings?.simplify === true ? { ...answer, [listField]: entries } : answer];
			return entries;
		},
	};
}
