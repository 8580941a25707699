/**
 * WeChat's rules for temporary media (docs/media.md, from the reference's "Temporary media" section), as
 * data, and the check every upload passes before WeChat is called: the kind is read from the bytes, the
 * size and (for voice) the length are checked against the documented limit, and a refusal names the limit.
 *
 * @example
 * ```ts
 * import { checkMediaFile } from './rules';
 * checkMediaFile('thumb', pngBytes); // throws ValidationError: "media: a thumb must be JPG (WeChat's limit), this file is PNG"
 * ```
 */
import { ValidationError } from '../errors';
import { audioSeconds, sniffMedia, type MediaFormat, type SniffedMedia } from './formats';

/** The four kinds of temporary media WeChat takes. */
export const MEDIA_TYPES = ['image', 'voice', 'video', 'thumb'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** One kind's rule. */
export interface MediaRule {
  /** Largest file, bytes. */
  readonly maxBytes: number;
  /** Formats accepted, by their bytes. */
  readonly formats: readonly MediaFormat[];
  /** Longest play time, seconds (voice). */
  readonly maxSeconds?: number;
  /** Where the limits come from, said in refusals. */
  readonly source: string;
  /** Where the size limit comes from, when it needs more words than {@link source}. */
  readonly sizeSource?: string;
}

const MB = 1024 * 1024;

/**
 * The rules by kind. Image: the reference gives 10 MB but says one section of WeChat's page gives 2 MB and
 * that 2 MB is safe; the product keeps to 2 MB, so an image it accepts is accepted whichever WeChat applies.
 */
export const MEDIA_RULES: Readonly<Record<MediaType, MediaRule>> = {
  image: {
    maxBytes: 2 * MB,
    formats: ['jpeg', 'png', 'gif'],
    source: "WeChat's limit",
    sizeSource: "WeChat's limit: 2 MB is what every section of its page allows",
  },
  voice: { maxBytes: 2 * MB, formats: ['amr', 'mp3'], maxSeconds: 60, source: "WeChat's limit" },
  video: { maxBytes: 10 * MB, formats: ['mp4'], source: "WeChat's limit" },
  thumb: { maxBytes: 64 * 1024, formats: ['jpeg'], source: "WeChat's limit" },
};

/** How long WeChat keeps a temporary media_id usable: 3 days. */
export const MEDIA_LIFETIME_SECONDS = 3 * 24 * 3600;

/** A size in words: "64 KB", "2 MB", "2.3 MB". */
export function formatBytes(n: number): string {
  if (n >= MB) return `${Number((n / MB).toFixed(1))} MB`;
  if (n >= 1024) return `${Number((n / 1024).toFixed(1))} KB`;
  return `${n} bytes`;
}

function formatList(formats: readonly MediaFormat[]): string {
  const names = formats.map((f) => (f === 'jpeg' ? 'JPG' : f.toUpperCase()));
  return names.length === 1 ? (names[0] as string) : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function article(type: MediaType): string {
  return type === 'image' ? 'an image' : `a ${type}`;
}

/**
 * A kind's rule in words, for field docs: "a thumb: JPG of at most 64 KB".
 *
 * @example
 * ```ts
 * describeMediaRule('voice'); // 'a voice: AMR or MP3 of at most 2 MB and 60 s'
 * ```
 */
export function describeMediaRule(type: MediaType): string {
  const rule = MEDIA_RULES[type];
  return `${article(type)}: ${formatList(rule.formats)} of at most ${formatBytes(rule.maxBytes)}${rule.maxSeconds !== undefined ? ` and ${rule.maxSeconds} s` : ''}`;
}

/** Whether a string is one of the four kinds. */
export function isMediaType(value: unknown): value is MediaType {
  return typeof value === 'string' && (MEDIA_TYPES as readonly string[]).includes(value);
}

/**
 * Checks a file against a kind's rule and says what it is.
 *
 * @param field the input field named in a refusal, e.g. `media` or `image.url`.
 * @throws {ValidationError} when the file is empty, not a format the kind takes, too large, or (voice) too long.
 * @example
 * ```ts
 * checkMediaFile('image', bytes); // { format: 'png', contentType: 'image/png', extension: 'png' }
 * ```
 */
export function checkMediaFile(type: MediaType, data: Uint8Array, field = 'media'): SniffedMedia {
  const rule = MEDIA_RULES[type];
  if (data.length === 0) throw new ValidationError([{ field, rule: 'must not be empty' }]);
  const sniffed = sniffMedia(data);
  if (!sniffed || !rule.formats.includes(sniffed.format)) {
    const what = sniffed ? `this file is ${formatList([sniffed.format])}` : 'this file is none of them (read from its bytes)';
    throw new ValidationError([{ field, rule: `${article(type)} must be ${formatList(rule.formats)} (${rule.source}); ${what}` }]);
  }
  if (data.length > rule.maxBytes) {
    // Exact bytes: a file just over the limit rounds to the limit itself ("this file has 2 MB" said nothing).
    const over = data.length - rule.maxBytes;
    throw new ValidationError([
      {
        field,
        rule: `${article(type)} may have at most ${formatBytes(rule.maxBytes)} (${rule.maxBytes} bytes; ${rule.sizeSource ?? rule.source}); this file has ${data.length} bytes, ${over} ${over === 1 ? 'byte' : 'bytes'} over`,
      },
    ]);
  }
  if (rule.maxSeconds !== undefined) {
    const seconds = audioSeconds(sniffed.format, data);
    if (seconds !== undefined && seconds > rule.maxSeconds + 0.01) {
      throw new ValidationError([
        { field, rule: `${article(type)} may last at most ${rule.maxSeconds} s (${rule.source}); this one lasts ${seconds.toFixed(1)} s` },
      ]);
    }
  }
  return sniffed;
}
