/**
 * The console's routes, mounted by the local server (`npm start`) and by the sandbox (`npm run sandbox`):
 *
 * | route | what |
 * | --- | --- |
 * | GET /console/ | the console (index.html and its files, assets.ts) |
 * | GET /console/config.json | what the console talks to: the sandbox's control plane, the product's routes |
 * | GET /console/catalogue.json | every catalogue operation with its route and input fields, as data |
 * | ANY /console/sandbox/... | the sandbox's control plane `/sandbox/...`, proxied (npm start in sandbox mode) |
 * | GET /console/turns | turns as they close (turn.ready / turn.limited, docs/turns.md): server-sent events, with TURN_QUIET_MS |
 * | GET /doctor | the doctor's checks of this server's configuration (functions/dev/doctor), as JSON |
 * | GET /doctor/accounts | the doctor's checks of every account this server lists (GET /accounts), through its own routes |
 *
 * Proxying the sandbox keeps the console on one origin, so its Content-Security-Policy can allow only
 * `'self'` and the sandbox needs no CORS.
 *
 * @example
 * ```ts
 * const consoleRoutes = createConsoleRoutes({ mode: 'sandbox', sandboxUrl: sandbox.url, product: true });
 * server.on('request', async (req, res) => { if (await consoleRoutes.handle(req, res)) return; ... });
 * ```
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { loadAssets, sendJson, SECURITY_HEADERS, type ConsoleAssets } from './assets';
import { crossSiteRefusal } from './cross-site';
import { runAccountsDoctor } from '../doctor/accounts';

/** Where the console runs. */
export type ConsoleMode =
  /** npm start with the sandbox: chat, window, operations, log. */
  | 'sandbox'
  /** npm start against real WeChat: operations and doctor; users write from their phones. */
  | 'wechat'
  /** npm run sandbox: chat, window (WeChat's view) and log; no product routes. */
  | 'sandbox-only';

export interface ConsoleOptions {
  mode: ConsoleMode;
  /** The sandbox to proxy `/console/sandbox/...` to (npm start in sandbox mode). */
  sandboxUrl?: string;
  /** The path prefix of the sandbox's control plane as the browser reaches it. */
  sandboxBase?: string;
  /** The operations as data, for the forms (GET /console/catalogue.json); none in sandbox-only mode. */
  catalogue?: () => unknown;
  /** Facts shown in the header (app id, window policy...). Never a secret. */
  facts?: Record<string, string>;
  /** Runs the doctor for GET /doctor (npm start only). */
  doctor?: () => Promise<unknown>;
  /** Turns (npm start with TURN_QUIET_MS): their settings for the chat, and the closed turns as they are published. */
  turns?: {
    settings: { quietMs: number; maxWaitMs: number; maxMessages: number };
    subscribe(listener: (turn: Record<string, unknown>) => void): () => void;
  };
}

/** The console's request handler. */
export interface ConsoleRoutes {
  /** Answers a console request and returns true, or returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** Largest body proxied to the sandbox (a user's picture). */
const MAX_PROXY_BODY = 12 * 1024 * 1024;

function proxy(target: string, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  return new Promise((resolve) => {
    const url = new URL(path, target);
    let size = 0;
    const upstream = httpRequest(
      url,
      {
        method: req.method,
        headers: {
          ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}),
          ...(req.headers['last-event-id'] ? { 'last-event-id': req.headers['last-event-id'] as string } : {}),
        },
      },
      (answer) => {
        const headers: Record<string, string> = { ...SECURITY_HEADERS };
        for (const name of ['content-type', 'cache-control', 'content-length']) {
          const v = answer.headers[name];
          if (typeof v === 'string') headers[name] = v;
        }
        res.writeHead(answer.statusCode ?? 502, headers);
        // Server-sent events flow through as they come.
        res.flushHeaders();
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => resolve());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent)
        sendJson(res, 502, { error: { code: 'SANDBOX_UNREACHABLE', message: `the sandbox at ${target} did not answer` } });
      else res.destroy();
      resolve();
    });
    res.on('close', () => upstream.destroy());
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PROXY_BODY) {
        upstream.destroy();
        if (!res.headersSent)
          sendJson(res, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: `the body must be at most ${MAX_PROXY_BODY} bytes` } });
        resolve();
      } else upstream.write(chunk);
    });
    req.on('end', () => upstream.end());
  });
}

/**
 * Closed turns as server-sent events (`event: turn`): who, which turn, how many messages, their text, when
 * it opened and closed, ready or limited. Each connection holds one listener, removed when it closes.
 */
function streamTurns(turns: NonNullable<ConsoleOptions['turns']>, res: ServerResponse): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
  res.write('retry: 2000\n\n');
  const stop = turns.subscribe((turn) => res.write(`event: turn\ndata: ${JSON.stringify(turn)}\n\n`));
  res.on('close', stop);
}

/**
 * The console's routes for one server.
 *
 * @example
 * ```ts
 * const routes = createConsoleRoutes({ mode: 'sandbox-only', sandboxBase: '/sandbox' });
 * ```
 */
export function createConsoleRoutes(options: ConsoleOptions): ConsoleRoutes {
  const assets: ConsoleAssets = loadAssets();
  const sandboxBase = options.sandboxBase ?? (options.sandboxUrl ? '/console/sandbox' : null);
  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://console.local');
      const path = url.pathname;
      if (path === '/doctor' && options.doctor) {
        if (req.method !== 'GET') sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET /doctor' } });
        else sendJson(res, 200, await options.doctor());
        return true;
      }
      if (path === '/doctor/accounts' && options.doctor) {
        if (req.method !== 'GET') sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'use GET /doctor/accounts' } });
        // This server is the gateway: its Host already passed the request guard (functions/dev/local/request-guard.ts).
        else sendJson(res, 200, await runAccountsDoctor({ apiUrl: `http://${req.headers.host}` }));
        return true;
      }
      if (path !== '/console' && !path.startsWith('/console/')) return false;
      if (path === '/console/config.json' && req.method === 'GET') {
        sendJson(res, 200, {
          mode: options.mode,
          sandbox: sandboxBase,
          product: options.mode !== 'sandbox-only',
          facts: options.facts ?? {},
          turns: options.turns?.settings ?? null,
        });
        return true;
      }
      if (path === '/console/turns' && req.method === 'GET' && options.turns) {
        const refusal = crossSiteRefusal(req);
        if (refusal) {
          sendJson(res, 403, { error: { code: 'CROSS_SITE', message: refusal } });
          return true;
        }
        streamTurns(options.turns, res);
        return true;
      }
      if (path === '/console/catalogue.json' && req.method === 'GET') {
        if (!options.catalogue)
          sendJson(res, 404, {
            error: { code: 'NOT_FOUND', message: 'the product is not running here: start it with npm start to call its operations' },
          });
        else sendJson(res, 200, options.catalogue());
        return true;
      }
      if (options.sandboxUrl && (path === '/console/sandbox' || path.startsWith('/console/sandbox/'))) {
        const refusal = crossSiteRefusal(req);
        if (refusal) {
          sendJson(res, 403, { error: { code: 'CROSS_SITE', message: refusal } });
          return true;
        }
        await proxy(options.sandboxUrl, req, res, `${path.slice('/console'.length)}${url.search}`);
        return true;
      }
      if (assets.serve(req, res, path)) return true;
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no console file ${path}` } });
      return true;
    },
  };
}
