import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { mediaSourcesOfField, type FieldSpec, type MediaSource } from '../../../../functions/core/catalogue';

/**
 * A catalogue `media` field in n8n (docs/media.md): a **Source** option (Media ID | Binary Property | URL,
 * as the field's `sources` allow) and one parameter per source. The value handed to the catalogue is the
 * media_id (a string), `{file, filename}` (the bytes of the input item's binary property) or `{url}`;
 * the core checks the file by its bytes and uploads it (Direct mode), or the product does (Gateway mode).
 *
 * Parameter names, from the field's n8n name (e.g. `thumbMediaId`): `thumbMediaId` (the media_id, so
 * workflows that set a media_id keep working), `thumbMediaIdSource`, `thumbMediaIdBinaryProperty`,
 * `thumbMediaIdUrl`.
 */

const SOURCE_LABELS: Readonly<Record<MediaSource, { name: string; description: string }>> = {
	mediaId: { name: 'Media ID', description: 'A media_id WeChat already holds (uploaded in the last 3 days, or a MediaId a user sent)' },
	file: { name: 'Binary Property', description: 'A file of the input item (e.g. from Read/Write Files, HTTP Request or Convert to File)' },
	url: { name: 'URL', description: 'An https:// URL the file is fetched from' },
};

/** The parameter names of a media field's source, binary property and URL. */
export function mediaParameterNames(name: string): { source: string; binary: string; url: string } {
	return { source: `${name}Source`, binary: `${name}BinaryProperty`, url: `${name}Url` };
}

/**
 * The n8n parameters of a `media` field.
 *
 * @example
 * ```ts
 * mediaFieldProperties({ name: 'media_id', displayName: 'Image', type: 'media', required: true }, 'mediaId');
 * // [Image Source (options), Image (the media_id), Image Binary Property, Image URL]
 * ```
 */
export function mediaFieldProperties(field: FieldSpec, name: string): INodeProperties[] {
	const sources = mediaSourcesOfField(field);
	const names = mediaParameterNames(name);
	const label = field.displayName.replace(/ Media ID$/, '').replace(/^Media ID$/, 'Media');
	const rules = field.rules?.length ? ` Rules: ${field.rules.join('; ')}.` : '';
	const shown = (source: MediaSource) => ({ displayOptions: { show: { [names.source]: [source] } } });
	// The options and their default come from the catalogue's data (Object.assign: the linter reads only literals).
	const generated = {
		options: sources.map((source) => ({ name: SOURCE_LABELS[source].name, value: source, description: SOURCE_LABELS[source].description })),
		default: sources[0] ?? 'mediaId',
		description: `Where the ${label.toLowerCase()} comes from.${rules}`,
	};
	const properties: INodeProperties[] = [
		Object.assign({ displayName: `${label} Source`, name: names.source, type: 'options' as const, default: '' }, generated),
	];
	if (sources.includes('mediaId')) {
		properties.push({
			displayName: field.displayName,
			name,
			type: 'string',
			default: '',
			...(field.required ? { required: true } : {}),
			...(field.placeholder ? { placeholder: field.placeholder } : {}),
			description: field.description ?? 'A media_id',
			...shown('mediaId'),
		});
	}
	if (sources.includes('file')) {
		properties.push({
			displayName: `${label} Binary Property`,
			name: names.binary,
			type: 'string',
			default: 'data',
			required: true,
			hint: 'The name of the binary property of the input item that holds the file',
			description: `The input item's binary property holding the file; it is checked by its bytes (${field.rules?.at(-1) ?? "WeChat's limits"}) and uploaded for you`,
			...shown('file'),
		});
	}
	if (sources.includes('url')) {
		properties.push({
			displayName: `${label} URL`,
			name: names.url,
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://example.com/picture.jpg',
			description: 'The https:// URL of the file; it is fetched, checked by its bytes and uploaded for you',
			...shown('url'),
		});
	}
	return properties;
}

/**
 * Reads a `media` field of one item: the media_id, `{file, filename}` from the binary property, or `{url}`.
 * Undefined when the media_id is left empty (the catalogue's parse then says it is required).
 *
 * @throws {NodeOperationError} naming the field when the binary property is missing or holds no file.
 */
export async function readMediaField(
	ctx: IExecuteFunctions,
	field: FieldSpec,
	name: string,
	itemIndex: number,
	where = field.name,
): Promise<string | IDataObject | undefined> {
	const sources = mediaSourcesOfField(field);
	const names = mediaParameterNames(name);
	const source = ctx.getNodeParameter(names.source, itemIndex, sources[0]) as MediaSource;
	if (!sources.includes(source)) {
		throw new NodeOperationError(
			ctx.getNode(),
			`${field.displayName} (${where}): the source must be one of ${sources.join(', ')}, got "${String(source)}"`,
			{ itemIndex },
		);
	}
	if (source === 'url') {
		const url = String(ctx.getNodeParameter(names.url, itemIndex, '') ?? '').trim();
		if (url === '') {
			throw new NodeOperationError(ctx.getNode(), `${field.displayName} (${where}): the URL is empty`, {
				itemIndex,
				description: 'Give the https:// URL of the file, or choose another source',
			});
		}
		return { url };
	}
	if (source === 'file') {
		const property = String(ctx.getNodeParameter(names.binary, itemIndex, 'data') ?? '').trim();
		const described = `${field.displayName} (${where})`;
		if (property === '') {
			throw new NodeOperationError(ctx.getNode(), `${described}: the binary property name is empty`, {
				itemIndex,
				description: 'Set it to the name of a binary property of the input item, e.g. data',
			});
		}
		const binary = ctx.getInputData()[itemIndex]?.binary?.[property];
		if (!binary) {
			const present = Object.keys(ctx.getInputData()[itemIndex]?.binary ?? {});
			throw new NodeOperationError(ctx.getNode(), `${described}: the input item has no binary property "${property}"`, {
				itemIndex,
				description: present.length
					? `The item's binary properties are: ${present.join(', ')}. Set the binary property to one of them, or choose another source.`
					: 'The input item holds no file. Produce one first (Read/Write Files, HTTP Request with Response Format File, Convert to File), or choose another source.',
			});
		}
		const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
		return {
			file: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as unknown as IDataObject,
			...(binary.fileName ? { filename: binary.fileName } : {}),
		};
	}
	const mediaId = String(ctx.getNodeParameter(name, itemIndex, '') ?? '').trim();
	return mediaId === '' ? undefined : mediaId;
}
