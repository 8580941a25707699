/**
 * Turns a message's `{url}` and `{file}` media into media_ids: every file is fetched (URLs, by the SSRF-safe
 * fetcher) and checked against WeChat's rules for its type BEFORE anything is uploaded, so a bad input
 * costs nothing; then each is uploaded once per content: the SHA-256 and type are looked up in the media
 * cache, and a hit within its 3 days (less a margin) is reused without calling WeChat.
 *
 * The upload is WeChat's `media/upload`, not a message: it does not count against the user's send window,
 * and a media_id uploaded for a send that is then refused stays cached for the next try.
 *
 * @example
 * ```ts
 * const uploader = new MediaUploader({ client, cache });
 * const prepared = await uploader.prepare('image', { media_id: { url: 'https://example.com/cat.png' } }, 'image');
 * const content = await uploader.upload(prepared); // { media_id: 'MEDIA_ID' }
 * ```
 */
import { createHash } from 'crypto';
import { safeFilename } from './filenames';
import type { WeChatRequestSpec, WeChatResult } from '../catalogue/types';
import { WeChatUnavailableError } from '../errors';
import type { FetchedFile } from '../net/fetcher';
import { ValidationError } from '../errors';
import type { SniffedMedia } from './formats';
import { checkMediaFile, MEDIA_LIFETIME_SECONDS, MEDIA_RULES, type MediaType } from './rules';
import { mediaSourcesOf, type PendingMedia } from './sources';

/** Where uploads are remembered by content (the table in the product; memory in n8n). */
export interface MediaCacheLike {
  get(type: string, sha256: string): Promise<{ mediaId: string; createdAt: number; expiresAt: number } | undefined>;
  put(type: string, sha256: string, media: { mediaId: string; createdAt: number }): Promise<boolean>;
  /** Forgets a media_id WeChat no longer knows (40007), only if it is still the one cached. */
  forget?(type: string, sha256: string, mediaId: string): Promise<boolean>;
}

/** Fetches a URL, capped at `maxBytes`; errors name `field`. */
export type MediaFetcher = (url: string, options: { maxBytes: number; field: string }) => Promise<Pick<FetchedFile, 'data' | 'filename'>>;

/** A file checked and ready to upload. */
export interface CheckedFile {
  type: MediaType;
  data: Uint8Array;
  sniffed: SniffedMedia;
  filename: string;
  sha256: string;
}

/** An uploaded file. */
export interface UploadedMedia {
  type: MediaType;
  media_id: string;
  /** Epoch seconds, as WeChat answers. */
  created_at: number;
  /** Epoch seconds: created_at + 3 days. */
  expires_at: number;
  /** Whether it came from the cache (no call to WeChat). */
  cached: boolean;
}

/** A message content whose media files are checked, not yet uploaded. */
export interface PreparedContent {
  content: Record<string, unknown>;
  files: Array<{ field: string; file: CheckedFile }>;
}

export interface MediaUploaderConfig {
  /** Calls WeChat (a WeChatClient, or an operation's `services.wechat`). */
  client: { request(spec: WeChatRequestSpec): Promise<WeChatResult> };
  /** Without one, every file is uploaded. */
  cache?: MediaCacheLike;
  /**
   * Fetches a URL a caller gave (the SSRF-safe `fetchUrl` of core/net in Lambda and locally; n8n's own
   * HTTP helpers in n8n). Passed in, so the catalogue never pulls a network stack into n8n's bundle.
   */
  fetchUrl?: MediaFetcher;
  /** The clock (ms), for cache entries. Default `Date.now`. */
  now?: () => number;
}

/** The request of WeChat's media/upload for a checked file. */
export function uploadRequest(file: CheckedFile): WeChatRequestSpec {
  return {
    method: 'POST',
    path: '/cgi-bin/media/upload',
    query: { type: file.type },
    file: { field: 'media', filename: file.filename, contentType: file.sniffed.contentType, data: file.data },
  };
}

/**
 * The name a file is uploaded as: the given one's base (in any script: UTF-8 in the multipart, media/filenames.ts)
 * with the extension the bytes call for.
 */
function uploadName(given: string | undefined, sniffed: SniffedMedia): string {
  const base = [...safeFilename(given ?? 'media').replace(/\.[^.]*$/, '')].slice(0, 64).join('') || 'media';
  return `${base}.${sniffed.extension}`;
}

/**
 * Checks bytes against a type's rules and names them for upload.
 *
 * @throws {ValidationError} naming `field` and the limit.
 */
export function checkFile(type: MediaType, data: Uint8Array, field: string, filename?: string): CheckedFile {
  const sniffed = checkMediaFile(type, data, field);
  return { type, data, sniffed, filename: uploadName(filename, sniffed), sha256: createHash('sha256').update(data).digest('hex') };
}

/** WeChat's answer to media/upload: `{type, media_id, created_at}` (a thumb may answer `thumb_media_id`). */
function uploadAnswer(answer: WeChatResult, fallbackCreatedAt: number): { mediaId: string; createdAt: number } {
  const id =
    typeof answer.media_id === 'string' ? answer.media_id : typeof answer.thumb_media_id === 'string' ? answer.thumb_media_id : undefined;
  if (!id) throw new WeChatUnavailableError('WeChat answered media/upload without a media_id');
  const createdAt =
    typeof answer.created_at === 'number' ? answer.created_at * 1000 : Number(answer.created_at) * 1000 || fallbackCreatedAt;
  return { mediaId: id, createdAt };
}

/** Uploads checked files once per content. See the module comment. */
export class MediaUploader {
  private readonly now: () => number;
  constructor(private readonly config: MediaUploaderConfig) {
    this.now = config.now ?? Date.now;
  }

  /**
   * Fetches a URL (capped at the type's size limit) and checks what came back.
   *
   * @throws {MediaUrlError} for a refused or failed URL; {ValidationError} for a file WeChat would refuse.
   */
  async fetchFile(type: MediaType, url: string, field: string): Promise<CheckedFile> {
    if (!this.config.fetchUrl) throw new ValidationError([{ field, rule: 'cannot be fetched here: give the file itself' }]);
    const fetched = await this.config.fetchUrl(url, { maxBytes: MEDIA_RULES[type].maxBytes, field });
    return checkFile(type, fetched.data, field, fetched.filename);
  }

  /** A `{url}` or `{file}` source, fetched if needed and checked. */
  async checkSource(pending: PendingMedia, where: string): Promise<CheckedFile> {
    const field = `${where}.${pending.field}`;
    if ('url' in pending.source) return this.fetchFile(pending.type, pending.source.url, `${field}.url`);
    return checkFile(pending.type, pending.source.file, `${field}.file`, pending.source.filename);
  }

  /**
   * Fetches and checks every `{url}` / `{file}` of a message's content, uploading nothing.
   *
   * @param where the content's field name in the message, for errors (e.g. `video`).
   */
  async prepare(msgtype: string, content: Record<string, unknown>, where = msgtype): Promise<PreparedContent> {
    const files: PreparedContent['files'] = [];
    for (const pending of mediaSourcesOf(msgtype, content))
      files.push({ field: pending.field, file: await this.checkSource(pending, where) });
    return { content, files };
  }

  /**
   * Uploads a checked file, or takes its media_id from the cache.
   *
   * @param options.fresh upload even if the cache holds a media_id (WeChat refused that one: 40007).
   */
  async uploadFile(file: CheckedFile, options: { fresh?: boolean } = {}): Promise<UploadedMedia> {
    const hit = options.fresh ? undefined : await this.config.cache?.get(file.type, file.sha256);
    if (hit)
      return {
        type: file.type,
        media_id: hit.mediaId,
        created_at: Math.floor(hit.createdAt / 1000),
        expires_at: Math.floor(hit.expiresAt / 1000),
        cached: true,
      };
    const answer = await this.config.client.request(uploadRequest(file));
    const { mediaId, createdAt } = uploadAnswer(answer, this.now());
    await this.config.cache?.put(file.type, file.sha256, { mediaId, createdAt });
    const created = Math.floor(createdAt / 1000);
    return { type: file.type, media_id: mediaId, created_at: created, expires_at: created + MEDIA_LIFETIME_SECONDS, cached: false };
  }

  /** The content with each prepared file replaced by its media_id. */
  async upload(prepared: PreparedContent): Promise<Record<string, unknown>> {
    return (await this.uploadAll(prepared)).content;
  }

  /** {@link upload}, also saying what became of each file (from the cache or uploaded now). */
  async uploadAll(
    prepared: PreparedContent,
  ): Promise<{ content: Record<string, unknown>; uploads: Array<{ field: string; file: CheckedFile; media: UploadedMedia }> }> {
    const content = { ...prepared.content };
    const uploads: Array<{ field: string; file: CheckedFile; media: UploadedMedia }> = [];
    for (const { field, file } of prepared.files) {
      const media = await this.uploadFile(file);
      content[field] = media.media_id;
      uploads.push({ field, file, media });
    }
    return { content, uploads };
  }

  /**
   * Uploads again files whose cached media_id WeChat refused (40007: it forgot them before their 3 days,
   * or the cache outlived them): each stale entry is forgotten (only if it still holds that media_id) and
   * the file uploaded afresh, which caches the new media_id.
   *
   * @returns the content with the new media_ids.
   */
  async reupload(
    content: Record<string, unknown>,
    stale: ReadonlyArray<{ field: string; file: CheckedFile; mediaId: string }>,
  ): Promise<Record<string, unknown>> {
    const out = { ...content };
    for (const { field, file, mediaId } of stale) {
      await this.config.cache?.forget?.(file.type, file.sha256, mediaId);
      out[field] = (await this.uploadFile(file, { fresh: true })).media_id;
    }
    return out;
  }
}
