/**
 * Where a message's media may come from. Wherever WeChat takes a `media_id` or a `thumb_media_id` (image,
 * voice, video, music, miniprogrampage), the product also takes `{url}` (fetched by the SSRF-safe fetcher)
 * or `{file}` (the bytes: a multipart part over HTTP, a binary property in n8n, or base64 in JSON), uploads
 * it as temporary media of the right type, and sends the message with the media_id WeChat gave.
 *
 * @example
 * ```ts
 * import { MESSAGE_MEDIA_FIELDS, mediaSourcesOf } from './sources';
 * mediaSourcesOf('video', { media_id: { url: 'https://x/clip.mp4' }, thumb_media_id: 'THUMB_ID' });
 * // [{ field: 'media_id', type: 'video', source: { url: 'https://x/clip.mp4' } }]
 * ```
 */
import * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { reject, typeName, type Schema } from '../validation';
import type { MediaType } from './rules';

/** A file to upload: its bytes, as given. */
export interface FileSource {
  file: Uint8Array;
  filename?: string;
}

/** A file to fetch. */
export interface UrlSource {
  url: string;
}

/** A media field's value: WeChat's media_id, or where the file comes from. */
export type MediaRef = string | UrlSource | FileSource;

/** One media field of a message that is not a media_id yet. */
export interface PendingMedia {
  /** `media_id` or `thumb_media_id`. */
  field: string;
  /** The temporary media type it is uploaded as. */
  type: MediaType;
  source: UrlSource | FileSource;
}

/**
 * The media fields of each message type and the upload type of each. Video and music thumbnails are
 * `thumb` (JPG ≤ 64 KB, WeChat's thumbnail); a mini-program card's picture is an `image`: WeChat calls it
 * the card's picture (520×416 suggested), which rarely fits a 64 KB thumb (docs/media.md).
 */
export const MESSAGE_MEDIA_FIELDS: Readonly<Record<string, ReadonlyArray<{ field: string; type: MediaType }>>> = {
  image: [{ field: 'media_id', type: 'image' }],
  voice: [{ field: 'media_id', type: 'voice' }],
  video: [
    { field: 'media_id', type: 'video' },
    { field: 'thumb_media_id', type: 'thumb' },
  ],
  music: [{ field: 'thumb_media_id', type: 'thumb' }],
  miniprogrampage: [{ field: 'thumb_media_id', type: 'image' }],
};

/** The largest base64 string accepted for a file in JSON: a 10 MB file, encoded. */
const MAX_BASE64_CHARS = Math.ceil((10 * 1024 * 1024) / 3) * 4 + 4;

/**
 * The schema of a media field that takes a media_id, `{url}` or `{file}` (bytes, or base64 from JSON).
 *
 * @example
 * ```ts
 * mediaRefSchema().parse({ url: 'https://example.com/a.png' }); // { url: 'https://example.com/a.png' }
 * ```
 */
export function mediaRefSchema(): Schema<MediaRef> {
  const what = 'a media_id, {url} or {file}';
  return z.pipe(
    z.unknown(),
    z.transform((value: unknown, ctx): MediaRef => {
      if (typeof value === 'string') {
        if (value.length === 0) reject(ctx, 'must not be empty');
        return value;
      }
      if (value === undefined) {
        return reject(ctx, `is required: ${what}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return reject(ctx, `must be ${what}, got ${typeName(value)}`);
      }
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o).filter((k) => k !== 'filename');
      if (keys.length !== 1 || (keys[0] !== 'url' && keys[0] !== 'file')) {
        return reject(
          ctx,
          `must be ${what} (exactly one of url or file), got an object with ${keys.length ? keys.join(', ') : 'no fields'}`,
        );
      }
      if (o.filename !== undefined && (typeof o.filename !== 'string' || o.filename.length > 200)) {
        return reject(ctx, 'must be a string of at most 200 characters', ['filename']);
      }
      if (keys[0] === 'url') {
        if (typeof o.url !== 'string' || o.url.length === 0 || o.url.length > 2048) {
          return reject(ctx, `must be an https:// URL of at most 2048 characters, got ${typeName(o.url)}`, ['url']);
        }
        return { url: o.url };
      }
      const file = o.file;
      let bytes: Uint8Array;
      if (file instanceof Uint8Array) bytes = file;
      else if (typeof file === 'string') {
        const clean = file.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
        if (clean.length > MAX_BASE64_CHARS || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) {
          return reject(ctx, 'must be the file as bytes or base64 (at most 10 MB)', ['file']);
        }
        bytes = new Uint8Array(Buffer.from(clean, 'base64'));
      } else {
        return reject(ctx, `must be the file as bytes or base64, got ${typeName(file)}`, ['file']);
      }
      return { file: bytes, ...(typeof o.filename === 'string' ? { filename: o.filename } : {}) };
    }),
  ) as unknown as Schema<MediaRef>;
}

/** Whether a media field still names a file to upload rather than a media_id. */
export function isPendingRef(ref: unknown): ref is UrlSource | FileSource {
  return typeof ref === 'object' && ref !== null && ('url' in ref || 'file' in ref);
}

/**
 * The media fields of a message's content that are a `{url}` or `{file}`, with the type each is uploaded as.
 *
 * @example
 * ```ts
 * mediaSourcesOf('image', { media_id: 'ID' }); // [] (already a media_id)
 * ```
 */
export function mediaSourcesOf(msgtype: string, content: Record<string, unknown> | undefined): PendingMedia[] {
  const out: PendingMedia[] = [];
  for (const { field, type } of MESSAGE_MEDIA_FIELDS[msgtype] ?? []) {
    const ref = content?.[field];
    if (isPendingRef(ref)) out.push({ field, type, source: ref });
  }
  return out;
}

/**
 * Refuses a `{url}` or `{file}` where the product cannot upload it (a message type without media fields).
 *
 * @throws {ValidationError}
 */
export function assertNoPendingMedia(content: Record<string, unknown>, where: string): void {
  for (const [k, v] of Object.entries(content)) {
    if (isPendingRef(v))
      throw new ValidationError([
        {
          field: `${where}.${k}`,
          rule: 'must be a media_id: only image, voice, video, music and mini-program media can be given as {url} or {file}',
        },
      ]);
  }
}
