/**
 * Files of each media format, built by hand from their formats' published layouts (not by the code under
 * test), so the sniffer and the sandbox are checked against an independent source.
 */

/** Starts like a JPEG (SOI FF D8 FF, then an APP0 marker); `size` bytes in all. */
export function jpeg(size = 64): Buffer {
  const b = Buffer.alloc(size, 0x11);
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return b;
}

/** The PNG signature, then padding. */
export function png(size = 64): Buffer {
  const b = Buffer.alloc(size, 0x22);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  return b;
}

/** A GIF89a header, then padding. */
export function gif(size = 64): Buffer {
  const b = Buffer.alloc(size, 0x33);
  b.write('GIF89a', 0, 'latin1');
  return b;
}

/** A BMP header (BM), then padding. */
export function bmp(size = 64): Buffer {
  const b = Buffer.alloc(size, 0);
  b.write('BM', 0, 'latin1');
  return b;
}

/** AMR-NB: `#!AMR\n`, then 12.2 kbit/s frames (1 header byte + 31 bytes, 20 ms each). */
export function amr(seconds = 1): Buffer {
  const frames = Math.round(seconds * 50);
  const frame = Buffer.alloc(32, 0);
  frame[0] = 0x3c; // frame type 7, quality bit set
  return Buffer.concat([Buffer.from('#!AMR\n', 'latin1'), ...Array.from({ length: frames }, () => frame)]);
}

/** MP3: MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz (417 bytes, 1152 samples each), after an empty ID3v2 tag. */
export function mp3(seconds = 1): Buffer {
  const frames = Math.ceil((seconds * 44100) / 1152);
  const frame = Buffer.alloc(417, 0);
  frame.set([0xff, 0xfb, 0x90, 0x00], 0);
  const id3 = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  return Buffer.concat([id3, ...Array.from({ length: frames }, () => frame)]);
}

/** An MP4: an `ftyp` box with brand isom, then padding. */
export function mp4(size = 64): Buffer {
  const b = Buffer.alloc(size, 0);
  b.set([0, 0, 0, 0x18], 0);
  b.write('ftypisom', 4, 'latin1');
  return b;
}
