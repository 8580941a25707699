/**
 * A minimal multipart/form-data reader: enough for uploadheadimg's one file part.
 *
 * @example
 * ```ts
 * const parts = parseMultipart(body, req.headers['content-type']);
 * const media = parts?.find((p) => p.name === 'media');
 * ```
 */

/** One part of a multipart body. */
export interface MultipartPart {
  name?: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a multipart/form-data content type, or undefined when it is not one. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType.trim())) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * The parts of a multipart/form-data body, or undefined when the content type is not multipart or the
 * body does not follow it.
 */
export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] | undefined {
  const boundary = boundaryOf(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    // Skip the CRLF after the delimiter.
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    else if (body[pos] === 0x0a) pos += 1;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return undefined;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return undefined;
    const headers = body.subarray(pos, headerEnd).toString('utf8').split(/\r\n/);
    const part: MultipartPart = { data: body.subarray(headerEnd + 4, next) };
    for (const line of headers) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') {
        const name = /\bname="([^"]*)"/i.exec(value) ?? /\bname=([^;\s]+)/i.exec(value);
        const filename = /\bfilename="([^"]*)"/i.exec(value) ?? /\bfilename=([^;\s]+)/i.exec(value);
        if (name) part.name = name[1];
        if (filename) part.filename = filename[1];
      } else if (key === 'content-type') {
        part.contentType = value;
      }
    }
    parts.push(part);
    pos = next + 2;
  }
  return parts;
}
