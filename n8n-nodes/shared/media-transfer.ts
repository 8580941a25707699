import type { IBinaryData, IDataObject, IN8nHttpFullResponse } from 'n8n-workflow';
import type { FileResult, Operation } from '../../functions/core/catalogue';
import { filenameFromDisposition } from '../../functions/core/media/filenames';

/**
 * Files between n8n and the product (docs/media.md): the bodies Gateway mode sends when an input holds
 * files (multipart/form-data, as the product's routes take them), the file a route answers with
 * (GET /media/{media_id}), and n8n's binary data of an item.
 */

/** One part of a multipart/form-data body: text, or a file with its name. */
export type FormPart = { name: string; value: string } | { name: string; data: Uint8Array; filename: string; contentType?: string };

const CRLF = '\r\n';

/** Part names and file names go inside quoted header values: no quotes, no line breaks. */
const quoted = (text: string) => text.replace(/["\r\n\\]/g, '_');

/**
 * A multipart/form-data body of several parts (the core's `multipartBody` makes one file part only).
 *
 * @example
 * ```ts
 * const { body, contentType } = formData([{ name: 'message', value: '{"touser":"o1"}' }, { name: 'image.media_id', data, filename: 'a.jpg' }], 'b1');
 * ```
 */
export function formData(
	parts: readonly FormPart[],
	boundary = `----wechatkfn8n${Date.now().toString(16)}${Math.random().toString(16).slice(2)}`,
): { body: Buffer; contentType: string } {
	const chunks: Buffer[] = [];
	for (const part of parts) {
		if ('value' in part) {
			chunks.push(
				Buffer.from(
					`--${boundary}${CRLF}Content-Disposition: form-data; name="${quoted(part.name)}"${CRLF}Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}`,
					'utf8',
				),
			);
			chunks.push(Buffer.from(part.value, 'utf8'));
		} else {
			chunks.push(
				Buffer.from(
					`--${boundary}${CRLF}Content-Disposition: form-data; name="${quoted(part.name)}"; filename="${quoted(part.filename)}"${CRLF}Content-Type: ${part.contentType ?? 'application/octet-stream'}${CRLF}${CRLF}`,
					'utf8',
				),
			);
			chunks.push(Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength));
		}
		chunks.push(Buffer.from(CRLF, 'utf8'));
	}
	chunks.push(Buffer.from(`--${boundary}--${CRLF}`, 'utf8'));
	return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A `{file, filename?}` value of an input (a media field given as a file). */
function isFileValue(value: unknown): value is { file: Uint8Array; filename?: string } {
	return typeof value === 'object' && value !== null && (value as { file?: unknown }).file instanceof Uint8Array;
}

/**
 * The input without its files, and each file at its dotted path (`image.media_id`): the product's
 * multipart convention for JSON inputs that carry files.
 */
export function splitFiles(
	input: IDataObject,
	prefix = '',
): { json: IDataObject; files: Array<{ path: string; data: Uint8Array; filename: string }> } {
	const json: IDataObject = {};
	const files: Array<{ path: string; data: Uint8Array; filename: string }> = [];
	for (const [key, value] of Object.entries(input)) {
		const path = prefix ? `${prefix}.${key}` : key;
		if (isFileValue(value)) files.push({ path, data: value.file, filename: value.filename ?? key });
		else if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)) {
			const inner = splitFiles(value as IDataObject, path);
			json[key] = inner.json;
			files.push(...inner.files);
		} else json[key] = value;
	}
	return { json, files };
}

/**
 * The body of a Gateway-mode request whose input holds files, as the product's route takes it; undefined
 * when it holds none (the caller sends JSON).
 * - an upload (input kind `file`): multipart with the file in the entry's field (its other fields are in
 *   the query or are text parts), or JSON `{field: {url}}` for a URL;
 * - any other input with `{file}` values (sends whose media are files): multipart with a `message` part
 *   holding the JSON and each file as a part named by its dotted path (`video.thumb_media_id`).
 *
 * @param inUrl the input fields that travel in the URL (path and query parameters), left out of the body.
 */
export function gatewayFileBody(
	op: Operation,
	input: IDataObject,
	inUrl: ReadonlySet<string>,
): { body: Buffer | IDataObject; headers: IDataObject } | undefined {
	const rest = Object.fromEntries(Object.entries(input).filter(([key]) => !inUrl.has(key))) as IDataObject;
	const spec = op.input;
	if (spec.kind === 'file') {
		const value = rest[spec.field];
		if (!isFileValue(value)) return undefined;
		const parts: FormPart[] = Object.entries(rest)
			.filter(
				([key, v]) =>
					key !== spec.field && key !== 'filename' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'),
			)
			.map(([key, v]) => ({ name: key, value: String(v) }));
		parts.push({ name: spec.field, data: value.file, filename: value.filename ?? String(rest.filename ?? spec.field) });
		const { body, contentType } = formData(parts);
		return { body, headers: { 'content-type': contentType } };
	}
	const { json, files } = splitFiles(rest);
	if (files.length === 0) return undefined;
	const { body, contentType } = formData([
		{ name: 'message', value: JSON.stringify(json) },
		...files.map((f) => ({ name: f.path, data: f.data, filename: f.filename })),
	]);
	return { body, headers: { 'content-type': contentType } };
}

/** The filename of a Content-Disposition header, if it gives one. */
export function filenameOfDisposition(disposition: unknown): string | undefined {
	const text = Array.isArray(disposition) ? String(disposition[0] ?? '') : typeof disposition === 'string' ? disposition : '';
	// The product's one reader: filename* (RFC 5987, the UTF-8 name) before the ASCII filename.
	return filenameFromDisposition(text);
}

/** A file answer (`encoding: 'arraybuffer'`, full response) as a file result: bytes, content type, name. */
export function fileFromResponse(response: IN8nHttpFullResponse): FileResult & { contentType: string } {
	const headers = (response.headers ?? {}) as Record<string, unknown>;
	const raw = response.body as unknown;
	const data = Buffer.isBuffer(raw) ? raw : raw instanceof ArrayBuffer ? Buffer.from(raw) : Buffer.from(String(raw ?? ''), 'utf8');
	const contentType = String(headers['content-type'] ?? 'application/octet-stream')
		.split(';')[0]!
		.trim();
	const filename = filenameOfDisposition(headers['content-disposition']);
	return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), contentType, ...(filename ? { filename } : {}) };
}

/** Whether an answer body is JSON rather than a file (an error or WeChat's errcode). */
export function isJsonAnswer(response: IN8nHttpFullResponse): boolean {
	const type = String((response.headers as Record<string, unknown> | undefined)?.['content-type'] ?? '');
	return /json/i.test(type);
}

/** The JSON of a body fetched as bytes. */
export function jsonOfBytes(response: IN8nHttpFullResponse): IDataObject {
	const raw = response.body as unknown;
	const text = Buffer.isBuffer(raw)
		? raw.toString('utf8')
		: raw instanceof ArrayBuffer
			? Buffer.from(raw).toString('utf8')
			: typeof raw === 'string'
				? raw
				: JSON.stringify(raw ?? {});
	try {
		return JSON.parse(text) as IDataObject;
	} catch {
		return { error: { message: text.slice(0, 500) } };
	}
}

/** What an item's JSON says about a file put into its binary data. */
export function fileSummary(binary: IBinaryData, property: string): IDataObject {
	return { binaryProperty: property, fileName: binary.fileName ?? null, mimeType: binary.mimeType, fileSize: binary.fileSize ?? null };
}
