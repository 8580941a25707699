/**
 * What the local server refuses before any route sees a request: calls a browser makes on behalf of
 * another website, and requests that reach 127.0.0.1 under a name that is not this machine's (DNS
 * rebinding). docs/cross-site.md says why, and what the deployed API does instead.
 *
 * The local product has no authentication: it trusts whoever can reach 127.0.0.1. Servers (curl, n8n,
 * a flow's code) can, and should. But so can every page open in the user's browser: a page on another
 * site can make the browser POST a JSON body as `text/plain` (a "simple" request, sent without asking)
 * to `http://localhost:3000/messages` and spend the user's sends. The browser marks such a request, and no
 * page can remove the mark: `Sec-Fetch-Site` is `cross-site` or `same-site` (another port of localhost
 * is the same site but another origin), and `Origin` names the page's origin. Servers send neither.
 *
 * Rules:
 * 1. `CROSS_SITE`: a request whose Sec-Fetch-Site is neither `same-origin` nor `none`, or whose Origin is
 *    not this server's own, is refused with 403 before anything is read or sent, whatever its method: a
 *    GET may call WeChat too (`/doctor`, `/chat-records`, `/media/{id}`, `/kf-accounts`), and an `<img>`
 *    on another site spends the account's API quota without reading the answer. Only the console's pages
 *    (GET /console/..., which call nothing) may be opened from another site's link; the console itself,
 *    served by this server, is same-origin, and a URL typed in the address bar is `none`.
 * 2. `HOST_NOT_ALLOWED`: a request whose Host is not a loopback name (localhost, *.localhost, 127.x.x.x,
 *    [::1]) or the address the server listens on is refused with 403, whatever its method: a page on
 *    evil.example whose name was re-pointed at 127.0.0.1 is "same-origin" to the browser, and could read
 *    answers (GET /access-token). `/callback` is exempt: WeChat's pushes may come through a tunnel that
 *    keeps its own Host, and a push proves itself by its signature.
 *
 * @example
 * ```ts
 * const refusal = requestRefusal(req, '127.0.0.1');
 * if (refusal) return sendError(res, 403, refusal.code, refusal.message);
 * ```
 */
import type { IncomingMessage } from 'node:http';
import { crossSiteSource } from '../console/cross-site';

/** Why a request was refused, as the 403's error code and message. */
export interface RequestRefusal {
  code: 'CROSS_SITE' | 'HOST_NOT_ALLOWED';
  message: string;
}

/** The hostname of a Host header (`localhost:3000` → `localhost`, `[::1]:3000` → `[::1]`), lower case. */
function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:[0-9]*$/, '');
}

/** Whether a hostname names this machine: loopback names and addresses, or the address listened on. */
export function isLocalHostname(hostname: string, listenHost: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (/^127(\.[0-9]{1,3}){3}$/.test(hostname) || hostname === '[::1]') return true;
  const listen = listenHost.toLowerCase();
  return listen !== '0.0.0.0' && listen !== '::' && (hostname === listen || hostname === `[${listen}]`);
}

/** GET or HEAD of the console's own files (not its sandbox proxy): the one thing another site may link to. */
function isConsolePage(method: string | undefined, path: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (path === '/console/sandbox' || path.startsWith('/console/sandbox/')) return false;
  return path === '/console' || path.startsWith('/console/');
}

/**
 * Why the local server refuses this request (see the rules above), or undefined to serve it.
 *
 * @param listenHost the address the server listens on (127.0.0.1 by default).
 */
export function requestRefusal(req: IncomingMessage, listenHost: string): RequestRefusal | undefined {
  const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
  const host = req.headers.host;
  if (path !== '/callback' && typeof host === 'string' && host !== '' && !isLocalHostname(hostnameOf(host), listenHost)) {
    return {
      code: 'HOST_NOT_ALLOWED',
      message: `Host ${JSON.stringify(host)} is not this machine: the local product answers only requests to localhost or 127.0.0.1 (a name re-pointed at 127.0.0.1 is how another website reaches it); /callback is the exception`,
    };
  }
  const source = crossSiteSource(req, { reads: !isConsolePage(req.method, path) });
  if (source) {
    return {
      code: 'CROSS_SITE',
      message: `${source} is refused: a browser marked it as sent by another website, and the local product takes calls only from servers (curl, n8n, your code: they send no Origin) and from its own console`,
    };
  }
  return undefined;
}
