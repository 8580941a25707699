/**
 * What a file is, by its bytes, and WeChat's temporary-media rules, with refusals naming the limit.
 */
import { ValidationError } from '../../functions/core/errors';
import { audioSeconds, checkMediaFile, sniffMedia, type MediaType } from '../../functions/core/media';
import { amr, bmp, gif, jpeg, mp3, mp4, png } from '../support/media-samples';

const MB = 1024 * 1024;

function refusal(type: MediaType, data: Uint8Array, field?: string): ValidationError {
  try {
    checkMediaFile(type, data, field);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('sniffMedia', () => {
  it.each([
    ['jpeg', jpeg(), 'image/jpeg'],
    ['png', png(), 'image/png'],
    ['gif', gif(), 'image/gif'],
    ['bmp', bmp(), 'image/bmp'],
    ['amr', amr(1), 'audio/amr'],
    ['mp3', mp3(1), 'audio/mpeg'],
    ['mp4', mp4(), 'video/mp4'],
  ])('reads %s from its bytes', (format, data, contentType) => {
    // act / assess
    expect(sniffMedia(data)).toMatchObject({ format, contentType });
  });

  it('names nothing for bytes of no known format', () => {
    // act / assess
    expect(sniffMedia(Buffer.from('<html>not an image</html>'))).toBeUndefined();
    expect(sniffMedia(new Uint8Array(0))).toBeUndefined();
  });
});

describe('audioSeconds', () => {
  it('counts AMR frames (20 ms each) and MP3 frames (1152 samples at 44.1 kHz)', () => {
    // act / assess
    expect(audioSeconds('amr', amr(60))).toBeCloseTo(60, 5);
    expect(audioSeconds('mp3', mp3(61))).toBeGreaterThan(60.9);
    expect(audioSeconds('mp3', mp3(61))).toBeLessThan(61.1);
  });
});

describe('checkMediaFile', () => {
  it.each([
    ['image', png()],
    ['image', gif()],
    ['image', jpeg(2 * MB)],
    ['voice', amr(60)],
    ['voice', mp3(59)],
    ['video', mp4(10 * MB)],
    ['thumb', jpeg(64 * 1024)],
  ] as const)('accepts a %s within the rules', (type, data) => {
    // act / assess
    expect(checkMediaFile(type, data).format).toBe(sniffMedia(data)?.format);
  });

  it.each([
    ['a PNG as a thumb', 'thumb', png(), 'a thumb must be JPG', 'this file is PNG'],
    ['a BMP as an image', 'image', bmp(), 'an image must be JPG, PNG or GIF', 'this file is BMP'],
    ['a GIF over 2 MB', 'image', gif(2 * MB + 1), 'at most 2 MB (2097152 bytes', 'this file has 2097153 bytes, 1 byte over'],
    [
      'a thumb 10 bytes over 64 KB',
      'thumb',
      jpeg(64 * 1024 + 10),
      'at most 64 KB (65536 bytes',
      'this file has 65546 bytes, 10 bytes over',
    ],
    ['a 3 MB voice', 'voice', Buffer.concat([amr(1), Buffer.alloc(3 * MB)]), 'at most 2 MB', ''],
    ['a voice of 61 s', 'voice', amr(61), 'at most 60 s', 'lasts 61.0 s'],
    ['an MP3 of 61 s', 'voice', mp3(61), 'at most 60 s', ''],
    ['a thumb over 64 KB', 'thumb', jpeg(64 * 1024 + 1), 'at most 64 KB', ''],
    ['a video over 10 MB', 'video', mp4(10 * MB + 1), 'at most 10 MB', ''],
    ['an MP3 as a video', 'video', mp3(1), 'must be MP4', 'this file is MP3'],
    ['an empty file', 'image', new Uint8Array(0), 'must not be empty', ''],
    ['text as an image', 'image', Buffer.from('hello'), 'JPG, PNG or GIF', 'none of them'],
  ] as const)('refuses %s, naming the field and the limit', (_what, type, data, rule, detail) => {
    // act
    const error = refusal(type, data, `${type}.file`);

    // assess
    expect(error.status).toBe(400);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.field).toBe(`${type}.file`);
    expect(error.issues[0]?.rule).toContain(rule);
    expect(error.issues[0]?.rule).toContain(detail);
  });
});
