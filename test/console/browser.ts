/**
 * Real Chromium for the console's tests: Debian's `chromium` package (installed by .ci/run; locally
 * `apt-get install -y chromium`), driven by playwright-core, headless. CHROMIUM_PATH overrides where it
 * is looked for. Without it the browser tests fail when CI=true and are skipped (with the reason printed)
 * otherwise, as the real-n8n tests are.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where the tests write their screenshots (gitignored; README names it). */
export const SCREENSHOTS = join(__dirname, '..', '..', '.screenshots');

/** The browser the tests drive, if this machine has one. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p));
}

export const IS_CI = process.env.CI === 'true';
export const MISSING_BROWSER = 'Chromium is not installed: apt-get install -y chromium (or set CHROMIUM_PATH)';

/** Starts headless Chromium with the flags that keep it off the network and quiet on a shared machine. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(MISSING_BROWSER);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A path for a screenshot, creating the folder. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

/** A small real PNG (a diagonal gradient), so the browser decodes and shows it: what a user's photo is in the tests. */
export function samplePng(width = 96, height = 72): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { deflateSync, crc32 } = require('node:zlib') as typeof import('node:zlib') & { crc32?: (b: Buffer) => number };
  const crc = (buf: Buffer): number => {
    if (crc32) return crc32(buf) >>> 0;
    let c = ~0;
    for (const byte of buf) {
      c ^= byte;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++)
      rows.push(40 + Math.round((180 * x) / width), 140 + Math.round((90 * y) / height), 200 - Math.round((120 * x) / width));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
