/**
 * The one error of a refused or failed URL fetch made on a caller's behalf.
 */
import { WeChatKfError } from '../errors';

/** Why a URL could not be used. */
export type MediaUrlErrorCode =
  /** The URL itself is refused: its scheme, credentials, address, or a redirect (400). */
  | 'MEDIA_URL_REFUSED'
  /** The file is larger than allowed (400). */
  | 'MEDIA_TOO_LARGE'
  /** The URL is fine but could not be fetched: no address, unreachable, too slow, not 2xx (422). */
  | 'MEDIA_URL_UNAVAILABLE';

/**
 * A URL given for a file was refused or could not be fetched; nothing was sent to WeChat.
 *
 * @example
 * ```ts
 * new MediaUrlError('MEDIA_URL_REFUSED', 'image.url', 'must be an https:// URL').toBody();
 * // { error: { code: 'MEDIA_URL_REFUSED', message: 'image.url: must be an https:// URL', field: 'image.url',
 * //   issues: [{ field: 'image.url', rule: 'must be an https:// URL' }] } }
 * ```
 */
export class MediaUrlError extends WeChatKfError {
  readonly field: string;
  readonly rule: string;
  constructor(code: MediaUrlErrorCode, field: string, rule: string) {
    super(code, code === 'MEDIA_URL_UNAVAILABLE' ? 422 : 400, `${field}: ${rule}`);
    this.field = field;
    this.rule = rule;
  }
  // `issues` as every 400 has them (ValidationError), so a caller that marks fields by `issues` (the
  // console's forms, n8n's gateway mode) marks this one too; `field` stays for the callers that read it.
  protected override details() {
    return { field: this.field, issues: [{ field: this.field, rule: this.rule }] };
  }
}

/**
 * A file WeChat pointed to (a video's `video_url`) could not be fetched: WeChat's side did not deliver,
 * so a 502 like any failed WeChat answer (retryable), naming what WeChat answered rather than a field of the
 * caller's input.
 *
 * @example
 * ```ts
 * new IssuedUrlError('the video_url WeChat answered', 'answered HTTP 404').message;
 * // 'the video_url WeChat answered could not be fetched: answered HTTP 404'
 * ```
 */
export class IssuedUrlError extends WeChatKfError {
  readonly reason: string;
  constructor(what: string, reason: string) {
    super('WECHAT_MEDIA_UNAVAILABLE', 502, `${what} could not be fetched: ${reason}`, true);
    this.reason = reason;
  }
}
