/**
 * The console's files (functions/dev/console/app: plain HTML, CSS and ES modules, committed as they are
 * served, so there is no build step), read once into memory and served under `/console/`. Only the files
 * found at start are served, by exact name: no path from a request ever reaches the file system.
 *
 * Every answer carries a Content-Security-Policy that allows nothing but the console's own origin (no
 * CDN, no inline script, no external image), so the console works offline and a message that holds
 * markup can never run it.
 *
 * @example
 * ```ts
 * const assets = loadAssets();
 * if (assets.serve(req, res, '/console/app.js')) return;
 * ```
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

/** Where the console's files are. */
export const APP_DIR = join(__dirname, 'app');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/** The console's security headers: its own origin only, never framed, never sniffed. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

interface Asset {
  type: string;
  body: Buffer;
}

/** The console's files in memory. */
export interface ConsoleAssets {
  /** File names served, e.g. `app.js`. */
  readonly names: readonly string[];
  /**
   * Answers `GET /console`, `/console/` and `/console/<file>`; returns false (and writes nothing) for any
   * other path.
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

/** Writes JSON with the console's headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/**
 * Reads the console's files.
 *
 * @example
 * ```ts
 * loadAssets().names; // ['app.js', 'chat.js', 'index.html', ...]
 * ```
 */
export function loadAssets(dir: string = APP_DIR): ConsoleAssets {
  const cached = CACHE.get(dir);
  if (cached) return cached;
  const files = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type && /^[a-z0-9][a-z0-9.-]*$/.test(name)) files.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  const assets: ConsoleAssets = {
    names: [...files.keys()].sort(),
    serve(req, res, path) {
      if (path === '/console') {
        // Relative URLs in index.html resolve against /console/.
        res.writeHead(308, { ...SECURITY_HEADERS, location: '/console/' });
        res.end();
        return true;
      }
      if (!path.startsWith('/console/')) return false;
      const name = path === '/console/' ? 'index.html' : path.slice('/console/'.length);
      const asset = files.get(name);
      if (!asset) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD' });
        res.end();
        return true;
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': asset.type,
        'content-length': String(asset.body.length),
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return true;
    },
  };
  CACHE.set(dir, assets);
  return assets;
}

/** Read once per process: every sandbox a test suite starts shares them. */
const CACHE = new Map<string, ConsoleAssets>();
