/**
 * `GET /sandbox/stream`: the sandbox's feed as server-sent events (text/event-stream), so a console
 * updates the moment something happens instead of polling. The history kept is sent first; a browser's
 * EventSource that reconnects sends `Last-Event-ID` and gets only what it missed. `?openid=` keeps the
 * entries of one user (and the resets); `?appId=` those of one official account (accounts.ts).
 *
 * The stream opens with `event: hello` (`{instance, replayFrom, lastId}`); then each entry is
 * `id: <instance>.<n>`, `event: <type>` (push, message, typing, desk, request, user, reset) and
 * `data: <the entry as JSON>`. A Last-Event-ID of another instance (the sandbox restarted) replays all. A comment line every 15 s keeps proxies from closing an idle stream.
 *
 * @example
 * ```sh
 * curl -N localhost:3100/sandbox/stream?openid=oUser1
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { entryOpenid, type FeedEntry, type SandboxFeed } from './feed';

/** How often an idle stream gets a comment line. */
export const KEEP_ALIVE_MS = 15_000;

function frame(instance: string, entry: FeedEntry): string {
  // JSON has no raw newlines, so one data line carries the whole entry.
  return `id: ${instance}.${entry.id}\nevent: ${entry.type}\ndata: ${JSON.stringify(entry)}\n\n`;
}

/** The entry id after which to replay: `Last-Event-ID` (or `?since=`) of this run, else everything. */
function replayFrom(feed: SandboxFeed, raw: string | undefined): number {
  const m = /^([0-9a-f]{1,32})\.(\d{1,15})$/.exec(raw ?? '');
  if (!m || m[1] !== feed.instance) return 0;
  const n = Number(m[2]);
  return n <= feed.lastId ? n : 0;
}

/**
 * Serves one stream until the client goes away.
 *
 * @example
 * ```ts
 * if (path === '/sandbox/stream') return serveStream(feed, req, res, url);
 * ```
 */
export function serveStream(
  feed: SandboxFeed,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  /** `?appId=` named an account: null for the first (its entries carry no appId), its AppID for another; undefined: every account. */
  account?: string | null,
): void {
  const openid = url.searchParams.get('openid') ?? undefined;
  const lastHeader = req.headers['last-event-id'];
  const last = replayFrom(feed, (Array.isArray(lastHeader) ? lastHeader[0] : lastHeader) ?? url.searchParams.get('since') ?? undefined);
  const wanted = (e: FeedEntry) =>
    e.type === 'reset' || ((account === undefined || (e.appId ?? null) === account) && (openid === undefined || entryOpenid(e) === openid));

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Tells EventSource how long to wait before reconnecting, then the history it missed.
  res.write('retry: 1000\n\n');
  // hello carries no id, so it never moves the client's Last-Event-ID; a new instance means "start over".
  res.write(`event: hello\ndata: ${JSON.stringify({ instance: feed.instance, replayFrom: last, lastId: feed.lastId })}\n\n`);
  for (const entry of feed.since(last)) if (wanted(entry)) res.write(frame(feed.instance, entry));

  const unsubscribe = feed.subscribe((entry) => {
    if (wanted(entry) && !res.destroyed) res.write(frame(feed.instance, entry));
  });
  const keepAlive = setInterval(() => {
    if (!res.destroyed) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  const close = () => {
    clearInterval(keepAlive);
    unsubscribe();
  };
  req.on('close', close);
  res.on('close', close);
}
