/**
 * What a file is, read from its bytes: a file's name and declared content type come from whoever sent it
 * and are never trusted (docs/media.md). Also the length of AMR and MP3 audio, which WeChat limits to 60 s
 * for a voice message.
 *
 * @example
 * ```ts
 * import { sniffMedia, audioSeconds } from './formats';
 * sniffMedia(bytes); // { format: 'png', contentType: 'image/png', extension: 'png' }
 * audioSeconds('amr', bytes); // 0.5
 * ```
 */

/** Every format the sniffer names. Only some are accepted by WeChat (see rules.ts); the others are named in refusals. */
export type MediaFormat =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'bmp'
  | 'webp'
  | 'amr'
  | 'amr-wb'
  | 'mp3'
  | 'wav'
  | 'ogg'
  | 'mp4'
  | 'mov'
  | 'm4a'
  | 'webm';

/** A format with the content type and file extension it is sent with. */
export interface SniffedMedia {
  format: MediaFormat;
  contentType: string;
  extension: string;
}

const DESCRIPTIONS: Readonly<Record<MediaFormat, { contentType: string; extension: string }>> = {
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  png: { contentType: 'image/png', extension: 'png' },
  gif: { contentType: 'image/gif', extension: 'gif' },
  bmp: { contentType: 'image/bmp', extension: 'bmp' },
  webp: { contentType: 'image/webp', extension: 'webp' },
  amr: { contentType: 'audio/amr', extension: 'amr' },
  'amr-wb': { contentType: 'audio/amr-wb', extension: 'awb' },
  mp3: { contentType: 'audio/mpeg', extension: 'mp3' },
  wav: { contentType: 'audio/wav', extension: 'wav' },
  ogg: { contentType: 'audio/ogg', extension: 'ogg' },
  mp4: { contentType: 'video/mp4', extension: 'mp4' },
  mov: { contentType: 'video/quicktime', extension: 'mov' },
  m4a: { contentType: 'audio/mp4', extension: 'm4a' },
  webm: { contentType: 'video/webm', extension: 'webm' },
};

function ascii(data: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end && i < data.length; i++) out += String.fromCharCode(data[i] as number);
  return out;
}

function startsWith(data: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (data.length < at + bytes.length) return false;
  return bytes.every((b, i) => data[at + i] === b);
}

/** Whether 4 bytes at `at` are an MPEG-1/2/2.5 Layer III frame header with valid bitrate and sample rate. */
function isMp3Frame(data: Uint8Array, at: number): boolean {
  return mp3Frame(data, at) !== undefined;
}

/**
 * The format of a file by its first bytes (its "magic number"), or undefined when it is none of
 * {@link MediaFormat}.
 *
 * @example
 * ```ts
 * sniffMedia(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // { format: 'jpeg', contentType: 'image/jpeg', extension: 'jpg' }
 * ```
 */
export function sniffMedia(data: Uint8Array): SniffedMedia | undefined {
  const format = sniffFormat(data);
  return format ? { format, ...DESCRIPTIONS[format] } : undefined;
}

function sniffFormat(d: Uint8Array): MediaFormat | undefined {
  if (startsWith(d, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(d, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  const six = ascii(d, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return 'gif';
  if (ascii(d, 0, 2) === 'BM' && d.length >= 26) return 'bmp';
  if (ascii(d, 0, 4) === 'RIFF' && ascii(d, 8, 12) === 'WEBP') return 'webp';
  if (ascii(d, 0, 4) === 'RIFF' && ascii(d, 8, 12) === 'WAVE') return 'wav';
  if (ascii(d, 0, 9) === '#!AMR-WB\n') return 'amr-wb';
  if (six === '#!AMR\n') return 'amr';
  if (ascii(d, 0, 3) === 'ID3' || isMp3Frame(d, 0)) return 'mp3';
  if (ascii(d, 0, 4) === 'OggS') return 'ogg';
  if (startsWith(d, [0x1a, 0x45, 0xdf, 0xa3])) return 'webm';
  if (d.length >= 12 && ascii(d, 4, 8) === 'ftyp') {
    const brand = ascii(d, 8, 12);
    if (brand === 'qt  ') return 'mov';
    if (brand === 'M4A ' || brand === 'M4B ') return 'm4a';
    return 'mp4';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Audio length

/** AMR-NB and AMR-WB speech frame sizes in bytes after the 1-byte frame header, by frame type (RFC 4867 §5.3). */
const AMR_NB_FRAME_BYTES = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];
const AMR_WB_FRAME_BYTES = [17, 23, 32, 36, 40, 46, 50, 58, 60, 5, 0, 0, 0, 0, 0, 0];

/** Seconds of an AMR file (every frame is 20 ms), or undefined when its frames do not add up to the file. */
function amrSeconds(data: Uint8Array, header: number, sizes: readonly number[]): number | undefined {
  let pos = header;
  let frames = 0;
  while (pos < data.length) {
    pos += 1 + (sizes[((data[pos] as number) >> 3) & 0x0f] as number);
    frames++;
  }
  return pos === data.length ? frames * 0.02 : undefined;
}

const MP3_BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/** An MPEG Layer III frame at `at`: its length in bytes and its duration in seconds. */
function mp3Frame(d: Uint8Array, at: number): { bytes: number; seconds: number } | undefined {
  if (at + 4 > d.length || d[at] !== 0xff) return undefined;
  const b1 = d[at + 1] as number;
  const b2 = d[at + 2] as number;
  if ((b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3; // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5, 1 reserved
  const layer = (b1 >> 1) & 3; // 1 = Layer III
  if (version === 1 || layer !== 1) return undefined;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const bitrate = ((version === 3 ? MP3_BITRATES_V1 : MP3_BITRATES_V2)[bitrateIndex] as number) * 1000;
  const rate = (MP3_RATES[version] as readonly number[])[rateIndex] as number;
  const samples = version === 3 ? 1152 : 576;
  const bytes = Math.floor(((samples / 8) * bitrate) / rate) + ((b2 >> 1) & 1);
  return { bytes, seconds: samples / rate };
}

/** Seconds of an MP3 file, by walking its frames after any ID3v2 tag; undefined when no frame is found. */
function mp3Seconds(d: Uint8Array): number | undefined {
  let pos = 0;
  if (ascii(d, 0, 3) === 'ID3' && d.length >= 10) {
    // ID3v2 size: four 7-bit bytes ("syncsafe"), after a 10-byte header.
    pos = 10 + (((d[6] as number) << 21) | ((d[7] as number) << 14) | ((d[8] as number) << 7) | (d[9] as number));
  }
  let seconds = 0;
  let frames = 0;
  for (;;) {
    const frame = mp3Frame(d, pos);
    if (!frame) break;
    seconds += frame.seconds;
    frames++;
    pos += frame.bytes;
  }
  return frames > 0 ? seconds : undefined;
}

/**
 * How long an AMR or MP3 file plays, in seconds, from its frames; undefined for other formats or when the
 * frames cannot be read (the caller then leaves the length to WeChat).
 *
 * @example
 * ```ts
 * audioSeconds('amr', amrBytes); // 59.98
 * ```
 */
export function audioSeconds(format: MediaFormat, data: Uint8Array): number | undefined {
  if (format === 'amr') return amrSeconds(data, 6, AMR_NB_FRAME_BYTES);
  if (format === 'amr-wb') return amrSeconds(data, 9, AMR_WB_FRAME_BYTES);
  if (format === 'mp3') return mp3Seconds(data);
  return undefined;
}
