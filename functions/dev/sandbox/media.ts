/**
 * Temporary media, as the reference's "Temporary media" section describes it: `cgi-bin/media/upload`
 * (multipart, file field `media` with a filename, `?type=image|voice|video|thumb`) answers
 * `{type, media_id, created_at}`; `cgi-bin/media/get?media_id=` answers the file's bytes with its
 * Content-Type and Content-Disposition (a video answers `{video_url}`). A media_id lives 3 days of the
 * sandbox clock and may be used again within them.
 *
 * The sandbox also refuses a custom/send whose media_id (or thumb_media_id) it never issued, or issued
 * more than 3 days ago, with 40007: a test cannot pass with a made-up media_id. Where the reference is
 * silent the sandbox chooses (and says so here):
 * - the kind must fit the field: `image.media_id` an image, `voice.media_id` a voice, `video.media_id` a
 *   video; a `thumb_media_id` may be a thumb or an image (mini-program cards are commonly sent with an
 *   image upload); otherwise 40007;
 * - `mpnews.media_id` names permanent material (cgi-bin/material, which the sandbox does not model), so it
 *   is not checked;
 * - the file's kind is read from its bytes, never from its name or declared content type (40005);
 * - a voice over 60 s is refused with 40006 when its length can be read (AMR: 20 ms per frame);
 * - a part without a filename is "media data missing" (41005), as WeChat answers it.
 *
 * Users can send the account images and voice notes with a file (see {@link userMediaAction}); what they
 * send is stored here too, so `media/get` downloads it.
 *
 * @example
 * ```ts
 * const answer = await fetch(`${sandbox.url}/cgi-bin/media/upload?access_token=${token}&type=image`, { method: 'POST', body: form });
 * // { type: 'image', media_id: 'sbx_img_…', created_at: 1736128800 }
 * ```
 */
import { randomBytes } from 'node:crypto';
import { SandboxUsageError, WeChatRefusalError } from './errcodes';
import { parseMultipart } from './multipart';
import type { ApiContext, ApiRequest, Json, Route } from './route';
import type { SandboxState } from './state';
import type { UserAction } from './types';

/** The four kinds of temporary media. */
export type MediaType = 'image' | 'voice' | 'video' | 'thumb';

/** A file format the sandbox recognises by its first bytes. */
export type MediaFormat = 'jpeg' | 'png' | 'gif' | 'amr' | 'mp3' | 'mp4';

/** What each kind accepts, from the reference. */
export const MEDIA_LIMITS: Readonly<Record<MediaType, { maxBytes: number; formats: readonly MediaFormat[]; maxSeconds?: number }>> = {
  // The reference: "image ≤ 10 MB (one section of the current page says 2 MB)". The sandbox takes the
  // looser reading; the product keeps to 2 MB, so it never depends on which one WeChat applies.
  image: { maxBytes: 10 * 1024 * 1024, formats: ['png', 'jpeg', 'gif'] },
  voice: { maxBytes: 2 * 1024 * 1024, formats: ['amr', 'mp3'], maxSeconds: 60 },
  video: { maxBytes: 10 * 1024 * 1024, formats: ['mp4'] },
  thumb: { maxBytes: 64 * 1024, formats: ['jpeg'] },
};

/** How long a media_id can be used: 3 days. */
export const MEDIA_LIFETIME_MS = 3 * 24 * 3600 * 1000;

/** Bytes of media the sandbox keeps in all; the oldest are forgotten beyond it. */
const MAX_STORED_BYTES = 256 * 1024 * 1024;

const CONTENT_TYPES: Readonly<Record<MediaFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
};

const EXTENSIONS: Readonly<Record<MediaFormat, string>> = { jpeg: 'jpg', png: 'png', gif: 'gif', amr: 'amr', mp3: 'mp3', mp4: 'mp4' };

/** A file the sandbox holds. */
export interface StoredMedia {
  media_id: string;
  type: MediaType;
  format: MediaFormat;
  filename: string;
  data: Buffer;
  /** By the sandbox clock, ms. */
  createdAt: number;
  /** Who made it: an upload through the API, or a simulated user. */
  origin: 'upload' | 'user';
}

/**
 * A file instead of JSON (media/get): the server answers it with its bytes, its content type and a
 * Content-Disposition. It is a Json record, so handlers keep one return type.
 */
export interface FileAnswer extends Json {
  file: { data: Buffer; contentType: string; filename: string };
}

/** Whether a handler's answer is a file. */
export function isFileAnswer(answer: Json): answer is FileAnswer {
  const file = answer.file as FileAnswer['file'] | undefined;
  return typeof file === 'object' && file !== null && Buffer.isBuffer(file.data);
}

/** The media of a sandbox, kept in its state's areas (cleared with the rest). */
export function mediaOf(state: SandboxState): MediaStore {
  let media = state.areas.get('media') as MediaStore | undefined;
  if (!media) {
    media = new MediaStore(state.now);
    state.areas.set('media', media);
  }
  return media;
}

/** The format of a file, by its first bytes. */
export function sniffFormat(data: Uint8Array): MediaFormat | undefined {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 6 && (b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a')) return 'gif';
  if (b.length >= 6 && b.subarray(0, 6).toString('latin1') === '#!AMR\n') return 'amr';
  if (b.length >= 3 && b.subarray(0, 3).toString('latin1') === 'ID3') return 'mp3';
  // An MPEG audio frame header: 11 sync bits, then a layer that is not "reserved".
  if (b.length >= 4 && b[0] === 0xff && ((b[1] as number) & 0xe0) === 0xe0 && ((b[1] as number) & 0x06) !== 0) return 'mp3';
  if (b.length >= 12 && b.subarray(4, 8).toString('latin1') === 'ftyp') return 'mp4';
  return undefined;
}

/** AMR-NB frame sizes in bytes (without the 1-byte header), by frame type; 0 = no data. */
const AMR_FRAME_BYTES = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];

/** The length of an AMR-NB file in seconds (20 ms a frame), or undefined when it does not parse. */
export function amrSeconds(data: Buffer): number | undefined {
  let pos = 6;
  let frames = 0;
  while (pos < data.length) {
    const type = ((data[pos] as number) >> 3) & 0x0f;
    pos += 1 + (AMR_FRAME_BYTES[type] as number);
    frames++;
  }
  return pos === data.length ? frames * 0.02 : undefined;
}

/** The sandbox's media, by media_id. */
export class MediaStore {
  private readonly items = new Map<string, StoredMedia>();
  private bytes = 0;

  constructor(private readonly now: () => number) {}

  /** Keeps a file and hands out its media_id. */
  add(type: MediaType, format: MediaFormat, data: Buffer, filename: string | undefined, origin: StoredMedia['origin']): StoredMedia {
    const media_id = `sbx_${type}_${randomBytes(24).toString('base64url')}`;
    const item: StoredMedia = {
      media_id,
      type,
      format,
      data: Buffer.from(data),
      filename: filename ?? `${media_id}.${EXTENSIONS[format]}`,
      createdAt: this.now(),
      origin,
    };
    this.items.set(media_id, item);
    this.bytes += item.data.length;
    for (const [id, old] of this.items) {
      if (this.bytes <= MAX_STORED_BYTES) break;
      this.items.delete(id);
      this.bytes -= old.data.length;
    }
    return item;
  }

  /**
   * Takes back a file kept before a restart (persist.ts), under its own media_id and creation time: WeChat
   * keeps a media_id its 3 days whatever its callers do, so a restarted sandbox must not forget one.
   */
  restore(item: StoredMedia): void {
    if (this.items.has(item.media_id)) return;
    this.items.set(item.media_id, item);
    this.bytes += item.data.length;
  }

  /** A media_id's file while it lives (3 days), else undefined. */
  get(mediaId: string): StoredMedia | undefined {
    const item = this.items.get(mediaId);
    if (!item) return undefined;
    return this.now() - item.createdAt < MEDIA_LIFETIME_MS ? item : undefined;
  }

  /**
   * Forgets a media_id before its 3 days, as WeChat may (its page promises 3 days, not more): a send
   * naming it is then refused with 40007. For tests of what the product does then.
   */
  forget(mediaId: string): boolean {
    const item = this.items.get(mediaId);
    if (!item) return false;
    this.items.delete(mediaId);
    this.bytes -= item.data.length;
    return true;
  }

  /** Every file held, live or expired, oldest first. */
  list(): StoredMedia[] {
    return [...this.items.values()];
  }

  clear(): void {
    this.items.clear();
    this.bytes = 0;
  }
}

/** A file answer (media/get). */
export function fileAnswer(item: StoredMedia): FileAnswer {
  return { file: { data: item.data, contentType: CONTENT_TYPES[item.format], filename: item.filename } };
}

function checkFile(type: MediaType, data: Buffer): MediaFormat {
  const limits = MEDIA_LIMITS[type];
  const format = sniffFormat(data);
  if (!format || !limits.formats.includes(format)) {
    throw new WeChatRefusalError(
      40005,
      `a ${type} must be ${limits.formats.join(' or ').toUpperCase()}${format ? `, this file is ${format.toUpperCase()}` : ''}`,
    );
  }
  if (data.length > limits.maxBytes) {
    throw new WeChatRefusalError(
      40006,
      `a ${type} may have at most ${limits.maxBytes >= 1024 * 1024 ? `${limits.maxBytes / 1024 / 1024} MB` : `${limits.maxBytes / 1024} KB`}`,
    );
  }
  if (limits.maxSeconds !== undefined && format === 'amr') {
    const seconds = amrSeconds(data);
    if (seconds !== undefined && seconds > limits.maxSeconds)
      throw new WeChatRefusalError(40006, `a voice may last at most ${limits.maxSeconds} s`);
  }
  return format;
}

const upload = (ctx: ApiContext, req: ApiRequest) => {
  const type = req.query.type;
  if (type !== 'image' && type !== 'voice' && type !== 'video' && type !== 'thumb')
    throw new WeChatRefusalError(40004, 'type must be image, voice, video or thumb');
  const parts = parseMultipart(req.raw, req.contentType);
  if (!parts) throw new WeChatRefusalError(41005, 'the body must be multipart/form-data with a file field media');
  const media = parts.find((p) => p.name === 'media');
  if (!media || media.data.length === 0) throw new WeChatRefusalError(41005, 'no file field media');
  if (!media.filename) throw new WeChatRefusalError(41005, 'the media part has no filename');
  const format = checkFile(type, media.data);
  const item = mediaOf(ctx.state).add(type, format, media.data, media.filename, 'upload');
  return { type, media_id: item.media_id, created_at: Math.floor(item.createdAt / 1000) };
};

const get = (ctx: ApiContext, req: ApiRequest) => {
  const id = req.query.media_id;
  if (!id) throw new WeChatRefusalError(40007, 'media_id is required');
  const item = mediaOf(ctx.state).get(id);
  if (!item) throw new WeChatRefusalError(40007, 'no such media_id, or it is more than 3 days old');
  if (item.type === 'video') return { video_url: `${ctx.baseUrl}/sandbox/media/${item.media_id}` };
  return fileAnswer(item);
};

/** The media API paths, registered in api.ts's route table. */
export const MEDIA_ROUTES: Readonly<Record<string, Route>> = {
  '/cgi-bin/media/upload': { methods: ['POST'], auth: true, handler: upload },
  '/cgi-bin/media/get': { methods: ['GET'], auth: true, handler: get },
};

/** Which media kinds each media field of a custom/send payload accepts. */
const SEND_MEDIA_FIELDS: Readonly<Record<string, ReadonlyArray<readonly [field: string, kinds: readonly MediaType[]]>>> = {
  image: [['media_id', ['image']]],
  voice: [['media_id', ['voice']]],
  video: [
    ['media_id', ['video']],
    ['thumb_media_id', ['thumb', 'image']],
  ],
  music: [['thumb_media_id', ['thumb', 'image']]],
  miniprogrampage: [['thumb_media_id', ['thumb', 'image']]],
};

/**
 * Refuses (40007) a custom/send payload naming a media_id the sandbox never issued, one over 3 days old,
 * or one of the wrong kind.
 */
export function checkSendMedia(ctx: ApiContext, msgtype: string, payload: Record<string, unknown>): void {
  for (const [field, kinds] of SEND_MEDIA_FIELDS[msgtype] ?? []) {
    const id = payload[field];
    if (typeof id !== 'string') continue;
    const item = mediaOf(ctx.state).get(id);
    if (!item) throw new WeChatRefusalError(40007, `${msgtype}.${field} was never issued by media/upload, or is more than 3 days old`);
    if (!kinds.includes(item.type))
      throw new WeChatRefusalError(40007, `${msgtype}.${field} must be a ${kinds.join(' or ')} media_id, this one is a ${item.type}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// What simulated users send

/** A 1×1 JPEG, what a simulated user's photo is when no file is given. */
export const SAMPLE_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
  'base64',
);

/** Half a second of AMR-NB silence, what a simulated user's voice note is when no file is given. */
export const SAMPLE_AMR = Buffer.concat([
  Buffer.from('#!AMR\n', 'latin1'),
  ...Array.from({ length: 25 }, () => Buffer.from([0x3c, ...Array(31).fill(0)])),
]);

/**
 * Stores the file of an image or voice action (its `data`, or a sample) and names it by media_id, so
 * the push carries a MediaId that media/get can download. Other actions pass through.
 */
export function withUserMedia(state: SandboxState, action: UserAction, baseUrl: string): UserAction {
  if (action.type !== 'image' && action.type !== 'voice') return action;
  if (action.mediaId !== undefined) return action;
  const data = action.data ? Buffer.from(action.data) : action.type === 'image' ? SAMPLE_JPEG : SAMPLE_AMR;
  const format = sniffFormat(data);
  const kinds = MEDIA_LIMITS[action.type].formats;
  if (!format || !kinds.includes(format))
    throw new SandboxUsageError(`a user's ${action.type} must be ${kinds.join(' or ').toUpperCase()}`);
  const item = mediaOf(state).add(action.type, format, data, action.filename, 'user');
  if (action.type === 'image')
    return { type: 'image', mediaId: item.media_id, picUrl: action.picUrl ?? `${baseUrl}/sandbox/media/${item.media_id}` };
  return {
    type: 'voice',
    mediaId: item.media_id,
    format: action.format ?? format,
    ...(action.recognition !== undefined ? { recognition: action.recognition } : {}),
  };
}

/**
 * The action of `POST /sandbox/users/{openid}/messages` with a file: multipart (any file part; a `type`
 * field may say image or voice) or a raw body with an image/* or audio/* content type. Undefined when the
 * request carries no file.
 */
export function userMediaAction(raw: Buffer, contentType: string | undefined): UserAction | undefined {
  let data: Buffer;
  let filename: string | undefined;
  let declared: string | undefined;
  const parts = parseMultipart(raw, contentType);
  if (parts) {
    const file = parts.find((p) => p.filename !== undefined) ?? parts.find((p) => p.name === 'media');
    if (!file) throw new SandboxUsageError('the multipart body has no file part');
    data = file.data;
    filename = file.filename;
    declared = parts
      .find((p) => p.name === 'type' && p.filename === undefined)
      ?.data.toString('utf8')
      .trim();
  } else if (contentType && /^(image|audio)\//i.test(contentType.trim())) {
    data = raw;
  } else {
    return undefined;
  }
  if (data.length === 0) throw new SandboxUsageError('the file is empty');
  const format = sniffFormat(data);
  const type = declared === 'image' || declared === 'voice' ? declared : format === 'amr' || format === 'mp3' ? 'voice' : 'image';
  return { type, data, ...(filename ? { filename } : {}) };
}
