/**
 * Temporary media (docs/media.md): upload a file (or a URL) as image, voice, video or thumb and get its
 * media_id for 3 days; download what a media_id names (what users send arrives as a MediaId).
 */
import * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { checkFile, MediaUploader, type CheckedFile } from '../media/uploader';
import { MEDIA_RULES, MEDIA_TYPES, type MediaType } from '../media/rules';
import { formatBytes } from '../media/rules';
import { IssuedUrlError, MediaUrlError } from '../net/errors';
import { optionalString, parseOrThrow, requiredObject, requiredString, typeName } from '../validation';
import { WECHAT_CALL_NEEDS } from './fields';
import type { FileResult, Operation } from './types';

/** Input of uploadMedia: a checked file, or a URL to fetch (in `prepare`). */
export interface UploadMediaInput {
  type: MediaType;
  file?: CheckedFile;
  url?: string;
}

/** Input of getMedia. */
export interface GetMediaInput {
  media_id: string;
}

const LARGEST = Math.max(...MEDIA_TYPES.map((t) => MEDIA_RULES[t].maxBytes));

const typeSchema = z.enum(MEDIA_TYPES, {
  error: (iss) =>
    iss.input === undefined
      ? `is required: ${MEDIA_TYPES.join(', ')}`
      : `must be one of ${MEDIA_TYPES.join(', ')}, got ${JSON.stringify(iss.input)}`,
});

function parseUpload(input: unknown): UploadMediaInput {
  const parsed = parseOrThrow(
    requiredObject(
      {
        type: typeSchema,
        // The bytes, base64, or (a `media` field, as n8n and other form callers give it) {file, filename?} / {url}.
        media: z.optional(
          z.custom<Uint8Array | string | { file?: unknown; filename?: unknown; url?: unknown }>(
            (v) =>
              v === undefined ||
              v instanceof Uint8Array ||
              typeof v === 'string' ||
              (typeof v === 'object' && v !== null && !Array.isArray(v)),
            { error: (iss) => `must be the file as bytes or a base64 string, got ${typeName(iss.input)}` },
          ),
        ),
        url: optionalString('an https:// URL', z.maxLength(2048, { error: 'must have at most 2048 characters' })),
        filename: optionalString('a string', z.maxLength(200, { error: 'must have at most 200 characters' })),
      },
      'an object {type, media} or {type, url}',
    ),
    input,
  );
  if (typeof parsed.media === 'object' && !(parsed.media instanceof Uint8Array)) {
    // {url} / {file, filename?}: the same as the top-level url, or the bytes and their name.
    const { file, url, filename, ...rest } = parsed.media as { file?: unknown; filename?: unknown; url?: unknown };
    const extra = Object.keys(rest);
    if (extra.length > 0 || (file === undefined) === (url === undefined)) {
      throw new ValidationError([
        { field: 'media', rule: `must be the file, {file, filename?} or {url}${extra.length ? `, got ${extra.join(', ')}` : ''}` },
      ]);
    }
    if (url !== undefined && parsed.url !== undefined)
      throw new ValidationError([{ field: 'media', rule: 'give the file or a url, not both' }]);
    if (url !== undefined && (typeof url !== 'string' || url.length === 0 || url.length > 2048))
      throw new ValidationError([{ field: 'media.url', rule: 'must be an https:// URL of at most 2048 characters' }]);
    if (file !== undefined && !(file instanceof Uint8Array) && typeof file !== 'string')
      throw new ValidationError([{ field: 'media.file', rule: `must be the file as bytes or a base64 string, got ${typeName(file)}` }]);
    if (filename !== undefined && (typeof filename !== 'string' || filename.length > 200))
      throw new ValidationError([{ field: 'media.filename', rule: 'must be a string of at most 200 characters' }]);
    parsed.media = file as Uint8Array | string | undefined;
    parsed.url = (url as string | undefined) ?? parsed.url;
    parsed.filename = (filename as string | undefined) ?? parsed.filename;
  }
  if ((parsed.media === undefined) === (parsed.url === undefined)) {
    throw new ValidationError([
      { field: 'media', rule: 'give the file (field media: multipart, a raw body, or base64 in JSON) or a url, not both' },
    ]);
  }
  if (parsed.url !== undefined) return { type: parsed.type, url: parsed.url };
  let data: Uint8Array;
  if (typeof parsed.media === 'string') {
    const clean = parsed.media.replace(/^data:[^;,]+;base64,/, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw new ValidationError([{ field: 'media', rule: 'must be base64-encoded file bytes' }]);
    data = new Uint8Array(Buffer.from(clean, 'base64'));
  } else {
    data = parsed.media as Uint8Array;
  }
  return { type: parsed.type, file: checkFile(parsed.type, data, 'media', parsed.filename) };
}

/** The content types a raw upload body may be sent as. */
const UPLOAD_ACCEPTS = ['image/jpeg', 'image/png', 'image/gif', 'audio/amr', 'audio/mpeg', 'audio/mp3', 'video/mp4'] as const;

const MEDIA_NEEDS = WECHAT_CALL_NEEDS;

/** The media operations. */
export const MEDIA_OPERATIONS: readonly Operation[] = [
  {
    name: 'uploadMedia',
    resource: 'media',
    action: 'upload',
    title: 'Upload temporary media',
    description:
      "Uploads an image, voice message, video or thumbnail (a file, or a URL the product fetches) and answers its media_id, usable for 3 days. The file is checked by its bytes against WeChat's limits first; the same content is uploaded once and its media_id reused.",
    route: { method: 'POST', path: '/media' },
    endpoint: { method: 'POST', path: '/cgi-bin/media/upload' },
    input: { kind: 'file', field: 'media', maxBytes: LARGEST, accepts: UPLOAD_ACCEPTS },
    query: ['type'],
    gate: { kind: 'none' },
    fields: [
      {
        name: 'type',
        displayName: 'Type',
        type: 'enum',
        required: true,
        default: 'image',
        enum: MEDIA_TYPES.map((t) => ({
          value: t,
          name: t[0]!.toUpperCase() + t.slice(1),
          description: `${MEDIA_RULES[t].formats.map((f) => f.toUpperCase()).join(', ')}, at most ${formatBytes(MEDIA_RULES[t].maxBytes)}`,
        })),
        rules: MEDIA_TYPES.map(
          (t) =>
            `${t}: ${MEDIA_RULES[t].formats.join('/')} ≤ ${formatBytes(MEDIA_RULES[t].maxBytes)}${MEDIA_RULES[t].maxSeconds ? `, ≤ ${MEDIA_RULES[t].maxSeconds} s` : ''}`,
        ),
      },
      {
        name: 'media',
        displayName: 'File',
        type: 'media',
        required: true,
        // Uploading a media_id makes no sense: the file itself, or a URL the product fetches.
        sources: ['file', 'url'],
        description: 'The file, or an https:// URL the product fetches it from (top-level `url` over HTTP)',
        rules: ['read by its bytes, never by its name', 'a URL: https only, public addresses only'],
      },
    ],
    needs: MEDIA_NEEDS,
    // Holds a 10 MB file a few times over (the body, the multipart to WeChat).
    sizing: { memoryMb: 512, timeoutSeconds: 30 },
    parse: parseUpload,
    prepare: async (input, services) => {
      if (input.file || input.url === undefined) return input;
      const uploader = new MediaUploader({
        client: services.wechat,
        cache: services.mediaCache,
        fetchUrl: services.fetchUrl,
        now: services.now,
      });
      return { type: input.type, file: await uploader.fetchFile(input.type, input.url, 'url') };
    },
    perform: async (input, services) => {
      const uploader = new MediaUploader({
        client: services.wechat,
        cache: services.mediaCache,
        fetchUrl: services.fetchUrl,
        now: services.now,
      });
      if (!input.file) throw new ValidationError([{ field: 'media', rule: 'is required' }]);
      const uploaded = await uploader.uploadFile(input.file);
      return { type: uploaded.type, media_id: uploaded.media_id, created_at: uploaded.created_at, expires_at: uploaded.expires_at };
    },
  } satisfies Operation<UploadMediaInput>,
  {
    name: 'getMedia',
    resource: 'media',
    action: 'download',
    title: 'Download temporary media',
    description:
      'Downloads the file a media_id names (what a user sent: its MediaId), with its content type and name. Media_ids live 3 days.',
    route: { method: 'GET', path: '/media/{media_id}' },
    endpoint: { method: 'GET', path: '/cgi-bin/media/get' },
    input: { kind: 'json' },
    answer: { kind: 'file', contentType: 'application/octet-stream' },
    // A file answer to an event would go nowhere.
    acceptsEvents: false,
    gate: { kind: 'none' },
    fields: [
      {
        name: 'media_id',
        displayName: 'Media ID',
        type: 'string',
        required: true,
        placeholder: '={{ $json.mediaId }}',
        description: 'The media_id, e.g. the mediaId of a message a user sent',
      },
    ],
    needs: MEDIA_NEEDS,
    sizing: { memoryMb: 512, timeoutSeconds: 30 },
    parse: (input) =>
      parseOrThrow(
        requiredObject(
          {
            media_id: requiredString('a media_id').check(
              z.maxLength(256, { error: 'must have at most 256 characters' }),
              z.regex(/^[A-Za-z0-9_\-=.]+$/, { error: 'may hold only letters, digits and _ - = .' }),
            ),
          },
          'an object {media_id}',
        ),
        input,
      ) as GetMediaInput,
    perform: async (input, services): Promise<FileResult> => {
      const answer = await services.wechat.request({
        method: 'GET',
        path: '/cgi-bin/media/get',
        query: { media_id: input.media_id },
        answer: 'file',
      });
      const file = answer.file as { data: Uint8Array; contentType: string; filename?: string } | undefined;
      if (file) return { data: file.data, contentType: file.contentType, filename: file.filename ?? input.media_id };
      // A video answers {video_url}: a URL WeChat handed out, not the caller's input, so any web scheme
      // WeChat uses (its CDN serves http too) with the address checks kept, and a failure is WeChat's side
      // (502), never a 400 naming a field the caller did not send (docs/media.md).
      if (typeof answer.video_url === 'string') {
        const what = 'the video_url WeChat answered for this media_id';
        const maxBytes = MEDIA_RULES.video.maxBytes * 2;
        let video: { data: Uint8Array };
        if (services.fetchIssuedUrl) video = await services.fetchIssuedUrl(answer.video_url, { maxBytes, what });
        else if (services.fetchUrl) {
          video = await services.fetchUrl(answer.video_url, { maxBytes, field: 'video_url' }).catch((error: unknown) => {
            throw error instanceof MediaUrlError ? new IssuedUrlError(what, error.rule) : error;
          });
        } else throw new IssuedUrlError(what, `nothing here fetches URLs; WeChat serves the video at ${answer.video_url}`);
        return { data: video.data, contentType: 'video/mp4', filename: `${input.media_id}.mp4` };
      }
      throw new ValidationError([{ field: 'media_id', rule: 'WeChat answered neither a file nor a video_url for it' }]);
    },
  } satisfies Operation<GetMediaInput>,
];
