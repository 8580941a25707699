/**
 * Temporary media: what a file is (by its bytes) and WeChat's rules for each kind. See docs/media.md.
 *
 * @example
 * ```ts
 * import { checkMediaFile } from '../media';
 * checkMediaFile('voice', bytes, 'voice.file'); // { format: 'amr', contentType: 'audio/amr', extension: 'amr' }
 * ```
 */
export { audioSeconds, sniffMedia, type MediaFormat, type SniffedMedia } from './formats';
export {
  checkMediaFile,
  describeMediaRule,
  formatBytes,
  isMediaType,
  MEDIA_LIFETIME_SECONDS,
  MEDIA_RULES,
  MEDIA_TYPES,
  type MediaRule,
  type MediaType,
} from './rules';
export {
  assertNoPendingMedia,
  isPendingRef,
  MESSAGE_MEDIA_FIELDS,
  mediaRefSchema,
  mediaSourcesOf,
  type FileSource,
  type MediaRef,
  type PendingMedia,
  type UrlSource,
} from './sources';
export {
  checkFile,
  MediaUploader,
  uploadRequest,
  type CheckedFile,
  type MediaCacheLike,
  type MediaFetcher,
  type MediaUploaderConfig,
  type PreparedContent,
  type UploadedMedia,
} from './uploader';
