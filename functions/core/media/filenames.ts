/**
 * File names kept in UTF-8 from end to end (docs/media.md, "File names"): `猫.png` uploaded is `猫.png` to
 * WeChat and `猫.png` downloaded, never `_.png`.
 *
 * - In a multipart body (an upload, ours to WeChat or a caller's to us) the name is UTF-8 inside
 *   `filename="..."`, as browsers send it (RFC 7578 §4.2); busboy reads it so with `defParamCharset: 'utf8'`.
 * - In a response header, which carries only Latin-1 safely, `Content-Disposition` gives an ASCII
 *   `filename="..."` for old clients and the real name as `filename*=UTF-8''…` (RFC 5987 / RFC 6266).
 *
 * @example
 * ```ts
 * contentDisposition('猫 1.png'); // `attachment; filename="_ 1.png"; filename*=UTF-8''%E7%8C%AB%201.png`
 * filenameFromDisposition(`attachment; filename="_.png"; filename*=UTF-8''%E7%8C%AB.png`); // '猫.png'
 * ```
 */

/** Characters no file name keeps: controls, quotes, path separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern removes
const UNSAFE = /[\u0000-\u001f\u007f"\\/]/g;

/**
 * A name safe to put in a header or a multipart part: its last path segment, without controls, quotes or
 * separators; letters of any script are kept.
 */
export function safeFilename(name: string): string {
  return name.replace(/^.*[\\/]/, '').replace(UNSAFE, '_');
}

/** RFC 5987's attr-char percent-encoding of UTF-8 (`encodeURIComponent` leaves `'()*` and `!` as they are). */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The `Content-Disposition` of a file answer: an ASCII fallback, and `filename*` when the name is not ASCII.
 *
 * @example
 * ```ts
 * contentDisposition('photo.jpg'); // 'attachment; filename="photo.jpg"'
 * ```
 */
export function contentDisposition(name: string): string {
  const safe = safeFilename(name);
  const ascii = safe.replace(/[^\x20-\x7e]/g, '_');
  return ascii === safe ? `attachment; filename="${ascii}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}

/**
 * The file name a `Content-Disposition` header gives: `filename*` (RFC 5987, UTF-8 or Latin-1) before
 * `filename`, or undefined.
 */
export function filenameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*([A-Za-z0-9_-]+)'[^']*'([^;\s]+)/i.exec(header);
  if (extended?.[2]) {
    const charset = extended[1]!.toLowerCase();
    try {
      // Latin-1: each %XX is the character XX.
      const decoded =
        charset === 'utf-8'
          ? decodeURIComponent(extended[2])
          : extended[2].replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (decoded) return safeFilename(decoded);
    } catch {
      // A broken encoding: fall back to the plain filename.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(header);
  const value = plain?.[1] ?? plain?.[2];
  if (!value) return undefined;
  // A server that put percent-encoding in the plain form (some do) is read as it meant.
  let name = value;
  try {
    if (/%[0-9A-Fa-f]{2}/.test(value)) name = decodeURIComponent(value);
  } catch {
    name = value;
  }
  return safeFilename(name) || undefined;
}
