/**
 * Reads a multipart/form-data body with busboy: a file upload (an avatar, media) or a send whose media are
 * files (docs/media.md).
 */
import busboy from 'busboy';
import { ValidationError } from '../core/errors';

/** Every part of a multipart/form-data body: text fields and files, by part name. */
export interface MultipartParts {
  fields: Record<string, string>;
  files: Record<string, { data: Buffer; filename?: string }>;
}

/**
 * Reads every part of a multipart/form-data body (at most 8 files of `maxBytes` each, 64 text fields).
 *
 * @example
 * ```ts
 * const { fields, files } = await readMultipartParts(body, headers['content-type'], 10 * 1024 * 1024);
 * ```
 */
export function readMultipartParts(body: Buffer, contentType: string, maxBytes: number): Promise<MultipartParts> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        defParamCharset: 'utf8',
        limits: { files: 8, fields: 64, fileSize: maxBytes + 1, fieldSize: 1024 * 1024 },
      });
    } catch (error) {
      reject(new ValidationError([{ field: '(body)', rule: `must be multipart/form-data with a boundary (${(error as Error).message})` }]));
      return;
    }
    const out: MultipartParts = { fields: {}, files: {} };
    let failure: Error | undefined;
    parser.on('field', (name, value) => {
      out.fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failure = new ValidationError([{ field: name, rule: `must be at most ${maxBytes / 1024 / 1024} MB` }]);
      });
      stream.on('close', () => {
        out.files[name] = { data: Buffer.concat(chunks), ...(info.filename ? { filename: info.filename } : {}) };
      });
    });
    parser.on('filesLimit', () => {
      failure = new ValidationError([{ field: '(body)', rule: 'may carry at most 8 files' }]);
    });
    parser.on('error', (error) =>
      reject(new ValidationError([{ field: '(body)', rule: `is not valid multipart/form-data (${(error as Error).message})` }])),
    );
    parser.on('close', () => (failure ? reject(failure) : resolve(out)));
    parser.end(body);
  });
}
